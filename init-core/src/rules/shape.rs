//! The shape of one example as it passes from layer to layer: a vector of
//! features, an image of channels, rows and columns, a sequence of tokens
//! of features, or the token ids a sequence starts from.

use core::fmt;

/// The shape of one example between two layers. A batch is rows of
/// [`Shape::size`] values; an image's values are stored channel by
/// channel, each channel row by row (PyTorch's `(C, H, W)` order), which is
/// also the order `flatten` gives them in. A sequence's values are stored
/// token by token, each token's features together (PyTorch's `(T, D)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A vector of this many features.
    Features(usize),
    /// An image of `channels` planes of `height × width` values.
    Image {
        /// The number of channels.
        channels: usize,
        /// The rows of each plane.
        height: usize,
        /// The columns of each plane.
        width: usize,
    },
    /// A sequence of `tokens` tokens of `features` features each.
    Sequence {
        /// The number of tokens.
        tokens: usize,
        /// The features of each token.
        features: usize,
    },
    /// `tokens` token ids, whole numbers below an embedding's vocabulary.
    Tokens(usize),
}

impl Shape {
    /// An image of `channels` planes of `height × width`.
    pub const fn image(channels: usize, height: usize, width: usize) -> Shape {
        Shape::Image {
            channels,
            height,
            width,
        }
    }

    /// A sequence of `tokens` tokens of `features` features.
    pub const fn sequence(tokens: usize, features: usize) -> Shape {
        Shape::Sequence { tokens, features }
    }

    /// How many values one example has, `None` if that overflows `usize`.
    pub const fn size(&self) -> Option<usize> {
        match *self {
            Shape::Features(features) | Shape::Tokens(features) => Some(features),
            Shape::Sequence { tokens, features } => tokens.checked_mul(features),
            Shape::Image {
                channels,
                height,
                width,
            } => match channels.checked_mul(height) {
                Some(plane) => plane.checked_mul(width),
                None => None,
            },
        }
    }

    /// An image's `[height, width]`; `None` for features.
    pub const fn plane(&self) -> Option<[usize; 2]> {
        match *self {
            Shape::Image { height, width, .. } => Some([height, width]),
            Shape::Features(_) | Shape::Sequence { .. } | Shape::Tokens(_) => None,
        }
    }

    /// An image's channels; features count as one channel of that many
    /// values, a sequence's features as its channels (the values a
    /// normalization or a dense layer sees at each token).
    pub const fn channels(&self) -> usize {
        match *self {
            Shape::Image { channels, .. } => channels,
            Shape::Sequence { features, .. } => features,
            Shape::Features(_) | Shape::Tokens(_) => 1,
        }
    }

    /// A sequence's tokens (token ids count too); `None` otherwise.
    pub const fn tokens(&self) -> Option<usize> {
        match *self {
            Shape::Sequence { tokens, .. } | Shape::Tokens(tokens) => Some(tokens),
            Shape::Features(_) | Shape::Image { .. } => None,
        }
    }

    /// The same shape with `features` at each token (a sequence), or as
    /// the features.
    pub const fn with_features(&self, features: usize) -> Shape {
        match *self {
            Shape::Sequence { tokens, .. } => Shape::Sequence { tokens, features },
            _ => Shape::Features(features),
        }
    }

    /// Whether any dimension is 0.
    pub const fn is_empty(&self) -> bool {
        match *self {
            Shape::Features(features) | Shape::Tokens(features) => features == 0,
            Shape::Sequence { tokens, features } => tokens == 0 || features == 0,
            Shape::Image {
                channels,
                height,
                width,
            } => channels == 0 || height == 0 || width == 0,
        }
    }
}

impl fmt::Display for Shape {
    /// `784`, `32 × 28 × 28` for channels × height × width, `64 tokens ×
    /// 128` for a sequence, `64 token ids`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Shape::Features(features) => write!(f, "{features}"),
            Shape::Sequence { tokens, features } => write!(f, "{tokens} tokens × {features}"),
            Shape::Tokens(tokens) => write!(f, "{tokens} token ids"),
            Shape::Image {
                channels,
                height,
                width,
            } => write!(f, "{channels} × {height} × {width}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_multiply_and_overflow_is_none() {
        assert_eq!(Shape::image(64, 7, 7).size(), Some(3136));
        assert_eq!(Shape::Features(10).size(), Some(10));
        assert_eq!(Shape::image(usize::MAX, 2, 1).size(), None);
        assert_eq!(Shape::image(64, 7, 7).to_string(), "64 × 7 × 7");
        assert!(Shape::image(1, 0, 3).is_empty());
        assert_eq!(Shape::sequence(16, 64).size(), Some(1024));
        assert_eq!(Shape::sequence(usize::MAX, 2).size(), None);
        assert_eq!(Shape::sequence(16, 64).to_string(), "16 tokens × 64");
        assert_eq!(Shape::Tokens(64).to_string(), "64 token ids");
        assert_eq!(Shape::sequence(16, 64).with_features(10), Shape::sequence(16, 10));
    }
}
