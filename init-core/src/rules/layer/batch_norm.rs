//! `batch_norm(C [, gamma = INIT] [, beta = INIT] [, epsilon = F])`: each
//! of `C` channels of an image (or `C` features) normalised over the batch
//! (and the image's positions) in training, by its running statistics in
//! evaluation, then scaled by `γ` and shifted by `β`. The running mean and
//! variance are buffers, as PyTorch's: they start at 0 and 1. What it
//! shares with `layer_norm` is in `norm.rs`.

use core::fmt;

use proc_macro2::TokenStream;
use quote::quote;

use crate::rules::activation::Activation;
use crate::rules::dsl::ast;
use crate::rules::dsl::options::OptionSpec;
use crate::rules::dsl::syntax::{Form, Modelled, Read, Reader};
use crate::rules::error::{ChainError, Sort, SpecError};
use crate::rules::init::Init;
use crate::rules::keywords;
use crate::rules::layer::kind::{ConstantInput, Given, Kind, Properties};
use crate::rules::layer::norm::{self, NormSpec, NORM_OPTIONS};
use crate::rules::layer::{LayerKind, LayerSpec};
use crate::rules::parameter::{ParameterSpec, Role};
use crate::rules::pytorch::python::{Export, Python};
use crate::rules::shape::Shape;
use crate::rules::signal::step::{SignalAt, Stepped};
use crate::rules::signal::values::Values;

/// The running mean's name, as PyTorch's `state_dict` has the buffer.
const RUNNING_MEAN: &str = "running_mean";
/// The running variance's name, as PyTorch's `state_dict` has the buffer.
const RUNNING_VAR: &str = "running_var";

/// `batch_norm(C)`: each channel (or feature) normalised over the batch in
/// training, by its running statistics in evaluation, then scaled by `γ`
/// and shifted by `β`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchNormSpec(pub NormSpec);

impl BatchNormSpec {
    /// A batch normalization of `norm`'s channels, inits and `ε`.
    pub const fn new(norm: NormSpec) -> BatchNormSpec {
        BatchNormSpec(norm)
    }

    /// With `γ` (`weight`) or `β` (`bias`) drawn from `init`.
    pub(crate) const fn with_init(self, parameter: &str, init: Init) -> BatchNormSpec {
        BatchNormSpec(self.0.with_init(parameter, init))
    }

    /// `γ` and `β` are not optional: unchanged.
    pub(crate) const fn without(self, _: &str) -> Self {
        self
    }
}

impl LayerSpec {
    /// `batch_norm(C)` over `C` channels of an image (or `C` features)
    /// with `γ` ones, `β` zeros and `ε` 1e-5; its running statistics start
    /// at mean 0 and variance 1, as PyTorch's.
    ///
    /// ```
    /// use netinit::{Activation, LayerSpec, NetworkSpec, NormSpec, Shape};
    /// let spec = NetworkSpec::new(vec![
    ///     LayerSpec::input(Shape::image(1, 28, 28)),
    ///     LayerSpec::conv2d(1, 8, Activation::Identity, [3, 3]).without_bias(),
    ///     LayerSpec::batch_norm(NormSpec::new(8)),
    ///     LayerSpec::activation_layer(Activation::Relu),
    /// ])?;
    /// assert_eq!(spec.output_shapes()[2], Shape::image(8, 26, 26));
    /// # Ok::<(), netinit::SpecError>(())
    /// ```
    pub const fn batch_norm(norm: NormSpec) -> LayerSpec {
        LayerSpec::of(LayerKind::BatchNorm(BatchNormSpec::new(norm)))
    }
}

impl Kind for BatchNormSpec {
    fn keyword(&self) -> &'static str {
        keywords::BATCH_NORM
    }

    /// `γ` and `β`, then the running statistics, as `nn.BatchNorm`'s
    /// `state_dict` has them (its `num_batches_tracked` only counts steps,
    /// and PyTorch fills it in when a state_dict lacks it).
    fn parameters(&self) -> Vec<ParameterSpec> {
        let channels = self.0.features();
        let mut parameters = self.0.parameters();
        parameters.extend([
            ParameterSpec::vector(RUNNING_MEAN, Role::Buffer, channels, Init::zeros()),
            ParameterSpec::vector(RUNNING_VAR, Role::Buffer, channels, Init::ones()).nonnegative(),
        ]);
        parameters
    }

    fn activation(&self) -> Activation {
        Activation::Identity
    }

    fn properties(&self) -> Properties {
        Properties {
            normalizes: true,
            ..Properties::NONE
        }
    }

    fn implied_input(&self) -> Option<Shape> {
        Some(Shape::Features(self.0.features()))
    }

    fn size_errors(&self, layer: usize, errors: &mut Vec<SpecError>) {
        self.0.size_errors(layer, errors, false);
    }

    fn init_errors(&self, layer: usize, parameters: &[ParameterSpec], errors: &mut Vec<SpecError>) {
        self.0.init_errors(layer, parameters, errors);
    }

    /// An image's channels, or features; the shape unchanged.
    fn output(&self, given: &Given) -> Result<Option<Shape>, SpecError> {
        let (channels, unit) = match given.shape {
            Some(Shape::Image { channels, .. }) => (channels, "channels"),
            Some(Shape::Features(features)) => (features, "features"),
            Some(other) => return Err(given.wrong_sort(keywords::BATCH_NORM, Sort::Batch, other)),
            None => return Ok(None),
        };
        let found = self.0.features();
        if channels != found && channels != 0 && found != 0 {
            return Err(SpecError::Chain(ChainError::NormWidth {
                layer: given.layer,
                kind: keywords::BATCH_NORM,
                unit,
                given: channels,
                found,
                previous: given.previous,
            }));
        }
        Ok(given.shape)
    }

    fn constant_input(&self, _: f64) -> ConstantInput {
        ConstantInput::Ends
    }

    fn signal(&self, input: &Values, at: &SignalAt) -> Stepped {
        self.0.signal(input, at, false)
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write(f, keywords::BATCH_NORM)
    }

    /// `BatchNorm2d` over an image's channels, `BatchNorm1d` over features.
    fn pytorch(&self, at: &Export) -> Python {
        let dimensions = match at.output {
            Shape::Image { .. } => 2,
            // A sequence is refused before export.
            Shape::Features(_) | Shape::Sequence { .. } | Shape::Tokens(_) => 1,
        };
        Python {
            module: Some(format!(
                "nn.BatchNorm{dimensions}d({}, eps={:?})",
                self.0.features(),
                self.0.epsilon()
            )),
            step: Some(at.module_call()),
            definition: None,
        }
    }

    fn tokens(&self) -> TokenStream {
        self.0.tokens(quote!(BatchNormSpec))
    }
}

impl Read for BatchNormSpec {
    const KEYWORDS: &'static [&'static str] = &[keywords::BATCH_NORM];
    const LISTED: bool = true;
    const FORM: Form = Form::Sizes;
    const EXAMPLE: &'static str = "`batch_norm(C)`";
    const OPTIONS: &'static [OptionSpec] = &NORM_OPTIONS;

    fn model(layer: &ast::Layer, reader: &mut Reader) -> Option<Modelled<BatchNormSpec>> {
        Some(norm::read(layer, "channels (or features)", Self::OPTIONS, reader)?.map(BatchNormSpec))
    }
}
