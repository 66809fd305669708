//! [`Invocation`] to [`Model`]: names given their meaning, each layer a
//! [`LayerSpec`] with the spans of its parts and the lint levels its
//! attributes set. Each kind reads itself (its [`Read`](crate::rules::dsl::syntax::Read));
//! here are the walk, the markers, the lint attributes, and the names that
//! are no kind, reported with those they may have meant.

use proc_macro2::Span;

use crate::rules::activation::Activation;
use crate::rules::dsl::ast::{self, Body, Invocation, LayerSlot, LintAttr};
use crate::rules::dsl::report::{unknown_name, Reports};
use crate::rules::dsl::spans::LayerSpans;
use crate::rules::dsl::syntax::{Modelled, Reader};
use crate::rules::keywords;
use crate::rules::layer::{self, LayerKind, LayerSpec, Marker};
use crate::rules::levels::{Level, Lint, LintLevels};
use crate::rules::suggest;

/// The invocation with its meaning.
pub struct Model {
    pub item: Option<ast::Item>,
    /// The lint levels set on the whole network.
    pub lints: LintLevels,
    pub layers: Vec<ModelLayer>,
    pub body_span: Span,
}

/// One layer: the spec, where its parts were written.
pub struct ModelLayer {
    pub spec: LayerSpec,
    pub spans: LayerSpans,
    /// Whether every name in the layer was understood: lints are only run
    /// on what the user actually wrote.
    pub complete: bool,
    pub inputs_known: bool,
    pub outputs_known: bool,
}

impl ModelLayer {
    /// The layer a kind read of itself.
    fn of(modelled: Modelled<LayerKind>) -> ModelLayer {
        ModelLayer {
            spec: LayerSpec::of(modelled.kind),
            spans: modelled.spans,
            complete: modelled.complete,
            inputs_known: modelled.inputs_known,
            outputs_known: modelled.outputs_known,
        }
    }

    /// The stand-in for a layer whose text could not be read: it holds the
    /// layer's place, with unknown widths, and takes part in no check.
    fn unreadable(span: Span) -> ModelLayer {
        ModelLayer {
            spec: LayerSpec::dense(1, 1, Activation::Identity),
            spans: LayerSpans::at(span),
            complete: false,
            inputs_known: false,
            outputs_known: false,
        }
    }
}

/// The levels `attrs` set, the last attribute winning, and where each lint
/// was named.
fn lint_levels(attrs: &[LintAttr], reports: &mut Reports) -> (LintLevels, Vec<(Lint, Span)>) {
    let mut levels = LintLevels::NONE;
    let mut named = Vec::new();
    for attr in attrs {
        let level = Level::from_name(&attr.level.text).unwrap_or(Level::Warn);
        for name in &attr.lints {
            match Lint::from_name(&name.text) {
                Some(lint) if levels.get(lint) == Some(Level::Forbid) && level != Level::Forbid => {
                    reports.at(
                        name.span,
                        format!(
                            "`#[{}({lint})]` cannot lower the `forbid({lint})` written before it: a \
                             forbidden lint stays an error",
                            level.name()
                        ),
                        "remove this attribute, or write `deny` for `forbid`, which a later attribute may lower",
                    );
                }
                Some(lint) => {
                    levels = levels.with(lint, level);
                    named.push((lint, name.span));
                }
                None => unknown_name(reports, "lint", &name.text, name.span, keywords::LINTS),
            }
        }
    }
    (levels, named)
}

/// Give every layer of `invocation` its meaning.
pub fn model(invocation: Invocation, reports: &mut Reports) -> Model {
    let (lints, _) = lint_levels(&invocation.attrs, reports);
    let options_anywhere = layer::options_anywhere();
    let layers = invocation
        .layers
        .iter()
        .map(|slot| match slot {
            LayerSlot::Read(layer) => model_layer(layer, reports, &options_anywhere),
            LayerSlot::Unreadable(span) => ModelLayer::unreadable(*span),
        })
        .collect();
    Model {
        item: invocation.item,
        lints,
        layers,
        body_span: invocation.body_span,
    }
}

/// One layer: its kind reads itself; a block's marker is what it is; a
/// name that is no kind is reported.
fn model_layer(layer: &ast::Layer, reports: &mut Reports, options_anywhere: &[&'static str]) -> ModelLayer {
    let name = layer.kind.text.as_str();
    let mut reader = Reader {
        reports,
        options_anywhere,
    };
    let mut modelled = match (&layer.body, layer::syntax(name)) {
        (Body::Marker(marker), _) => {
            let spec = match marker {
                Marker::Start { scaled: true } => LayerSpec::residual(),
                Marker::Start { scaled: false } => LayerSpec::residual_unscaled(),
                Marker::Shortcut => LayerSpec::shortcut(),
                Marker::End => LayerSpec::residual_end(),
            };
            ModelLayer::of(Modelled::known(*spec.kind(), LayerSpans::at(layer.kind.span)))
        }
        // Arguments after a name that is no kind (or after an activation,
        // which takes none of that shape): reported once, with the kind it
        // may have meant, PyTorch's names included; nothing after it
        // follows from a layer read as another kind.
        (Body::Unknown, syntax) => {
            let kinds = layer::listed_kinds();
            let guess = suggest::meant(name, &kinds, keywords::LAYER_ALIASES);
            let (message, help) = suggest::unknown_meant("layer kind", name, &kinds, guess);
            let message = match (syntax, guess) {
                (Some(_), Some(guess)) => {
                    format!("`{name}` is an activation, which takes no widths; did you mean `{guess}`?")
                }
                (Some(_), None) => format!(
                    "`{name}` is an activation, which takes no widths; write `{}(IN -> OUT, {name})`",
                    keywords::DENSE
                ),
                (None, _) => message,
            };
            reader.reports.at(layer.kind.span, message, help);
            ModelLayer::unreadable(layer.kind.span)
        }
        (_, Some(syntax)) => match (syntax.model)(layer, &mut reader) {
            Some(modelled) => ModelLayer::of(modelled),
            None => ModelLayer::unreadable(layer.kind.span),
        },
        // A name alone that is neither a kind nor an activation.
        (_, None) => {
            let known: Vec<&str> = layer::listed_kinds()
                .into_iter()
                .chain(keywords::ACTIVATIONS.iter().copied())
                .collect();
            let guess = suggest::meant(name, &known, keywords::LAYER_ALIASES);
            let (message, help) = suggest::unknown_meant("layer", name, &known, guess);
            reader.reports.at(layer.kind.span, message, help);
            ModelLayer::unreadable(layer.kind.span)
        }
    };
    let (lints, named) = lint_levels(&layer.attrs, reports);
    modelled.spans.lints = named;
    for (lint, level) in lints.iter() {
        modelled.spec = modelled.spec.with_lint(lint, level);
    }
    modelled
}
