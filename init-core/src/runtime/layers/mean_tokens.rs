//! `mean_tokens` at run time: the mean of each sequence's tokens; on the
//! way back, each token gets `1/T` of the mean's gradient.

use ndarray::{Array2, ArrayView2};

use crate::rules::layer::MeanTokensSpec;
use crate::runtime::error::Error;
use crate::runtime::layers::{Back, Compute, Computed, Io, Tensor};
use crate::runtime::mode::Mode;
use crate::runtime::scratch;

impl Compute for MeanTokensSpec {
    fn forward(&self, _: &[Tensor], input: ArrayView2<f32>, io: Io, _: Mode) -> Computed {
        let tokens = io.input.tokens().unwrap_or(1).max(1);
        let features = input.ncols() / tokens;
        let mut out = scratch::zeros(input.nrows(), features);
        for (row, mut mean) in input.rows().into_iter().zip(out.rows_mut()) {
            let row = row
                .to_slice()
                .expect("a network's batches are in standard layout");
            for token in row.chunks_exact(features.max(1)) {
                mean.iter_mut().zip(token).for_each(|(sum, &x)| *sum += x);
            }
            mean.mapv_inplace(|sum| sum / tokens as f32);
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
            let tokens = back.io.input.tokens().unwrap_or(1).max(1);
            let mut below = scratch::overwritten(delta.nrows(), delta.ncols() * tokens);
            for (gradient, mut row) in delta.rows().into_iter().zip(below.rows_mut()) {
                let row = row.as_slice_mut().expect("a scratch array is in standard layout");
                for token in row.chunks_exact_mut(gradient.len().max(1)) {
                    token
                        .iter_mut()
                        .zip(gradient)
                        .for_each(|(g, &d)| *g = d / tokens as f32);
                }
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
