//! Every check of the model: the spec's validation and lints (the same code
//! a spec built at run time goes through), each finding placed at the
//! user's token, at the level the attributes set, with the note that says why.

use proc_macro2::Span;

use crate::rules::dsl::model::Model;
use crate::rules::dsl::report::{Report, Reports};
use crate::rules::dsl::Severity;
use crate::rules::layer::LayerSpec;
use crate::rules::lint::{self, Level, Lint};
use crate::rules::network::NetworkSpec;
use crate::rules::validate::{validate, SpecError};

/// Record every finding of the model in `reports`; the spec when nothing
/// is an error.
pub fn check(model: &Model, reports: &mut Reports) -> Option<NetworkSpec> {
    let specs: Vec<LayerSpec> = model.layers.iter().map(|layer| layer.spec).collect();
    let mut structural = 0;
    for error in validate(&specs, &model.lints) {
        if is_echo_of_a_reported_mistake(model, &error) {
            continue;
        }
        structural += 1;
        reports.at(
            span_of(model, error.layer(), error.part()),
            error.message(),
            error.help(),
        );
    }
    let complete = model.layers.iter().all(|layer| layer.complete);
    let spec = NetworkSpec::from_parts(specs.clone(), model.lints);
    for finding in lint::check(&specs) {
        let layer = &model.layers[finding.layer];
        if !layer.complete {
            continue;
        }
        // The signal analysis needs the whole network as written.
        if finding.lint == Lint::SignalDrift && (structural > 0 || !complete) {
            continue;
        }
        let level = match finding.level {
            Level::Forbid => Level::Forbid,
            _ => spec.level(finding.lint, finding.layer),
        };
        if level == Level::Allow {
            continue;
        }
        reports.push(Report {
            severity: if level == Level::Warn {
                Severity::Warning
            } else {
                Severity::Error
            },
            lint: Some(finding.lint),
            notes: note(finding.lint, level, finding.level).into_iter().collect(),
            message: finding.message,
            help: Some(finding.help),
            span: layer.spans.of(finding.part),
        });
    }
    (!reports.has_errors()).then_some(spec)
}

/// Why a finding is reported at its level; nothing for a finding that no
/// attribute lowers (its message says so).
fn note(lint: Lint, level: Level, found_at: Level) -> Option<String> {
    match level {
        _ if found_at == Level::Forbid => None,
        Level::Warn => Some(format!(
            "`#[warn({lint})]` is on by default; `#[allow({lint})]` on the layer or network silences it"
        )),
        Level::Deny if lint.default_level() == Level::Deny => {
            Some(format!("`#[deny({lint})]` is on by default"))
        }
        Level::Deny => Some(format!("`#[deny({lint})]` is set on this network or layer")),
        Level::Forbid => Some(format!("`#[forbid({lint})]` is set on this network or layer")),
        Level::Allow => None,
    }
}

/// A shape mismatch against a width that could not be read is only an echo
/// of the error already reported for that width; so is any error about a
/// layer whose text could not be read.
fn is_echo_of_a_reported_mistake(model: &Model, error: &SpecError) -> bool {
    match *error {
        SpecError::ShapeMismatch { layer, .. } => {
            !model.layers[layer].inputs_known || !model.layers[layer - 1].outputs_known
        }
        _ => error
            .layer()
            .is_some_and(|layer| !model.layers[layer].inputs_known && !model.layers[layer].outputs_known),
    }
}

fn span_of(model: &Model, layer: Option<usize>, part: crate::rules::layer::Part) -> Span {
    match layer.and_then(|index| model.layers.get(index)) {
        Some(layer) => layer.spans.of(part),
        None => model.body_span,
    }
}
