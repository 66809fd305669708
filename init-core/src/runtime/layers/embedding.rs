//! The embedding at run time: each token id of a row replaced by its row
//! of the table (`weight`, `(V, D)`); on the way back, each row of the
//! table gathers the gradients of the tokens that hold its id.

use ndarray::{Array2, ArrayView2};

use crate::rules::layer::EmbeddingSpec;
use crate::rules::shape::Shape;
use crate::runtime::error::Error;
use crate::runtime::layers::{values, Back, Compute, Computed, Io, Tensor};
use crate::runtime::mode::Mode;
use crate::runtime::scratch;

/// `weight`, the table.
const TABLE: usize = 0;

impl Compute for EmbeddingSpec {
    /// Row `id` of the table for each token, token after token.
    fn forward(&self, tensors: &[Tensor], input: ArrayView2<f32>, _: Io, _: Mode) -> Computed {
        let table = values(tensors, TABLE);
        let features = self.features();
        let mut out = scratch::overwritten(input.nrows(), input.ncols() * features);
        for (ids, mut row) in input.rows().into_iter().zip(out.rows_mut()) {
            let row = row.as_slice_mut().expect("a scratch array is in standard layout");
            for (&id, vector) in ids.iter().zip(row.chunks_exact_mut(features.max(1))) {
                // `check_batch` has refused anything but whole ids below V.
                vector.copy_from_slice(
                    table
                        .row(id as usize)
                        .as_slice()
                        .expect("a table row is contiguous"),
                );
            }
        }
        Computed::new(None, out)
    }

    /// The table's gradient: each token's gradient added to its id's row.
    /// No gradient passes to the ids (zeros, where one is asked for).
    fn backward(
        &self,
        _: &[Tensor],
        _: &Computed,
        back: Back<'_>,
        delta: &mut Array2<f32>,
        gradients: Option<&mut Vec<Array2<f32>>>,
    ) -> Option<Array2<f32>> {
        let features = self.features();
        if let Some(gradients) = gradients {
            let mut table = Array2::zeros((self.vocabulary(), features));
            for (ids, row) in back.input.rows().into_iter().zip(delta.rows()) {
                let row = row.to_slice().expect("a gradient is in standard layout");
                for (&id, gradient) in ids.iter().zip(row.chunks_exact(features.max(1))) {
                    let mut target = table.row_mut(id as usize);
                    target.iter_mut().zip(gradient).for_each(|(sum, &g)| *sum += g);
                }
            }
            gradients.push(table);
        }
        back.below.then(|| Array2::zeros(back.input.dim()))
    }

    fn step_buffers(&self, _: &[Tensor], _: &mut [Tensor], _: &Computed) -> bool {
        true
    }

    /// Every value of the network's input is a whole number below `V`.
    fn check_batch(&self, batch: ArrayView2<f32>, io: Io, _: Mode) -> Result<(), Error> {
        if !matches!(io.input, Shape::Tokens(_)) {
            return Ok(());
        }
        let vocabulary = self.vocabulary();
        for (row, ids) in batch.rows().into_iter().enumerate() {
            for (position, &id) in ids.iter().enumerate() {
                if !(id >= 0.0 && id.fract() == 0.0 && (id as f64) < vocabulary as f64) {
                    return Err(Error::TokenId {
                        row,
                        position,
                        found: f64::from(id),
                        vocabulary,
                    });
                }
            }
        }
        Ok(())
    }
}
