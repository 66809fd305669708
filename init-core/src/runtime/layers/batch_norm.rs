//! Batch normalization at run time: each channel (or feature) normalised
//! to mean 0 and variance 1 over the batch and, for an image, its
//! positions, at training time, and by its running statistics at
//! evaluation time; then scaled by `γ` (the tensor `weight`, held as one
//! row) and shifted by `β` (`bias`). The running statistics (the buffers
//! `running_mean` and `running_var`) follow PyTorch's: they start at mean 0
//! and variance 1 and move a tenth of the way to each training batch's
//! mean and unbiased variance.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};

use crate::rules::layer::BatchNormSpec;
use crate::runtime::error::Error;
use crate::runtime::layers::{copy_values, vector, Back, Compute, Computed, Io, Tensor};
use crate::runtime::mode::Mode;
use crate::runtime::scratch;

/// How far the running statistics move toward each training batch's, as
/// PyTorch's `momentum` (0.1).
pub const MOMENTUM: f64 = 0.1;

/// `γ` (`weight`), `β` (`bias`), then the running mean and variance.
const GAMMA: usize = 0;
const BETA: usize = 1;
const RUNNING_MEAN: usize = 2;
const RUNNING_VARIANCE: usize = 3;

impl Compute for BatchNormSpec {
    /// `γ ⊙ x̂ + β` with the batch's statistics in training, the running
    /// ones in evaluation; `x̂` and the statistics kept.
    fn forward(&self, tensors: &[Tensor], input: ArrayView2<f32>, io: Io, mode: Mode) -> Computed {
        let norm = Norm::of(self, tensors, io);
        let (out, normalized, statistics) = norm.forward(input, mode == Mode::Train);
        Computed::new(Some(normalized), out).keeping(statistics)
    }

    fn backward(
        &self,
        tensors: &[Tensor],
        computed: &Computed,
        back: Back<'_>,
        delta: &mut Array2<f32>,
        gradients: Option<&mut Vec<Array2<f32>>>,
    ) -> Option<Array2<f32>> {
        let normalized = computed.pre.as_ref().expect("a batch normalization keeps x̂");
        let statistics = computed
            .kept()
            .expect("a batch normalization keeps its statistics");
        let norm = Norm::of(self, tensors, back.io);
        let (gamma, beta, below) = norm.backward(normalized, statistics, delta.view(), back.below);
        if let Some(gradients) = gradients {
            gradients.extend([gamma, beta.insert_axis(Axis(0))]);
        }
        below
    }

    /// The running statistics as they were, moved toward the batch's (in
    /// training): finite, or the step is refused.
    fn step_buffers(&self, current: &[Tensor], next: &mut [Tensor], computed: &Computed) -> bool {
        for buffer in [RUNNING_MEAN, RUNNING_VARIANCE] {
            copy_values(current, next, buffer);
        }
        if let Some(statistics) = computed.kept::<Statistics>() {
            update(next, statistics);
        }
        [RUNNING_MEAN, RUNNING_VARIANCE]
            .iter()
            .all(|&buffer| next[buffer].values().iter().all(|value| value.is_finite()))
    }

    /// In training, two values per channel at least: a variance to normalise by.
    fn check_batch(&self, batch: ArrayView2<f32>, io: Io, mode: Mode) -> Result<(), Error> {
        let rows = batch.nrows();
        let found = rows * positions(io);
        match mode {
            Mode::Train if found < 2 => Err(Error::BatchTooSmall { found }),
            _ => Ok(()),
        }
    }
}

/// Values per channel in one example: an image's positions, 1 for features.
fn positions(io: Io) -> usize {
    io.input.plane().map_or(1, |[height, width]| height * width)
}

/// Move the running statistics of `tensors` a tenth of the way toward a
/// training batch's, with its unbiased variance, as PyTorch does.
fn update(tensors: &mut [Tensor], statistics: &Statistics) {
    if !statistics.batch {
        return;
    }
    let unbiased = statistics.count as f64 / (statistics.count.max(2) - 1) as f64;
    let mut mean = tensors[RUNNING_MEAN].values_mut();
    for (mean, &batch) in mean.iter_mut().zip(&statistics.mean) {
        *mean = ((1.0 - MOMENTUM) * f64::from(*mean) + MOMENTUM * batch) as f32;
    }
    let mut variance = tensors[RUNNING_VARIANCE].values_mut();
    for (variance, &batch) in variance.iter_mut().zip(&statistics.variance) {
        *variance = ((1.0 - MOMENTUM) * f64::from(*variance) + MOMENTUM * batch * unbiased) as f32;
    }
}

/// A batch normalization's tensors, `ε` and positions per channel, as a pass uses them.
struct Norm<'a> {
    gamma: ArrayView1<'a, f32>,
    beta: ArrayView1<'a, f32>,
    running_mean: ArrayView1<'a, f32>,
    running_variance: ArrayView1<'a, f32>,
    epsilon: f64,
    positions: usize,
}

/// Each channel's mean and variance as a forward pass used them, and
/// whether they were the batch's (training) or the running ones.
#[derive(Clone, Debug)]
struct Statistics {
    mean: Vec<f64>,
    variance: Vec<f64>,
    /// Values per channel in the batch: examples × positions.
    count: usize,
    batch: bool,
}

impl<'a> Norm<'a> {
    fn of(spec: &BatchNormSpec, tensors: &'a [Tensor], io: Io) -> Norm<'a> {
        let row = |index| vector(tensors, index).expect("a batch normalization has its four tensors");
        Norm {
            gamma: row(GAMMA),
            beta: row(BETA),
            running_mean: row(RUNNING_MEAN),
            running_variance: row(RUNNING_VARIANCE),
            epsilon: spec.0.epsilon(),
            positions: positions(io),
        }
    }

    fn channels(&self) -> usize {
        self.gamma.len()
    }

    /// The output of a batch `(n, C·positions)` and its normalized values,
    /// with the statistics used: the batch's when `training`, else the
    /// running ones.
    fn forward(&self, input: ArrayView2<f32>, training: bool) -> (Array2<f32>, Array2<f32>, Statistics) {
        let positions = self.positions;
        let statistics = if training {
            self.batch_statistics(input)
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
        let (gamma, beta) = (self.gamma, self.beta);
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
    fn batch_statistics(&self, input: ArrayView2<f32>) -> Statistics {
        let positions = self.positions;
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
    fn backward(
        &self,
        normalized: &Array2<f32>,
        statistics: &Statistics,
        delta: ArrayView2<f32>,
        below: bool,
    ) -> (Array2<f32>, Array1<f32>, Option<Array2<f32>>) {
        let positions = self.positions;
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
            let gamma = self.gamma;
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
}
