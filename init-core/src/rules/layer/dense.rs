//! `dense(IN -> OUT, ACTIVATION [, OPTION]*)`: `activation(x · Wᵀ + b)`,
//! with `W` of shape `(OUT, IN)` as PyTorch's `Linear`. Its fields and
//! most of its rules are the weighted core it shares with `conv2d`
//! ([`AffineSpec`], in `affine.rs`).

use core::fmt;

use proc_macro2::TokenStream;
use quote::quote;

use crate::rules::activation::Activation;
use crate::rules::dsl::ast;
use crate::rules::dsl::options::OptionSpec;
use crate::rules::dsl::syntax::{Form, Modelled, Read, Reader};
use crate::rules::error::{ChainError, Sort, SpecError};
use crate::rules::keywords;
use crate::rules::layer::affine::{self, AffineSpec, DENSE_OPTIONS};
use crate::rules::layer::kind::{ConstantInput, Given, Kind, Properties};
use crate::rules::layer::{LayerKind, LayerSpec};
use crate::rules::parameter::ParameterSpec;
use crate::rules::pytorch::python::{self, Export, Python};
use crate::rules::shape::Shape;
use crate::rules::signal::step::{SignalAt, Stepped};
use crate::rules::signal::values::Values;
use crate::rules::tokens;

impl LayerSpec {
    /// A dense layer with the init derived from its activation and zero biases.
    ///
    /// ```
    /// use netinit::{Activation, Init, LayerSpec};
    /// let layer = LayerSpec::dense(784, 256, Activation::Relu);
    /// assert_eq!(layer.weight(), Init::he_normal());
    /// assert_eq!(layer.bias(), Init::zeros());
    /// ```
    pub const fn dense(inputs: usize, outputs: usize, activation: Activation) -> LayerSpec {
        LayerSpec::of(LayerKind::Dense(AffineSpec::new(inputs, outputs, activation)))
    }
}

impl Kind for AffineSpec {
    fn keyword(&self) -> &'static str {
        keywords::DENSE
    }

    fn parameters(&self) -> Vec<ParameterSpec> {
        self.parameters(&[self.outputs(), self.inputs()])
    }

    fn activation(&self) -> Activation {
        AffineSpec::activation(self)
    }

    fn properties(&self) -> Properties {
        Properties {
            writes_outputs: true,
            fixes_output: true,
            ..Properties::NONE
        }
    }

    fn implied_input(&self) -> Option<Shape> {
        Some(Shape::Features(self.inputs()))
    }

    fn size_errors(&self, layer: usize, errors: &mut Vec<SpecError>) {
        AffineSpec::size_errors(self, layer, errors);
    }

    fn init_errors(&self, layer: usize, parameters: &[ParameterSpec], errors: &mut Vec<SpecError>) {
        AffineSpec::init_errors(self, layer, parameters, errors);
    }

    /// Features in, its width out. A width that differs from the layer
    /// before is named by that layer's kind: another dense layer's outputs,
    /// or the features (an image flattened) something else gives.
    fn output(&self, given: &Given) -> Result<Option<Shape>, SpecError> {
        let found = self.inputs();
        let mismatch = |expected: usize| expected != found && expected != 0 && found != 0;
        match given.shape {
            Some(Shape::Features(expected)) if mismatch(expected) => {
                Err(match given.previous_writes_outputs {
                    true => SpecError::Chain(ChainError::ShapeMismatch {
                        layer: given.layer,
                        expected,
                        found,
                    }),
                    false => SpecError::Chain(ChainError::FeatureMismatch {
                        layer: given.layer,
                        given: given.flattened.unwrap_or(Shape::Features(expected)),
                        previous: given.previous,
                        found,
                    }),
                })
            }
            Some(Shape::Sequence { features, .. }) if mismatch(features) => {
                Err(match given.previous_writes_outputs {
                    true => SpecError::Chain(ChainError::ShapeMismatch {
                        layer: given.layer,
                        expected: features,
                        found,
                    }),
                    false => SpecError::Chain(ChainError::TokenWidth {
                        layer: given.layer,
                        kind: keywords::DENSE,
                        given: features,
                        found,
                        previous: given.previous,
                    }),
                })
            }
            Some(image @ Shape::Image { .. }) => Err(SpecError::Chain(ChainError::NeedsFlatten {
                layer: given.layer,
                given: image,
                previous: given.previous,
            })),
            Some(ids @ Shape::Tokens(_)) => Err(given.wrong_sort(keywords::DENSE, Sort::Vectors, ids)),
            Some(sequence @ Shape::Sequence { .. }) => Ok(Some(sequence.with_features(self.outputs()))),
            _ => Ok(Some(Shape::Features(self.outputs()))),
        }
    }

    fn constant_input(&self, _: f64) -> ConstantInput {
        ConstantInput::Ends
    }

    fn signal(&self, input: &Values, at: &SignalAt) -> Stepped {
        AffineSpec::signal(self, input, None, at)
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_start(f, keywords::DENSE)?;
        self.write_end(f)
    }

    fn pytorch(&self, at: &Export) -> Python {
        Python {
            module: Some(format!(
                "nn.Linear({}, {}{})",
                self.inputs(),
                self.outputs(),
                python::no_bias(self.has_bias())
            )),
            step: Some(at.activation(AffineSpec::activation(self), &at.module_call())),
            definition: None,
        }
    }

    fn tokens(&self) -> TokenStream {
        let private = tokens::private();
        let (inputs, outputs) = (tokens::size(self.inputs()), tokens::size(self.outputs()));
        let activation = tokens::activation(AffineSpec::activation(self));
        let inits = self.init_tokens();
        quote!(#private::AffineSpec::new(#inputs, #outputs, #activation) #inits)
    }
}

impl Read for AffineSpec {
    const KEYWORDS: &'static [&'static str] = &[keywords::DENSE];
    const LISTED: bool = true;
    const FORM: Form = Form::Widths;
    const EXAMPLE: &'static str = "`dense(IN -> OUT, ACTIVATION)`";
    const OPTIONS: &'static [OptionSpec] = &DENSE_OPTIONS;

    fn model(layer: &ast::Layer, reader: &mut Reader) -> Option<Modelled<AffineSpec>> {
        let read = affine::read(layer, Self::OPTIONS, reader)?;
        Some(Modelled {
            kind: read.affine,
            spans: read.spans,
            complete: read.complete,
            inputs_known: read.inputs_known,
            outputs_known: read.outputs_known,
        })
    }
}
