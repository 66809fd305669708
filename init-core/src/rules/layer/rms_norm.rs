//! `rms_norm(D [, gamma = INIT] [, epsilon = F])`: each example's (or
//! each token's) `D` features divided by their root mean square, then
//! scaled by `γ`, as PyTorch's `nn.RMSNorm`: `x / √(mean(x²) + ε) · γ`.
//! It has no `β` and does not centre; `γ` is the tensor `weight`. The
//! size, `γ` and `ε` are a normalization's (`norm.rs`).

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
use crate::rules::signal::step::{SignalAt, Spread, Step, Stepped};
use crate::rules::signal::values::Values;

/// `rms_norm(D)`: each example's `D` features divided by their root mean
/// square, then scaled by `γ`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RmsNormSpec(pub NormSpec);

impl RmsNormSpec {
    /// An RMS normalization of `norm`'s features, `γ` init and `ε` (its `β` is not used).
    pub const fn new(norm: NormSpec) -> RmsNormSpec {
        RmsNormSpec(norm)
    }

    /// With `γ` (`weight`) drawn from `init`; unchanged for another name.
    pub(crate) const fn with_init(self, parameter: &str, init: Init) -> RmsNormSpec {
        if keywords::same(parameter, keywords::WEIGHT) {
            RmsNormSpec(self.0.with_gamma(init))
        } else {
            self
        }
    }

    /// `γ` is not optional: unchanged.
    pub(crate) const fn without(self, _: &str) -> Self {
        self
    }
}

impl LayerSpec {
    /// `rms_norm(D)` with `γ` ones and `ε` 1e-5.
    ///
    /// ```
    /// use netinit::{LayerSpec, NormSpec, RmsNormSpec};
    /// let layer = LayerSpec::rms_norm(RmsNormSpec::new(NormSpec::new(64)));
    /// assert_eq!(layer.parameter_count(), Some(64));
    /// ```
    pub const fn rms_norm(norm: RmsNormSpec) -> LayerSpec {
        LayerSpec::of(LayerKind::RmsNorm(norm))
    }
}

impl Kind for RmsNormSpec {
    fn keyword(&self) -> &'static str {
        keywords::RMS_NORM
    }

    /// `γ` alone.
    fn parameters(&self) -> Vec<ParameterSpec> {
        self.0.parameters().into_iter().take(1).collect()
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

    /// One feature is fine: it is divided by its magnitude.
    fn size_errors(&self, layer: usize, errors: &mut Vec<SpecError>) {
        self.0.size_errors(layer, errors, false);
    }

    fn init_errors(&self, layer: usize, parameters: &[ParameterSpec], errors: &mut Vec<SpecError>) {
        self.0.init_errors(layer, parameters, errors);
    }

    fn output(&self, given: &Given) -> Result<Option<Shape>, SpecError> {
        norm::per_token_output(self.0.features(), keywords::RMS_NORM, given)
    }

    fn constant_input(&self, _: f64) -> ConstantInput {
        ConstantInput::Ends
    }

    /// Values divided by their root mean square `√(E[x²] + ε)`, then
    /// scaled by `γ`: the second moment becomes `E[γ²]·E[x²]/(E[x²] + ε)`;
    /// the mean's share and two tokens' similarity are kept (dividing a
    /// vector by its length keeps its direction). The gradient's second
    /// moment is multiplied by about `E[γ²]/(E[x²] + ε)`.
    fn signal(&self, values: &Values, at: &SignalAt) -> Stepped {
        let gamma = at.moments.first().copied().unwrap_or(0.0);
        let second = values.mean();
        let denominator = second + self.0.epsilon();
        let normalized = Values {
            field: vec![gamma * second / denominator],
            plane: None,
            gaussian: None,
            ..values.clone()
        };
        Stepped {
            values: normalized,
            step: Step::Norm {
                scale: gamma / denominator,
            },
            spread: Spread::Resets,
            random: !self.0.gamma().is_constant(),
        }
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write(f, keywords::RMS_NORM)
    }

    fn pytorch(&self, at: &Export) -> Python {
        Python {
            module: Some(format!(
                "nn.RMSNorm({}, eps={:?})",
                self.0.features(),
                self.0.epsilon()
            )),
            step: Some(at.module_call()),
            definition: None,
        }
    }

    fn tokens(&self) -> TokenStream {
        self.0.tokens(quote!(RmsNormSpec))
    }
}

/// The options of `rms_norm`: a normalization's but `beta`.
const RMS_OPTIONS: [OptionSpec; 2] = [NORM_OPTIONS[0], NORM_OPTIONS[2]];

impl Read for RmsNormSpec {
    const KEYWORDS: &'static [&'static str] = &[keywords::RMS_NORM];
    const LISTED: bool = true;
    const FORM: Form = Form::Sizes;
    const EXAMPLE: &'static str = "`rms_norm(D)`";
    const OPTIONS: &'static [OptionSpec] = &RMS_OPTIONS;

    fn model(layer: &ast::Layer, reader: &mut Reader) -> Option<Modelled<RmsNormSpec>> {
        Some(norm::read(layer, "features", Self::OPTIONS, reader)?.map(RmsNormSpec))
    }
}
