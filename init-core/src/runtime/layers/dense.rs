//! The dense layer at run time: `activation(x · Wᵀ + b)`, `W` held `(out,
//! in)` like PyTorch's `Linear`; its forward and backward passes.

use ndarray::{Array2, ArrayView2, Axis};

use crate::rules::layer::AffineSpec;
use crate::runtime::error::Error;
use crate::runtime::layers::activation;
use crate::runtime::layers::rows::{into_example_rows, on_token_rows, token_rows};
use crate::runtime::layers::{values, vector, Back, Compute, Computed, Io, Tensor};
use crate::runtime::mode::Mode;
use crate::runtime::product::product;

/// `weight`, then `bias` unless `bias = none`.
const WEIGHT: usize = 0;
const BIAS: usize = 1;

impl Compute for AffineSpec {
    /// `x · Wᵀ + b` (`x · Wᵀ` without biases), then the activation; on
    /// each token of a sequence.
    fn forward(&self, tensors: &[Tensor], input: ArrayView2<f32>, io: Io, _: Mode) -> Computed {
        let mut pre = product(token_rows(input, io.input), values(tensors, WEIGHT).t());
        if let Some(bias) = vector(tensors, BIAS) {
            pre += &bias;
        }
        activation::activated(self.activation(), pre).per_example(io.output)
    }

    /// `δ = δ ⊙ φ'(z)`; the weights' gradient `δᵀ · x`, the biases' the
    /// sum of `δ` over the batch; below, `δ · W`.
    fn backward(
        &self,
        tensors: &[Tensor],
        computed: &Computed,
        back: Back<'_>,
        delta: &mut Array2<f32>,
        gradients: Option<&mut Vec<Array2<f32>>>,
    ) -> Option<Array2<f32>> {
        if !back.fused_top {
            activation::through(self.activation(), computed, back.io.output, delta);
        }
        let input = token_rows(back.input, back.io.input);
        let below = on_token_rows(delta, back.io.output, |delta| {
            if let Some(gradients) = gradients {
                gradients.push(product(delta.t(), input));
                if vector(tensors, BIAS).is_some() {
                    gradients.push(delta.sum_axis(Axis(0)).insert_axis(Axis(0)));
                }
            }
            back.below.then(|| product(delta.view(), values(tensors, WEIGHT)))
        });
        below.map(|below| into_example_rows(below, back.io.input))
    }

    fn step_buffers(&self, _: &[Tensor], _: &mut [Tensor], _: &Computed) -> bool {
        true
    }

    fn check_batch(&self, _: ArrayView2<f32>, _: Io, _: Mode) -> Result<(), Error> {
        Ok(())
    }
}
