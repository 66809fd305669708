//! What the layers that slide a window over an image share (`conv2d`,
//! `max_pool2d`, `avg_pool2d`, `global_avg_pool2d`): the image they take,
//! the checks of a kernel and a stride, and the output size a window gives.

use crate::rules::error::{ChainError, SizeError, Sort, SpecError};
use crate::rules::keywords;
use crate::rules::layer::kind::Given;
use crate::rules::part::Part;
use crate::rules::shape::Shape;

/// The image a spatial layer takes as `(channels, [height, width])`, or
/// the error for features where an image belongs; `None` when unknown.
pub(crate) fn image(given: &Given) -> Result<Option<(usize, [usize; 2])>, SpecError> {
    match given.shape {
        Some(Shape::Image {
            channels,
            height,
            width,
        }) => Ok(Some((channels, [height, width]))),
        Some(Shape::Features(features)) => Err(SpecError::Chain(ChainError::NeedsImage {
            layer: given.layer,
            given: features,
            previous: given.previous,
        })),
        Some(other) => Err(given.wrong_sort("a convolution or pooling layer", Sort::Image, other)),
        None => Ok(None),
    }
}

/// A kernel or stride of 0 in layer `index`.
pub(crate) fn geometry_errors(
    index: usize,
    kernel: [usize; 2],
    stride: [usize; 2],
    errors: &mut Vec<SpecError>,
) {
    if kernel.contains(&0) {
        errors.push(SpecError::Size(SizeError::ZeroSize {
            layer: index,
            part: Part::Option(keywords::KERNEL),
        }));
    }
    if stride.contains(&0) {
        errors.push(SpecError::Size(SizeError::ZeroSize {
            layer: index,
            part: Part::Option(keywords::STRIDE),
        }));
    }
}

/// The output size of a window of `kernel` moved by `stride` over an input
/// padded by `padding` on each side (`None`: a pooling, never padded):
/// `(in + 2p - k) / s + 1` per axis, as PyTorch computes it (rounding
/// down), or the error for a window larger than its padded input. Kernel
/// and stride are checked nonzero before.
pub(crate) fn window_output(
    layer: usize,
    input: [usize; 2],
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: Option<[usize; 2]>,
) -> Result<[usize; 2], SpecError> {
    let mut output = [0; 2];
    for axis in 0..2 {
        let sides = padding.map_or(0, |padding| padding[axis]);
        let padded = input[axis].saturating_add(sides.saturating_mul(2));
        if kernel[axis] > padded {
            return Err(SpecError::Chain(ChainError::KernelTooLarge {
                layer,
                axis,
                kernel: kernel[axis],
                input: input[axis],
                padding: padding.map(|padding| padding[axis]),
            }));
        }
        output[axis] = (padded - kernel[axis]) / stride[axis].max(1) + 1;
    }
    Ok(output)
}
