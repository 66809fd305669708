//! Every check of the model: `init-core`'s validation and lints (the same
//! code the run time uses), each finding placed at the user's token and
//! given the level the attributes set.

use init_core::{Level, Lint, SpecError};
use proc_macro2::Span;

use crate::errors::Errors;
use crate::model::Model;
use crate::warning::Warning;

/// Record every error of the model in `errors`; return the warnings.
pub fn validate(model: &Model, errors: &mut Errors) -> Vec<Warning> {
    let specs: Vec<_> = model.layers.iter().map(|layer| layer.spec).collect();
    let mut structural = 0;
    for error in init_core::validate(&specs) {
        if is_echo_of_a_reported_mistake(model, &error) {
            continue;
        }
        structural += 1;
        errors.at(
            span_of(model, error.layer(), error.part()),
            error.message(),
            error.help(),
        );
    }

    let complete = model.layers.iter().all(|layer| layer.complete);
    let mut warnings = Vec::new();
    for diagnostic in init_core::check(&specs) {
        let layer = &model.layers[diagnostic.layer];
        if !layer.complete {
            continue;
        }
        // The signal analysis needs the whole network as written.
        if diagnostic.lint == Lint::SignalDrift && (structural > 0 || !complete) {
            continue;
        }
        let span = layer.spans.of(diagnostic.part);
        let level = match diagnostic.level {
            Level::Forbid => Level::Forbid,
            _ => model.level(diagnostic.lint, diagnostic.layer),
        };
        match level {
            Level::Allow => {}
            Level::Warn => warnings.push(Warning::new(
                diagnostic.lint,
                span,
                &diagnostic.message,
                &diagnostic.help,
            )),
            Level::Deny | Level::Forbid => {
                let why = if level == Level::Forbid {
                    String::new()
                } else if diagnostic.lint.default_level() == Level::Deny
                    && level == diagnostic.lint.default_level()
                {
                    format!("\nnote: `#[deny({})]` is on by default", diagnostic.lint)
                } else {
                    format!(
                        "\nnote: `#[deny({})]` is set on this network or layer",
                        diagnostic.lint
                    )
                };
                errors.at(span, &diagnostic.message, format!("{}{why}", diagnostic.help));
            }
        }
    }
    warnings
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

fn span_of(model: &Model, layer: Option<usize>, part: init_core::Part) -> Span {
    match layer.and_then(|index| model.layers.get(index)) {
        Some(layer) => layer.spans.of(part),
        None => model.body_span,
    }
}
