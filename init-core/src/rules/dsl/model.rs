//! [`Invocation`] to [`Model`]: names given their meaning, each layer a
//! [`LayerSpec`] with the spans of its parts and the lint levels its
//! attributes set. Every unknown name is reported here.

use proc_macro2::Span;

use crate::rules::activation::Activation;
use crate::rules::dsl::ast::{
    self, Arg, Call, Invocation, LayerOption, LayerSlot, LintAttr, Number, OptionValue,
};
use crate::rules::dsl::init_call::{InitArgument, InitCallError};
use crate::rules::dsl::report::{unknown_name, Reports};
use crate::rules::fans::FanMode;
use crate::rules::init::{Distribution, Init};
use crate::rules::keywords;
use crate::rules::layer::LayerSpec;
use crate::rules::levels::{Level, Lint, LintLevels};
use crate::rules::part::Part;
use crate::rules::suggest;
use crate::rules::validate::SpecError;

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

/// Where each part of a layer was written.
pub struct LayerSpans {
    pub layer: Span,
    pub inputs: Span,
    pub outputs: Span,
    pub activation: Span,
    pub activation_parameter: Span,
    pub weight: Span,
    pub weight_scale: Span,
    pub bias: Span,
    pub bias_scale: Span,
    /// Each lint named in the layer's attributes, where it was named.
    pub lints: Vec<(Lint, Span)>,
}

impl LayerSpans {
    /// Spans that all point at one place: a layer whose text could not be
    /// read, or before its parts are known.
    fn all_at(span: Span) -> LayerSpans {
        LayerSpans {
            layer: span,
            inputs: span,
            outputs: span,
            activation: span,
            activation_parameter: span,
            weight: span,
            weight_scale: span,
            bias: span,
            bias_scale: span,
            lints: Vec::new(),
        }
    }

    pub fn of(&self, part: Part) -> Span {
        match part {
            Part::Network | Part::Layer => self.layer,
            Part::Inputs => self.inputs,
            Part::Outputs => self.outputs,
            Part::Activation => self.activation,
            Part::ActivationParameter => self.activation_parameter,
            Part::Weight => self.weight,
            Part::WeightScale => self.weight_scale,
            Part::Bias => self.bias,
            Part::BiasScale => self.bias_scale,
            Part::LintAttribute(lint) => self
                .lints
                .iter()
                .rev()
                .find(|(named, _)| *named == lint)
                .map_or(self.layer, |(_, span)| *span),
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

pub fn model(invocation: Invocation, reports: &mut Reports) -> Model {
    let (lints, _) = lint_levels(&invocation.attrs, reports);
    let layers = invocation
        .layers
        .iter()
        .map(|slot| match slot {
            LayerSlot::Read(layer) => model_layer(layer, reports),
            LayerSlot::Unreadable(span) => unreadable_layer(*span),
        })
        .collect();
    Model {
        item: invocation.item,
        lints,
        layers,
        body_span: invocation.body_span,
    }
}

fn model_layer(layer: &ast::Layer, reports: &mut Reports) -> ModelLayer {
    let mut complete = true;
    if !keywords::LAYER_KINDS.contains(&layer.kind.text.as_str()) {
        unknown_name(
            reports,
            "layer kind",
            &layer.kind.text,
            layer.kind.span,
            keywords::LAYER_KINDS,
        );
        complete = false;
    }
    let width = |width: &ast::Width| width.value.and_then(|value| usize::try_from(value).ok());
    let (inputs, outputs) = (width(&layer.inputs), width(&layer.outputs));
    let mut spans = LayerSpans::all_at(layer.activation.name.span);
    spans.layer = layer.kind.span;
    spans.inputs = layer.inputs.span;
    spans.outputs = layer.outputs.span;
    spans.bias = layer.kind.span;
    spans.bias_scale = layer.kind.span;
    let activation = match activation(&layer.activation, reports) {
        Some((activation, parameter_span)) => {
            spans.activation_parameter = parameter_span;
            activation
        }
        None => {
            complete = false;
            Activation::Identity
        }
    };
    let options = Options::collect(&layer.options, reports);
    complete &= options.complete;
    let (weight, weight_complete) =
        options.weight(activation, layer.activation.name.span, &mut spans, reports);
    complete &= weight_complete;
    let bias = match options.bias {
        Some((init, span, scale)) => {
            spans.bias = span;
            spans.bias_scale = scale.unwrap_or(span);
            init
        }
        None => Init::zeros(),
    };
    let (lints, named) = lint_levels(&layer.attrs, reports);
    spans.lints = named;
    let mut spec = LayerSpec::dense(inputs.unwrap_or(1), outputs.unwrap_or(1), activation)
        .with_weight(weight)
        .with_bias(bias);
    for (lint, level) in lints.iter() {
        spec = spec.with_lint(lint, level);
    }
    ModelLayer {
        spec,
        spans,
        complete,
        inputs_known: inputs.is_some(),
        outputs_known: outputs.is_some(),
    }
}

/// The stand-in for a layer whose text could not be read: it holds the
/// layer's place, with unknown widths, and takes part in no check.
fn unreadable_layer(span: Span) -> ModelLayer {
    ModelLayer {
        spec: LayerSpec::dense(1, 1, Activation::Identity),
        spans: LayerSpans::all_at(span),
        complete: false,
        inputs_known: false,
        outputs_known: false,
    }
}

/// What the options of one layer said.
#[derive(Default)]
pub struct Options {
    seen: Vec<String>,
    /// The init, the span of its name and the span of its scale.
    weight: Option<(Init, Span, Option<Span>)>,
    bias: Option<(Init, Span, Option<Span>)>,
    dist: Option<(Distribution, Span)>,
    mode: Option<(FanMode, Span)>,
    gain: Option<Number>,
    /// Whether every option was understood.
    complete: bool,
}

impl Options {
    /// Read `key = value` options, reporting unknown, repeated and
    /// ill-typed ones.
    pub fn collect(options: &[LayerOption], reports: &mut Reports) -> Options {
        let mut collected = Options {
            complete: true,
            ..Options::default()
        };
        for option in options {
            let key = &option.key;
            if collected.seen.contains(&key.text) {
                reports.at(
                    key.span,
                    format!("option `{}` is given twice", key.text),
                    format!("keep one `{} = …`", key.text),
                );
                collected.complete = false;
                continue;
            }
            collected.seen.push(key.text.clone());
            if !collected.take(option, reports) {
                collected.complete = false;
            }
        }
        collected
    }

    /// Record one option; `false` when it was not understood (reported).
    fn take(&mut self, option: &LayerOption, reports: &mut Reports) -> bool {
        let key = &option.key;
        match (key.text.as_str(), &option.value) {
            (keywords::INIT, OptionValue::Call(call)) => init(call, reports)
                .map(|(init, scale)| self.weight = Some((init, call.name.span, scale)))
                .is_some(),
            (keywords::BIAS, OptionValue::Call(call)) => init(call, reports)
                .map(|(init, scale)| self.bias = Some((init, call.name.span, scale)))
                .is_some(),
            (keywords::DIST, OptionValue::Call(call)) if call.parens.is_none() => {
                match Distribution::from_name(&call.name.text) {
                    Some(distribution) => self.dist = Some((distribution, key.span)),
                    None => unknown_name(
                        reports,
                        "distribution",
                        &call.name.text,
                        call.name.span,
                        keywords::DISTRIBUTIONS,
                    ),
                }
                self.dist.is_some()
            }
            (keywords::MODE, OptionValue::Call(call)) if call.parens.is_none() => {
                match FanMode::from_name(&call.name.text) {
                    Some(mode) => self.mode = Some((mode, key.span)),
                    None => unknown_name(
                        reports,
                        "fan mode",
                        &call.name.text,
                        call.name.span,
                        keywords::FAN_MODES,
                    ),
                }
                self.mode.is_some()
            }
            (keywords::GAIN, OptionValue::Number(number)) => {
                self.gain = Some(*number);
                true
            }
            (keywords::INIT | keywords::BIAS, value) => {
                reports.at(
                    value.span(),
                    format!("`{}` takes an init scheme, not a number", key.text),
                    "write a scheme such as `he_uniform`, `normal(std = 0.01)` or `constant(0.1)`",
                );
                false
            }
            (keywords::DIST, value) => {
                reports.at(
                    value.span(),
                    "`dist` takes a distribution name",
                    format!("write {}", suggest::alternatives(keywords::DISTRIBUTIONS)),
                );
                false
            }
            (keywords::MODE, value) => {
                reports.at(
                    value.span(),
                    "`mode` takes a fan mode",
                    format!("write {}", suggest::alternatives(keywords::FAN_MODES)),
                );
                false
            }
            (keywords::GAIN, value) => {
                reports.at(value.span(), "`gain` takes a number", "write e.g. `gain = 1.0`");
                false
            }
            (other, _) => {
                unknown_name(reports, "option", other, key.span, keywords::OPTIONS);
                false
            }
        }
    }

    /// The weight init: the one written, or the one derived from
    /// `activation` (written at `activation_span`), adjusted by `dist`,
    /// `mode` and `gain`; and whether it was all understood.
    pub fn weight(
        &self,
        activation: Activation,
        activation_span: Span,
        spans: &mut LayerSpans,
        reports: &mut Reports,
    ) -> (Init, bool) {
        let (weight, weight_span, weight_scale) = match self.weight {
            Some((init, span, scale)) => (init, span, scale.unwrap_or(span)),
            None => (Init::derived(activation), activation_span, activation_span),
        };
        spans.weight = weight_span;
        spans.weight_scale = weight_scale;
        match adjust(weight, self, reports) {
            Some((weight, gain_span)) => {
                if let Some(span) = gain_span {
                    spans.weight_scale = span;
                }
                (weight, true)
            }
            None => (weight, false),
        }
    }
}

/// An activation written alone (`"leaky_relu(0.01)".parse()`), its α checked.
pub fn activation_alone(call: &Call, reports: &mut Reports) -> Option<Activation> {
    let (activation, parameter_span) = activation(call, reports)?;
    if let Some(alpha) = activation.parameter() {
        if !alpha.is_finite() || alpha < 0.0 {
            let error = SpecError::InvalidActivationParameter {
                layer: 0,
                value: alpha,
            };
            reports.at(parameter_span, error.message(), error.help());
            return None;
        }
    }
    Some(activation)
}

/// An init written alone with the options that adjust it
/// (`"he_uniform, gain = 1.2".parse()`), its scale checked.
pub fn init_alone(value: &OptionValue, options: &[LayerOption], reports: &mut Reports) -> Option<Init> {
    let OptionValue::Call(call) = value else {
        reports.at(
            value.span(),
            "expected an init scheme, not a number",
            "write a scheme such as `he_uniform`, `normal(std = 0.01)` or `constant(0.1)`",
        );
        return None;
    };
    let written = init(call, reports);
    let mut collected = Options::collect(options, reports);
    for option in options {
        if [keywords::INIT, keywords::BIAS].contains(&option.key.text.as_str()) {
            reports.at(
                option.key.span,
                format!("`{}` belongs to a layer, not to an init", option.key.text),
                "after an init, only `dist = …`, `mode = …` and `gain = …` adjust it",
            );
            collected.complete = false;
        }
    }
    let (init, scale) = written?;
    collected.weight = Some((init, call.name.span, scale));
    let mut spans = LayerSpans::all_at(call.name.span);
    let (init, understood) = collected.weight(Activation::Identity, call.name.span, &mut spans, reports);
    if !understood || !collected.complete {
        return None;
    }
    if let Some((what, value)) = init.invalid_scale() {
        let error = SpecError::InvalidScale {
            layer: 0,
            part: Part::WeightScale,
            what,
            value,
        };
        reports.at(spans.weight_scale, error.message(), error.help());
        return None;
    }
    Some(init)
}

/// Apply `dist`, `mode` and `gain` to the weight init, refusing them where
/// they mean nothing. Returns the init and the gain's span.
fn adjust(weight: Init, options: &Options, reports: &mut Reports) -> Option<(Init, Option<Span>)> {
    let mut ok = true;
    let gain_span = options.gain.map(|gain| gain.span);
    let adjusted = match weight {
        Init::Scaled(mut scaling) => {
            if let Some((distribution, _)) = options.dist {
                scaling = scaling.with_distribution(distribution);
            }
            if let Some((mode, _)) = options.mode {
                scaling = scaling.with_mode(mode);
            }
            if let Some(gain) = options.gain {
                scaling = scaling.with_gain(gain.value);
            }
            Init::Scaled(scaling)
        }
        Init::Orthogonal { .. } => {
            for (name, span) in [
                ("dist", options.dist.map(|d| d.1)),
                ("mode", options.mode.map(|m| m.1)),
            ] {
                if let Some(span) = span {
                    reports.at(
                        span,
                        format!(
                            "`{name}` has no effect on `orthogonal`, which is not drawn element by element"
                        ),
                        format!("remove `{name} = …`; an orthogonal init takes only `gain = …`"),
                    );
                    ok = false;
                }
            }
            match options.gain {
                Some(gain) => Init::Orthogonal {
                    gain: Some(gain.value),
                },
                None => weight,
            }
        }
        explicit => {
            let spans = [
                ("dist", options.dist.map(|d| d.1)),
                ("mode", options.mode.map(|m| m.1)),
                ("gain", gain_span),
            ];
            for (name, span) in spans {
                if let Some(span) = span {
                    reports.at(
                        span,
                        format!(
                            "`{name}` has no effect on `{explicit}`, whose distribution and scale are written out"
                        ),
                        format!(
                            "remove `{name} = …`, or use a variance-scaling init such as `init = he_normal` that \
                             `{name}` adjusts"
                        ),
                    );
                    ok = false;
                }
            }
            explicit
        }
    };
    ok.then_some((adjusted, gain_span))
}

/// The activation of a [`Call`], and the span of its parameter.
fn activation(call: &Call, reports: &mut Reports) -> Option<(Activation, Span)> {
    let name = call.name.text.as_str();
    let span = call.name.span;
    if Activation::takes_parameter(name) {
        let example = if name == keywords::ELU {
            "elu(1.0)"
        } else {
            "leaky_relu(0.01)"
        };
        return match call.args.as_slice() {
            [Arg::Positional(alpha)] => Some((Activation::with_parameter(name, alpha.value)?, alpha.span)),
            [] => {
                reports.at(
                    span,
                    format!("`{name}` needs its α"),
                    format!("write `{example}`"),
                );
                None
            }
            _ => {
                reports.at(
                    call.parens.unwrap_or(span),
                    format!("`{name}` takes one number, its α"),
                    format!("write `{example}`"),
                );
                None
            }
        };
    }
    match Activation::from_name(name) {
        Some(activation) => {
            if let Some(parens) = call.parens {
                reports.at(
                    parens,
                    format!("`{name}` takes no parameter"),
                    format!("write `{name}`"),
                );
                return None;
            }
            Some((activation, span))
        }
        None => {
            unknown_name(reports, "activation", name, span, keywords::ACTIVATIONS);
            None
        }
    }
}

/// The init of a [`Call`], and the span of its scale if it has one; the
/// names and their meaning are `Init::from_call`'s.
fn init(call: &Call, reports: &mut Reports) -> Option<(Init, Option<Span>)> {
    let name = call.name.text.as_str();
    let (argument, scale) = match call.args.as_slice() {
        [] => (InitArgument::Absent, None),
        [Arg::Positional(value)] => (InitArgument::Positional(value.value), Some(value.span)),
        [Arg::Named { key, value }] => (InitArgument::Named(&key.text, value.value), Some(value.span)),
        _ => (InitArgument::Several, None),
    };
    match Init::from_call(name, argument) {
        Ok(init) => Some((init, scale)),
        Err(error) => {
            // Point at an unknown name, a wrong key, else the parentheses.
            let span = match (&error, call.args.as_slice()) {
                (InitCallError::Unknown { .. }, _) => call.name.span,
                (InitCallError::WrongKey { .. }, [Arg::Named { key, .. }]) => key.span,
                _ => call.parens.unwrap_or(call.name.span),
            };
            reports.at(span, error.message(), error.help());
            None
        }
    }
}
