//! `input(C, H, W)`, `input(N)`, `input(tokens = T)` or `input(tokens = T,
//! features = D)`: the shape of the network's input (an image, features,
//! token ids, a sequence), which comes first and is required before
//! spatial layers and embeddings. It passes the values on as they are.

use core::fmt;

use proc_macro2::TokenStream;
use quote::quote;

use crate::rules::activation::Activation;
use crate::rules::dsl::ast::{self, Body};
use crate::rules::dsl::options::{Expect, OptionSpec, Options};
use crate::rules::dsl::spans::LayerSpans;
use crate::rules::dsl::syntax::{Form, Modelled, Read, Reader};
use crate::rules::error::words::counted;
use crate::rules::error::{SizeError, SpecError, StructureError};
use crate::rules::init::Init;
use crate::rules::keywords;
use crate::rules::layer::kind::{ConstantInput, Given, Kind, Properties};
use crate::rules::layer::{LayerKind, LayerSpec};
use crate::rules::parameter::ParameterSpec;
use crate::rules::part::Part;
use crate::rules::pytorch::python::{Export, Python};
use crate::rules::shape::Shape;
use crate::rules::signal::step::{SignalAt, Step, Stepped};
use crate::rules::signal::values::Values;
use crate::rules::tokens;

/// `input(C, H, W)`, `input(N)` or `input(tokens = T)`: what one example of
/// the network's input is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InputSpec(pub Shape);

impl InputSpec {
    /// The network's input is one example of `shape`.
    pub const fn new(shape: Shape) -> InputSpec {
        InputSpec(shape)
    }

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
    /// The input's shape: `input(C, H, W)` or `input(N)`, the first layer of a network.
    pub const fn input(shape: Shape) -> LayerSpec {
        LayerSpec::of(LayerKind::Input(InputSpec::new(shape)))
    }
}

impl Kind for InputSpec {
    fn keyword(&self) -> &'static str {
        keywords::INPUT
    }

    fn parameters(&self) -> Vec<ParameterSpec> {
        Vec::new()
    }

    fn activation(&self) -> Activation {
        Activation::Identity
    }

    fn properties(&self) -> Properties {
        Properties {
            fixes_output: true,
            ..Properties::NONE
        }
    }

    fn implied_input(&self) -> Option<Shape> {
        Some(self.0)
    }

    fn size_errors(&self, layer: usize, errors: &mut Vec<SpecError>) {
        if self.0.is_empty() {
            errors.push(SpecError::Size(SizeError::ZeroWidth {
                layer,
                part: Part::Inputs,
            }));
        }
    }

    fn init_errors(&self, _: usize, _: &[ParameterSpec], _: &mut Vec<SpecError>) {}

    /// Its shape, first; anywhere else a mistake.
    fn output(&self, given: &Given) -> Result<Option<Shape>, SpecError> {
        match given.layer {
            0 => Ok((!self.0.is_empty()).then_some(self.0)),
            layer => Err(SpecError::Structure(StructureError::MisplacedInput { layer })),
        }
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
        match self.0 {
            Shape::Features(features) => write!(f, "{}({features})", keywords::INPUT),
            Shape::Image {
                channels,
                height,
                width,
            } => write!(f, "{}({channels}, {height}, {width})", keywords::INPUT),
            Shape::Tokens(tokens) => write!(f, "{}({} = {tokens})", keywords::INPUT, keywords::TOKENS),
            Shape::Sequence { tokens, features } => write!(
                f,
                "{}({} = {tokens}, {} = {features})",
                keywords::INPUT,
                keywords::TOKENS,
                keywords::FEATURES
            ),
        }
    }

    /// An image's rows of values as PyTorch's `(n, C, H, W)`, a sequence's
    /// as `(n, T, D)`, token ids as integers.
    fn pytorch(&self, _: &Export) -> Python {
        let step = match self.0 {
            Shape::Image {
                channels,
                height,
                width,
            } => Some(format!("x.reshape(-1, {channels}, {height}, {width})")),
            Shape::Sequence { tokens, features } => Some(format!("x.reshape(-1, {tokens}, {features})")),
            Shape::Tokens(_) => Some("torch.as_tensor(x, dtype=torch.long)".to_owned()),
            Shape::Features(_) => None,
        };
        Python {
            module: None,
            step,
            definition: None,
        }
    }

    fn tokens(&self) -> TokenStream {
        let private = tokens::private();
        let shape = tokens::shape(self.0);
        quote!(#private::InputSpec::new(#shape))
    }
}

impl Read for InputSpec {
    const KEYWORDS: &'static [&'static str] = &[keywords::INPUT];
    const LISTED: bool = true;
    const FORM: Form = Form::Sizes;
    const EXAMPLE: &'static str = "`input(C, H, W)`, `input(N)` or `input(tokens = T)`";
    const OPTIONS: &'static [OptionSpec] = &[
        OptionSpec {
            key: keywords::TOKENS,
            expect: Expect::Size,
        },
        OptionSpec {
            key: keywords::FEATURES,
            expect: Expect::Size,
        },
    ];

    fn model(layer: &ast::Layer, reader: &mut Reader) -> Option<Modelled<InputSpec>> {
        let Body::Sizes {
            sizes,
            options,
            parens,
        } = &layer.body
        else {
            return None;
        };
        let mut spans = LayerSpans::at(layer.kind.span);
        let options = Options::collect(
            options,
            "`input`",
            Self::OPTIONS,
            reader.options_anywhere,
            reader.reports,
        );
        let values: Vec<Option<usize>> = sizes
            .iter()
            .map(|size| size.value.and_then(|value| usize::try_from(value).ok()))
            .collect();
        // A zero size is reported at its own number.
        let zero = sizes.iter().zip(&values).find(|(_, value)| **value == Some(0));
        spans.set(Part::Inputs, zero.map_or(*parens, |(size, _)| size.span));
        let known = values.iter().all(Option::is_some);
        let tokens = options.size(keywords::TOKENS);
        let features = options.size(keywords::FEATURES);
        if let (Some((0, span)), _) | (_, Some((0, span))) = (tokens, features) {
            spans.set(Part::Inputs, span);
        }
        let shape = match (values.as_slice(), tokens, features) {
            ([], Some((tokens, _)), None) => Shape::Tokens(tokens),
            ([], Some((tokens, _)), Some((features, _))) => Shape::sequence(tokens, features),
            ([features], None, None) => Shape::Features(features.unwrap_or(1)),
            ([channels, height, width], None, None) => {
                Shape::image(channels.unwrap_or(1), height.unwrap_or(1), width.unwrap_or(1))
            }
            ([], None, Some((_, span))) => {
                reader.reports.at(
                    span,
                    "`features` gives the features of each token of a sequence, and needs `tokens = T`",
                    "write `input(tokens = T, features = D)` for sequences of T tokens of D features, or \
                     `input(D)` for D features",
                );
                return Some(Modelled::unknown(InputSpec(Shape::Features(1)), spans));
            }
            (_, Some((_, span)), _) | (_, _, Some((_, span))) => {
                reader.reports.at(
                    span,
                    "`input` takes either sizes, `(C, H, W)` or `(N)`, or `tokens = T`, not both",
                    "write `input(tokens = T)` for token ids, or the sizes alone",
                );
                return Some(Modelled::unknown(InputSpec(Shape::Features(1)), spans));
            }
            _ if !options.complete => return Some(Modelled::unknown(InputSpec(Shape::Features(1)), spans)),
            _ => {
                reader.reports.at(
                    *parens,
                    format!(
                        "`input` takes three sizes for an image, `(C, H, W)`, one for features, `(N)`, or \
                         `tokens = T` for token ids; found {}",
                        counted(sizes.len(), "size")
                    ),
                    "write e.g. `input(1, 28, 28)` for one-channel 28 × 28 images, `input(784)`, or \
                     `input(tokens = 64)`",
                );
                return Some(Modelled::unknown(InputSpec(Shape::Features(1)), spans));
            }
        };
        Some(Modelled {
            kind: InputSpec(shape),
            spans,
            complete: options.complete,
            inputs_known: known,
            outputs_known: known,
        })
    }
}
