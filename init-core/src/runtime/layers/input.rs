//! `input(…)` at run time: the batch as it is given (its rows, an image's values in `(C, H, W)` order).

use ndarray::{Array2, ArrayView2};

use crate::rules::layer::InputSpec;
use crate::runtime::error::Error;
use crate::runtime::layers::{Back, Compute, Computed, Io, Tensor};
use crate::runtime::mode::Mode;
use crate::runtime::scratch;

impl Compute for InputSpec {
    fn forward(&self, _: &[Tensor], input: ArrayView2<f32>, _: Io, _: Mode) -> Computed {
        Computed::new(None, scratch::copy(input))
    }

    fn backward(
        &self,
        _: &[Tensor],
        _: &Computed,
        _: Back<'_>,
        delta: &mut Array2<f32>,
        _: Option<&mut Vec<Array2<f32>>>,
    ) -> Option<Array2<f32>> {
        Some(core::mem::take(delta))
    }

    fn step_buffers(&self, _: &[Tensor], _: &mut [Tensor], _: &Computed) -> bool {
        true
    }

    fn check_batch(&self, _: ArrayView2<f32>, _: Io, _: Mode) -> Result<(), Error> {
        Ok(())
    }
}
