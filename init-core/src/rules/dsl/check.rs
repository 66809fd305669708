//! Every check of the model: the spec's validation and lints (the same code
//! a spec built at run time goes through), each finding placed at the
//! user's token, at the level the attributes set, with the note that says why.

use proc_macro2::Span;

use crate::rules::blocks;
use crate::rules::dsl::model::Model;
use crate::rules::dsl::report::{Report, Reports};
use crate::rules::dsl::{Checked, Severity};
use crate::rules::error::{ChainError, InitError, SizeError, SpecError};
use crate::rules::layer::{LayerSpec, Marker};
use crate::rules::levels::{Level, Lint};
use crate::rules::lint;
use crate::rules::part::Part;
use crate::rules::signal::scale_branches;
use crate::rules::validate::validate;

/// Record every finding of the model in `reports`; the network's layers,
/// with the derived branch scaling, and its lint levels, when it holds
/// together (no error but, perhaps, its lints').
pub fn check(model: &Model, reports: &mut Reports) -> Option<Checked> {
    let specs: Vec<LayerSpec> = model.layers.iter().map(|layer| layer.spec).collect();
    let mut structural = 0;
    // A layer with a mistake of its own is not also linted: its numbers are
    // not what the user meant.
    let mut broken = vec![false; specs.len()];
    for error in validate(&specs, &model.lints) {
        if is_echo_of_a_reported_mistake(model, &error) {
            continue;
        }
        structural += 1;
        // Where the layer sits says nothing against its inits; a written
        // input width its input contradicts does: the fans the lints would
        // quote are not the ones the fixed layer will have.
        let about_numbers = matches!(
            error,
            SpecError::Size(
                SizeError::ZeroWidth { .. }
                    | SizeError::TooManyParameters { .. }
                    | SizeError::HeadsDivide { .. }
                    | SizeError::VocabularyTooLarge { .. }
            ) | SpecError::Chain(
                ChainError::ShapeMismatch { .. }
                    | ChainError::FeatureMismatch { .. }
                    | ChainError::ChannelMismatch { .. }
                    | ChainError::TokenWidth { .. }
                    | ChainError::TokenCount { .. }
            ) | SpecError::Init(
                InitError::InvalidScale { .. }
                    | InitError::ScaleOverflow { .. }
                    | InitError::InvalidActivationParameter { .. }
                    | InitError::OrthogonalBias { .. }
                    | InitError::AdjustedBias { .. }
            )
        );
        if let (Some(layer), true) = (error.layer(), about_numbers) {
            broken[layer] = true;
        }
        reports.at(
            span_of(model, error.layer(), error.part()),
            error.message(),
            error.help(),
        );
    }
    let complete = model.layers.iter().all(|layer| layer.complete);
    let holds_together = !reports.has_errors();
    let layers = scale_branches(&specs);
    for finding in lint::findings(&layers, &model.lints) {
        let layer = &model.layers[finding.layer];
        if !layer.complete || broken[finding.layer] {
            continue;
        }
        // The signal analysis needs the whole network as written.
        let analysed = finding.lint == Lint::SignalDrift || finding.lint == Lint::F32Overflow;
        if analysed && (structural > 0 || !complete) {
            continue;
        }
        // A block's end takes its attributes from `residual(…)`, its start.
        let attributes = match blocks::marker(&layer.spec) {
            Some(Marker::End) => blocks::block_of(&layers, finding.layer)
                .map_or(layer.spec.lint_levels(), |block| {
                    model.layers[block.start].spec.lint_levels()
                }),
            _ => layer.spec.lint_levels(),
        };
        let written = match model.lints.get(finding.lint) {
            Some(Level::Forbid) => Some(Level::Forbid),
            network => attributes.get(finding.lint).or(network),
        };
        reports.push(Report {
            severity: if finding.level == Level::Warn {
                Severity::Warning
            } else {
                Severity::Error
            },
            lint: Some(finding.lint),
            notes: note(finding.lint, finding.level, written).into_iter().collect(),
            message: finding.message,
            help: Some(finding.help),
            span: layer.spans.of(finding.part),
        });
    }
    holds_together.then_some(Checked {
        layers,
        lints: model.lints,
    })
}

/// Why a finding is reported at `level`, given the level an attribute
/// wrote for its lint, if any; nothing for a finding that is an error by
/// its nature, whatever the attributes say (its message says so).
fn note(lint: Lint, level: Level, written: Option<Level>) -> Option<String> {
    let set = written == Some(level);
    match level {
        Level::Warn if set => Some(format!(
            "`#[warn({lint})]` is set on this network or layer; `#[allow({lint})]` silences it"
        )),
        Level::Warn => Some(format!(
            "`#[warn({lint})]` is on by default; `#[allow({lint})]` on the layer or network silences it"
        )),
        Level::Deny if set => Some(format!("`#[deny({lint})]` is set on this network or layer")),
        Level::Deny => Some(format!("`#[deny({lint})]` is on by default")),
        Level::Forbid if set => Some(format!("`#[forbid({lint})]` is set on this network or layer")),
        Level::Forbid | Level::Allow => None,
    }
}

/// A shape mismatch against a width that could not be read, or after a
/// layer that could not be read, is only an echo of the error already
/// reported there; so is an activation blamed on a layer whose activation
/// could not be read. (A width that could not be read stands in as 1, a
/// layer as `dense(1 -> 1, identity)`, an activation as the identity.)
fn is_echo_of_a_reported_mistake(model: &Model, error: &SpecError) -> bool {
    match *error {
        SpecError::Chain(
            ChainError::ShapeMismatch { layer, .. }
            | ChainError::ChannelMismatch { layer, .. }
            | ChainError::FeatureMismatch { layer, .. }
            | ChainError::NeedsFlatten { layer, .. }
            | ChainError::NeedsImage { layer, .. }
            | ChainError::NormWidth { layer, .. }
            | ChainError::NormOnImage { layer, .. }
            | ChainError::WrongSort { layer, .. }
            | ChainError::TokenWidth { layer, .. }
            | ChainError::TokenCount { layer, .. }
            | ChainError::PatchSize { layer, .. },
        ) => {
            // Back to the last layer whose own sizes fix the shape it gives
            // (`input`, a dense layer, a layer normalization): a layer not
            // understood on the way leaves the shape unknown.
            let mut unknown_before = false;
            for before in model.layers[..layer].iter().rev() {
                let dense = fixes_its_width(&before.spec);
                if !before.outputs_known || (!dense && !before.complete) {
                    unknown_before = true;
                    break;
                }
                if dense {
                    break;
                }
            }
            !model.layers[layer].inputs_known || unknown_before
        }
        // A size that could not be read stands in as 1.
        SpecError::Size(SizeError::NormOfOne { layer }) => !model.layers[layer].inputs_known,
        // A width that could not be read, in the block or before it (the
        // skip's shape comes from there): the shapes compared are not what
        // the user wrote.
        SpecError::Chain(ChainError::ResidualShape { layer, .. }) => {
            model.layers[..layer].iter().any(|before| !before.outputs_known)
        }
        // The layer blamed (the last before it but `flatten`) was not
        // understood: it stands in with the identity.
        SpecError::Chain(ChainError::UnfusedActivation { layer, .. }) => model.layers[..layer]
            .iter()
            .rev()
            .find(|before| !reshapes_only(&before.spec))
            .is_some_and(|before| !before.complete),
        _ => false,
    }
}

/// Whether `layer` alone fixes the shape it gives (see [`Properties::fixes_output`](crate::rules::layer::kind::Properties::fixes_output)).
fn fixes_its_width(layer: &LayerSpec) -> bool {
    layer
        .kind()
        .rules()
        .is_some_and(|kind| kind.properties().fixes_output)
}

/// Whether `layer` only changes the shape of what it passes on (`flatten`).
fn reshapes_only(layer: &LayerSpec) -> bool {
    layer
        .kind()
        .rules()
        .is_some_and(|kind| kind.properties().reshapes_only)
}

fn span_of(model: &Model, layer: Option<usize>, part: Part) -> Span {
    match layer.and_then(|index| model.layers.get(index)) {
        Some(layer) => layer.spans.of(part),
        None => model.body_span,
    }
}
