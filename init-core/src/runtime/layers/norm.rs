//! Layer normalization: each example's features brought to mean 0 and
//! variance 1 (the variance over the features, divided by `N` as
//! PyTorch's), then scaled by `γ` and shifted by `β`. `γ` is kept as the
//! `1 × N` weight matrix of a [`Dense`] and `β` as its biases, so the
//! optimizer, the checkpoints and the sampler treat them as any layer's.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, Zip};

use crate::rules::layer::{LayerSpec, NormSpec};
use crate::runtime::error::Error;
use crate::runtime::generator::LayerStreams;
use crate::runtime::layers::dense::Dense;
use crate::runtime::scratch;

/// A layer normalization: `γ`, `β` and `ε`.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerNorm {
    parameters: Dense,
    epsilon: f64,
}

impl LayerNorm {
    /// The scales `γ`, one per feature.
    pub fn gamma(&self) -> ArrayView1<'_, f32> {
        self.parameters.weight().row(0)
    }

    /// The shifts `β`, one per feature.
    pub fn beta(&self) -> &Array1<f32> {
        self.parameters.bias()
    }

    /// `ε`, added to the variance before its square root.
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// The features normalised together.
    pub fn features(&self) -> usize {
        self.parameters.weight().ncols()
    }

    /// `γ` as a `1 × N` matrix and `β` as biases: what the optimizer and the
    /// checkpoints see.
    pub(crate) fn parameters(&self) -> &Dense {
        &self.parameters
    }

    pub(crate) fn parameters_mut(&mut self) -> &mut Dense {
        &mut self.parameters
    }

    /// A normalization from `γ` (`1 × N`) and `β`, whose shapes are already
    /// checked against `spec`.
    pub(crate) fn from_parts(parameters: Dense, spec: &NormSpec) -> LayerNorm {
        LayerNorm {
            parameters,
            epsilon: spec.epsilon(),
        }
    }

    /// `γ` and `β` of `layer`, sampled from its streams as a dense layer's
    /// one row of weights and its biases.
    pub(crate) fn sample(
        layer: &LayerSpec,
        spec: &NormSpec,
        streams: &LayerStreams,
    ) -> Result<LayerNorm, Error> {
        Ok(LayerNorm::from_parts(Dense::sample(layer, streams)?, spec))
    }

    /// The output `γ ⊙ x̂ + β` of a batch `(n, N)` and its normalized values
    /// `x̂`, which the backward pass needs.
    pub(crate) fn forward(&self, input: ArrayView2<f32>) -> (Array2<f32>, Array2<f32>) {
        let mut normalized = scratch::copy(input);
        for mut row in normalized.rows_mut() {
            let (mean, inverse) = self.moments(row.view());
            row.mapv_inplace(|x| ((f64::from(x) - mean) * inverse) as f32);
        }
        let mut out = scratch::copy(normalized.view());
        let gamma = self.gamma();
        for mut row in out.rows_mut() {
            Zip::from(&mut row)
                .and(gamma)
                .and(self.beta())
                .for_each(|value, &scale, &shift| *value = *value * scale + shift);
        }
        (out, normalized)
    }

    /// The gradients of `γ` (`1 × N`) and `β` from the gradient `delta`
    /// with respect to the output, and with `below` the gradient with
    /// respect to the input: `(1/σ)·(g − mean(g) − x̂·mean(g ⊙ x̂))` per
    /// example, `g = δ ⊙ γ`.
    pub(crate) fn backward(
        &self,
        input: ArrayView2<f32>,
        normalized: &Array2<f32>,
        delta: ArrayView2<f32>,
        below: bool,
    ) -> (Array2<f32>, Array1<f32>, Option<Array2<f32>>) {
        let gamma_gradient = (&delta * normalized).sum_axis(Axis(0)).insert_axis(Axis(0));
        let beta_gradient = delta.sum_axis(Axis(0));
        let gradient = below.then(|| {
            let mut gradient = scratch::copy(delta);
            let gamma = self.gamma();
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
