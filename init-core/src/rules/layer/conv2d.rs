//! `conv2d(IN -> OUT, ACTIVATION, kernel = K [, stride = S] [, padding =
//! P] [, OPTION]*)`: `activation(W ⊛ x + b)` with `W` of shape `(OUT, IN,
//! KH, KW)` as PyTorch's `Conv2d`. Its channels, activation and inits are
//! the weighted core it shares with `dense` ([`AffineSpec`]); here are its
//! geometry and the output size it gives, and the rest of its rules.

use core::fmt;

use proc_macro2::TokenStream;
use quote::quote;

use crate::rules::activation::Activation;
use crate::rules::dsl::ast;
use crate::rules::dsl::options::{Expect, OptionSpec, Value};
use crate::rules::dsl::syntax::{Form, Modelled, Read, Reader};
use crate::rules::error::{ChainError, SizeError, SpecError};
use crate::rules::init::Init;
use crate::rules::keywords;
use crate::rules::layer::affine::{self, AffineSpec, DENSE_OPTIONS};
use crate::rules::layer::kind::{ConstantInput, Given, Kind, Properties};
use crate::rules::layer::window::{geometry_errors, image, window_output};
use crate::rules::layer::{LayerKind, LayerSpec};
use crate::rules::number::Pair;
use crate::rules::parameter::ParameterSpec;
use crate::rules::part::Part;
use crate::rules::pytorch::python::{self, Export, Python};
use crate::rules::shape::Shape;
use crate::rules::signal::step::{SignalAt, Stepped};
use crate::rules::signal::values::Values;
use crate::rules::signal::windows::Windows;
use crate::rules::tokens;

/// A convolution's zero padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Padding {
    /// This many rows and columns of zeros on each side: `[height, width]`.
    Explicit([usize; 2]),
    /// As much as keeps the output the size of the input: `(K - 1) / 2` on
    /// each side, for an odd kernel at stride 1 (PyTorch's `padding='same'`,
    /// which also pads an even kernel unevenly; that is refused here).
    Same,
}

impl Padding {
    /// The same padding on every side.
    pub const fn uniform(padding: usize) -> Padding {
        Padding::Explicit([padding, padding])
    }
}

/// `conv2d(IN -> OUT, ACTIVATION, kernel = K, stride = S, padding = P)`:
/// weights `(OUT, IN, KH, KW)` like PyTorch's `Conv2d`, biases `(OUT)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Conv2dSpec {
    affine: AffineSpec,
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: Padding,
}

impl Conv2dSpec {
    /// A convolution of stride 1 and no padding, with the init derived from
    /// its activation (fans counting the receptive field) and zero biases.
    pub const fn new(
        inputs: usize,
        outputs: usize,
        activation: Activation,
        kernel: [usize; 2],
    ) -> Conv2dSpec {
        Conv2dSpec {
            affine: AffineSpec::new(inputs, outputs, activation)
                .with_receptive_field(kernel[0].saturating_mul(kernel[1])),
            kernel,
            stride: [1, 1],
            padding: Padding::Explicit([0, 0]),
        }
    }

    /// The same convolution with another stride `[height, width]`.
    pub const fn with_stride(self, stride: [usize; 2]) -> Conv2dSpec {
        Conv2dSpec { stride, ..self }
    }

    /// The same convolution with another padding.
    pub const fn with_padding(self, padding: Padding) -> Conv2dSpec {
        Conv2dSpec { padding, ..self }
    }

    /// The same convolution with another weighted core (its receptive field kept).
    pub(crate) const fn with_affine(self, affine: AffineSpec) -> Conv2dSpec {
        Conv2dSpec {
            affine: affine.with_receptive_field(self.affine.receptive_field()),
            ..self
        }
    }

    /// The same convolution with another weight init.
    pub const fn with_weight(self, weight: Init) -> Conv2dSpec {
        self.with_affine(self.affine.with_weight(weight))
    }

    /// The same convolution with another bias init (and biases, if it had none).
    pub const fn with_bias(self, bias: Init) -> Conv2dSpec {
        self.with_affine(self.affine.with_bias(bias))
    }

    /// The same convolution without biases (`bias = none`).
    pub const fn without_bias(self) -> Conv2dSpec {
        self.with_affine(self.affine.without_bias())
    }

    /// Channels in and out, the activation and the inits.
    pub const fn affine(&self) -> &AffineSpec {
        &self.affine
    }

    /// The kernel's `[height, width]`.
    pub const fn kernel(&self) -> [usize; 2] {
        self.kernel
    }

    /// The stride `[height, width]`.
    pub const fn stride(&self) -> [usize; 2] {
        self.stride
    }

    /// The padding as written.
    pub const fn padding(&self) -> Padding {
        self.padding
    }

    /// The zeros added on each side, `[height, width]`, `same` resolved.
    pub const fn padding_sizes(&self) -> [usize; 2] {
        match self.padding {
            Padding::Explicit(sizes) => sizes,
            Padding::Same => [
                self.kernel[0].saturating_sub(1) / 2,
                self.kernel[1].saturating_sub(1) / 2,
            ],
        }
    }

    /// The output's `[height, width]` for an input of `[height, width]`, or
    /// the reason there is none.
    pub(crate) fn output_size(&self, layer: usize, input: [usize; 2]) -> Result<[usize; 2], SpecError> {
        window_output(layer, input, self.kernel, self.stride, Some(self.padding_sizes()))
    }

    /// The mistakes in the geometry of layer `index`: a kernel or stride
    /// of 0, `same` padding where it cannot keep the size.
    pub(crate) fn geometry_errors(&self, index: usize, errors: &mut Vec<SpecError>) {
        geometry_errors(index, self.kernel, self.stride, errors);
        let odd = self.kernel[0] % 2 == 1 && self.kernel[1] % 2 == 1;
        if self.padding == Padding::Same && (self.stride != [1, 1] || !odd) {
            errors.push(SpecError::Size(SizeError::SamePadding {
                layer: index,
                kernel: self.kernel,
                stride: self.stride,
            }));
        }
    }

    /// With its tensor `parameter` (`weight` or `bias`) drawn from `init`;
    /// unchanged for another name.
    pub(crate) const fn with_init(self, parameter: &str, init: Init) -> Conv2dSpec {
        self.with_affine(self.affine.with_init(parameter, init))
    }

    /// Without biases when `parameter` is `bias` (`bias = none`).
    pub(crate) const fn without(self, parameter: &str) -> Conv2dSpec {
        self.with_affine(self.affine.without(parameter))
    }
}

impl LayerSpec {
    /// A convolution with a `[height, width]` kernel, stride 1 and no
    /// padding (see [`Conv2dSpec`] for the others), the init derived from
    /// its activation with fans counting the receptive field, and zero biases.
    ///
    /// ```
    /// use netinit::{Activation, Fans, LayerSpec};
    /// let layer = LayerSpec::conv2d(32, 64, Activation::Relu, [3, 3]);
    /// assert_eq!(layer.fans(), Fans { fan_in: 32 * 9, fan_out: 64 * 9 });
    /// assert_eq!(layer.parameter_count(), Some(64 * 32 * 9 + 64));
    /// ```
    pub const fn conv2d(
        inputs: usize,
        outputs: usize,
        activation: Activation,
        kernel: [usize; 2],
    ) -> LayerSpec {
        LayerSpec::of(LayerKind::Conv2d(Conv2dSpec::new(
            inputs, outputs, activation, kernel,
        )))
    }
}

impl Kind for Conv2dSpec {
    fn keyword(&self) -> &'static str {
        keywords::CONV2D
    }

    fn parameters(&self) -> Vec<ParameterSpec> {
        let [height, width] = self.kernel;
        self.affine
            .parameters(&[self.affine.outputs(), self.affine.inputs(), height, width])
    }

    fn activation(&self) -> Activation {
        self.affine.activation()
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

    fn size_errors(&self, layer: usize, errors: &mut Vec<SpecError>) {
        self.affine.size_errors(layer, errors);
        self.geometry_errors(layer, errors);
    }

    fn init_errors(&self, layer: usize, parameters: &[ParameterSpec], errors: &mut Vec<SpecError>) {
        self.affine.init_errors(layer, parameters, errors);
        if self.affine.activation() == Activation::Softmax {
            errors.push(SpecError::Chain(ChainError::SoftmaxOnImage { layer }));
        }
    }

    /// An image in, `OUT` channels of the plane its windows give out.
    fn output(&self, given: &Given) -> Result<Option<Shape>, SpecError> {
        let Some((channels, size)) = image(given)? else {
            return Ok(None);
        };
        let found = self.affine.inputs();
        if channels != found && found != 0 && channels != 0 {
            return Err(SpecError::Chain(ChainError::ChannelMismatch {
                layer: given.layer,
                expected: channels,
                found,
                previous: given.previous,
            }));
        }
        let [height, width] = self.output_size(given.layer, size)?;
        Ok(Some(Shape::image(self.affine.outputs(), height, width)))
    }

    fn constant_input(&self, _: f64) -> ConstantInput {
        ConstantInput::Ends
    }

    fn signal(&self, input: &Values, at: &SignalAt) -> Stepped {
        let windows = input.plane.zip(at.output_plane).map(|(input, output)| Windows {
            input,
            output,
            kernel: self.kernel,
            stride: self.stride,
            padding: self.padding_sizes(),
        });
        self.affine.signal(input, windows, at)
    }

    /// The stride only where it is not 1, the padding where it is not 0.
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.affine.write_start(f, keywords::CONV2D)?;
        write!(f, ", {} = {}", keywords::KERNEL, Pair(self.kernel))?;
        if self.stride != [1, 1] {
            write!(f, ", {} = {}", keywords::STRIDE, Pair(self.stride))?;
        }
        match self.padding {
            Padding::Same => write!(f, ", {} = {}", keywords::PADDING, keywords::SAME)?,
            Padding::Explicit([0, 0]) => {}
            Padding::Explicit(sizes) => write!(f, ", {} = {}", keywords::PADDING, Pair(sizes))?,
        }
        self.affine.write_end(f)
    }

    fn pytorch(&self, at: &Export) -> Python {
        let padding = match self.padding {
            Padding::Same => "'same'".to_owned(),
            Padding::Explicit(sizes) => python::pair(sizes),
        };
        let module = format!(
            "nn.Conv2d({}, {}, kernel_size={}, stride={}, padding={padding}{})",
            self.affine.inputs(),
            self.affine.outputs(),
            python::pair(self.kernel),
            python::pair(self.stride),
            python::no_bias(self.affine.has_bias())
        );
        let affine = at.module_call();
        let step = match self.affine.activation() {
            // netinit's softmax takes a whole row: every channel and position.
            Activation::Softmax => format!("torch.softmax({affine}.flatten(1), dim=-1).view(x.shape[0], -1)"),
            other => python::activation(other, &affine),
        };
        Python {
            module: Some(module),
            step: Some(step),
            definition: None,
        }
    }

    fn tokens(&self) -> TokenStream {
        let private = tokens::private();
        let (inputs, outputs) = (
            tokens::size(self.affine.inputs()),
            tokens::size(self.affine.outputs()),
        );
        let activation = tokens::activation(self.affine.activation());
        let (kernel, stride) = (tokens::pair(self.kernel), tokens::pair(self.stride));
        let padding = match self.padding {
            Padding::Same => quote!(#private::Padding::Same),
            Padding::Explicit(sizes) => {
                let sizes = tokens::pair(sizes);
                quote!(#private::Padding::Explicit(#sizes))
            }
        };
        let inits = self.affine.init_tokens();
        quote! {
            #private::Conv2dSpec::new(#inputs, #outputs, #activation, #kernel)
                .with_stride(#stride)
                .with_padding(#padding)
                #inits
        }
    }
}

/// The options of `conv2d`: its window, then a dense layer's.
const CONV_OPTIONS: [OptionSpec; 8] = {
    let [init, bias, dist, mode, gain] = DENSE_OPTIONS;
    [
        OptionSpec {
            key: keywords::KERNEL,
            expect: Expect::Pair,
        },
        OptionSpec {
            key: keywords::STRIDE,
            expect: Expect::Pair,
        },
        OptionSpec {
            key: keywords::PADDING,
            expect: Expect::PairOrSame,
        },
        init,
        bias,
        dist,
        mode,
        gain,
    ]
};

impl Read for Conv2dSpec {
    const KEYWORDS: &'static [&'static str] = &[keywords::CONV2D];
    const LISTED: bool = true;
    const FORM: Form = Form::Widths;
    const EXAMPLE: &'static str = "`conv2d(IN -> OUT, ACTIVATION, kernel = K)`";
    const OPTIONS: &'static [OptionSpec] = &CONV_OPTIONS;

    fn model(layer: &ast::Layer, reader: &mut Reader) -> Option<Modelled<Conv2dSpec>> {
        let read = affine::read(layer, Self::OPTIONS, reader)?;
        let (mut spans, mut complete) = (read.spans, read.complete);
        let kernel = match read.options.pair(keywords::KERNEL) {
            Some((kernel, span)) => {
                spans.set(Part::Option(keywords::KERNEL), span);
                kernel
            }
            None => {
                if read.options.complete {
                    reader.reports.at(
                        layer.kind.span,
                        "`conv2d` needs the size of its kernel",
                        "add `kernel = 3` for a 3 × 3 window, or `kernel = (KH, KW)`",
                    );
                }
                complete = false;
                [1, 1]
            }
        };
        let mut conv = Conv2dSpec::new(1, 1, Activation::Identity, kernel).with_affine(read.affine);
        if let Some((stride, span)) = read.options.pair(keywords::STRIDE) {
            spans.set(Part::Option(keywords::STRIDE), span);
            conv = conv.with_stride(stride);
        }
        let padding = match read.options.get(keywords::PADDING) {
            Some(Value::Same(span)) => Some((Padding::Same, span)),
            Some(Value::Pair(sizes, span)) => Some((Padding::Explicit(sizes), span)),
            _ => None,
        };
        if let Some((padding, span)) = padding {
            spans.set(Part::Option(keywords::PADDING), span);
            conv = conv.with_padding(padding);
        }
        Some(Modelled {
            kind: conv,
            spans,
            complete,
            inputs_known: read.inputs_known,
            outputs_known: read.outputs_known,
        })
    }
}
