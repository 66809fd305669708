//! [`ast::Invocation`] to [`Model`]: names given their meaning, each layer
//! a [`LayerSpec`] of `init-core` with the spans of its parts, and the lint
//! levels the attributes set. Every unknown name is reported here.

use init_core::{
    Activation, Distribution, FanMode, Init, InitArgument, InitCallError, LayerSpec, Level, Lint, Part,
};
use proc_macro2::Span;

use crate::ast::{self, Arg, Call, Invocation, LayerSlot, LintAttr, Number, OptionValue};
use crate::errors::{unknown_name, Errors};

/// The layer kinds the DSL has.
const KINDS: &[&str] = &["dense"];

/// The options a layer takes after its activation.
const OPTIONS: &[&str] = &["init", "bias", "dist", "mode", "gain"];

/// The invocation with its meaning.
pub struct Model {
    pub item: Option<ast::Item>,
    pub levels: Levels,
    pub layers: Vec<ModelLayer>,
    pub body_span: Span,
}

/// One layer: the spec, where its parts were written, its lint levels.
pub struct ModelLayer {
    pub spec: LayerSpec,
    pub spans: LayerSpans,
    pub levels: Levels,
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
}

impl LayerSpans {
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
        }
    }
}

/// Lint levels set by attributes at one place (a layer or the network).
#[derive(Default)]
pub struct Levels {
    set: Vec<(Lint, Level)>,
}

impl Levels {
    /// The level set here for `lint`, the last attribute winning.
    pub fn get(&self, lint: Lint) -> Option<Level> {
        self.set
            .iter()
            .rev()
            .find(|(set, _)| *set == lint)
            .map(|(_, level)| *level)
    }

    fn from_attrs(attrs: &[LintAttr], errors: &mut Errors) -> Levels {
        let mut set = Vec::new();
        for attr in attrs {
            let level = Level::from_name(&attr.level.text).unwrap_or(Level::Warn);
            for name in &attr.lints {
                match Lint::from_name(&name.text) {
                    Some(lint) => set.push((lint, level)),
                    None => unknown_name(errors, "lint", &name.text, name.span, Lint::NAMES),
                }
            }
        }
        Levels { set }
    }
}

impl Model {
    /// The level of `lint` at layer `index`: the layer's attribute, else the
    /// network's, else the lint's default.
    pub fn level(&self, lint: Lint, index: usize) -> Level {
        self.layers
            .get(index)
            .and_then(|layer| layer.levels.get(lint))
            .or_else(|| self.levels.get(lint))
            .unwrap_or(lint.default_level())
    }
}

pub fn model(invocation: Invocation, errors: &mut Errors) -> Model {
    let levels = Levels::from_attrs(&invocation.attrs, errors);
    let mut layers: Vec<ModelLayer> = invocation
        .layers
        .iter()
        .map(|slot| match slot {
            LayerSlot::Read(layer) => model_layer(layer, errors),
            LayerSlot::Unreadable(span) => unreadable_layer(*span),
        })
        .collect();
    for layer in &mut layers {
        let level = layer
            .levels
            .get(Lint::ConstantInit)
            .or(levels.get(Lint::ConstantInit));
        if matches!(level, Some(Level::Allow | Level::Warn)) {
            layer.spec = layer.spec.allow_constant_init();
        }
    }
    Model {
        item: invocation.item,
        levels,
        layers,
        body_span: invocation.body_span,
    }
}

fn model_layer(layer: &ast::Layer, errors: &mut Errors) -> ModelLayer {
    let mut complete = true;
    if !KINDS.contains(&layer.kind.text.as_str()) {
        unknown_name(errors, "layer kind", &layer.kind.text, layer.kind.span, KINDS);
        complete = false;
    }
    let width = |width: &ast::Width| width.value.and_then(|value| usize::try_from(value).ok());
    let (inputs, outputs) = (width(&layer.inputs), width(&layer.outputs));
    let mut spans = LayerSpans {
        layer: layer.kind.span,
        inputs: layer.inputs.span,
        outputs: layer.outputs.span,
        activation: layer.activation.name.span,
        activation_parameter: layer.activation.name.span,
        weight: layer.activation.name.span,
        weight_scale: layer.activation.name.span,
        bias: layer.kind.span,
        bias_scale: layer.kind.span,
    };
    let activation = match activation(&layer.activation, errors) {
        Some((activation, parameter_span)) => {
            spans.activation_parameter = parameter_span;
            activation
        }
        None => {
            complete = false;
            Activation::Identity
        }
    };

    let mut options = Options::default();
    for option in &layer.options {
        let key = &option.key;
        if options.seen.contains(&key.text) {
            errors.at(
                key.span,
                format!("option `{}` is given twice", key.text),
                format!("keep one `{} = …`", key.text),
            );
            complete = false;
            continue;
        }
        options.seen.push(key.text.clone());
        match (key.text.as_str(), &option.value) {
            ("init", OptionValue::Call(call)) => match init(call, errors) {
                Some((init, scale)) => options.weight = Some((init, call.name.span, scale)),
                None => complete = false,
            },
            ("bias", OptionValue::Call(call)) => match init(call, errors) {
                Some((init, scale)) => options.bias = Some((init, call.name.span, scale)),
                None => complete = false,
            },
            ("dist", OptionValue::Call(call)) if call.parens.is_none() => {
                match Distribution::from_name(&call.name.text) {
                    Some(distribution) => options.dist = Some((distribution, key.span)),
                    None => {
                        unknown_name(
                            errors,
                            "distribution",
                            &call.name.text,
                            call.name.span,
                            Distribution::NAMES,
                        );
                        complete = false;
                    }
                }
            }
            ("mode", OptionValue::Call(call)) if call.parens.is_none() => {
                match FanMode::from_name(&call.name.text) {
                    Some(mode) => options.mode = Some((mode, key.span)),
                    None => {
                        unknown_name(
                            errors,
                            "fan mode",
                            &call.name.text,
                            call.name.span,
                            FanMode::NAMES,
                        );
                        complete = false;
                    }
                }
            }
            ("gain", OptionValue::Number(number)) => options.gain = Some(*number),
            ("init" | "bias", value) => {
                errors.at(
                    value.span(),
                    format!("`{}` takes an init scheme, not a number", key.text),
                    "write a scheme such as `he_uniform`, `normal(std = 0.01)` or `constant(0.1)`",
                );
                complete = false;
            }
            ("dist", value) => {
                errors.at(
                    value.span(),
                    "`dist` takes a distribution name",
                    "write `normal`, `uniform` or `truncated_normal`",
                );
                complete = false;
            }
            ("mode", value) => {
                errors.at(
                    value.span(),
                    "`mode` takes a fan mode",
                    "write `fan_in`, `fan_out` or `fan_avg`",
                );
                complete = false;
            }
            ("gain", value) => {
                errors.at(value.span(), "`gain` takes a number", "write e.g. `gain = 1.0`");
                complete = false;
            }
            (other, _) => {
                unknown_name(errors, "option", other, key.span, OPTIONS);
                complete = false;
            }
        }
    }

    let (weight, weight_span, weight_scale) = match options.weight {
        Some((init, span, scale)) => (init, span, scale.unwrap_or(span)),
        None => (
            Init::derived(activation),
            layer.activation.name.span,
            layer.activation.name.span,
        ),
    };
    spans.weight = weight_span;
    spans.weight_scale = weight_scale;
    let weight = match adjust(weight, &options, errors) {
        Some((weight, gain_span)) => {
            if let Some(span) = gain_span {
                spans.weight_scale = span;
            }
            weight
        }
        None => {
            complete = false;
            weight
        }
    };
    let bias = match options.bias {
        Some((init, span, scale)) => {
            spans.bias = span;
            spans.bias_scale = scale.unwrap_or(span);
            init
        }
        None => Init::zeros(),
    };
    let spec = LayerSpec::dense(inputs.unwrap_or(1), outputs.unwrap_or(1), activation)
        .with_weight(weight)
        .with_bias(bias);
    ModelLayer {
        spec,
        spans,
        levels: Levels::from_attrs(&layer.attrs, errors),
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
        spans: LayerSpans {
            layer: span,
            inputs: span,
            outputs: span,
            activation: span,
            activation_parameter: span,
            weight: span,
            weight_scale: span,
            bias: span,
            bias_scale: span,
        },
        levels: Levels::default(),
        complete: false,
        inputs_known: false,
        outputs_known: false,
    }
}

/// What the options of one layer said.
#[derive(Default)]
struct Options {
    seen: Vec<String>,
    /// The init, the span of its name and the span of its scale.
    weight: Option<(Init, Span, Option<Span>)>,
    bias: Option<(Init, Span, Option<Span>)>,
    dist: Option<(Distribution, Span)>,
    mode: Option<(FanMode, Span)>,
    gain: Option<Number>,
}

/// Apply `dist`, `mode` and `gain` to the weight init, refusing them where
/// they mean nothing. Returns the init and the gain's span.
fn adjust(weight: Init, options: &Options, errors: &mut Errors) -> Option<(Init, Option<Span>)> {
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
                    errors.at(
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
                    errors.at(
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
fn activation(call: &Call, errors: &mut Errors) -> Option<(Activation, Span)> {
    let name = call.name.text.as_str();
    let span = call.name.span;
    if Activation::takes_parameter(name) {
        let example = if name == "elu" {
            "elu(1.0)"
        } else {
            "leaky_relu(0.01)"
        };
        return match call.args.as_slice() {
            [Arg::Positional(alpha)] => Some((Activation::with_parameter(name, alpha.value)?, alpha.span)),
            [] => {
                errors.at(
                    span,
                    format!("`{name}` needs its α"),
                    format!("write `{example}`"),
                );
                None
            }
            _ => {
                errors.at(
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
                errors.at(
                    parens,
                    format!("`{name}` takes no parameter"),
                    format!("write `{name}`"),
                );
                return None;
            }
            Some((activation, span))
        }
        None => {
            unknown_name(errors, "activation", name, span, Activation::NAMES);
            None
        }
    }
}

/// The init of a [`Call`], and the span of its scale if it has one; the
/// names and their meaning are `init-core`'s [`Init::from_call`].
fn init(call: &Call, errors: &mut Errors) -> Option<(Init, Option<Span>)> {
    let name = call.name.text.as_str();
    let (argument, scale) = match call.args.as_slice() {
        [] => (InitArgument::Absent, None),
        [Arg::Positional(value)] => (InitArgument::Positional(value.value), Some(value.span)),
        [Arg::Named { key, value }] => (InitArgument::Named(&key.text, value.value), Some(value.span)),
        _ => (InitArgument::Several, None),
    };
    match Init::from_call(name, argument) {
        Ok(init) => Some((init, scale)),
        Err(InitCallError::Unknown { .. }) => {
            unknown_name(errors, "init", name, call.name.span, Init::NAMES);
            None
        }
        Err(error) => {
            // Point at the wrong key, else at the parentheses, else the name.
            let span = match (&error, call.args.as_slice()) {
                (InitCallError::WrongKey { .. }, [Arg::Named { key, .. }]) => key.span,
                _ => call.parens.unwrap_or(call.name.span),
            };
            errors.at(span, error.message(), error.help());
            None
        }
    }
}
