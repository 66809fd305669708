//! Batch normalization: each channel (or feature) normalised to mean 0
//! and variance 1 over the batch and, for an image, its positions, at
//! training time, and by its running statistics at evaluation time; then
//! scaled by `γ` and shifted by `β`. The running statistics follow
//! PyTorch's: they start at mean 0 and variance 1 and move a tenth of the
//! way to each training batch's mean and unbiased variance.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};

use crate::rules::layer::{LayerSpec, NormSpec};
use crate::runtime::error::Error;
use crate::runtime::generator::LayerStreams;
use crate::runtime::layers::dense::Dense;
use crate::runtime::scratch;

/// How far the running statistics move toward each training batch's, as
/// PyTorch's `momentum` (0.1).
pub const MOMENTUM: f64 = 0.1;

/// A batch normalization: `γ` (kept as a `1 × C` weight matrix) and `β`
/// (its biases), `ε`, and the running mean and variance of each channel.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchNorm {
    parameters: Dense,
    epsilon: f64,
    running_mean: Array1<f32>,
    running_variance: Array1<f32>,
}

/// Each channel's mean and variance as a forward pass used them, and
/// whether they were the batch's (training) or the running ones.
#[derive(Clone, Debug)]
pub(crate) struct Statistics {
    mean: Vec<f64>,
    variance: Vec<f64>,
    /// Values per channel in the batch: examples × positions.
    count: usize,
    batch: bool,
}

impl BatchNorm {
    /// The scales `γ`, one per channel.
    pub fn gamma(&self) -> ArrayView1<'_, f32> {
        self.parameters.weight().row(0)
    }

    /// The shifts `β`, one per channel.
    pub fn beta(&self) -> &Array1<f32> {
        self.parameters.bias()
    }

    /// `ε`, added to the variance before its square root.
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// The channels (or features) normalised.
    pub fn channels(&self) -> usize {
        self.parameters.weight().ncols()
    }

    /// Each channel's running mean, used at evaluation time.
    pub fn running_mean(&self) -> &Array1<f32> {
        &self.running_mean
    }

    /// Each channel's running variance, used at evaluation time.
    pub fn running_variance(&self) -> &Array1<f32> {
        &self.running_variance
    }

    pub(crate) fn parameters(&self) -> &Dense {
        &self.parameters
    }

    pub(crate) fn parameters_mut(&mut self) -> &mut Dense {
        &mut self.parameters
    }

    /// A batch normalization from `γ` (`1 × C`), `β` and running
    /// statistics whose shapes are already checked against `spec`.
    pub(crate) fn from_parts(
        parameters: Dense,
        spec: &NormSpec,
        running_mean: Array1<f32>,
        running_variance: Array1<f32>,
    ) -> BatchNorm {
        BatchNorm {
            parameters,
            epsilon: spec.epsilon(),
            running_mean,
            running_variance,
        }
    }

    /// `γ` and `β` of `layer` from its streams, the running statistics at
    /// mean 0 and variance 1.
    pub(crate) fn sample(
        layer: &LayerSpec,
        spec: &NormSpec,
        streams: &LayerStreams,
    ) -> Result<BatchNorm, Error> {
        let channels = spec.features();
        Ok(BatchNorm::from_parts(
            Dense::sample(layer, streams)?,
            spec,
            Array1::zeros(channels),
            Array1::ones(channels),
        ))
    }

    /// The output of a batch `(n, C·positions)` and its normalized values,
    /// with the statistics used: the batch's when `training`, else the
    /// running ones.
    pub(crate) fn forward(
        &self,
        input: ArrayView2<f32>,
        positions: usize,
        training: bool,
    ) -> (Array2<f32>, Array2<f32>, Statistics) {
        let statistics = if training {
            self.batch_statistics(input, positions)
        } else {
            Statistics {
                mean: self.running_mean.iter().map(|&m| f64::from(m)).collect(),
                variance: self.running_variance.iter().map(|&v| f64::from(v)).collect(),
                count: input.nrows() * positions,
                batch: false,
            }
        };
        let mut normalized = scratch::copy(input);
        let mut out = scratch::copy(input);
        let (gamma, beta) = (self.gamma(), self.beta());
        for (mut normalized_row, mut out_row) in normalized.rows_mut().into_iter().zip(out.rows_mut()) {
            let channels = normalized_row
                .as_slice_mut()
                .expect("a fresh array is contiguous")
                .chunks_mut(positions.max(1))
                .zip(
                    out_row
                        .as_slice_mut()
                        .expect("a fresh array is contiguous")
                        .chunks_mut(positions.max(1)),
                );
            for (channel, (x_hat, y)) in channels.enumerate() {
                let inverse = 1.0 / (statistics.variance[channel] + self.epsilon).sqrt();
                let mean = statistics.mean[channel];
                for (x_hat, y) in x_hat.iter_mut().zip(y.iter_mut()) {
                    *x_hat = ((f64::from(*x_hat) - mean) * inverse) as f32;
                    *y = *x_hat * gamma[channel] + beta[channel];
                }
            }
        }
        (out, normalized, statistics)
    }

    /// Each channel's mean and variance (dividing by the count, as the
    /// normalization uses it) over a batch `(n, C·positions)`, in f64.
    fn batch_statistics(&self, input: ArrayView2<f32>, positions: usize) -> Statistics {
        let channels = self.channels();
        let count = input.nrows() * positions;
        let (mut sum, mut squares) = (vec![0.0_f64; channels], vec![0.0_f64; channels]);
        for row in input.rows() {
            let row = row.as_slice().expect("batches are standard layout");
            for (channel, values) in row.chunks(positions.max(1)).enumerate() {
                for &x in values {
                    sum[channel] += f64::from(x);
                }
            }
        }
        let mean: Vec<f64> = sum.iter().map(|&s| s / count.max(1) as f64).collect();
        for row in input.rows() {
            let row = row.as_slice().expect("batches are standard layout");
            for (channel, values) in row.chunks(positions.max(1)).enumerate() {
                for &x in values {
                    squares[channel] += (f64::from(x) - mean[channel]).powi(2);
                }
            }
        }
        Statistics {
            mean,
            variance: squares.iter().map(|&s| s / count.max(1) as f64).collect(),
            count,
            batch: true,
        }
    }

    /// The gradients of `γ` (`1 × C`) and `β` from the gradient `delta`
    /// with respect to the output, and with `below` the input's: with the
    /// batch's statistics `(γ/σ)·(δ − mean(δ) − x̂·mean(δ ⊙ x̂))` per
    /// channel, the means over the batch and positions; with the running
    /// ones `(γ/σ)·δ`.
    pub(crate) fn backward(
        &self,
        normalized: &Array2<f32>,
        statistics: &Statistics,
        delta: ArrayView2<f32>,
        positions: usize,
        below: bool,
    ) -> (Array2<f32>, Array1<f32>, Option<Array2<f32>>) {
        let channels = self.channels();
        let (mut along, mut total) = (vec![0.0_f64; channels], vec![0.0_f64; channels]);
        for (delta_row, x_hat_row) in delta.rows().into_iter().zip(normalized.rows()) {
            let pairs = delta_row
                .as_slice()
                .expect("gradients are standard layout")
                .chunks(positions.max(1))
                .zip(
                    x_hat_row
                        .as_slice()
                        .expect("a fresh array is contiguous")
                        .chunks(positions.max(1)),
                );
            for (channel, (d, h)) in pairs.enumerate() {
                for (&d, &h) in d.iter().zip(h) {
                    total[channel] += f64::from(d);
                    along[channel] += f64::from(d) * f64::from(h);
                }
            }
        }
        let gamma_gradient = Array1::from_iter(along.iter().map(|&a| a as f32)).insert_axis(Axis(0));
        let beta_gradient = Array1::from_iter(total.iter().map(|&t| t as f32));
        let gradient = below.then(|| {
            let gamma = self.gamma();
            let count = statistics.count.max(1) as f64;
            let mut gradient = scratch::copy(delta);
            for (mut row, x_hat_row) in gradient.rows_mut().into_iter().zip(normalized.rows()) {
                let pairs = row
                    .as_slice_mut()
                    .expect("a fresh array is contiguous")
                    .chunks_mut(positions.max(1))
                    .zip(
                        x_hat_row
                            .as_slice()
                            .expect("a fresh array is contiguous")
                            .chunks(positions.max(1)),
                    );
                for (channel, (g, h)) in pairs.enumerate() {
                    let scale =
                        f64::from(gamma[channel]) / (statistics.variance[channel] + self.epsilon).sqrt();
                    let (mean, along) = match statistics.batch {
                        true => (total[channel] / count, along[channel] / count),
                        false => (0.0, 0.0),
                    };
                    for (g, &h) in g.iter_mut().zip(h) {
                        *g = ((f64::from(*g) - mean - f64::from(h) * along) * scale) as f32;
                    }
                }
            }
            gradient
        });
        (gamma_gradient, beta_gradient, gradient)
    }

    /// Move the running statistics a tenth of the way toward a training
    /// batch's, with its unbiased variance, as PyTorch does.
    pub(crate) fn update(&mut self, statistics: &Statistics) {
        if !statistics.batch {
            return;
        }
        let unbiased = statistics.count as f64 / (statistics.count.max(2) - 1) as f64;
        for (channel, (mean, variance)) in self
            .running_mean
            .iter_mut()
            .zip(self.running_variance.iter_mut())
            .enumerate()
        {
            *mean = ((1.0 - MOMENTUM) * f64::from(*mean) + MOMENTUM * statistics.mean[channel]) as f32;
            *variance = ((1.0 - MOMENTUM) * f64::from(*variance)
                + MOMENTUM * statistics.variance[channel] * unbiased) as f32;
        }
    }

    /// The running statistics of `other`, as they were before a step.
    pub(crate) fn copy_running(&mut self, other: &BatchNorm) {
        self.set_running(other.running_mean.clone(), other.running_variance.clone());
    }

    /// Running statistics read from a checkpoint, their shapes checked.
    pub(crate) fn set_running(&mut self, mean: Array1<f32>, variance: Array1<f32>) {
        (self.running_mean, self.running_variance) = (mean, variance);
    }
}
