//! `patches` at run time: each image's values reordered into its patches,
//! row-major, each patch's values in `(C, row, column)` order; on the way
//! back, the same order undone.

use ndarray::{Array2, ArrayView2};

use crate::rules::layer::PatchesSpec;
use crate::rules::shape::Shape;
use crate::runtime::error::Error;
use crate::runtime::layers::{Back, Compute, Computed, Io, Tensor};
use crate::runtime::mode::Mode;
use crate::runtime::scratch;

impl Compute for PatchesSpec {
    fn forward(&self, _: &[Tensor], input: ArrayView2<f32>, io: Io, _: Mode) -> Computed {
        let mut out = scratch::overwritten(input.nrows(), input.ncols());
        let order = Order::of(self, io.input);
        for (image, mut tokens) in input.rows().into_iter().zip(out.rows_mut()) {
            order.for_each(|token_index, image_index| tokens[token_index] = image[image_index]);
        }
        Computed::new(None, out)
    }

    fn backward(
        &self,
        _: &[Tensor],
        _: &Computed,
        back: Back<'_>,
        delta: &mut Array2<f32>,
        _: Option<&mut Vec<Array2<f32>>>,
    ) -> Option<Array2<f32>> {
        back.below.then(|| {
            let mut below = scratch::overwritten(delta.nrows(), delta.ncols());
            let order = Order::of(self, back.io.input);
            for (tokens, mut image) in delta.rows().into_iter().zip(below.rows_mut()) {
                order.for_each(|token_index, image_index| image[image_index] = tokens[token_index]);
            }
            below
        })
    }

    fn step_buffers(&self, _: &[Tensor], _: &mut [Tensor], _: &Computed) -> bool {
        true
    }

    fn check_batch(&self, _: ArrayView2<f32>, _: Io, _: Mode) -> Result<(), Error> {
        Ok(())
    }
}

/// Where each value of a patch sequence comes from in its image.
struct Order {
    channels: usize,
    height: usize,
    width: usize,
    patch: usize,
}

impl Order {
    fn of(spec: &PatchesSpec, input: Shape) -> Order {
        let (channels, [height, width]) = (input.channels(), input.plane().unwrap_or([0, 0]));
        Order {
            channels,
            height,
            width,
            patch: spec.patch().max(1),
        }
    }

    /// `visit(token index, image index)` for every value, in the tokens' order.
    fn for_each(&self, mut visit: impl FnMut(usize, usize)) {
        let (patch, plane) = (self.patch, self.height * self.width);
        let mut token_index = 0;
        for patch_row in 0..self.height / patch {
            for patch_column in 0..self.width / patch {
                for channel in 0..self.channels {
                    for row in 0..patch {
                        let start =
                            channel * plane + (patch_row * patch + row) * self.width + patch_column * patch;
                        for image_index in start..start + patch {
                            visit(token_index, image_index);
                            token_index += 1;
                        }
                    }
                }
            }
        }
    }
}
