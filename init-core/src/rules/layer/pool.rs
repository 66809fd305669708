//! The pooling layers: `max_pool2d(K [, stride = S])` and `avg_pool2d(K
//! [, stride = S])`, windows without padding whose stride defaults to the
//! kernel, as PyTorch's; and `global_avg_pool2d`, each channel's mean.
//! Three kinds that share their windows, their reading and their analysis.

use core::fmt;

use proc_macro2::TokenStream;
use quote::quote;

use crate::rules::activation::Activation;
use crate::rules::dsl::ast::{self, Body, Width};
use crate::rules::dsl::options::{Expect, OptionSpec, Options};
use crate::rules::dsl::spans::LayerSpans;
use crate::rules::dsl::syntax::{Form, Modelled, Read, Reader};
use crate::rules::error::SpecError;
use crate::rules::init::Init;
use crate::rules::keywords;
use crate::rules::layer::kind::{ConstantInput, Given, Kind, Properties};
use crate::rules::layer::window::{geometry_errors, image, window_output};
use crate::rules::layer::{LayerKind, LayerSpec};
use crate::rules::number::Pair;
use crate::rules::parameter::ParameterSpec;
use crate::rules::part::Part;
use crate::rules::pytorch::python::{self, Export, Python};
use crate::rules::shape::Shape;
use crate::rules::signal::pairs::max_moment;
use crate::rules::signal::step::{SignalAt, Step, Stepped};
use crate::rules::signal::values::{mean, Values};
use crate::rules::signal::windows::{mean_power_along, Windows};
use crate::rules::tokens;

/// A pooling window: its kernel and stride, `[height, width]` each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolSpec {
    kernel: [usize; 2],
    stride: [usize; 2],
}

impl PoolSpec {
    /// A window of `kernel` moved by `stride`.
    pub const fn new(kernel: [usize; 2], stride: [usize; 2]) -> PoolSpec {
        PoolSpec { kernel, stride }
    }

    /// The kernel's `[height, width]`.
    pub const fn kernel(&self) -> [usize; 2] {
        self.kernel
    }

    /// The stride `[height, width]`.
    pub const fn stride(&self) -> [usize; 2] {
        self.stride
    }

    /// An image in, the same channels of the plane the windows give out.
    fn output(&self, given: &Given) -> Result<Option<Shape>, SpecError> {
        let Some((channels, size)) = image(given)? else {
            return Ok(None);
        };
        let [height, width] = window_output(given.layer, size, self.kernel, self.stride, None)?;
        Ok(Some(Shape::image(channels, height, width)))
    }

    /// `name(2)`, `name(3, stride = 2)`, `name(2, 3)`: the stride only
    /// where it is not the kernel.
    fn write(&self, f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
        let [height, width] = self.kernel;
        if height == width {
            write!(f, "{name}({height}")?;
        } else {
            write!(f, "{name}({height}, {width}")?;
        }
        if self.stride != self.kernel {
            write!(f, ", {} = {}", keywords::STRIDE, Pair(self.stride))?;
        }
        f.write_str(")")
    }

    /// `F.max_pool2d(x, (2, 2), stride=(2, 2))`.
    fn pytorch(&self, function: &str) -> Python {
        Python {
            module: None,
            step: Some(format!(
                "F.{function}(x, {}, stride={})",
                python::pair(self.kernel),
                python::pair(self.stride)
            )),
            definition: None,
        }
    }

    /// `Kind::new([2usize, 2usize], [2usize, 2usize])`.
    fn tokens(&self, kind: TokenStream) -> TokenStream {
        let private = tokens::private();
        let (kernel, stride) = (tokens::pair(self.kernel), tokens::pair(self.stride));
        quote!(#private::#kind::new(#kernel, #stride))
    }

    /// The windows on `input` giving `output`, or the values passed on
    /// where a mistake left the planes unknown; the pooling averages or
    /// takes the largest. The mean-field step of both: see `max` and `average`.
    fn signal(&self, values: &Values, at: &SignalAt, average: bool) -> Stepped {
        let Some((input, output)) = values.plane.zip(at.output_plane) else {
            return Stepped::plain(values.clone(), Step::Through { input: values.plane });
        };
        let windows = Windows {
            input,
            output,
            kernel: self.kernel,
            stride: self.stride,
            padding: [0, 0],
        };
        let (factor, mean_ratio) = match average {
            true => averaged(&windows, values),
            false => largest(&windows, values),
        };
        let taps = windows.taps();
        let field = windows
            .sums(&values.field)
            .iter()
            .map(|sum| factor * sum / taps as f64)
            .collect();
        let pooled = Values {
            tokens: values.tokens,
            field,
            plane: Some(output),
            mean_ratio,
            correlation: values.correlation.powi(windows.stride[1] as i32),
            gaussian: None,
        };
        Stepped::plain(pooled, Step::Pool { windows, average })
    }
}

/// An average pooling adds `K²` values with their correlations: the factor
/// on the second moment, and the mean's share after it.
fn averaged(windows: &Windows, values: &Values) -> (f64, f64) {
    // E[h(p) h(q)] / E[h²] = m + (1 - m) ρ^distance over the pairs.
    let factor =
        values.mean_ratio + (1.0 - values.mean_ratio) * windows.mean_power_over_pairs(values.correlation);
    (factor, (values.mean_ratio / factor).min(1.0))
}

/// A max pooling takes the largest of `K²` values whose pre-activations
/// are jointly Gaussian with their mean pairwise correlation; for an
/// activation that never decreases, `max φ(zᵢ) = φ(max zᵢ)` (gelu and
/// silu, which dip below zero, are approximated so). The factor on the
/// second moment, and the mean's share after it.
fn largest(windows: &Windows, values: &Values) -> (f64, f64) {
    let taps = windows.taps();
    // Values that are no activation of Gaussians are taken as Gaussian themselves.
    let (activation, variance, correlation) = match &values.gaussian {
        Some(gaussian) => (
            gaussian.activation,
            mean(&gaussian.variances),
            gaussian.correlation,
        ),
        None => (Activation::Identity, values.mean(), values.correlation),
    };
    let pairs = windows.mean_power_over_pairs(correlation.max(0.0));
    // Over distinct pairs only: the mean above counts each tap with itself.
    let distinct = if taps > 1 {
        (pairs * (taps * taps) as f64 - taps as f64) / (taps * (taps - 1)) as f64
    } else {
        1.0
    };
    let single = activation.second_moment(variance);
    let (first, second) = (
        max_moment(activation, variance, distinct, taps, 1),
        max_moment(activation, variance, distinct, taps, 2),
    );
    let factor = if single > 0.0 { second / single } else { 1.0 };
    let mean_ratio = if second > 0.0 {
        (first * first / second).min(1.0)
    } else {
        0.0
    };
    (factor, mean_ratio)
}

/// The options of a pooling.
const POOL_OPTIONS: [OptionSpec; 1] = [OptionSpec {
    key: keywords::STRIDE,
    expect: Expect::Pair,
}];

/// `K [, KH]` and `stride = S` as read for the pooling written `layer`.
fn read(layer: &ast::Layer, reader: &mut Reader) -> Option<Modelled<PoolSpec>> {
    let kind = layer.kind.text.as_str();
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
        &format!("`{kind}`"),
        &POOL_OPTIONS,
        reader.options_anywhere,
        reader.reports,
    );
    let mut complete = options.complete;
    let value = |size: &Width| size.value.and_then(|value| usize::try_from(value).ok());
    let kernel = match sizes.as_slice() {
        [size] | [size, _] if sizes.iter().all(|size| value(size).is_some()) => {
            spans.set(Part::Option(keywords::KERNEL), size.span);
            let height = value(size).unwrap_or(1);
            [height, sizes.get(1).and_then(value).unwrap_or(height)]
        }
        [_] | [_, _] => {
            complete = false;
            [1, 1]
        }
        _ => {
            reader.reports.at(
                *parens,
                format!(
                    "`{kind}` takes its window's size, `K` for a square or `KH, KW`; found {} sizes",
                    sizes.len()
                ),
                format!("write e.g. `{kind}(2)`, or `{kind}(3, stride = 2)` for overlapping windows"),
            );
            complete = false;
            [1, 1]
        }
    };
    let stride = match options.pair(keywords::STRIDE) {
        Some((stride, span)) => {
            spans.set(Part::Option(keywords::STRIDE), span);
            stride
        }
        None => kernel,
    };
    Some(Modelled {
        complete,
        ..Modelled::known(PoolSpec::new(kernel, stride), spans)
    })
}

/// `max_pool2d(K [, stride = S])`: the largest value of each window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxPool2dSpec(pub PoolSpec);

/// `avg_pool2d(K [, stride = S])`: the mean of each window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AvgPool2dSpec(pub PoolSpec);

/// `global_avg_pool2d`: the mean of each channel, one feature per channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GlobalAvgPool2dSpec;

impl MaxPool2dSpec {
    /// A window of `kernel` moved by `stride`.
    pub const fn new(kernel: [usize; 2], stride: [usize; 2]) -> MaxPool2dSpec {
        MaxPool2dSpec(PoolSpec::new(kernel, stride))
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

impl AvgPool2dSpec {
    /// A window of `kernel` moved by `stride`.
    pub const fn new(kernel: [usize; 2], stride: [usize; 2]) -> AvgPool2dSpec {
        AvgPool2dSpec(PoolSpec::new(kernel, stride))
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

impl GlobalAvgPool2dSpec {
    /// It has no tensor to set: unchanged.
    pub(crate) const fn with_init(self, _: &str, _: Init) -> Self {
        self
    }

    /// It has no tensor to drop: unchanged.
    pub(crate) const fn without(self, _: &str) -> Self {
        self
    }
}

/// What the three poolings answer alike: no tensors, an image to take, a
/// constant kept constant.
macro_rules! pooling {
    () => {
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

        fn init_errors(&self, _: usize, _: &[ParameterSpec], _: &mut Vec<SpecError>) {}

        /// The mean or the largest of equal values is that value.
        fn constant_input(&self, value: f64) -> ConstantInput {
            ConstantInput::Gives(value)
        }
    };
}

impl LayerSpec {
    /// `max_pool2d`: the largest value of each `[height, width]` window, moved by `stride`.
    pub const fn max_pool2d(kernel: [usize; 2], stride: [usize; 2]) -> LayerSpec {
        LayerSpec::of(LayerKind::MaxPool2d(MaxPool2dSpec::new(kernel, stride)))
    }

    /// `avg_pool2d`: the mean of each `[height, width]` window, moved by `stride`.
    pub const fn avg_pool2d(kernel: [usize; 2], stride: [usize; 2]) -> LayerSpec {
        LayerSpec::of(LayerKind::AvgPool2d(AvgPool2dSpec::new(kernel, stride)))
    }

    /// `global_avg_pool2d`: each channel's mean.
    pub const fn global_avg_pool2d() -> LayerSpec {
        LayerSpec::of(LayerKind::GlobalAvgPool2d(GlobalAvgPool2dSpec))
    }
}

impl Kind for MaxPool2dSpec {
    pooling!();

    fn keyword(&self) -> &'static str {
        keywords::MAX_POOL2D
    }

    fn size_errors(&self, layer: usize, errors: &mut Vec<SpecError>) {
        geometry_errors(layer, self.0.kernel, self.0.stride, errors);
    }

    fn output(&self, given: &Given) -> Result<Option<Shape>, SpecError> {
        self.0.output(given)
    }

    fn signal(&self, input: &Values, at: &SignalAt) -> Stepped {
        self.0.signal(input, at, false)
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write(f, keywords::MAX_POOL2D)
    }

    fn pytorch(&self, _: &Export) -> Python {
        self.0.pytorch("max_pool2d")
    }

    fn tokens(&self) -> TokenStream {
        self.0.tokens(quote!(MaxPool2dSpec))
    }
}

impl Kind for AvgPool2dSpec {
    pooling!();

    fn keyword(&self) -> &'static str {
        keywords::AVG_POOL2D
    }

    fn size_errors(&self, layer: usize, errors: &mut Vec<SpecError>) {
        geometry_errors(layer, self.0.kernel, self.0.stride, errors);
    }

    fn output(&self, given: &Given) -> Result<Option<Shape>, SpecError> {
        self.0.output(given)
    }

    fn signal(&self, input: &Values, at: &SignalAt) -> Stepped {
        self.0.signal(input, at, true)
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write(f, keywords::AVG_POOL2D)
    }

    fn pytorch(&self, _: &Export) -> Python {
        self.0.pytorch("avg_pool2d")
    }

    fn tokens(&self) -> TokenStream {
        self.0.tokens(quote!(AvgPool2dSpec))
    }
}

impl Kind for GlobalAvgPool2dSpec {
    pooling!();

    fn keyword(&self) -> &'static str {
        keywords::GLOBAL_AVG_POOL2D
    }

    fn size_errors(&self, _: usize, _: &mut Vec<SpecError>) {}

    /// An image in, one feature per channel out.
    fn output(&self, given: &Given) -> Result<Option<Shape>, SpecError> {
        Ok(image(given)?.map(|(channels, _)| Shape::Features(channels)))
    }

    /// Each channel's mean over its plane: the correlations of the plane's
    /// positions say how much of the second moment survives.
    fn signal(&self, values: &Values, _: &SignalAt) -> Stepped {
        let Some(plane) = values.plane else {
            return Stepped::plain(values.clone(), Step::Through { input: None });
        };
        let along = |length: usize| mean_power_along(length, values.correlation);
        let shared = values.mean_ratio + (1.0 - values.mean_ratio) * along(plane[0]) * along(plane[1]);
        let pooled = Values {
            tokens: values.tokens,
            field: vec![values.mean() * shared],
            plane: None,
            mean_ratio: (values.mean_ratio / shared).min(1.0),
            correlation: 0.0,
            gaussian: None,
        };
        Stepped::plain(pooled, Step::Global { plane })
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(keywords::GLOBAL_AVG_POOL2D)
    }

    fn pytorch(&self, _: &Export) -> Python {
        Python {
            module: None,
            step: Some("x.mean(dim=(2, 3))".to_owned()),
            definition: None,
        }
    }

    fn tokens(&self) -> TokenStream {
        let private = tokens::private();
        quote!(#private::GlobalAvgPool2dSpec)
    }
}

impl Read for MaxPool2dSpec {
    const KEYWORDS: &'static [&'static str] = &[keywords::MAX_POOL2D];
    const LISTED: bool = true;
    const FORM: Form = Form::Sizes;
    const EXAMPLE: &'static str = "`max_pool2d(K)`";
    const OPTIONS: &'static [OptionSpec] = &POOL_OPTIONS;

    fn model(layer: &ast::Layer, reader: &mut Reader) -> Option<Modelled<MaxPool2dSpec>> {
        Some(read(layer, reader)?.map(MaxPool2dSpec))
    }
}

impl Read for AvgPool2dSpec {
    const KEYWORDS: &'static [&'static str] = &[keywords::AVG_POOL2D];
    const LISTED: bool = true;
    const FORM: Form = Form::Sizes;
    const EXAMPLE: &'static str = "`avg_pool2d(K)`";
    const OPTIONS: &'static [OptionSpec] = &POOL_OPTIONS;

    fn model(layer: &ast::Layer, reader: &mut Reader) -> Option<Modelled<AvgPool2dSpec>> {
        Some(read(layer, reader)?.map(AvgPool2dSpec))
    }
}

impl Read for GlobalAvgPool2dSpec {
    const KEYWORDS: &'static [&'static str] = &[keywords::GLOBAL_AVG_POOL2D];
    const LISTED: bool = true;
    const FORM: Form = Form::Bare;
    const EXAMPLE: &'static str = "`global_avg_pool2d`";
    const OPTIONS: &'static [OptionSpec] = &[];

    fn model(layer: &ast::Layer, _: &mut Reader) -> Option<Modelled<GlobalAvgPool2dSpec>> {
        Some(Modelled::known(
            GlobalAvgPool2dSpec,
            LayerSpans::at(layer.kind.span),
        ))
    }
}
