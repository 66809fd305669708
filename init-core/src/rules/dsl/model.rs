//! [`Invocation`] to [`Model`]: names given their meaning, each layer a
//! [`LayerSpec`] with the spans of its parts and the lint levels its
//! attributes set. Every unknown name is reported here.

use proc_macro2::Span;

use crate::rules::activation::Activation;
use crate::rules::dsl::ast::{
    self, Arg, Body, Call, Invocation, LayerOption, LayerSlot, LintAttr, Marker, Number, OptionValue, Width,
};
use crate::rules::dsl::init_call::{InitArgument, InitCallError};
use crate::rules::dsl::report::{unknown_name, Reports};
use crate::rules::fans::FanMode;
use crate::rules::init::{Distribution, Init};
use crate::rules::keywords;
use crate::rules::layer::{LayerSpec, NormSpec, Padding};
use crate::rules::levels::{Level, Lint, LintLevels};
use crate::rules::part::Part;
use crate::rules::shape::Shape;
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
    pub kernel: Span,
    pub stride: Span,
    pub padding: Span,
    pub epsilon: Span,
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
            kernel: span,
            stride: span,
            padding: span,
            epsilon: span,
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
            Part::Kernel => self.kernel,
            Part::Stride => self.stride,
            Part::Padding => self.padding,
            Part::Epsilon => self.epsilon,
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
    let kind = layer.kind.text.as_str();
    let mut modelled = match &layer.body {
        Body::Affine {
            inputs,
            outputs,
            activation,
            options,
        } => affine_layer(layer, [inputs, outputs], activation, options, reports),
        Body::Sizes {
            sizes,
            options,
            parens,
        } if kind == keywords::INPUT => input_layer(layer, sizes, options, *parens, reports),
        Body::Sizes {
            sizes,
            options,
            parens,
        } if kind == keywords::LAYER_NORM || kind == keywords::BATCH_NORM => {
            norm_layer(layer, sizes, options, *parens, reports)
        }
        Body::Sizes {
            sizes,
            options,
            parens,
        } => pool_layer(layer, sizes, options, *parens, reports),
        Body::Activation(call) => activation_layer(call, reports),
        Body::Marker(marker) => {
            let spec = match marker {
                Marker::Start { scaled: true } => LayerSpec::residual(),
                Marker::Start { scaled: false } => LayerSpec::residual_unscaled(),
                Marker::Shortcut => LayerSpec::shortcut(),
                Marker::End => LayerSpec::residual_end(),
            };
            known_layer(spec, LayerSpans::all_at(layer.kind.span))
        }
        Body::Bare => {
            let spec = if kind == keywords::FLATTEN {
                LayerSpec::flatten()
            } else {
                LayerSpec::global_avg_pool2d()
            };
            known_layer(spec, LayerSpans::all_at(layer.kind.span))
        }
    };
    let (lints, named) = lint_levels(&layer.attrs, reports);
    modelled.spans.lints = named;
    for (lint, level) in lints.iter() {
        modelled.spec = modelled.spec.with_lint(lint, level);
    }
    modelled
}

/// A layer whose sizes are all known, placed at `spans`.
fn known_layer(spec: LayerSpec, spans: LayerSpans) -> ModelLayer {
    ModelLayer {
        spec,
        spans,
        complete: true,
        inputs_known: true,
        outputs_known: true,
    }
}

/// `dense(IN -> OUT, ACTIVATION, …)` or `conv2d(IN -> OUT, ACTIVATION, kernel = K, …)`.
fn affine_layer(
    layer: &ast::Layer,
    [inputs, outputs]: [&Width; 2],
    activation_call: &Call,
    options: &[LayerOption],
    reports: &mut Reports,
) -> ModelLayer {
    let mut complete = true;
    let kind = layer.kind.text.as_str();
    if !keywords::LAYER_KINDS.contains(&kind) {
        unknown_name(
            reports,
            "layer kind",
            kind,
            layer.kind.span,
            keywords::LAYER_KINDS,
        );
        complete = false;
    }
    let conv = kind == keywords::CONV2D;
    let width = |width: &ast::Width| width.value.and_then(|value| usize::try_from(value).ok());
    let (input_width, output_width) = (width(inputs), width(outputs));
    let mut spans = LayerSpans::all_at(activation_call.name.span);
    spans.layer = layer.kind.span;
    spans.inputs = inputs.span;
    spans.outputs = outputs.span;
    spans.bias = layer.kind.span;
    spans.bias_scale = layer.kind.span;
    for span in [&mut spans.kernel, &mut spans.stride, &mut spans.padding] {
        *span = layer.kind.span;
    }
    let activation = match activation(activation_call, reports) {
        Some((activation, parameter_span)) => {
            spans.activation_parameter = parameter_span;
            activation
        }
        None => {
            complete = false;
            Activation::Identity
        }
    };
    let allowed = if conv {
        keywords::CONV_OPTIONS
    } else {
        keywords::OPTIONS
    };
    let options = Options::collect(options, &format!("`{kind}`"), allowed, reports);
    complete &= options.complete;
    let (weight, weight_complete) =
        options.weight(activation, activation_call.name.span, &mut spans, reports);
    complete &= weight_complete;
    let bias = match options.bias {
        Some((init, span, scale)) => {
            spans.bias = span;
            spans.bias_scale = scale.unwrap_or(span);
            init
        }
        None => Some(Init::zeros()),
    };
    let (inputs_value, outputs_value) = (input_width.unwrap_or(1), output_width.unwrap_or(1));
    let spec = if conv {
        let kernel = match options.kernel {
            Some((kernel, span)) => {
                spans.kernel = span;
                kernel
            }
            None => {
                if options.complete {
                    reports.at(
                        layer.kind.span,
                        "`conv2d` needs the size of its kernel",
                        "add `kernel = 3` for a 3 × 3 window, or `kernel = (KH, KW)`",
                    );
                }
                complete = false;
                [1, 1]
            }
        };
        let mut spec = LayerSpec::conv2d(inputs_value, outputs_value, activation, kernel);
        if let Some((stride, span)) = options.stride {
            spans.stride = span;
            spec = spec.with_stride(stride);
        }
        if let Some((padding, span)) = options.padding {
            spans.padding = span;
            spec = spec.with_padding(padding);
        }
        spec
    } else {
        LayerSpec::dense(inputs_value, outputs_value, activation)
    };
    let spec = spec.with_weight(weight);
    ModelLayer {
        spec: match bias {
            Some(bias) => spec.with_bias(bias),
            None => spec.without_bias(),
        },
        spans,
        complete,
        inputs_known: input_width.is_some(),
        outputs_known: output_width.is_some(),
    }
}

/// `input(C, H, W)` or `input(N)`.
fn input_layer(
    layer: &ast::Layer,
    sizes: &[Width],
    options: &[LayerOption],
    parens: Span,
    reports: &mut Reports,
) -> ModelLayer {
    let mut spans = LayerSpans::all_at(layer.kind.span);
    let options = Options::collect(options, "`input`", &[], reports);
    let values: Vec<Option<usize>> = sizes
        .iter()
        .map(|size| size.value.and_then(|value| usize::try_from(value).ok()))
        .collect();
    // A zero size is reported at its own number.
    spans.inputs = sizes
        .iter()
        .zip(&values)
        .find(|(_, value)| **value == Some(0))
        .map_or(parens, |(size, _)| size.span);
    let known = values.iter().all(Option::is_some);
    let shape = match values.as_slice() {
        [features] => Shape::Features(features.unwrap_or(1)),
        [channels, height, width] => {
            Shape::image(channels.unwrap_or(1), height.unwrap_or(1), width.unwrap_or(1))
        }
        _ => {
            reports.at(
                parens,
                format!(
                    "`input` takes three sizes for an image, `(C, H, W)`, or one for features, `(N)`; found {}",
                    sizes.len()
                ),
                "write e.g. `input(1, 28, 28)` for one-channel 28 × 28 images, or `input(784)`",
            );
            return ModelLayer {
                spec: LayerSpec::input(Shape::Features(1)),
                spans,
                complete: false,
                inputs_known: false,
                outputs_known: false,
            };
        }
    };
    ModelLayer {
        spec: LayerSpec::input(shape),
        spans,
        complete: options.complete,
        inputs_known: known,
        outputs_known: known,
    }
}

/// `max_pool2d(K [, stride = S])` or `avg_pool2d(K [, stride = S])`.
fn pool_layer(
    layer: &ast::Layer,
    sizes: &[Width],
    options: &[LayerOption],
    parens: Span,
    reports: &mut Reports,
) -> ModelLayer {
    let kind = layer.kind.text.as_str();
    let mut spans = LayerSpans::all_at(layer.kind.span);
    let options = Options::collect(options, &format!("`{kind}`"), keywords::POOL_OPTIONS, reports);
    let mut complete = options.complete;
    let value = |size: &Width| size.value.and_then(|value| usize::try_from(value).ok());
    let kernel = match sizes {
        [size] | [size, _] if sizes.iter().all(|size| value(size).is_some()) => {
            spans.kernel = size.span;
            let height = value(size).unwrap_or(1);
            [height, sizes.get(1).and_then(value).unwrap_or(height)]
        }
        [_] | [_, _] => {
            complete = false;
            [1, 1]
        }
        _ => {
            reports.at(
                parens,
                format!(
                    "`{kind}` takes its window's size, `K` for a square or `KH, KW`; found {} sizes",
                    sizes.len()
                ),
                format!("write e.g. `{kind}(2)`, or `{kind}(3, stride = 2)` for overlapping windows"),
            );
            complete = false;
            [1, 1]
        }
    };
    let stride = match options.stride {
        Some((stride, span)) => {
            spans.stride = span;
            stride
        }
        None => kernel,
    };
    let spec = if kind == keywords::MAX_POOL2D {
        LayerSpec::max_pool2d(kernel, stride)
    } else {
        LayerSpec::avg_pool2d(kernel, stride)
    };
    ModelLayer {
        spec,
        spans,
        complete,
        inputs_known: true,
        outputs_known: true,
    }
}

/// `layer_norm(N [, gamma = INIT] [, beta = INIT] [, epsilon = F])`, or
/// `batch_norm(C …)` with the same options.
fn norm_layer(
    layer: &ast::Layer,
    sizes: &[Width],
    options: &[LayerOption],
    parens: Span,
    reports: &mut Reports,
) -> ModelLayer {
    let kind = layer.kind.text.as_str();
    let mut spans = LayerSpans::all_at(layer.kind.span);
    let options = Options::collect(options, &format!("`{kind}`"), keywords::NORM_OPTIONS, reports);
    let mut complete = options.complete;
    let features = match sizes {
        [size] => {
            spans.inputs = size.span;
            spans.outputs = size.span;
            size.value.and_then(|value| usize::try_from(value).ok())
        }
        _ => {
            reports.at(
                parens,
                format!(
                    "`{kind}` takes the number of {} it normalises; found {} sizes",
                    if kind == keywords::BATCH_NORM {
                        "channels (or features)"
                    } else {
                        "features"
                    },
                    sizes.len()
                ),
                format!("write e.g. `{kind}(256)`"),
            );
            None
        }
    };
    complete &= features.is_some();
    let mut norm = NormSpec::new(features.unwrap_or(1));
    if let Some((gamma, span, scale)) = options.gamma {
        (spans.weight, spans.weight_scale) = (span, scale.unwrap_or(span));
        norm = norm.with_gamma(gamma);
    }
    if let Some((beta, span, scale)) = options.beta {
        (spans.bias, spans.bias_scale) = (span, scale.unwrap_or(span));
        norm = norm.with_beta(beta);
    }
    if let Some(epsilon) = options.epsilon {
        spans.epsilon = epsilon.span;
        norm = norm.with_epsilon(epsilon.value);
    }
    ModelLayer {
        spec: match kind {
            keywords::BATCH_NORM => LayerSpec::batch_norm(norm),
            _ => LayerSpec::layer_norm(norm),
        },
        spans,
        complete,
        inputs_known: features.is_some(),
        outputs_known: features.is_some(),
    }
}

/// An activation as a layer of its own; a name that is neither an
/// activation nor a layer kind is reported with those it may have meant.
fn activation_layer(call: &Call, reports: &mut Reports) -> ModelLayer {
    let name = call.name.text.as_str();
    if !keywords::ACTIVATIONS.contains(&name) {
        let known: Vec<&str> = keywords::LAYER_KINDS
            .iter()
            .chain(keywords::ACTIVATIONS)
            .copied()
            .collect();
        unknown_name(reports, "layer", name, call.name.span, &known);
        return unreadable_layer(call.name.span);
    }
    let mut spans = LayerSpans::all_at(call.name.span);
    match activation(call, reports) {
        Some((activation, parameter_span)) => {
            spans.activation_parameter = parameter_span;
            known_layer(LayerSpec::activation_layer(activation), spans)
        }
        None => unreadable_layer(call.name.span),
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
    /// The bias init (`None` for `bias = none`), where it was written, and its scale's span.
    bias: Option<(Option<Init>, Span, Option<Span>)>,
    dist: Option<(Distribution, Span)>,
    mode: Option<(FanMode, Span)>,
    gain: Option<Number>,
    /// A window's `[height, width]` and where it was written.
    kernel: Option<([usize; 2], Span)>,
    stride: Option<([usize; 2], Span)>,
    padding: Option<(Padding, Span)>,
    /// A normalization's `γ` and `β` inits (with their spans and their
    /// scales' spans) and its `ε`.
    gamma: Option<(Init, Span, Option<Span>)>,
    beta: Option<(Init, Span, Option<Span>)>,
    epsilon: Option<Number>,
    /// The options the layer takes, as listed when one is unknown.
    allowed: &'static [&'static str],
    /// Whether every option was understood.
    complete: bool,
}

impl Options {
    /// Read the `key = value` options of `owner` (`` `conv2d` ``, `an
    /// init`), which takes those in `allowed`, reporting unknown, repeated,
    /// misplaced and ill-typed ones.
    pub fn collect(
        options: &[LayerOption],
        owner: &str,
        allowed: &'static [&'static str],
        reports: &mut Reports,
    ) -> Options {
        let mut collected = Options {
            allowed,
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
            let known = [keywords::OPTIONS, keywords::CONV_OPTIONS, keywords::NORM_OPTIONS]
                .iter()
                .any(|options| options.contains(&key.text.as_str()));
            if known && !allowed.contains(&key.text.as_str()) {
                let help = match allowed {
                    [] => format!("{owner} takes no options; remove `{} = …`", key.text),
                    _ => format!("{owner} takes {}", suggest::alternatives(allowed)),
                };
                reports.at(key.span, format!("{owner} has no `{}` option", key.text), help);
                collected.complete = false;
                continue;
            }
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
            (keywords::BIAS, OptionValue::Call(call))
                if call.name.text == keywords::NONE && call.parens.is_none() =>
            {
                self.bias = Some((None, call.name.span, None));
                true
            }
            (keywords::BIAS, OptionValue::Call(call)) if call.name.text == keywords::NONE => {
                let parens = call.parens.unwrap_or(call.name.span);
                reports.at(parens, "`none` takes no arguments", "write `bias = none`");
                false
            }
            // An unknown name: the inits and `none` are what `bias` takes.
            (keywords::BIAS, OptionValue::Call(call))
                if !keywords::INITS.contains(&call.name.text.as_str()) =>
            {
                // `orthogonal` is refused for biases, so it is not offered.
                let known: Vec<&str> = keywords::INITS
                    .iter()
                    .copied()
                    .filter(|&name| name != keywords::ORTHOGONAL)
                    .chain([keywords::NONE])
                    .collect();
                unknown_name(reports, "bias init", &call.name.text, call.name.span, &known);
                false
            }
            (keywords::BIAS, OptionValue::Call(call)) => init(call, reports)
                .map(|(init, scale)| self.bias = Some((Some(init), call.name.span, scale)))
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
            (keywords::GAMMA, OptionValue::Call(call)) => init(call, reports)
                .map(|(init, scale)| self.gamma = Some((init, call.name.span, scale)))
                .is_some(),
            (keywords::BETA, OptionValue::Call(call)) => init(call, reports)
                .map(|(init, scale)| self.beta = Some((init, call.name.span, scale)))
                .is_some(),
            (keywords::EPSILON, OptionValue::Number(number)) => {
                self.epsilon = Some(*number);
                true
            }
            (keywords::KERNEL, value) => pair(key.text.as_str(), value, reports)
                .map(|kernel| self.kernel = Some((kernel, value.span())))
                .is_some(),
            (keywords::STRIDE, value) => pair(key.text.as_str(), value, reports)
                .map(|stride| self.stride = Some((stride, value.span())))
                .is_some(),
            (keywords::PADDING, OptionValue::Call(call))
                if call.name.text == keywords::SAME && call.parens.is_none() =>
            {
                self.padding = Some((Padding::Same, call.name.span));
                true
            }
            (keywords::PADDING, value) => pair(key.text.as_str(), value, reports)
                .map(|padding| self.padding = Some((Padding::Explicit(padding), value.span())))
                .is_some(),
            (keywords::GAMMA | keywords::BETA, value) => {
                reports.at(
                    value.span(),
                    format!("`{}` takes an init, not a number", key.text),
                    "write e.g. `ones`, `zeros`, `constant(0.5)` or `normal(std = 0.02)`",
                );
                false
            }
            (keywords::EPSILON, value) => {
                reports.at(
                    value.span(),
                    "`epsilon` takes a number",
                    "write e.g. `epsilon = 1e-5`",
                );
                false
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
                let known = if self.allowed.is_empty() {
                    keywords::OPTIONS
                } else {
                    self.allowed
                };
                unknown_name(reports, "option", other, key.span, known);
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

/// A size or a pair of sizes, `3` or `(3, 5)`, each whole, as `[height,
/// width]`; else the error is reported. (A kernel or stride of 0 is the
/// validation's to refuse, as for a spec built at run time.)
fn pair(key: &str, value: &OptionValue, reports: &mut Reports) -> Option<[usize; 2]> {
    let whole = |number: &Number| {
        let value = number.value;
        (value.fract() == 0.0 && value >= 0.0 && value < 2f64.powi(53)).then_some(value as usize)
    };
    let example = if key == keywords::PADDING {
        "`padding = 1`, `padding = (1, 2)` or `padding = same`"
    } else {
        "e.g. `kernel = 3` or `kernel = (3, 5)`"
    };
    let found = match value {
        OptionValue::Number(number) => whole(number).map(|size| [size, size]),
        OptionValue::Tuple(numbers, _) => match numbers.as_slice() {
            [height, width] => whole(height)
                .zip(whole(width))
                .map(|(height, width)| [height, width]),
            _ => None,
        },
        OptionValue::Call(_) => None,
    };
    if found.is_none() {
        reports.at(
            value.span(),
            format!("`{key}` takes a whole number, or two in parentheses for the height and the width"),
            format!("write {example}"),
        );
    }
    found
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
    let mut collected = Options::collect(options, "an init", keywords::INIT_OPTIONS, reports);
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
