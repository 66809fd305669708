//! The shape of one example as it passes from layer to layer: a vector of
//! features, or an image of channels, rows and columns.

use core::fmt;

/// The shape of one example between two layers. A batch is rows of
/// [`Shape::size`] values; an image's values are stored channel by
/// channel, each channel row by row (PyTorch's `(C, H, W)` order), which is
/// also the order `flatten` gives them in.
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

    /// How many values one example has, `None` if that overflows `usize`.
    pub const fn size(&self) -> Option<usize> {
        match *self {
            Shape::Features(features) => Some(features),
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
            Shape::Features(_) => None,
        }
    }

    /// An image's channels; features count as one channel of that many values.
    pub const fn channels(&self) -> usize {
        match *self {
            Shape::Image { channels, .. } => channels,
            Shape::Features(_) => 1,
        }
    }

    /// Whether any dimension is 0.
    pub const fn is_empty(&self) -> bool {
        match *self {
            Shape::Features(features) => features == 0,
            Shape::Image {
                channels,
                height,
                width,
            } => channels == 0 || height == 0 || width == 0,
        }
    }
}

impl fmt::Display for Shape {
    /// `784`, or `32 × 28 × 28` for channels × height × width.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Shape::Features(features) => write!(f, "{features}"),
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
    }
}
