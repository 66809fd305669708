//! Layer normalization at run time: each example's features brought to
//! mean 0 and variance 1 (the variance over the features, divided by `N`
//! as PyTorch's), then scaled by `γ` (the tensor `weight`, held as one row)
//! and shifted by `β` (`bias`).

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, Zip};

use crate::rules::layer::LayerNormSpec;
use crate::runtime::error::Error;
use crate::runtime::layers::rows::{into_example_rows, on_token_rows, token_rows};
use crate::runtime::layers::{vector, Back, Compute, Computed, Io, Tensor};
use crate::runtime::mode::Mode;
use crate::runtime::scratch;

/// `γ` (`weight`), then `β` (`bias`).
const GAMMA: usize = 0;
const BETA: usize = 1;

impl Compute for LayerNormSpec {
    /// `γ ⊙ x̂ + β`, keeping `x̂` for the backward pass; each token of a
    /// sequence on its own.
    fn forward(&self, tensors: &[Tensor], input: ArrayView2<f32>, io: Io, _: Mode) -> Computed {
        let norm = Norm::of(self, tensors);
        let (out, normalized) = norm.forward(token_rows(input, io.input));
        Computed::new(Some(normalized), out).per_example(io.output)
    }

    fn backward(
        &self,
        tensors: &[Tensor],
        computed: &Computed,
        back: Back<'_>,
        delta: &mut Array2<f32>,
        gradients: Option<&mut Vec<Array2<f32>>>,
    ) -> Option<Array2<f32>> {
        let normalized = computed.pre.as_ref().expect("a layer normalization keeps x̂");
        let normalized = token_rows(normalized.view(), back.io.output);
        let norm = Norm::of(self, tensors);
        let input = token_rows(back.input, back.io.input);
        let (gamma, beta, below) = on_token_rows(delta, back.io.output, |delta| {
            norm.backward(input, normalized, delta.view(), back.below)
        });
        if let Some(gradients) = gradients {
            gradients.extend([gamma, beta.insert_axis(Axis(0))]);
        }
        below.map(|below| into_example_rows(below, back.io.input))
    }

    fn step_buffers(&self, _: &[Tensor], _: &mut [Tensor], _: &Computed) -> bool {
        true
    }

    fn check_batch(&self, _: ArrayView2<f32>, _: Io, _: Mode) -> Result<(), Error> {
        Ok(())
    }
}

/// A layer normalization's `γ`, `β` and `ε`, as a pass uses them.
struct Norm<'a> {
    gamma: ArrayView1<'a, f32>,
    beta: ArrayView1<'a, f32>,
    epsilon: f64,
}

impl<'a> Norm<'a> {
    fn of(spec: &LayerNormSpec, tensors: &'a [Tensor]) -> Norm<'a> {
        Norm {
            gamma: vector(tensors, GAMMA).expect("a layer normalization has γ"),
            beta: vector(tensors, BETA).expect("a layer normalization has β"),
            epsilon: spec.0.epsilon(),
        }
    }

    fn features(&self) -> usize {
        self.gamma.len()
    }

    /// The output `γ ⊙ x̂ + β` of a batch `(n, N)` and its normalized values
    /// `x̂`, which the backward pass needs.
    fn forward(&self, input: ArrayView2<f32>) -> (Array2<f32>, Array2<f32>) {
        let mut normalized = scratch::copy(input);
        for mut row in normalized.rows_mut() {
            let (mean, inverse) = self.moments(row.view());
            row.mapv_inplace(|x| ((f64::from(x) - mean) * inverse) as f32);
        }
        let mut out = scratch::copy(normalized.view());
        let gamma = self.gamma;
        for mut row in out.rows_mut() {
            Zip::from(&mut row)
                .and(gamma)
                .and(self.beta)
                .for_each(|value, &scale, &shift| *value = *value * scale + shift);
        }
        (out, normalized)
    }

    /// The gradients of `γ` (`1 × N`) and `β` from the gradient `delta`
    /// with respect to the output, and with `below` the gradient with
    /// respect to the input: `(1/σ)·(g − mean(g) − x̂·mean(g ⊙ x̂))` per
    /// example, `g = δ ⊙ γ`.
    fn backward(
        &self,
        input: ArrayView2<f32>,
        normalized: ArrayView2<f32>,
        delta: ArrayView2<f32>,
        below: bool,
    ) -> (Array2<f32>, Array1<f32>, Option<Array2<f32>>) {
        let gamma_gradient = (&delta * &normalized).sum_axis(Axis(0)).insert_axis(Axis(0));
        let beta_gradient = delta.sum_axis(Axis(0));
        let gradient = below.then(|| {
            let mut gradient = scratch::copy(delta);
            let gamma = self.gamma;
            let features = self.features().max(1) as f64;
            for ((mut row, x), x_hat) in gradient
                .rows_mut()
                .into_iter()
                .zip(input.rows())
                .zip(normalized.rows())
            {
                let (_, inverse) = self.moments(x);
                Zip::from(&mut row).and(gamma).for_each(|g, &scale| *g *= scale);
                let mean = row.iter().map(|&g| f64::from(g)).sum::<f64>() / features;
                let along = row
                    .iter()
                    .zip(x_hat)
                    .map(|(&g, &h)| f64::from(g) * f64::from(h))
                    .sum::<f64>()
                    / features;
                Zip::from(&mut row).and(x_hat).for_each(|g, &h| {
                    *g = ((f64::from(*g) - mean - f64::from(h) * along) * inverse) as f32;
                });
            }
            gradient
        });
        (gamma_gradient, beta_gradient, gradient)
    }

    /// An example's mean over its features and `1/√(variance + ε)`, in f64.
    fn moments(&self, row: ArrayView1<f32>) -> (f64, f64) {
        let features = row.len().max(1) as f64;
        let mean = row.iter().map(|&x| f64::from(x)).sum::<f64>() / features;
        let variance = row.iter().map(|&x| (f64::from(x) - mean).powi(2)).sum::<f64>() / features;
        (mean, 1.0 / (variance + self.epsilon).sqrt())
    }
}
