//! `patches(P)`: an image `(C, H, W)` cut into `P × P` patches, each a
//! token: a sequence of `H/P · W/P` tokens, row-major over the patches, of
//! `C·P·P` features, each patch's values in `(C, row, column)` order (a
//! ViT's patches before their projection; in PyTorch an `unfold`). The
//! values are unchanged; only their order is.

use core::fmt;

use proc_macro2::TokenStream;
use quote::quote;

use crate::rules::activation::Activation;
use crate::rules::dsl::ast::{self, Body};
use crate::rules::dsl::options::{OptionSpec, Options};
use crate::rules::dsl::spans::LayerSpans;
use crate::rules::dsl::syntax::{Form, Modelled, Read, Reader};
use crate::rules::error::words::counted;
use crate::rules::error::{ChainError, SizeError, Sort, SpecError};
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
use crate::rules::signal::windows::mean_power_along;
use crate::rules::tokens;

/// `patches(P)`: an image cut into `P × P` patches, one token each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PatchesSpec {
    patch: usize,
}

impl PatchesSpec {
    /// Patches of `patch × patch` values per channel.
    pub const fn new(patch: usize) -> PatchesSpec {
        PatchesSpec { patch }
    }

    /// The side of a patch.
    pub const fn patch(&self) -> usize {
        self.patch
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
    /// `patches(P)`: an image cut into `P × P` patches, one token each.
    ///
    /// ```
    /// use netinit::{LayerSpec, NetworkSpec, PatchesSpec, Shape};
    /// let spec = NetworkSpec::new(vec![
    ///     LayerSpec::input(Shape::image(1, 28, 28)),
    ///     LayerSpec::patches(PatchesSpec::new(7)),
    /// ])?;
    /// assert_eq!(spec.output_shape(), Shape::sequence(16, 49));
    /// # Ok::<(), netinit::SpecError>(())
    /// ```
    pub const fn patches(patches: PatchesSpec) -> LayerSpec {
        LayerSpec::of(LayerKind::Patches(patches))
    }
}

impl Kind for PatchesSpec {
    fn keyword(&self) -> &'static str {
        keywords::PATCHES
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
            reshapes_only: true,
            ..Properties::NONE
        }
    }

    fn implied_input(&self) -> Option<Shape> {
        None
    }

    fn size_errors(&self, layer: usize, errors: &mut Vec<SpecError>) {
        if self.patch == 0 {
            errors.push(SpecError::Size(SizeError::ZeroSize {
                layer,
                part: Part::Inputs,
            }));
        }
    }

    fn init_errors(&self, _: usize, _: &[ParameterSpec], _: &mut Vec<SpecError>) {}

    /// An image whose sides the patch divides in, its patches out.
    fn output(&self, given: &Given) -> Result<Option<Shape>, SpecError> {
        let (channels, height, width) = match given.shape {
            Some(Shape::Image {
                channels,
                height,
                width,
            }) => (channels, height, width),
            Some(other) => return Err(given.wrong_sort(keywords::PATCHES, Sort::Image, other)),
            None => return Ok(None),
        };
        let patch = self.patch;
        if patch == 0 {
            return Ok(None);
        }
        if height % patch != 0 || width % patch != 0 {
            return Err(SpecError::Chain(ChainError::PatchSize {
                layer: given.layer,
                patch,
                plane: [height, width],
            }));
        }
        let features = channels.saturating_mul(patch).saturating_mul(patch);
        Ok(Some(Shape::sequence(
            (height / patch) * (width / patch),
            features,
        )))
    }

    fn constant_input(&self, value: f64) -> ConstantInput {
        ConstantInput::Gives(value)
    }

    /// The values as they were; two patches are as alike as the image's
    /// values are at their distance: the mean over the pairs of distinct
    /// patches of the raw correlation at `P` times their distance in
    /// patches (rows plus columns, as the analysis of a plane counts it).
    fn signal(&self, input: &Values, at: &SignalAt) -> Stepped {
        let tokens = match input.plane {
            Some([height, width]) if self.patch > 0 => {
                let (rows, columns) = (height / self.patch, width / self.patch);
                let patches = (rows * columns) as f64;
                let c = input.correlation.powi(self.patch.min(i32::MAX as usize) as i32);
                let all = mean_power_along(rows, c) * mean_power_along(columns, c);
                let distinct = if patches > 1.0 {
                    ((all * patches * patches - patches) / (patches * patches - patches)).clamp(0.0, 1.0)
                } else {
                    1.0
                };
                input.mean_ratio + (1.0 - input.mean_ratio) * distinct
            }
            _ => input.tokens,
        };
        let values = Values {
            field: vec![input.mean()],
            plane: at.output_plane,
            tokens,
            gaussian: None,
            ..input.clone()
        };
        Stepped::plain(values, Step::Through { input: input.plane })
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", keywords::PATCHES, self.patch)
    }

    /// `unfold` gives each patch's `(C, row, column)` values as a column,
    /// the patches row-major: transposed, the tokens.
    fn pytorch(&self, _: &Export) -> Python {
        Python {
            module: None,
            step: Some(format!(
                "torch.transpose(F.unfold(x, kernel_size={0}, stride={0}), 1, 2)",
                self.patch
            )),
            definition: None,
        }
    }

    fn tokens(&self) -> TokenStream {
        let private = tokens::private();
        let patch = tokens::size(self.patch);
        quote!(#private::PatchesSpec::new(#patch))
    }
}

impl Read for PatchesSpec {
    const KEYWORDS: &'static [&'static str] = &[keywords::PATCHES];
    const LISTED: bool = true;
    const FORM: Form = Form::Sizes;
    const EXAMPLE: &'static str = "`patches(P)`";
    const OPTIONS: &'static [OptionSpec] = &[];

    fn model(layer: &ast::Layer, reader: &mut Reader) -> Option<Modelled<PatchesSpec>> {
        let Body::Sizes {
            sizes,
            options,
            parens,
        } = &layer.body
        else {
            return None;
        };
        let mut spans = LayerSpans::at(layer.kind.span);
        let options = Options::collect(options, "`patches`", &[], reader.options_anywhere, reader.reports);
        let [size] = sizes.as_slice() else {
            reader.reports.at(
                *parens,
                format!(
                    "`patches` takes the side of its square patches, `P`; found {}",
                    counted(sizes.len(), "size")
                ),
                "write e.g. `patches(7)` for 7 × 7 patches",
            );
            return Some(Modelled::unknown(PatchesSpec::new(1), spans));
        };
        spans.set(Part::Inputs, size.span);
        let patch = size.value.and_then(|value| usize::try_from(value).ok());
        Some(Modelled {
            kind: PatchesSpec::new(patch.unwrap_or(1)),
            spans,
            complete: options.complete,
            inputs_known: patch.is_some(),
            outputs_known: patch.is_some(),
        })
    }
}
