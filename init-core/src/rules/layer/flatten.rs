//! `flatten`: an image's values as features, in `(C, H, W)` order. The
//! values are unchanged; only the shape is.

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

/// `flatten`: an image's values as features.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlattenSpec;

impl LayerSpec {
    /// `flatten`: an image's values as features.
    pub const fn flatten() -> LayerSpec {
        LayerSpec::of(LayerKind::Flatten(FlattenSpec))
    }
}

impl FlattenSpec {
    /// It has no tensor to set: unchanged.
    pub(crate) const fn with_init(self, _: &str, _: Init) -> Self {
        self
    }

    /// It has no tensor to drop: unchanged.
    pub(crate) const fn without(self, _: &str) -> Self {
        self
    }
}

impl Kind for FlattenSpec {
    fn keyword(&self) -> &'static str {
        keywords::FLATTEN
    }

    fn parameters(&self) -> Vec<ParameterSpec> {
        Vec::new()
    }

    fn activation(&self) -> Activation {
        Activation::Identity
    }

    fn properties(&self) -> Properties {
        Properties {
            reshapes_only: true,
            ..Properties::NONE
        }
    }

    fn implied_input(&self) -> Option<Shape> {
        None
    }

    fn size_errors(&self, _: usize, _: &mut Vec<SpecError>) {}

    fn init_errors(&self, _: usize, _: &[ParameterSpec], _: &mut Vec<SpecError>) {}

    fn output(&self, given: &Given) -> Result<Option<Shape>, SpecError> {
        Ok(given.shape.and_then(|shape| shape.size()).map(Shape::Features))
    }

    fn constant_input(&self, value: f64) -> ConstantInput {
        ConstantInput::Gives(value)
    }

    fn signal(&self, input: &Values, at: &SignalAt) -> Stepped {
        let values = Values {
            plane: at.output_plane,
            ..input.clone()
        };
        Stepped::plain(values, Step::Through { input: input.plane })
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(keywords::FLATTEN)
    }

    fn pytorch(&self, _: &Export) -> Python {
        Python {
            module: None,
            step: Some("torch.flatten(x, 1)".to_owned()),
            definition: None,
        }
    }

    fn tokens(&self) -> TokenStream {
        let private = tokens::private();
        quote!(#private::FlattenSpec)
    }
}

impl Read for FlattenSpec {
    const KEYWORDS: &'static [&'static str] = &[keywords::FLATTEN];
    const LISTED: bool = true;
    const FORM: Form = Form::Bare;
    const EXAMPLE: &'static str = "`flatten`";
    const OPTIONS: &'static [OptionSpec] = &[];

    fn model(layer: &ast::Layer, _: &mut Reader) -> Option<Modelled<FlattenSpec>> {
        Some(Modelled::known(FlattenSpec, LayerSpans::at(layer.kind.span)))
    }
}
