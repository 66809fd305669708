//! `mean_tokens`: a sequence of `T` tokens of `D` features pooled into
//! one vector of `D` features, their mean (a ViT's mean pooling, before
//! its classifier).

use core::fmt;

use proc_macro2::TokenStream;
use quote::quote;

use crate::rules::activation::Activation;
use crate::rules::dsl::ast;
use crate::rules::dsl::options::OptionSpec;
use crate::rules::dsl::spans::LayerSpans;
use crate::rules::dsl::syntax::{Form, Modelled, Read, Reader};
use crate::rules::error::SpecError;
use crate::rules::init::Init;
use crate::rules::keywords;
use crate::rules::layer::kind::{ConstantInput, Given, Kind, Properties};
use crate::rules::layer::{LayerKind, LayerSpec};
use crate::rules::parameter::ParameterSpec;
use crate::rules::pytorch::python::{Export, Python};
use crate::rules::shape::Shape;
use crate::rules::signal::step::{SignalAt, Step, Stepped};
use crate::rules::signal::values::Values;
use crate::rules::tokens;

/// `mean_tokens`: the mean of a sequence's tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MeanTokensSpec;

impl MeanTokensSpec {
    /// It has no tensor to set: unchanged.
    pub(crate) const fn with_init(self, _: &str, _: Init) -> Self {
        self
    }

    /// It has no tensor to drop: unchanged.
    pub(crate) const fn without(self, _: &str) -> Self {
        self
    }
}

impl LayerSpec {
    /// `mean_tokens`: the mean of a sequence's tokens, one vector.
    pub const fn mean_tokens() -> LayerSpec {
        LayerSpec::of(LayerKind::MeanTokens(MeanTokensSpec))
    }
}

impl Kind for MeanTokensSpec {
    fn keyword(&self) -> &'static str {
        keywords::MEAN_TOKENS
    }

    fn parameters(&self) -> Vec<ParameterSpec> {
        Vec::new()
    }

    fn activation(&self) -> Activation {
        Activation::Identity
    }

    fn properties(&self) -> Properties {
        Properties {
            needs_input: true,
            ..Properties::NONE
        }
    }

    fn implied_input(&self) -> Option<Shape> {
        None
    }

    fn size_errors(&self, _: usize, _: &mut Vec<SpecError>) {}

    fn init_errors(&self, _: usize, _: &[ParameterSpec], _: &mut Vec<SpecError>) {}

    /// `T` tokens of `D` features in, `D` features out.
    fn output(&self, given: &Given) -> Result<Option<Shape>, SpecError> {
        Ok(given
            .sequence(keywords::MEAN_TOKENS)?
            .map(|(_, features)| Shape::Features(features)))
    }

    fn constant_input(&self, value: f64) -> ConstantInput {
        ConstantInput::Gives(value)
    }

    /// The mean of `T` tokens of raw similarity `s`: its second moment is
    /// `E[h²]·(1/T + (1 − 1/T)·s)`; the gradient reaching each token is
    /// `1/T` of the mean's, as a global pooling's.
    fn signal(&self, input: &Values, at: &SignalAt) -> Stepped {
        let count = at.input.and_then(|shape| shape.tokens()).unwrap_or(1).max(1);
        let tokens = count as f64;
        let share = 1.0 / tokens + (1.0 - 1.0 / tokens) * input.tokens;
        let second = input.mean() * share;
        let values = Values {
            field: vec![second],
            plane: None,
            mean_ratio: if share > 0.0 {
                (input.mean_ratio / share).min(1.0)
            } else {
                0.0
            },
            gaussian: None,
            ..input.clone()
        };
        let step = Step::Global { plane: [1, count] };
        Stepped::plain(values, step)
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(keywords::MEAN_TOKENS)
    }

    fn pytorch(&self, _: &Export) -> Python {
        Python {
            module: None,
            step: Some("torch.mean(x, dim=1)".to_owned()),
            definition: None,
        }
    }

    fn tokens(&self) -> TokenStream {
        let private = tokens::private();
        quote!(#private::MeanTokensSpec)
    }
}

impl Read for MeanTokensSpec {
    const KEYWORDS: &'static [&'static str] = &[keywords::MEAN_TOKENS];
    const LISTED: bool = true;
    const FORM: Form = Form::Bare;
    const EXAMPLE: &'static str = "`mean_tokens`";
    const OPTIONS: &'static [OptionSpec] = &[];

    fn model(layer: &ast::Layer, _: &mut Reader) -> Option<Modelled<MeanTokensSpec>> {
        Some(Modelled::known(MeanTokensSpec, LayerSpans::at(layer.kind.span)))
    }
}
