//! How a layer's shape chains to the layer before: widths and channels
//! that differ, an image where features belong or the other way round, a
//! window larger than its input, a residual branch whose shape is not what
//! it is added to, an activation that belongs to the layer before.

use crate::rules::activation::Activation;
use crate::rules::error::words::{counted, described, size};
use crate::rules::error::Diagnosis;
use crate::rules::keywords;
use crate::rules::part::Part;
use crate::rules::shape::Shape;

/// A mistake in how a layer's shape chains to the layer before.
#[derive(Clone, Debug, PartialEq)]
pub enum ChainError {
    /// A dense layer's input width differs from the previous dense layer's output width.
    ShapeMismatch {
        /// The layer (0-based) whose input is wrong.
        layer: usize,
        /// The previous layer's output width.
        expected: usize,
        /// This layer's input width.
        found: usize,
    },
    /// A dense layer whose input width differs from the features that the
    /// layer before it gives (`input`, `flatten`, a global pooling, a normalization).
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
    /// `layer_norm` or `rms_norm` on an image.
    NormOnImage {
        /// The layer (0-based).
        layer: usize,
        /// `layer_norm` or `rms_norm`.
        kind: &'static str,
        /// The image the layer before gives.
        given: Shape,
        /// The kind of the layer before.
        previous: &'static str,
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
    /// softmax on a convolution or on an image, which would normalise
    /// every channel and position of an example together.
    SoftmaxOnImage {
        /// The layer (0-based).
        layer: usize,
    },
    /// A layer given another sort of shape than the one it takes: a
    /// sequence to a convolution, features or an image to attention, token
    /// ids to anything but an embedding.
    WrongSort {
        /// The layer (0-based).
        layer: usize,
        /// Its kind.
        kind: &'static str,
        /// What it takes.
        takes: Sort,
        /// What the layer before gives.
        given: Shape,
        /// The kind of the layer before.
        previous: &'static str,
    },
    /// A layer whose features per token (`attention(D)`,
    /// `position_embedding(T -> D)`) differ from the sequence's.
    TokenWidth {
        /// The layer (0-based).
        layer: usize,
        /// Its kind.
        kind: &'static str,
        /// The features per token of the sequence before it.
        given: usize,
        /// The layer's own.
        found: usize,
        /// The kind of the layer before.
        previous: &'static str,
    },
    /// `position_embedding(T -> D)` whose positions differ from the
    /// sequence's tokens.
    TokenCount {
        /// The layer (0-based).
        layer: usize,
        /// The tokens of the sequence before it.
        given: usize,
        /// The positions of its table.
        found: usize,
    },
    /// `patches(P)` whose patch does not divide the image's height or width.
    PatchSize {
        /// The layer (0-based).
        layer: usize,
        /// The patch's side.
        patch: usize,
        /// The image's `[height, width]`.
        plane: [usize; 2],
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
}

impl ChainError {
    /// The layer (0-based) the error is about.
    pub fn layer(&self) -> usize {
        match *self {
            ChainError::ShapeMismatch { layer, .. }
            | ChainError::FeatureMismatch { layer, .. }
            | ChainError::ChannelMismatch { layer, .. }
            | ChainError::NeedsFlatten { layer, .. }
            | ChainError::NeedsImage { layer, .. }
            | ChainError::KernelTooLarge { layer, .. }
            | ChainError::NormWidth { layer, .. }
            | ChainError::NormOnImage { layer, .. }
            | ChainError::ResidualShape { layer, .. }
            | ChainError::SoftmaxOnImage { layer }
            | ChainError::WrongSort { layer, .. }
            | ChainError::TokenWidth { layer, .. }
            | ChainError::TokenCount { layer, .. }
            | ChainError::PatchSize { layer, .. }
            | ChainError::UnfusedActivation { layer, .. } => layer,
        }
    }

    /// What the diagnostic says.
    pub fn diagnosis(&self) -> Diagnosis {
        match *self {
            ChainError::ShapeMismatch { layer, expected, found } => Diagnosis::new(
                Part::Inputs,
                format!(
                    "layer {layer} takes {found} inputs, but layer {} before it gives {expected} outputs",
                    layer - 1
                ),
                format!("write `{expected} -> …` here, or make the previous layer `… -> {found}`"),
            ),
            ChainError::FeatureMismatch {
                given,
                previous,
                found,
                ..
            } => Diagnosis::new(
                Part::Inputs,
                match given {
                    Shape::Image { .. } => format!(
                        "dense takes {found} inputs, but `{previous}` gives {given} = {} features",
                        size(given)
                    ),
                    Shape::Features(features) => format!(
                        "dense takes {found} inputs, but `{previous}` before it gives {}",
                        counted(features, "feature")
                    ),
                    other => format!(
                        "dense takes {found} inputs, but `{previous}` before it gives {}",
                        described(other)
                    ),
                },
                format!("write `{} -> …` here", size(given)),
            ),
            ChainError::ChannelMismatch {
                expected,
                found,
                previous,
                ..
            } => Diagnosis::new(
                Part::Inputs,
                format!(
                    "conv2d takes {}, but `{previous}` before it gives {expected}",
                    counted(found, "channel")
                ),
                format!(
                    "write `{expected} -> …` here, or make the layer before give {}",
                    counted(found, "channel")
                ),
            ),
            ChainError::NeedsFlatten { given, previous, .. } => Diagnosis::new(
                Part::Layer,
                format!("dense takes a vector of features, but `{previous}` before it gives an image, {given}"),
                format!("add `flatten` before this layer: it gives {given} = {} features", size(given)),
            ),
            ChainError::NeedsImage { given, previous, .. } => Diagnosis::new(
                Part::Layer,
                format!(
                    "a convolution or pooling layer takes a (C, H, W) image, but `{previous}` before it gives {}",
                    counted(given, "feature")
                ),
                match previous {
                    keywords::FLATTEN => "move `flatten` after the last convolution or pooling layer",
                    _ => {
                        "put convolutions and pooling before `flatten` and the dense layers; a network of images \
                         starts with `input(C, H, W)`"
                    }
                },
            ),
            ChainError::KernelTooLarge {
                axis,
                kernel,
                input,
                padding,
                ..
            } => {
                let dimension = if axis == 0 { "height" } else { "width" };
                let (window, padded, help) = match padding {
                    None => (
                        "pooling window",
                        format!("{input}"),
                        "use a smaller window, or remove a pooling or strided layer before this one",
                    ),
                    Some(0) => ("kernel", format!("{input}, with no padding"), PADDED_HELP),
                    Some(padding) => (
                        "kernel",
                        format!(
                            "{input} + 2 × {padding} = {} with its padding",
                            input.saturating_add(padding.saturating_mul(2))
                        ),
                        PADDED_HELP,
                    ),
                };
                Diagnosis::new(
                    Part::Option(keywords::KERNEL),
                    format!(
                        "the {window}'s {dimension} of {kernel} does not fit in the input's {dimension} of \
                         {padded}: the output would be empty"
                    ),
                    help,
                )
            }
            ChainError::NormWidth {
                kind,
                unit,
                given,
                found,
                previous,
                ..
            } => Diagnosis::new(
                Part::Inputs,
                format!("{kind} normalises {found} {unit}, but `{previous}` before it gives {given}"),
                format!("write `{kind}({given})`"),
            ),
            ChainError::NormOnImage {
                kind, given, previous, ..
            } => Diagnosis::new(
                Part::Layer,
                format!("{kind} normalises a vector of features, but `{previous}` before it gives an image, {given}"),
                format!("add `flatten` before it: it gives {} features", given.size().unwrap_or(0)),
            ),
            ChainError::ResidualShape {
                branch,
                skip,
                shortcut,
                ..
            } => {
                let (added, what) = match shortcut {
                    true => ("its shortcut's output", "the shortcut gives"),
                    false => ("its input", "the block's input is"),
                };
                let help = match shortcut {
                    true => format!("make the shortcut's last layer give {}, as the branch does", described(branch)),
                    false => format!(
                        "make the branch's last layer give {}, or add {} that maps the block's input to {}",
                        described(skip),
                        shortcut_example(skip, branch),
                        described(branch)
                    ),
                };
                Diagnosis::new(
                    Part::Layer,
                    format!(
                        "a residual block adds its branch's output to {added}, but the branch gives {} and {what} {}",
                        described(branch),
                        described(skip)
                    ),
                    help,
                )
            }
            ChainError::SoftmaxOnImage { .. } => Diagnosis::new(
                Part::Activation,
                "softmax on an image would normalise every channel and position of an example together: netinit \
                 has no per-position softmax",
                "use softmax after `flatten` or `global_avg_pool2d`, and another activation here",
            ),
            ChainError::WrongSort {
                kind,
                takes,
                given,
                previous,
                ..
            } => Diagnosis::new(
                Part::Layer,
                format!(
                    "{kind} takes {}, but `{previous}` before it gives {}{}",
                    takes.described(),
                    if matches!(given, Shape::Image { .. }) { "an image, " } else { "" },
                    described(given)
                ),
                takes.help(kind, given, previous),
            ),
            ChainError::TokenWidth {
                kind,
                given,
                found,
                previous,
                ..
            } => Diagnosis::new(
                Part::Inputs,
                format!(
                    "{kind} takes tokens of {}, but `{previous}` before it gives tokens of {given}",
                    counted(found, "feature")
                ),
                match kind {
                    keywords::POSITION_EMBEDDING => format!("write `{kind}(… -> {given})`"),
                    keywords::DENSE => format!("write `{kind}({given} -> …)`"),
                    _ => format!("write `{kind}({given}, …)`"),
                },
            ),
            ChainError::TokenCount { given, found, .. } => Diagnosis::new(
                Part::Inputs,
                format!(
                    "position_embedding has a table of {}, but the sequence before it has {}",
                    counted(found, "position"),
                    counted(given, "token")
                ),
                format!("write `position_embedding({given} -> …)`: one position per token"),
            ),
            ChainError::PatchSize { patch, plane, .. } => {
                let [height, width] = plane;
                let (side, length) = if height % patch.max(1) != 0 {
                    ("height", height)
                } else {
                    ("width", width)
                };
                let divisor = (2..=patch.min(height).min(width).max(2))
                    .rev()
                    .find(|&d| height % d == 0 && width % d == 0)
                    .unwrap_or(1);
                Diagnosis::new(
                    Part::Inputs,
                    format!(
                        "patches of {patch} × {patch} do not tile the image's {side} of {length}: {length} = {} × {patch} + {}",
                        length / patch.max(1),
                        length % patch.max(1)
                    ),
                    format!(
                        "use a patch side that divides both {height} and {width}, such as {divisor}, or crop the image"
                    ),
                )
            }
            ChainError::UnfusedActivation {
                activation,
                previous,
                ..
            } => Diagnosis::new(
                Part::Layer,
                format!(
                    "`{activation}` on the outputs of a `{previous}` layer whose activation is `identity` is that \
                     layer's activation written apart: netinit derives a layer's init from the activation it names, \
                     so the `{previous}` layer's would suit the identity, not `{activation}`"
                ),
                format!("write `{activation}` in place of `identity` in the `{previous}` layer, and remove this layer"),
            ),
        }
    }
}

/// The sort of shape a layer takes, for [`ChainError::WrongSort`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    /// A `(C, H, W)` image: a convolution, a pooling, `patches`.
    Image,
    /// A sequence `(T, D)`: attention, `position_embedding`, `mean_tokens`.
    Sequence,
    /// Token ids: an embedding.
    TokenIds,
    /// Features, or a sequence of tokens' features: a dense layer, a normalization.
    Vectors,
    /// Features, or a `(C, H, W)` image: a batch normalization.
    Batch,
}

impl Sort {
    /// What the message says the layer takes.
    fn described(self) -> &'static str {
        match self {
            Sort::Image => "a (C, H, W) image",
            Sort::Sequence => "a sequence of tokens, (T, D)",
            Sort::TokenIds => "token ids",
            Sort::Vectors => "features, or a sequence of tokens' features",
            Sort::Batch => "features, or a (C, H, W) image",
        }
    }

    /// How to give `kind` what it takes, when the layer before gives `given`.
    fn help(self, kind: &str, given: Shape, previous: &str) -> String {
        let embed =
            "add `embedding(V -> D)` after `input(tokens = T)`: it turns each id into a vector of D features";
        match (self, given) {
            (Sort::TokenIds, _) if previous == keywords::INPUT => {
                "write `input(tokens = T)` first: an embedding looks up the ids of T tokens".into()
            }
            (Sort::TokenIds, _) => format!("`{kind}` comes right after `input(tokens = T)`, where the ids are"),
            (_, Shape::Tokens(_)) => embed.into(),
            (Sort::Image, Shape::Sequence { .. }) => {
                "convolutions and pooling work on images: put them before `patches`, and pool a sequence with `mean_tokens`"
                    .into()
            }
            (Sort::Image, _) => "a network of images starts with `input(C, H, W)`".into(),
            (Sort::Sequence, Shape::Image { .. }) => {
                format!("cut the image into a sequence of patches with `patches(P)` before `{kind}`")
            }
            (Sort::Sequence, _) if kind == keywords::MEAN_TOKENS => {
                "remove `mean_tokens`: the features are already one vector per example".into()
            }
            (Sort::Sequence, _) => "a sequence starts at `input(tokens = T)` and an `embedding`, or at `patches(P)` on an image; keep the features as tokens until `mean_tokens`"
                .into(),
            (Sort::Vectors, _) => format!("add `flatten` before `{kind}`"),
            (Sort::Batch, _) => "normalise each token with `layer_norm(D)` or `rms_norm(D)`: a batch \
                                 normalization's statistics would mix the tokens of a sequence"
                .into(),
        }
    }
}

/// How to fix a convolution's kernel larger than its padded input.
const PADDED_HELP: &str =
    "use a smaller kernel, add padding, or remove a pooling or strided layer before this one";

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
