//! `layer_norm(N [, gamma = INIT] [, beta = INIT] [, epsilon = F])`: each
//! example's `N` features normalised to mean 0 and variance 1 (the variance
//! divided by `N`, as PyTorch's), then scaled by `γ` and shifted by `β`.
//! What it shares with `batch_norm` is in `norm.rs`.

use core::fmt;

use proc_macro2::TokenStream;
use quote::quote;

use crate::rules::activation::Activation;
use crate::rules::dsl::ast;
use crate::rules::dsl::options::OptionSpec;
use crate::rules::dsl::syntax::{Form, Modelled, Read, Reader};
use crate::rules::error::SpecError;
use crate::rules::init::Init;
use crate::rules::keywords;
use crate::rules::layer::kind::{ConstantInput, Given, Kind, Properties};
use crate::rules::layer::norm::{self, NormSpec, NORM_OPTIONS};
use crate::rules::layer::{LayerKind, LayerSpec};
use crate::rules::parameter::ParameterSpec;
use crate::rules::pytorch::python::{Export, Python};
use crate::rules::shape::Shape;
use crate::rules::signal::step::{SignalAt, Stepped};
use crate::rules::signal::values::Values;

/// `layer_norm(N)`: each example's `N` features normalised, then scaled by
/// `γ` and shifted by `β`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerNormSpec(pub NormSpec);

impl LayerNormSpec {
    /// A layer normalization of `norm`'s features, inits and `ε`.
    pub const fn new(norm: NormSpec) -> LayerNormSpec {
        LayerNormSpec(norm)
    }

    /// With `γ` (`weight`) or `β` (`bias`) drawn from `init`.
    pub(crate) const fn with_init(self, parameter: &str, init: Init) -> LayerNormSpec {
        LayerNormSpec(self.0.with_init(parameter, init))
    }

    /// `γ` and `β` are not optional: unchanged.
    pub(crate) const fn without(self, _: &str) -> Self {
        self
    }
}

impl LayerSpec {
    /// `layer_norm(N)` with `γ` ones, `β` zeros and `ε` 1e-5 (see
    /// [`NormSpec`] for the others).
    ///
    /// ```
    /// use netinit::{Activation, LayerSpec, NetworkSpec, NormSpec};
    /// let spec = NetworkSpec::new(vec![
    ///     LayerSpec::dense(784, 256, Activation::Relu),
    ///     LayerSpec::layer_norm(NormSpec::new(256)),
    ///     LayerSpec::dense(256, 10, Activation::Softmax),
    /// ])?;
    /// assert_eq!(spec.layers()[1].parameter_count(), Some(512));
    /// # Ok::<(), netinit::SpecError>(())
    /// ```
    pub const fn layer_norm(norm: NormSpec) -> LayerSpec {
        LayerSpec::of(LayerKind::LayerNorm(LayerNormSpec::new(norm)))
    }
}

impl Kind for LayerNormSpec {
    fn keyword(&self) -> &'static str {
        keywords::LAYER_NORM
    }

    fn parameters(&self) -> Vec<ParameterSpec> {
        self.0.parameters()
    }

    fn activation(&self) -> Activation {
        Activation::Identity
    }

    fn properties(&self) -> Properties {
        Properties {
            fixes_output: true,
            normalizes: true,
            ..Properties::NONE
        }
    }

    fn implied_input(&self) -> Option<Shape> {
        Some(Shape::Features(self.0.features()))
    }

    fn size_errors(&self, layer: usize, errors: &mut Vec<SpecError>) {
        self.0.size_errors(layer, errors, true);
    }

    fn init_errors(&self, layer: usize, parameters: &[ParameterSpec], errors: &mut Vec<SpecError>) {
        self.0.init_errors(layer, parameters, errors);
    }

    /// `N` features in and out, or a sequence of tokens of `N` features;
    /// an image needs `flatten` first.
    fn output(&self, given: &Given) -> Result<Option<Shape>, SpecError> {
        norm::per_token_output(self.0.features(), keywords::LAYER_NORM, given)
    }

    fn constant_input(&self, _: f64) -> ConstantInput {
        ConstantInput::Ends
    }

    fn signal(&self, input: &Values, at: &SignalAt) -> Stepped {
        self.0.signal(input, at, true)
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write(f, keywords::LAYER_NORM)
    }

    fn pytorch(&self, at: &Export) -> Python {
        Python {
            module: Some(format!(
                "nn.LayerNorm({}, eps={:?})",
                self.0.features(),
                self.0.epsilon()
            )),
            step: Some(at.module_call()),
            definition: None,
        }
    }

    fn tokens(&self) -> TokenStream {
        self.0.tokens(quote!(LayerNormSpec))
    }
}

impl Read for LayerNormSpec {
    const KEYWORDS: &'static [&'static str] = &[keywords::LAYER_NORM];
    const LISTED: bool = true;
    const FORM: Form = Form::Sizes;
    const EXAMPLE: &'static str = "`layer_norm(N)`";
    const OPTIONS: &'static [OptionSpec] = &NORM_OPTIONS;

    fn model(layer: &ast::Layer, reader: &mut Reader) -> Option<Modelled<LayerNormSpec>> {
        Some(norm::read(layer, "features", Self::OPTIONS, reader)?.map(LayerNormSpec))
    }
}
