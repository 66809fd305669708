//! The position table at run time: its `(T, D)` rows added to the tokens
//! of each sequence; on the way back, its gradient is the sum over the
//! batch of the sequences' gradients, and theirs passes on unchanged.

use ndarray::{Array2, ArrayView2, Axis};

use crate::rules::layer::PositionEmbeddingSpec;
use crate::runtime::error::Error;
use crate::runtime::layers::{values, Back, Compute, Computed, Io, Tensor};
use crate::runtime::mode::Mode;
use crate::runtime::scratch;

/// `weight`, the table.
const TABLE: usize = 0;

impl Compute for PositionEmbeddingSpec {
    /// Each sequence plus the table, token `t` plus row `t`.
    fn forward(&self, tensors: &[Tensor], input: ArrayView2<f32>, _: Io, _: Mode) -> Computed {
        let table = values(tensors, TABLE);
        let table = table.as_slice().expect("a tensor is in standard layout");
        let mut out = scratch::copy(input);
        for mut row in out.rows_mut() {
            row.iter_mut()
                .zip(table)
                .for_each(|(value, &added)| *value += added);
        }
        Computed::new(None, out)
    }

    fn backward(
        &self,
        _: &[Tensor],
        _: &Computed,
        back: Back<'_>,
        delta: &mut Array2<f32>,
        gradients: Option<&mut Vec<Array2<f32>>>,
    ) -> Option<Array2<f32>> {
        if let Some(gradients) = gradients {
            let summed = delta.sum_axis(Axis(0));
            let table = summed
                .into_shape_with_order((self.tokens(), self.features()))
                .expect("a sequence's row is its tokens");
            gradients.push(table);
        }
        back.below.then(|| core::mem::take(delta))
    }

    fn step_buffers(&self, _: &[Tensor], _: &mut [Tensor], _: &Computed) -> bool {
        true
    }

    fn check_batch(&self, _: ArrayView2<f32>, _: Io, _: Mode) -> Result<(), Error> {
        Ok(())
    }
}
