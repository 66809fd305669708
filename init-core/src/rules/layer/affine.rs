//! The weighted core that `dense` and `conv2d` share: `IN -> OUT`, the
//! activation, the weight and bias inits, and the receptive field that
//! makes a convolution's fans; its tensors, the checks of its fields, its
//! step of the signal analysis, and how it is read and written.

use core::fmt;

use proc_macro2::TokenStream;
use quote::quote;

use crate::rules::activation::{Activation, MAX_ALPHA};
use crate::rules::dsl::ast::{self, Body};
use crate::rules::dsl::options::{OptionSpec, Options};
use crate::rules::dsl::spans::LayerSpans;
use crate::rules::dsl::syntax::Reader;
use crate::rules::dsl::values::activation;
use crate::rules::error::{InitError, SizeError, SpecError};
use crate::rules::fans::Fans;
use crate::rules::init::{Draw, Init};
use crate::rules::keywords;
use crate::rules::parameter::{ParameterSpec, Role};
use crate::rules::part::Part;
use crate::rules::signal::step::{SignalAt, Spread, Step, Stepped};
use crate::rules::signal::values::{activated, factor_variance, mean, Values};
use crate::rules::signal::windows::Windows;
use crate::rules::tokens;

/// `IN -> OUT, ACTIVATION` with its inits: all of `dense(…)`, and the
/// part of `conv2d(…)` that is not its geometry. For a convolution, IN and
/// OUT count channels and each weight row spans the receptive field
/// (`IN × KH × KW` values).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AffineSpec {
    inputs: usize,
    outputs: usize,
    activation: Activation,
    weight: Init,
    bias: Init,
    biased: bool,
    receptive_field: usize,
}

impl AffineSpec {
    /// A dense layer's core, with the init derived from its activation and
    /// zero biases.
    pub const fn new(inputs: usize, outputs: usize, activation: Activation) -> AffineSpec {
        AffineSpec {
            inputs,
            outputs,
            activation,
            weight: Init::derived(activation),
            bias: Init::zeros(),
            biased: true,
            receptive_field: 1,
        }
    }

    /// The same core with each weight row spanning `receptive_field`
    /// positions per input (a convolution's `KH × KW`).
    pub(crate) const fn with_receptive_field(self, receptive_field: usize) -> AffineSpec {
        AffineSpec {
            receptive_field,
            ..self
        }
    }

    /// Positions per input that one weight row spans: 1 for dense, `KH × KW` for a convolution.
    pub const fn receptive_field(&self) -> usize {
        self.receptive_field
    }

    /// The width of the weight matrix: `IN × receptive field`, saturating
    /// (a count that overflows is refused by the parameter count).
    pub const fn row_width(&self) -> usize {
        self.inputs.saturating_mul(self.receptive_field)
    }

    /// The same layer with another weight init.
    pub const fn with_weight(self, weight: Init) -> AffineSpec {
        AffineSpec { weight, ..self }
    }

    /// The same layer with another bias init (and biases, if it had none).
    pub const fn with_bias(self, bias: Init) -> AffineSpec {
        AffineSpec {
            bias,
            biased: true,
            ..self
        }
    }

    /// The same layer without biases (`bias = none`): `x · Wᵀ` alone, as
    /// before a normalization, which would cancel them.
    pub const fn without_bias(self) -> AffineSpec {
        AffineSpec {
            bias: Init::zeros(),
            biased: false,
            ..self
        }
    }

    /// Whether the layer has biases (all but `bias = none`).
    pub const fn has_bias(&self) -> bool {
        self.biased
    }

    /// The input width (channels for a convolution).
    pub const fn inputs(&self) -> usize {
        self.inputs
    }

    /// The output width (channels for a convolution).
    pub const fn outputs(&self) -> usize {
        self.outputs
    }

    /// The activation after the affine map.
    pub const fn activation(&self) -> Activation {
        self.activation
    }

    /// The weight init.
    pub const fn weight(&self) -> Init {
        self.weight
    }

    /// The bias init (zeros for a layer without biases).
    pub const fn bias(&self) -> Init {
        self.bias
    }

    /// The fans of the weights: `(in, out)` times the receptive field,
    /// as PyTorch and Keras count them for a convolution.
    pub const fn fans(&self) -> Fans {
        Fans::dense(
            self.row_width(),
            self.outputs.saturating_mul(self.receptive_field),
        )
    }

    /// What the weights are drawn from, with the scale resolved.
    pub fn weight_draw(&self) -> Draw {
        self.weight.draw(self.activation, self.fans())
    }

    /// Its tensors: `weight` of PyTorch shape `shape`, held as `(OUT, IN ×
    /// receptive field)`, and `bias` unless `bias = none`.
    pub(crate) fn parameters(&self, shape: &[usize]) -> Vec<ParameterSpec> {
        let weight = ParameterSpec::matrix(
            keywords::WEIGHT,
            Role::Weights,
            shape,
            [self.outputs, self.row_width()],
            self.weight,
        )
        .resolved_with(self.activation, self.fans())
        .derived_from(Init::derived(self.activation))
        .branch_scaled();
        let bias = ParameterSpec::vector(keywords::BIAS, Role::Biases, self.outputs, self.bias)
            .resolved_with(self.activation, self.fans())
            .derived_from(Init::zeros());
        match self.biased {
            true => vec![weight, bias],
            false => vec![weight],
        }
    }

    /// The mistakes in the widths of layer `index`.
    pub(crate) fn size_errors(&self, index: usize, errors: &mut Vec<SpecError>) {
        for (width, part) in [(self.inputs, Part::Inputs), (self.outputs, Part::Outputs)] {
            if width == 0 {
                errors.push(SpecError::Size(SizeError::ZeroWidth { layer: index, part }));
            }
        }
    }

    /// The mistakes in the activation and the inits of layer `index`.
    pub(crate) fn init_errors(
        &self,
        index: usize,
        parameters: &[ParameterSpec],
        errors: &mut Vec<SpecError>,
    ) {
        activation_errors(self.activation, index, errors);
        ParameterSpec::init_errors(parameters, index, errors);
    }

    /// With its tensor `parameter` (`weight` or `bias`) drawn from `init`;
    /// unchanged for another name.
    pub(crate) const fn with_init(self, parameter: &str, init: Init) -> AffineSpec {
        if keywords::same(parameter, keywords::WEIGHT) {
            self.with_weight(init)
        } else if keywords::same(parameter, keywords::BIAS) {
            self.with_bias(init)
        } else {
            self
        }
    }

    /// Without biases when `parameter` is `bias` (`bias = none`); unchanged
    /// for another name.
    pub(crate) const fn without(self, parameter: &str) -> AffineSpec {
        if keywords::same(parameter, keywords::BIAS) {
            self.without_bias()
        } else {
            self
        }
    }

    /// The step of the analysis: the pre-activation's variance at each
    /// output position (`windows` for a convolution), then the
    /// activation's moments. Constant weights leave the layer out (its
    /// output is meant to start at a fixed value); a residual branch's last
    /// layer at zero (ReZero) gives its activation of the bias, exactly,
    /// for every input, and passes no gradient below it.
    pub(crate) fn signal(&self, input: &Values, windows: Option<Windows>, at: &SignalAt) -> Stepped {
        let weight = at.moments.first().copied().unwrap_or(0.0);
        let bias = at.moments.get(1).copied().unwrap_or(0.0);
        let constant = at.parameters.first().is_some_and(ParameterSpec::is_constant);
        if !constant {
            return self.forward(weight, bias, input, windows);
        }
        if let (0.0, Init::Constant { value }) = (weight, self.bias) {
            if (at.ends_branch)() {
                let second = self.activation.value(value).powi(2);
                let values = Values::constant(second, true, at.output_plane, 1.0);
                let step = Step::Zero { input: input.plane };
                return Stepped {
                    random: true,
                    ..Stepped::plain(values, step)
                };
            }
        }
        let step = Step::Affine {
            variances: vec![input.mean()],
            input: input.plane,
            windows: None,
            units: self.outputs,
            weight,
            activation: self.activation,
            included: false,
        };
        Stepped::plain(input.uniform(at.output_plane), step)
    }

    /// [`AffineSpec::signal`] for random weights of second moment `weight`
    /// and biases of second moment `bias`.
    fn forward(&self, weight: f64, bias: f64, values: &Values, windows: Option<Windows>) -> Stepped {
        let per_tap = self.inputs as f64 * weight;
        let (variances, correlation) = match windows {
            Some(windows) => {
                let variances: Vec<f64> = windows
                    .sums(&values.field)
                    .iter()
                    .map(|sum| per_tap * sum + bias)
                    .collect();
                // Interior neighbours share their weights tap by tap.
                let taps = windows.taps() as f64 * per_tap * values.mean();
                let correlation = (taps * values.raw(windows.stride[1]) + bias) / (taps + bias);
                (variances, if correlation.is_finite() { correlation } else { 1.0 })
            }
            None => (
                vec![self.fans().fan_in as f64 * weight * values.mean() + bias],
                0.0,
            ),
        };
        let plane = windows.map(|windows| windows.output);
        let spread = factor_variance(self.activation, mean(&variances), self.outputs);
        // Two tokens share the weights: their pre-activations' cross
        // moment is the weights' share of their inputs', plus the biases'.
        let weighted = self.fans().fan_in as f64 * weight * values.mean();
        let tokens = match weighted + bias > 0.0 {
            true => ((weighted * values.tokens + bias) / (weighted + bias)).clamp(-1.0, 1.0),
            false => values.tokens,
        };
        Stepped {
            values: activated(self.activation, &variances, correlation, tokens, plane),
            step: Step::Affine {
                variances,
                input: values.plane,
                windows,
                units: self.outputs,
                weight,
                activation: self.activation,
                included: true,
            },
            spread: Spread::Adds(spread),
            random: true,
        }
    }

    /// `name(IN -> OUT, ACTIVATION`: the start of the layer's text.
    pub(crate) fn write_start(&self, f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
        write!(
            f,
            "{name}({} -> {}, {}",
            self.inputs, self.outputs, self.activation
        )
    }

    /// `, init = …, bias = …)`: the inits where they are not the derived
    /// one and zeros, and the closing parenthesis.
    pub(crate) fn write_end(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.weight != Init::derived(self.activation) {
            write!(f, ", {} = {}", keywords::INIT, self.weight)?;
        }
        if !self.biased {
            write!(f, ", {} = {}", keywords::BIAS, keywords::NONE)?;
        } else if self.bias != Init::zeros() {
            write!(f, ", {} = {}", keywords::BIAS, self.bias)?;
        }
        f.write_str(")")
    }

    /// `.with_weight(…).with_bias(…)`, or `.without_bias()`: the inits of
    /// the constant expression.
    pub(crate) fn init_tokens(&self) -> TokenStream {
        let weight = tokens::init(self.weight);
        let bias = match self.biased {
            true => {
                let bias = tokens::init(self.bias);
                quote!(.with_bias(#bias))
            }
            false => quote!(.without_bias()),
        };
        quote!(.with_weight(#weight) #bias)
    }
}

/// The mistake in an activation's α, if any: it must be finite, at least
/// 0 and at most [`MAX_ALPHA`].
pub(crate) fn activation_errors(activation: Activation, index: usize, errors: &mut Vec<SpecError>) {
    if let Some(alpha) = activation.parameter() {
        if !alpha.is_finite() || !(0.0..=MAX_ALPHA).contains(&alpha) {
            errors.push(SpecError::Init(InitError::InvalidActivationParameter {
                layer: index,
                value: alpha,
            }));
        }
    }
}

/// The options of `dense`: the inits and what adjusts the weights'.
pub(crate) const DENSE_OPTIONS: [OptionSpec; 5] = {
    use crate::rules::dsl::options::{Expect, INIT_ADJUSTMENTS};
    let [dist, mode, gain] = INIT_ADJUSTMENTS;
    [
        OptionSpec {
            key: keywords::INIT,
            expect: Expect::Scheme,
        },
        OptionSpec {
            key: keywords::BIAS,
            expect: Expect::SchemeOrNone,
        },
        dist,
        mode,
        gain,
    ]
};

/// `IN -> OUT, ACTIVATION, OPTION…` as read, with the options the kind
/// reads further (a convolution's window).
pub(crate) struct ReadAffine {
    pub(crate) affine: AffineSpec,
    pub(crate) spans: LayerSpans,
    pub(crate) options: Options,
    pub(crate) complete: bool,
    pub(crate) inputs_known: bool,
    pub(crate) outputs_known: bool,
}

/// Read `IN -> OUT, ACTIVATION, OPTION…` for a layer written `layer`,
/// which takes the options `allowed`. `None` when the layer's body is not
/// of this form (the reader gives it only this form).
pub(crate) fn read(layer: &ast::Layer, allowed: &[OptionSpec], reader: &mut Reader) -> Option<ReadAffine> {
    let Body::Affine {
        inputs,
        outputs,
        activation: call,
        options,
    } = &layer.body
    else {
        return None;
    };
    let kind = layer.kind.text.as_str();
    let reports = &mut *reader.reports;
    let width = |width: &ast::Width| width.value.and_then(|value| usize::try_from(value).ok());
    let (input_width, output_width) = (width(inputs), width(outputs));
    // The derived init is written at the activation, which names it.
    let mut spans = LayerSpans::with_fallback(layer.kind.span, call.name.span);
    spans.set(Part::Inputs, inputs.span);
    spans.set(Part::Outputs, outputs.span);
    for part in [Part::Bias, Part::BiasScale] {
        spans.set(part, layer.kind.span);
    }
    for option in allowed {
        spans.set(Part::Option(option.key), layer.kind.span);
    }
    let mut complete = true;
    let activation = match activation(call, reports) {
        Some((activation, parameter_span)) => {
            spans.set(Part::ActivationParameter, parameter_span);
            activation
        }
        None => {
            complete = false;
            Activation::Identity
        }
    };
    let options = Options::collect(
        options,
        &format!("`{kind}`"),
        allowed,
        reader.options_anywhere,
        reports,
    );
    complete &= options.complete;
    let (weight, weight_complete) = options.weight(activation, call.name.span, &mut spans, reports);
    complete &= weight_complete;
    let mut affine =
        AffineSpec::new(input_width.unwrap_or(1), output_width.unwrap_or(1), activation).with_weight(weight);
    match options.init(keywords::BIAS) {
        Some((bias, span, scale)) => {
            spans.set(Part::Bias, span);
            spans.set(Part::BiasScale, scale.unwrap_or(span));
            affine = match bias {
                Some(bias) => affine.with_bias(bias),
                None => affine.without_bias(),
            };
        }
        None => affine = affine.with_bias(Init::zeros()),
    }
    Some(ReadAffine {
        affine,
        spans,
        options,
        complete,
        inputs_known: input_width.is_some(),
        outputs_known: output_width.is_some(),
    })
}
