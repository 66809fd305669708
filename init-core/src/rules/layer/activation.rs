//! An activation as a layer of its own (`relu`, `leaky_relu(0.1)`, as in
//! the original ResNet's relu after a block's sum): applied value by value,
//! the shape unchanged. The activation is the kind: [`Activation`] itself.

use core::fmt;

use proc_macro2::TokenStream;

use crate::rules::activation::Activation;
use crate::rules::dsl::ast::{self, Body};
use crate::rules::dsl::options::OptionSpec;
use crate::rules::dsl::spans::LayerSpans;
use crate::rules::dsl::syntax::{Form, Modelled, Read, Reader};
use crate::rules::dsl::values::activation;
use crate::rules::error::{ChainError, Sort, SpecError};
use crate::rules::init::Init;
use crate::rules::keywords;
use crate::rules::layer::affine::activation_errors;
use crate::rules::layer::kind::{ConstantInput, Given, Kind, Properties};
use crate::rules::layer::{LayerKind, LayerSpec};
use crate::rules::parameter::ParameterSpec;
use crate::rules::part::Part;
use crate::rules::pytorch::python::{Export, Python};
use crate::rules::shape::Shape;
use crate::rules::signal::step::{SignalAt, Step, Stepped};
use crate::rules::signal::values::{activated, Values};
use crate::rules::tokens;

impl LayerSpec {
    /// An activation as a layer of its own (`relu` after a block, as in
    /// the original ResNet): applied value by value, the shape unchanged.
    ///
    /// ```
    /// use netinit::{Activation, LayerSpec, NetworkSpec, Shape};
    /// let spec = NetworkSpec::new(vec![
    ///     LayerSpec::input(Shape::image(1, 28, 28)),
    ///     LayerSpec::max_pool2d([2, 2], [2, 2]),
    ///     LayerSpec::activation_layer(Activation::Relu),
    ///     LayerSpec::flatten(),
    ///     LayerSpec::dense(196, 10, Activation::Softmax),
    /// ])?;
    /// assert_eq!(spec.output_shapes()[2], Shape::image(1, 14, 14));
    /// # Ok::<(), netinit::SpecError>(())
    /// ```
    pub const fn activation_layer(activation: Activation) -> LayerSpec {
        LayerSpec::of(LayerKind::Activation(activation))
    }
}

impl Activation {
    /// It has no tensor to set: unchanged.
    pub(crate) const fn with_init(self, _: &str, _: Init) -> Self {
        self
    }

    /// It has no tensor to drop: unchanged.
    pub(crate) const fn without(self, _: &str) -> Self {
        self
    }
}

impl Kind for Activation {
    fn keyword(&self) -> &'static str {
        self.name()
    }

    fn parameters(&self) -> Vec<ParameterSpec> {
        Vec::new()
    }

    fn activation(&self) -> Activation {
        *self
    }

    fn properties(&self) -> Properties {
        Properties {
            needs_input: true,
            element_wise: true,
            ..Properties::NONE
        }
    }

    fn implied_input(&self) -> Option<Shape> {
        None
    }

    fn size_errors(&self, _: usize, _: &mut Vec<SpecError>) {}

    fn init_errors(&self, layer: usize, _: &[ParameterSpec], errors: &mut Vec<SpecError>) {
        activation_errors(*self, layer, errors);
    }

    /// The shape it is given, but for softmax on an image, which netinit
    /// does not compute per position.
    fn output(&self, given: &Given) -> Result<Option<Shape>, SpecError> {
        match (self, given.shape) {
            (Activation::Softmax, Some(Shape::Image { .. })) => {
                Err(SpecError::Chain(ChainError::SoftmaxOnImage {
                    layer: given.layer,
                }))
            }
            (_, Some(ids @ Shape::Tokens(_))) => Err(given.wrong_sort(self.keyword(), Sort::Vectors, ids)),
            _ => Ok(given.shape),
        }
    }

    fn constant_input(&self, value: f64) -> ConstantInput {
        match self.derivative(value) {
            0.0 => ConstantInput::Stops,
            _ => ConstantInput::Gives(self.value(value)),
        }
    }

    /// Its input is taken as Gaussian: exactly so after a weighted layer
    /// whose activation is the identity (which validation refuses for
    /// activations whose init would differ, but not for tanh, sigmoid or
    /// softmax), an approximation after anything else.
    fn signal(&self, values: &Values, _: &SignalAt) -> Stepped {
        let (variances, correlation, tokens) = match &values.gaussian {
            Some(gaussian) if gaussian.activation == Activation::Identity => {
                (gaussian.variances.clone(), gaussian.correlation, gaussian.tokens)
            }
            _ => (values.field.clone(), values.correlation, values.tokens),
        };
        let activated = activated(*self, &variances, correlation, tokens, values.plane);
        let step = Step::Activation {
            variances,
            activation: *self,
        };
        Stepped::plain(activated, step)
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }

    fn pytorch(&self, at: &Export) -> Python {
        let step = at.activation(*self, "x");
        Python {
            module: None,
            step: (step != "x").then_some(step),
            definition: None,
        }
    }

    fn tokens(&self) -> TokenStream {
        tokens::activation(*self)
    }
}

impl Read for Activation {
    const KEYWORDS: &'static [&'static str] = keywords::ACTIVATIONS;
    const LISTED: bool = false;
    const FORM: Form = Form::Call;
    const EXAMPLE: &'static str = "`relu`";
    const OPTIONS: &'static [OptionSpec] = &[];

    fn model(layer: &ast::Layer, reader: &mut Reader) -> Option<Modelled<Activation>> {
        let Body::Activation(call) = &layer.body else {
            return None;
        };
        let (activation, parameter_span) = activation(call, reader.reports)?;
        let mut spans = LayerSpans::at(call.name.span);
        spans.set(Part::ActivationParameter, parameter_span);
        Some(Modelled::known(activation, spans))
    }
}
