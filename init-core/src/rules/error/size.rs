//! A layer's own sizes: a width, a kernel or a stride of 0, `same` padding
//! that cannot keep the size, a normalization of one feature, and counts
//! past what netinit can hold.

use crate::rules::error::Diagnosis;
use crate::rules::keywords;
use crate::rules::limits::{MAX_ATTENDED, MAX_PARAMETERS, MAX_SIDE, MAX_VALUES, MAX_VOCABULARY};
use crate::rules::number::Pair;
use crate::rules::part::Part;
use crate::rules::shape::Shape;

/// A mistake in a layer's own sizes.
#[derive(Clone, Debug, PartialEq)]
pub enum SizeError {
    /// A width is 0.
    ZeroWidth {
        /// The layer (0-based).
        layer: usize,
        /// [`Part::Inputs`] or [`Part::Outputs`].
        part: Part,
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
    /// `layer_norm(1)`: one feature normalised alone is 0 for every input.
    NormOfOne {
        /// The layer (0-based).
        layer: usize,
    },
    /// `attention(D, heads = H)` whose `D` features do not split into `H` heads.
    HeadsDivide {
        /// The layer (0-based).
        layer: usize,
        /// The features per token.
        features: usize,
        /// The heads.
        heads: usize,
    },
    /// Attention over more tokens than [`MAX_ATTENDED`](crate::MAX_ATTENDED).
    TooManyTokens {
        /// The layer (0-based).
        layer: usize,
        /// The tokens it is given.
        tokens: usize,
    },
    /// An embedding of more token ids than [`MAX_VOCABULARY`](crate::MAX_VOCABULARY).
    VocabularyTooLarge {
        /// The layer (0-based).
        layer: usize,
        /// Its vocabulary.
        vocabulary: usize,
    },
    /// A layer's parameter count, or the network's, is past
    /// [`MAX_PARAMETERS`](crate::MAX_PARAMETERS).
    TooManyParameters {
        /// The layer (0-based) where the count overflows.
        layer: usize,
        /// Its trained tensors, by name, with their shapes.
        tensors: Vec<(&'static str, Vec<usize>)>,
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
}

impl SizeError {
    /// The layer (0-based) the error is about.
    pub fn layer(&self) -> usize {
        match *self {
            SizeError::ZeroWidth { layer, .. }
            | SizeError::ZeroSize { layer, .. }
            | SizeError::SamePadding { layer, .. }
            | SizeError::NormOfOne { layer }
            | SizeError::HeadsDivide { layer, .. }
            | SizeError::VocabularyTooLarge { layer, .. }
            | SizeError::TooManyTokens { layer, .. }
            | SizeError::TooManyParameters { layer, .. }
            | SizeError::ShapeTooLarge { layer, .. } => layer,
        }
    }

    /// What the diagnostic says.
    pub fn diagnosis(&self) -> Diagnosis {
        match *self {
            SizeError::ZeroWidth {
                part: Part::Inputs, ..
            } => Diagnosis::new(
                Part::Inputs,
                "a layer's input width must be at least 1; found 0",
                "write the width of the data, or of the previous layer's output",
            ),
            SizeError::ZeroWidth { part, .. } => Diagnosis::new(
                part,
                "a layer's output width must be at least 1; found 0",
                "a layer with no outputs computes nothing; write its width",
            ),
            SizeError::ZeroSize {
                part: Part::Option(keywords::STRIDE),
                ..
            } => Diagnosis::new(
                Part::Option(keywords::STRIDE),
                "a stride of 0 never moves the window; found 0",
                "write `stride = 1` or more; leave it out for the default",
            ),
            SizeError::ZeroSize {
                part: Part::Inputs, ..
            } => Diagnosis::new(
                Part::Inputs,
                "a patch of side 0 covers nothing; found 0",
                "write the side of the square patches, e.g. `patches(7)`",
            ),
            SizeError::ZeroSize {
                part: Part::Option(keywords::HEADS),
                ..
            } => Diagnosis::new(
                Part::Option(keywords::HEADS),
                "attention with 0 heads attends to nothing; found 0",
                "write `heads = 1` or more",
            ),
            SizeError::ZeroSize { part, .. } => Diagnosis::new(
                part,
                "a kernel of size 0 covers nothing; found 0",
                "write a kernel of 1 or more, e.g. `kernel = 3`",
            ),
            SizeError::SamePadding { kernel, stride, .. } => Diagnosis::new(
                Part::Option(keywords::PADDING),
                format!(
                    "`padding = same` keeps the output the size of the input only at stride 1 with an odd kernel; \
                     here the kernel is {} and the stride {}",
                    Pair(kernel),
                    Pair(stride)
                ),
                format!(
                    "write the padding as a number, e.g. `padding = {}`, and check the output size in the summary",
                    kernel[0] / 2
                ),
            ),
            SizeError::NormOfOne { .. } => Diagnosis::new(
                Part::Inputs,
                "layer_norm(1) normalises a single feature, which is then 0 for every input: the output is β \
                 alone, and no gradient passes to γ or to any layer below",
                "normalise more than one feature, or remove the layer",
            ),
            SizeError::HeadsDivide { features, heads, .. } => {
                let divisors: Vec<String> = (2..=features.min(64))
                    .filter(|&d| features % d == 0 && d != heads)
                    .map(|d| format!("`heads = {d}`"))
                    .take(3)
                    .collect();
                Diagnosis::new(
                    Part::Option(keywords::HEADS),
                    format!(
                        "attention splits each token's {features} features among its heads, but {features} does not \
                         split into {heads} equal heads: {features} = {} × {heads} + {}",
                        features / heads.max(1),
                        features % heads.max(1)
                    ),
                    match divisors.as_slice() {
                        [] => "use `heads = 1`, or a width with more divisors".into(),
                        _ => format!("use a number of heads that divides {features}: {}", divisors.join(", ")),
                    },
                )
            }
            SizeError::TooManyTokens { tokens, .. } => Diagnosis::new(
                Part::Layer,
                format!(
                    "attention over {tokens} tokens would hold a {tokens} × {tokens} matrix of scores for each head, \
                     more than netinit's bound of {MAX_ATTENDED} tokens ({} MiB of f32 a matrix there)",
                    (MAX_ATTENDED * MAX_ATTENDED * 4) >> 20
                ),
                format!("use at most {MAX_ATTENDED} tokens: a shorter context, or larger patches"),
            ),
            SizeError::VocabularyTooLarge { vocabulary, .. } => Diagnosis::new(
                Part::Inputs,
                format!(
                    "an embedding of {vocabulary} token ids is past netinit's {MAX_VOCABULARY}: ids travel as f32 \
                     values, which hold whole numbers exactly only up to 2^24"
                ),
                "use a smaller vocabulary (byte-pair or byte-level tokens)",
            ),
            SizeError::TooManyParameters { ref tensors, .. } => {
                let tensors: Vec<String> = tensors
                    .iter()
                    .map(|(name, shape)| {
                        let shape: Vec<String> = shape.iter().map(ToString::to_string).collect();
                        format!("`{name}` ({} values)", shape.join(" × "))
                    })
                    .collect();
                Diagnosis::new(
                    Part::Layer,
                    format!(
                        "{} bring the parameter count past {MAX_PARAMETERS}, what a sampler's buffer of 8-byte \
                         values can address: the network cannot be stored",
                        tensors.join(" and ")
                    ),
                    "use narrower layers",
                )
            }
            SizeError::ShapeTooLarge { shape, .. } => Diagnosis::new(
                Part::Layer,
                format!(
                    "this layer would give {shape} values per example, more than netinit handles: planes of up to \
                     {MAX_SIDE} × {MAX_SIDE} positions and 2^{} values per example",
                    MAX_VALUES.trailing_zeros()
                ),
                match shape {
                    Shape::Sequence { .. } | Shape::Tokens(_) => "use fewer tokens or fewer features",
                    _ => "use less padding, a larger stride or pooling, or a smaller input",
                },
            ),
        }
    }
}
