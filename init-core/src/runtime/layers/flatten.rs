//! `flatten` at run time: the values as they are; only the shape the network follows changes.

use ndarray::{Array2, ArrayView2};

use crate::rules::layer::FlattenSpec;
use crate::runtime::error::Error;
use crate::runtime::layers::{Back, Compute, Computed, Io, Tensor};
use crate::runtime::mode::Mode;
use crate::runtime::scratch;

impl Compute for FlattenSpec {
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
