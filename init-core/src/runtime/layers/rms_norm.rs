//! RMS normalization at run time: each example's (or token's) features
//! divided by their root mean square `√(mean(x²) + ε)`, then scaled by `γ`
//! (`weight`), as PyTorch's `nn.RMSNorm`.

use ndarray::{Array2, ArrayView1, ArrayView2, Axis, Zip};

use crate::rules::layer::RmsNormSpec;
use crate::runtime::error::Error;
use crate::runtime::layers::rows::{into_example_rows, on_token_rows, token_rows};
use crate::runtime::layers::{vector, Back, Compute, Computed, Io, Tensor};
use crate::runtime::mode::Mode;
use crate::runtime::scratch;

/// `γ` (`weight`).
const GAMMA: usize = 0;

impl Compute for RmsNormSpec {
    /// `γ ⊙ x̂`, `x̂ = x / rms(x)`, keeping `x̂` for the backward pass.
    fn forward(&self, tensors: &[Tensor], input: ArrayView2<f32>, io: Io, _: Mode) -> Computed {
        let gamma = vector(tensors, GAMMA).expect("an RMS normalization has γ");
        let mut normalized = scratch::copy(token_rows(input, io.input));
        for mut row in normalized.rows_mut() {
            let inverse = self.inverse_rms(row.view());
            row.mapv_inplace(|x| (f64::from(x) * inverse) as f32);
        }
        let mut out = scratch::copy(normalized.view());
        for mut row in out.rows_mut() {
            Zip::from(&mut row)
                .and(gamma)
                .for_each(|value, &scale| *value *= scale);
        }
        Computed::new(Some(normalized), out).per_example(io.output)
    }

    /// `γ`'s gradient `Σ δ ⊙ x̂`; below, `(g − x̂·mean(g ⊙ x̂)) / rms(x)`
    /// per example, `g = δ ⊙ γ`.
    fn backward(
        &self,
        tensors: &[Tensor],
        computed: &Computed,
        back: Back<'_>,
        delta: &mut Array2<f32>,
        gradients: Option<&mut Vec<Array2<f32>>>,
    ) -> Option<Array2<f32>> {
        let gamma = vector(tensors, GAMMA).expect("an RMS normalization has γ");
        let normalized = computed.pre.as_ref().expect("an RMS normalization keeps x̂");
        let normalized = token_rows(normalized.view(), back.io.output);
        let input = token_rows(back.input, back.io.input);
        let below = on_token_rows(delta, back.io.output, |delta| {
            if let Some(gradients) = gradients {
                gradients.push((&*delta * &normalized).sum_axis(Axis(0)).insert_axis(Axis(0)));
            }
            back.below.then(|| {
                let mut below = scratch::copy(delta.view());
                let features = gamma.len().max(1) as f64;
                for ((mut row, x), x_hat) in below
                    .rows_mut()
                    .into_iter()
                    .zip(input.rows())
                    .zip(normalized.rows())
                {
                    let inverse = self.inverse_rms(x);
                    Zip::from(&mut row).and(gamma).for_each(|g, &scale| *g *= scale);
                    let along = row
                        .iter()
                        .zip(x_hat)
                        .map(|(&g, &h)| f64::from(g) * f64::from(h))
                        .sum::<f64>()
                        / features;
                    Zip::from(&mut row).and(x_hat).for_each(|g, &h| {
                        *g = ((f64::from(*g) - f64::from(h) * along) * inverse) as f32;
                    });
                }
                below
            })
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

impl RmsNormSpec {
    /// `1/√(mean(x²) + ε)` of one example's features, in f64.
    fn inverse_rms(&self, row: ArrayView1<f32>) -> f64 {
        let features = row.len().max(1) as f64;
        let mean_square = row.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / features;
        1.0 / (mean_square + self.0.epsilon()).sqrt()
    }
}
