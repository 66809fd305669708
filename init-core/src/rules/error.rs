//! The mistakes that make a network description unusable.

use core::fmt;

use crate::rules::activation::{Activation, MAX_ALPHA};
use crate::rules::init::Init;
use crate::rules::keywords;
use crate::rules::levels::{Level, Lint};
use crate::rules::limits::{MAX_PARAMETERS, MAX_SIDE, MAX_VALUES, MIN_EPSILON};
use crate::rules::number::written;
use crate::rules::part::Part;
use crate::rules::shape::Shape;

/// A mistake in a network description that makes it unusable. A `layer`
/// field is the layer's index in [`NetworkSpec::layers`](crate::NetworkSpec::layers),
/// which messages name as its path (the same number while every layer has
/// parameters).
#[derive(Clone, Debug, PartialEq)]
pub enum SpecError {
    /// The network has no layers.
    Empty,
    /// A width is 0.
    ZeroWidth {
        /// The layer (0-based).
        layer: usize,
        /// [`Part::Inputs`] or [`Part::Outputs`].
        part: Part,
    },
    /// A layer's input width differs from the previous layer's output width.
    ShapeMismatch {
        /// The layer (0-based) whose input is wrong.
        layer: usize,
        /// The previous layer's output width.
        expected: usize,
        /// This layer's input width.
        found: usize,
    },
    /// A layer's parameter count, or the network's, is past
    /// [`MAX_PARAMETERS`](crate::MAX_PARAMETERS).
    TooManyParameters {
        /// The layer (0-based) where the count overflows.
        layer: usize,
        /// Its trained tensors, by name, with their shapes.
        tensors: Vec<(&'static str, Vec<usize>)>,
    },
    /// A std, bound, gain or constant is negative, infinite or NaN.
    InvalidScale {
        /// The layer (0-based).
        layer: usize,
        /// [`Part::WeightScale`] or [`Part::BiasScale`].
        part: Part,
        /// What the number is (`std`, `bound`, `gain`, `constant`).
        what: &'static str,
        /// The number found.
        value: f64,
    },
    /// A resolved scale whose samples pass f32's largest value (3.4e38), or
    /// that is not a number: the weights would be infinite or NaN.
    ScaleOverflow {
        /// The layer (0-based).
        layer: usize,
        /// [`Part::WeightScale`] or [`Part::BiasScale`].
        part: Part,
        /// The largest magnitude a value could take.
        largest: f64,
    },
    /// `leaky_relu(α)` or `elu(α)` with α negative, infinite, NaN or above
    /// [`MAX_ALPHA`](crate::rules::activation::MAX_ALPHA).
    InvalidActivationParameter {
        /// The layer (0-based).
        layer: usize,
        /// The α found.
        value: f64,
    },
    /// `orthogonal` asked for a bias, which is a vector.
    OrthogonalBias {
        /// The layer (0-based).
        layer: usize,
    },
    /// A bias init with a gain, fan mode or distribution of its own, which
    /// the DSL cannot write (`dist`, `mode` and `gain` adjust the weights).
    AdjustedBias {
        /// The layer (0-based).
        layer: usize,
    },
    /// A layer sets a lint below the `forbid` the network sets for it,
    /// which no attribute may lower (rustc's rule for `forbid`).
    LintForbidden {
        /// The layer (0-based).
        layer: usize,
        /// The lint.
        lint: Lint,
        /// The lower level the layer sets.
        level: Level,
    },
    /// A convolution, pooling or activation layer with no `input(…)`
    /// before it to give the shape of its input.
    MissingInput {
        /// The layer (0-based).
        layer: usize,
    },
    /// `input(…)` anywhere but first.
    MisplacedInput {
        /// The layer (0-based).
        layer: usize,
    },
    /// A kernel or stride of 0.
    ZeroSize {
        /// The layer (0-based).
        layer: usize,
        /// The kernel's or the stride's [`Part::Option`].
        part: Part,
    },
    /// `padding = same` with a stride other than 1 or an even kernel,
    /// where no padding keeps the output the size of the input.
    SamePadding {
        /// The layer (0-based).
        layer: usize,
        /// The kernel, `[height, width]`.
        kernel: [usize; 2],
        /// The stride, `[height, width]`.
        stride: [usize; 2],
    },
    /// A window larger than its padded input: the output would be empty.
    KernelTooLarge {
        /// The layer (0-based).
        layer: usize,
        /// 0 for the height, 1 for the width.
        axis: usize,
        /// The kernel's size along the axis.
        kernel: usize,
        /// The input's size along the axis.
        input: usize,
        /// The zeros a convolution adds on each side along the axis; `None`
        /// for a pooling window, which is never padded.
        padding: Option<usize>,
    },
    /// A convolution's input channels differ from those the layer before gives.
    ChannelMismatch {
        /// The layer (0-based).
        layer: usize,
        /// The channels the layer before gives.
        expected: usize,
        /// The channels this layer takes.
        found: usize,
        /// The kind of the layer before (`input` for the network's input).
        previous: &'static str,
    },
    /// A dense layer after one that gives an image, with no `flatten` between.
    NeedsFlatten {
        /// The layer (0-based).
        layer: usize,
        /// The image the layer before gives.
        given: Shape,
        /// The kind of the layer before.
        previous: &'static str,
    },
    /// A convolution or pooling after a layer that gives features.
    NeedsImage {
        /// The layer (0-based).
        layer: usize,
        /// The features the layer before gives.
        given: usize,
        /// The kind of the layer before.
        previous: &'static str,
    },
    /// A dense layer whose input width differs from the features that the
    /// layer without weights before it gives (`input`, `flatten`, a global pooling).
    FeatureMismatch {
        /// The layer (0-based).
        layer: usize,
        /// What the layer before gives; the image it flattened, after `flatten`.
        given: Shape,
        /// The kind of the layer before.
        previous: &'static str,
        /// The input width this layer takes.
        found: usize,
    },
    /// A layer that would give more values per example than netinit handles:
    /// planes of more than [`MAX_PLANE`](crate::MAX_PLANE)
    /// positions, or more than [`MAX_VALUES`](crate::MAX_VALUES)
    /// values, or a count that overflows.
    ShapeTooLarge {
        /// The layer (0-based).
        layer: usize,
        /// The shape it would give.
        shape: Shape,
    },
    /// softmax on a convolution or on an image, which would normalise
    /// every channel and position of an example together.
    SoftmaxOnImage {
        /// The layer (0-based).
        layer: usize,
    },
    /// An activation layer right after a weighted layer whose activation
    /// is `identity` (or with only `flatten` between): that layer's
    /// activation written apart, so its init would be derived for the identity.
    UnfusedActivation {
        /// The layer (0-based).
        layer: usize,
        /// The activation.
        activation: Activation,
        /// The weighted layer's kind (`dense` or `conv2d`).
        previous: &'static str,
    },
    /// A normalization's `γ` or `β` from a scheme scaled by fans, or
    /// orthogonal: they are one value per feature, with no fans.
    NormInit {
        /// The layer (0-based).
        layer: usize,
        /// [`Part::Weight`] for `γ`, [`Part::Bias`] for `β`.
        part: Part,
        /// The init written.
        init: Init,
    },
    /// A normalization's `ε` that is not finite or is below
    /// [`MIN_EPSILON`](crate::MIN_EPSILON).
    InvalidEpsilon {
        /// The layer (0-based).
        layer: usize,
        /// The `ε` found.
        value: f64,
    },
    /// `layer_norm(1)`: one feature normalised alone is 0 for every input.
    NormOfOne {
        /// The layer (0-based).
        layer: usize,
    },
    /// `layer_norm(N)` on another number of features, or `batch_norm(C)`
    /// on another number of channels (or features).
    NormWidth {
        /// The layer (0-based).
        layer: usize,
        /// `layer_norm` or `batch_norm`.
        kind: &'static str,
        /// What is counted: `features` or `channels`.
        unit: &'static str,
        /// The features or channels the layer before gives.
        given: usize,
        /// The layer's `N` or `C`.
        found: usize,
        /// The kind of the layer before.
        previous: &'static str,
    },
    /// `layer_norm` on an image.
    NormOnImage {
        /// The layer (0-based).
        layer: usize,
        /// The image the layer before gives.
        given: Shape,
        /// The kind of the layer before.
        previous: &'static str,
    },
    /// A residual block's marker where no block can have it (a network
    /// built at run time): a `shortcut` outside a block or after the
    /// block's shortcut, an end with no block open, a block never ended.
    MisplacedMarker {
        /// The marker (0-based).
        layer: usize,
        /// `residual`, `shortcut` or `end`.
        marker: &'static str,
    },
    /// A residual block's branch, or its shortcut, with no layer.
    EmptyBranch {
        /// The block's `residual` marker, or its `shortcut`.
        layer: usize,
        /// `branch` or `shortcut`.
        part: &'static str,
    },
    /// A residual block whose branch gives another shape than the block's
    /// input (or its shortcut's output), which it is added to.
    ResidualShape {
        /// The block's end.
        layer: usize,
        /// What the branch gives.
        branch: Shape,
        /// What it is added to.
        skip: Shape,
        /// Whether `skip` is a shortcut's output (else the block's input).
        shortcut: bool,
    },
    /// A layer index past the last layer (in [`NetworkSpec::with_layer`](crate::NetworkSpec::with_layer)).
    NoSuchLayer {
        /// The index asked for.
        index: usize,
        /// How many layers there are.
        layers: usize,
    },
}

impl SpecError {
    /// The layer (0-based) the error is about, if any.
    pub fn layer(&self) -> Option<usize> {
        match *self {
            SpecError::Empty | SpecError::NoSuchLayer { .. } => None,
            SpecError::ZeroWidth { layer, .. }
            | SpecError::ShapeMismatch { layer, .. }
            | SpecError::TooManyParameters { layer, .. }
            | SpecError::InvalidScale { layer, .. }
            | SpecError::InvalidActivationParameter { layer, .. }
            | SpecError::OrthogonalBias { layer }
            | SpecError::AdjustedBias { layer }
            | SpecError::LintForbidden { layer, .. }
            | SpecError::ScaleOverflow { layer, .. }
            | SpecError::MissingInput { layer }
            | SpecError::MisplacedInput { layer }
            | SpecError::ZeroSize { layer, .. }
            | SpecError::SamePadding { layer, .. }
            | SpecError::KernelTooLarge { layer, .. }
            | SpecError::ChannelMismatch { layer, .. }
            | SpecError::NeedsFlatten { layer, .. }
            | SpecError::NeedsImage { layer, .. }
            | SpecError::FeatureMismatch { layer, .. }
            | SpecError::ShapeTooLarge { layer, .. }
            | SpecError::SoftmaxOnImage { layer }
            | SpecError::UnfusedActivation { layer, .. }
            | SpecError::NormInit { layer, .. }
            | SpecError::InvalidEpsilon { layer, .. }
            | SpecError::NormWidth { layer, .. }
            | SpecError::NormOfOne { layer }
            | SpecError::NormOnImage { layer, .. }
            | SpecError::MisplacedMarker { layer, .. }
            | SpecError::EmptyBranch { layer, .. }
            | SpecError::ResidualShape { layer, .. } => Some(layer),
        }
    }

    /// The part of the layer the error is about.
    pub fn part(&self) -> Part {
        match *self {
            SpecError::Empty | SpecError::NoSuchLayer { .. } => Part::Network,
            SpecError::ZeroWidth { part, .. }
            | SpecError::InvalidScale { part, .. }
            | SpecError::ScaleOverflow { part, .. } => part,
            SpecError::ShapeMismatch { .. } => Part::Inputs,
            SpecError::TooManyParameters { .. } => Part::Layer,
            SpecError::InvalidActivationParameter { .. } => Part::ActivationParameter,
            SpecError::OrthogonalBias { .. } | SpecError::AdjustedBias { .. } => Part::Bias,
            SpecError::LintForbidden { lint, .. } => Part::LintAttribute(lint),
            SpecError::MissingInput { .. }
            | SpecError::MisplacedInput { .. }
            | SpecError::NeedsFlatten { .. }
            | SpecError::NeedsImage { .. } => Part::Layer,
            SpecError::ZeroSize { part, .. } => part,
            SpecError::SamePadding { .. } => Part::Option(keywords::PADDING),
            SpecError::KernelTooLarge { .. } => Part::Option(keywords::KERNEL),
            SpecError::ChannelMismatch { .. } | SpecError::FeatureMismatch { .. } => Part::Inputs,
            SpecError::ShapeTooLarge { .. } => Part::Layer,
            SpecError::SoftmaxOnImage { .. } => Part::Activation,
            SpecError::UnfusedActivation { .. } => Part::Layer,
            SpecError::NormInit { part, .. } => part,
            SpecError::InvalidEpsilon { .. } => Part::Option(keywords::EPSILON),
            SpecError::NormWidth { .. } | SpecError::NormOfOne { .. } => Part::Inputs,
            SpecError::NormOnImage { .. }
            | SpecError::MisplacedMarker { .. }
            | SpecError::EmptyBranch { .. }
            | SpecError::ResidualShape { .. } => Part::Layer,
        }
    }

    /// What is wrong, without saying where.
    pub fn message(&self) -> String {
        match *self {
            SpecError::Empty => "a network needs at least one layer".into(),
            SpecError::ZeroWidth { part, .. } => {
                let side = if part == Part::Inputs { "input" } else { "output" };
                format!("a layer's {side} width must be at least 1; found 0")
            }
            SpecError::ShapeMismatch { layer, expected, found } => format!(
                "layer {layer} takes {found} inputs, but layer {} before it gives {expected} outputs",
                layer - 1
            ),
            SpecError::TooManyParameters { ref tensors, .. } => format!(
                "{} bring the parameter count past {MAX_PARAMETERS}, what a sampler's buffer of 8-byte values \
                 can address: the network cannot be stored",
                tensors
                    .iter()
                    .map(|(name, shape)| format!(
                        "`{name}` ({} values)",
                        shape.iter().map(ToString::to_string).collect::<Vec<_>>().join(" × ")
                    ))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
            SpecError::InvalidScale { what, value, .. } => {
                Init::invalid_scale_message(what, value)
            }
            SpecError::InvalidActivationParameter { value, .. } if value > MAX_ALPHA => {
                format!("the activation's α must be at most {MAX_ALPHA}; found {}", written(value))
            }
            SpecError::InvalidActivationParameter { value, .. } => {
                Init::invalid_scale_message("activation's α", value)
            }
            SpecError::ScaleOverflow { part, largest, .. } => format!(
                "the {} can reach {largest:e}, past the largest f32 ({:e}): {} would be infinite or NaN",
                if part == Part::BiasScale { "biases" } else { "weights" },
                f32::MAX,
                if part == Part::BiasScale { "they" } else { "some" },
            ),
            SpecError::OrthogonalBias { .. } => "`orthogonal` needs a matrix, and a bias is a vector".into(),
            SpecError::AdjustedBias { .. } => "a bias init cannot have a gain, fan mode or distribution of its \
                own: `dist`, `mode` and `gain` adjust the weights"
                .into(),
            SpecError::LintForbidden { lint, level, .. } => format!(
                "`#[{}({lint})]` cannot lower `forbid({lint})`, which the network sets: a forbidden lint stays \
                 an error everywhere",
                level.name()
            ),
            SpecError::NoSuchLayer { index, layers } => {
                format!("there is no layer {index}: the network has layers 0..{layers}")
            }
            SpecError::MissingInput { .. } => "a convolution, pooling or activation layer needs the shape of its \
                input, and no `input(…)` before it gives it"
                .into(),
            SpecError::MisplacedInput { layer } => format!(
                "`input(…)` declares the shape of the network's input, so it comes first; here it is layer {layer}"
            ),
            SpecError::ZeroSize {
                part: Part::Option(keywords::STRIDE),
                ..
            } => {
                "a stride of 0 never moves the window; found 0".into()
            }
            SpecError::ZeroSize { .. } => "a kernel of size 0 covers nothing; found 0".into(),
            SpecError::SamePadding { kernel, stride, .. } => format!(
                "`padding = same` keeps the output the size of the input only at stride 1 with an odd kernel; \
                 here the kernel is {} and the stride {}",
                pair(kernel),
                pair(stride)
            ),
            SpecError::KernelTooLarge {
                axis,
                kernel,
                input,
                padding,
                ..
            } => {
                let dimension = if axis == 0 { "height" } else { "width" };
                let (window, padded) = match padding {
                    None => ("pooling window", format!("{input}")),
                    Some(0) => ("kernel", format!("{input}, with no padding")),
                    Some(padding) => (
                        "kernel",
                        format!(
                            "{input} + 2 × {padding} = {} with its padding",
                            input.saturating_add(padding.saturating_mul(2))
                        ),
                    ),
                };
                format!(
                    "the {window}'s {dimension} of {kernel} does not fit in the input's {dimension} of {padded}: \
                     the output would be empty"
                )
            }
            SpecError::ChannelMismatch {
                expected,
                found,
                previous,
                ..
            } => format!(
                "conv2d takes {}, but `{previous}` before it gives {expected}",
                counted(found, "channel")
            ),
            SpecError::NeedsFlatten { given, previous, .. } => format!(
                "dense takes a vector of features, but `{previous}` before it gives an image, {given}"
            ),
            SpecError::NeedsImage { given, previous, .. } => format!(
                "a convolution or pooling layer takes a (C, H, W) image, but `{previous}` before it gives {}",
                counted(given, "feature")
            ),
            SpecError::ShapeTooLarge { shape, .. } => format!(
                "this layer would give {shape} values per example, more than netinit handles: planes of up to \
                 {side} × {side} positions and 2^{} values per example",
                MAX_VALUES.trailing_zeros(),
                side = MAX_SIDE,
            ),
            SpecError::SoftmaxOnImage { .. } => "softmax on an image would normalise every channel and position \
                of an example together: netinit has no per-position softmax"
                .into(),
            SpecError::NormInit { part, init, .. } => format!(
                "a normalization's {} per feature, with no fans to scale by, so `{init}` means nothing for it",
                if part == Part::Weight { "`gamma` holds one scale" } else { "`beta` holds one shift" }
            ),
            SpecError::InvalidEpsilon { value, .. } => format!(
                "`epsilon` is added to the variance before its square root, and an example whose features are \
                 all equal has its gradient multiplied by 1/√epsilon, so it must be finite and at least {}; \
                 found {}",
                format_args!("{MIN_EPSILON:e}"),
                written(value)
            ),
            SpecError::NormOfOne { .. } => "layer_norm(1) normalises a single feature, which is then 0 for every \
                input: the output is β alone, and no gradient passes to γ or to any layer below"
                .into(),
            SpecError::NormWidth {
                kind,
                unit,
                given,
                found,
                previous,
                ..
            } => format!("{kind} normalises {found} {unit}, but `{previous}` before it gives {given}"),
            SpecError::NormOnImage { given, previous, .. } => format!(
                "layer_norm normalises a vector of features, but `{previous}` before it gives an image, {given}"
            ),
            SpecError::MisplacedMarker { marker: "shortcut", .. } => {
                "a residual block's `shortcut` marker where no block's branch is open: outside any block, or after \
                 the block's shortcut"
                    .into()
            }
            SpecError::MisplacedMarker { marker: "end", .. } => {
                "a residual block's end where no block is open".into()
            }
            SpecError::MisplacedMarker { .. } => "a residual block that is never ended".into(),
            SpecError::EmptyBranch { part: "shortcut", .. } => {
                "this shortcut holds no layer: the block's input is added as it is without one".into()
            }
            SpecError::EmptyBranch { .. } => {
                "a residual block's branch needs at least one layer: the block adds the branch's output to its input"
                    .into()
            }
            SpecError::ResidualShape {
                branch,
                skip,
                shortcut,
                ..
            } => {
                let (added, what) = match shortcut {
                    true => ("its shortcut's output", "the shortcut gives"),
                    false => ("its input", "the block's input is"),
                };
                format!(
                    "a residual block adds its branch's output to {added}, but the branch gives {} and {what} {}",
                    described(branch),
                    described(skip)
                )
            }
            SpecError::UnfusedActivation {
                activation,
                previous,
                ..
            } => format!(
                "`{activation}` on the outputs of a `{previous}` layer whose activation is `identity` is that \
                 layer's activation written apart: netinit derives a layer's init from the activation it names, so the \
                 `{previous}` layer's would suit the identity, not `{activation}`"
            ),
            SpecError::FeatureMismatch {
                given,
                previous,
                found,
                ..
            } => match given {
                Shape::Image { .. } => format!(
                    "dense takes {found} inputs, but `{previous}` gives {given} = {} features",
                    size(given)
                ),
                Shape::Features(features) => format!(
                    "dense takes {found} inputs, but `{previous}` before it gives {}",
                    counted(features, "feature")
                ),
            },
        }
    }

    /// How to fix it.
    pub fn help(&self) -> String {
        match *self {
            SpecError::Empty => "declare at least one layer, e.g. `dense(784 -> 10, softmax)`".into(),
            SpecError::ZeroWidth { part, .. } => {
                if part == Part::Inputs {
                    "write the width of the data, or of the previous layer's output".into()
                } else {
                    "a layer with no outputs computes nothing; write its width".into()
                }
            }
            SpecError::ShapeMismatch { expected, found, .. } => {
                format!("write `{expected} -> …` here, or make the previous layer `… -> {found}`")
            }
            SpecError::TooManyParameters { .. } => "use narrower layers".into(),
            SpecError::InvalidScale { what, .. } => match what {
                "constant" => "write a finite value, e.g. `constant(0.1)`".into(),
                "gain" => "a gain multiplies the std: write a positive number such as `gain = 1.0`".into(),
                "bound" => "a bound is a size: write a positive number such as `bound = 0.05`".into(),
                _ => "a std is a size: write a positive number such as `std = 0.01`".into(),
            },
            SpecError::InvalidActivationParameter { .. } => {
                "write a small positive α, e.g. `leaky_relu(0.01)` or `elu(1.0)`".into()
            }
            SpecError::ScaleOverflow { .. } => {
                "write a smaller scale; the derived init needs none, and weights above about 1 are rarely meant".into()
            }
            SpecError::OrthogonalBias { .. } => {
                "use `bias = zeros` (the default) or a distribution such as `bias = normal(std = 0.01)`"
                    .into()
            }
            SpecError::AdjustedBias { .. } => {
                "use a plain scheme such as `bias = he_uniform`, or a written scale such as \
                 `bias = uniform(bound = 0.05)`"
                    .into()
            }
            SpecError::LintForbidden { lint, .. } => {
                format!(
                    "remove this attribute, or set the network's `{lint}` to `deny`, which a layer may lower"
                )
            }
            SpecError::NoSuchLayer { layers, .. } => format!("give an index below {layers}"),
            SpecError::MissingInput { .. } => "start the network with the shape of its input, e.g. \
                `input(1, 28, 28)` for one-channel 28 × 28 images or `input(784)` for 784 features"
                .into(),
            SpecError::MisplacedInput { .. } => "move `input(…)` to the start of the network".into(),
            SpecError::ZeroSize {
                part: Part::Option(keywords::STRIDE),
                ..
            } => {
                "write `stride = 1` or more; leave it out for the default".into()
            }
            SpecError::ZeroSize { .. } => "write a kernel of 1 or more, e.g. `kernel = 3`".into(),
            SpecError::SamePadding { kernel, .. } => format!(
                "write the padding as a number, e.g. `padding = {}`, and check the output size in the summary",
                kernel[0] / 2
            ),
            SpecError::KernelTooLarge { padding: None, .. } => {
                "use a smaller window, or remove a pooling or strided layer before this one".into()
            }
            SpecError::KernelTooLarge { .. } => {
                "use a smaller kernel, add padding, or remove a pooling or strided layer before this one".into()
            }
            SpecError::ChannelMismatch { expected, found, .. } => format!(
                "write `{expected} -> …` here, or make the layer before give {}",
                counted(found, "channel")
            ),
            SpecError::NeedsFlatten { given, .. } => format!(
                "add `flatten` before this layer: it gives {given} = {} features",
                size(given)
            ),
            SpecError::NeedsImage { previous, .. } if previous == keywords::FLATTEN => {
                "move `flatten` after the last convolution or pooling layer".into()
            }
            SpecError::NeedsImage { .. } => {
                "put convolutions and pooling before `flatten` and the dense layers; a network of images starts \
                 with `input(C, H, W)`"
                    .into()
            }
            SpecError::FeatureMismatch { given, .. } => format!("write `{} -> …` here", size(given)),
            SpecError::ShapeTooLarge { .. } => {
                "use less padding, a larger stride or pooling, or a smaller input".into()
            }
            SpecError::SoftmaxOnImage { .. } => {
                "use softmax after `flatten` or `global_avg_pool2d`, and another activation here"
                    .into()
            }
            SpecError::NormInit { part, .. } => format!(
                "write a constant (`ones`, `zeros`, `constant(0.5)`) or a distribution with its own scale \
                 (`normal(std = 0.02)`), or leave `{}` out for {}",
                if part == Part::Weight { "gamma" } else { "beta" },
                if part == Part::Weight { "ones" } else { "zeros" }
            ),
            SpecError::InvalidEpsilon { .. } => "write a small positive number, e.g. `epsilon = 1e-5` \
                (PyTorch's default, and netinit's)"
                .into(),
            SpecError::NormOfOne { .. } => "normalise more than one feature, or remove the layer".into(),
            SpecError::NormWidth { kind, given, .. } => format!("write `{kind}({given})`"),
            SpecError::NormOnImage { given, .. } => format!(
                "add `flatten` before it: it gives {} features",
                given.size().unwrap_or(0)
            ),
            SpecError::UnfusedActivation {
                activation,
                previous,
                ..
            } => format!("write `{activation}` in place of `identity` in the `{previous}` layer, and remove this layer"),
            SpecError::MisplacedMarker { .. } => "write a block as `LayerSpec::residual()`, its branch's layers, \
                optionally `LayerSpec::shortcut()` and the shortcut's layers, then `LayerSpec::residual_end()`"
                .into(),
            SpecError::EmptyBranch { part: "shortcut", .. } => "remove the empty shortcut".into(),
            SpecError::EmptyBranch { .. } => {
                "write the branch's layers, as in `residual(dense(256 -> 256, relu), dense(256 -> 256, identity))`"
                    .into()
            }
            SpecError::ResidualShape {
                branch, shortcut: true, ..
            } => format!("make the shortcut's last layer give {}, as the branch does", described(branch)),
            SpecError::ResidualShape { branch, skip, .. } => format!(
                "make the branch's last layer give {}, or add {} that maps the block's input to {}",
                described(skip),
                shortcut_example(skip, branch),
                described(branch)
            ),
        }
    }
}

/// A `shortcut = …` that maps `from` to `to`: a dense layer for
/// features; a 1 × 1 convolution (strided where the plane shrinks by a
/// whole factor) and a batch normalization for images, as in ResNet.
fn shortcut_example(from: Shape, to: Shape) -> String {
    match (from, to) {
        (Shape::Features(from), Shape::Features(to)) => {
            format!("`shortcut = dense({from} -> {to}, identity)`")
        }
        (
            Shape::Image {
                channels,
                height,
                width,
            },
            Shape::Image {
                channels: out,
                height: out_height,
                width: out_width,
            },
        ) => {
            // A 1 × 1 window moved by `s` gives (n - 1)/s + 1 positions.
            let stride = (1..=height.max(width).max(1)).find(|s| {
                (height.max(1) - 1) / s + 1 == out_height && (width.max(1) - 1) / s + 1 == out_width
            });
            match stride {
                Some(1) => format!(
                    "`shortcut = (conv2d({channels} -> {out}, identity, kernel = 1, bias = none), batch_norm({out}))`"
                ),
                Some(stride) => format!(
                    "`shortcut = (conv2d({channels} -> {out}, identity, kernel = 1, stride = {stride}, bias = none), \
                     batch_norm({out}))`"
                ),
                None => "`shortcut = LAYER` (or `shortcut = (LAYER, …)`)".into(),
            }
        }
        _ => "`shortcut = LAYER` (or `shortcut = (LAYER, …)`)".into(),
    }
}

/// `3` for a square pair, `(3, 5)` otherwise, as the DSL writes them.
fn pair([height, width]: [usize; 2]) -> String {
    if height == width {
        format!("{height}")
    } else {
        format!("({height}, {width})")
    }
}

/// `1 channel`, `3 channels`.
fn counted(count: usize, noun: &str) -> String {
    match count {
        1 => format!("1 {noun}"),
        _ => format!("{count} {noun}s"),
    }
}

/// `256 features`, `16 × 28 × 28`.
fn described(shape: Shape) -> String {
    match shape {
        Shape::Features(features) => counted(features, "feature"),
        image => image.to_string(),
    }
}

/// How many values a shape holds, as a message writes it.
fn size(shape: Shape) -> String {
    shape
        .size()
        .map_or_else(|| "more than fits in usize".into(), |size| size.to_string())
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.layer() {
            Some(layer) => write!(f, "layer {layer}: {}; {}", self.message(), self.help()),
            None => write!(f, "{}; {}", self.message(), self.help()),
        }
    }
}

impl std::error::Error for SpecError {}
