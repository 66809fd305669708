//! The mean-field recursion position by position, for networks of images
//! as for vectors.
//!
//! What is followed, per layer: each position's second moment `E[h²]`
//! (averaged over channels, which are exchangeable at init); how much of it
//! is the mean (`E[h]²/E[h²]`); and the correlation of adjacent positions.
//! Assumptions, each measured in the README's conv study:
//! - A convolution's weights are independent of each other and of its
//!   input, so `Var z(o) = C_in E[w²] Σ E[x²] + E[b²]`, the sum over the
//!   taps of output `o` that fall inside the image: zero padding is counted
//!   exactly. Pre-activations are Gaussian (many terms add up).
//! - Correlations decay geometrically with distance (`c^d`, `d` counted
//!   along rows plus along columns), and a stride `s` takes the one at
//!   distance `s`. A convolution keeps its input's correlation apart from
//!   the bias's share (weights at one tap multiply both neighbours alike).
//! - Max pooling takes the largest of `K²` values whose pre-activations are
//!   jointly Gaussian with their mean pairwise correlation; for an activation
//!   that never decreases, `max φ(zᵢ) = φ(max zᵢ)` (gelu and silu, which dip
//!   below zero, are approximated so).
//! - Average pooling adds `K²` values with those correlations. Backward,
//!   every value of a window is equally likely to win a max pooling, and the
//!   gradients of different windows are uncorrelated.

use std::collections::HashMap;

use crate::rules::activation::Activation;
use crate::rules::blocks;
use crate::rules::fans::Fans;
use crate::rules::flow;
use crate::rules::init::Init;
use crate::rules::layer::{AffineSpec, LayerKind, LayerSpec, NormSpec, PoolSpec};
use crate::rules::shape::Shape;
use crate::rules::signal::pairs::{cross_moment, max_moment};
use crate::rules::signal::{LayerSignal, Passes};

/// The correlation of adjacent pixels the analysis assumes for an image
/// input when none is measured: Fashion-MNIST's training set has 0.924
/// (`init_study --part conv` prints it); natural images are alike.
pub const IMAGE_NEIGHBOUR_CORRELATION: f64 = 0.92;

/// Input statistics that do not describe the network's input: their plane
/// (or features) differs from what `input(…)` declares.
#[derive(Clone, Debug, PartialEq)]
pub struct StatisticsMismatch {
    /// The network's input.
    pub network: Option<Shape>,
    /// The statistics' plane, `None` for features.
    pub statistics: Option<[usize; 2]>,
    /// How many second moments the statistics hold.
    pub values: usize,
}

impl core::fmt::Display for StatisticsMismatch {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let network = self
            .network
            .map_or_else(|| "unknown".to_owned(), |shape| shape.to_string());
        match self.statistics {
            Some([height, width]) => write!(
                f,
                "the statistics describe a {height} × {width} plane ({} values), but the network's input is {network}",
                self.values
            ),
            None => write!(f, "the statistics describe features, but the network's input is {network}"),
        }
    }
}

impl std::error::Error for StatisticsMismatch {}

/// What the analysis takes of the data: the second moment at each input
/// position and how adjacent positions are correlated.
#[derive(Clone, Debug, PartialEq)]
pub struct InputStatistics {
    /// `E[x²]` at each position of a plane, row by row (averaged over
    /// channels); one value for a vector of features.
    pub second_moments: Vec<f64>,
    /// The plane's `[height, width]`; `None` for features.
    pub plane: Option<[usize; 2]>,
    /// `E[x]² / E[x²]`: how much of the second moment is the mean.
    pub mean_ratio: f64,
    /// The Pearson correlation of horizontally or vertically adjacent values.
    pub neighbour_correlation: f64,
}

impl InputStatistics {
    /// Features of second moment `second_moment` and mean zero.
    pub fn features(second_moment: f64) -> InputStatistics {
        InputStatistics {
            second_moments: vec![second_moment],
            plane: None,
            mean_ratio: 0.0,
            neighbour_correlation: 0.0,
        }
    }

    /// An image of mean zero and second moment `second_moment` everywhere,
    /// adjacent pixels correlated `correlation`. A plane past
    /// [`MAX_PLANE`](crate::MAX_PLANE) positions holds no second moments:
    /// [`propagate_from`](crate::signal::propagate_from) refuses it with a
    /// typed error, as it refuses any plane the network does not have.
    pub fn uniform_image(plane: [usize; 2], second_moment: f64, correlation: f64) -> InputStatistics {
        InputStatistics {
            second_moments: vec![second_moment; positions(plane).unwrap_or(0)],
            plane: Some(plane),
            mean_ratio: 0.0,
            neighbour_correlation: correlation,
        }
    }

    /// The statistics of a batch of images of `shape`, one image per row of
    /// `rows` values (`C × H × W`, channel by channel, row by row).
    ///
    /// ```
    /// use netinit::signal::InputStatistics;
    /// use netinit::Shape;
    /// // Two 1 × 1 × 2 images: [1, 1] and [3, 3].
    /// let statistics = InputStatistics::measure(&[1.0, 1.0, 3.0, 3.0], Shape::image(1, 1, 2));
    /// assert_eq!(statistics.second_moments, [5.0, 5.0]);
    /// assert_eq!(statistics.mean_ratio, 0.8);
    /// assert_eq!(statistics.neighbour_correlation, 1.0);
    /// ```
    pub fn measure(rows: &[f32], shape: Shape) -> InputStatistics {
        let Shape::Image {
            channels,
            height,
            width,
        } = shape
        else {
            let count = rows.len().max(1) as f64;
            let second = rows.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / count;
            return InputStatistics::features(second);
        };
        // An empty plane, or one past MAX_PLANE, gives no second moments
        // (see `uniform_image`).
        let plane = match positions([height, width]) {
            Some(plane) if plane > 0 && channels > 0 => plane,
            _ => return InputStatistics::uniform_image([height, width], 0.0, 0.0),
        };
        let images = rows.len() / (channels * plane);
        let mut second_moments = vec![0.0; plane];
        let (mut sum, mut square, mut cross, mut pairs) = (0.0, 0.0, 0.0, 0.0);
        for image in rows.chunks_exact((channels * plane).max(1)) {
            for channel in image.chunks_exact(plane.max(1)) {
                for (position, &x) in channel.iter().enumerate() {
                    let x = f64::from(x);
                    second_moments[position] += x * x;
                    sum += x;
                    square += x * x;
                    let (y, column) = (position / width, position % width);
                    if column + 1 < width {
                        cross += x * f64::from(channel[position + 1]);
                        pairs += 1.0;
                    }
                    if y + 1 < height {
                        cross += x * f64::from(channel[position + width]);
                        pairs += 1.0;
                    }
                }
            }
        }
        let values = (images * channels * plane).max(1) as f64;
        second_moments
            .iter_mut()
            .for_each(|moment| *moment /= (images * channels).max(1) as f64);
        let (mean, second) = (sum / values, square / values);
        let raw = if pairs > 0.0 { cross / pairs / second } else { 1.0 };
        let mean_ratio = if second > 0.0 { mean * mean / second } else { 0.0 };
        InputStatistics {
            second_moments,
            plane: Some([height, width]),
            mean_ratio,
            neighbour_correlation: centred(raw, mean_ratio),
        }
    }
}

/// The positions of a plane, `None` past [`flow::MAX_PLANE`] (or overflow).
fn positions([height, width]: [usize; 2]) -> Option<usize> {
    height
        .checked_mul(width)
        .filter(|&plane| plane <= flow::MAX_PLANE)
}

/// The Pearson correlation from the raw ratio `E[xy]/E[x²]` and the mean's share.
fn centred(raw: f64, mean_ratio: f64) -> f64 {
    if mean_ratio >= 1.0 - 1e-12 {
        1.0
    } else {
        ((raw - mean_ratio) / (1.0 - mean_ratio)).clamp(-1.0, 1.0)
    }
}

/// The values between two layers, as the analysis knows them.
#[derive(Clone, Debug)]
struct Values {
    /// `E[h²]` per position (one value for features).
    field: Vec<f64>,
    plane: Option<[usize; 2]>,
    mean_ratio: f64,
    correlation: f64,
    /// When the values are an activation of Gaussian pre-activations: their
    /// variance per position, the activation, and their neighbour correlation.
    gaussian: Option<Gaussian>,
}

#[derive(Clone, Debug)]
struct Gaussian {
    variances: Vec<f64>,
    activation: Activation,
    correlation: f64,
}

impl Values {
    fn mean(&self) -> f64 {
        self.field.iter().sum::<f64>() / self.field.len().max(1) as f64
    }

    /// `E[h(p) h(p + d)] / E[h²]` at distance `d`.
    fn raw(&self, distance: usize) -> f64 {
        self.mean_ratio + (1.0 - self.mean_ratio) * self.correlation.powi(distance as i32)
    }

    /// The same mean and correlations, uniform over `plane`.
    fn uniform(&self, plane: Option<[usize; 2]>) -> Values {
        let count = plane.map_or(1, |[height, width]| height * width);
        Values {
            field: vec![self.mean(); count],
            plane,
            gaussian: None,
            ..self.clone()
        }
    }
}

/// What the backward pass needs of each layer's forward step.
enum Step {
    /// A layer with weights: its pre-activation variances (per output
    /// position), the input's plane, and for a convolution its windows.
    Affine {
        variances: Vec<f64>,
        input: Option<[usize; 2]>,
        windows: Option<Windows>,
        included: bool,
    },
    /// A pooling: its windows, and whether it averages.
    Pool { windows: Windows, average: bool },
    /// A global average pooling over a plane.
    Global { plane: [usize; 2] },
    /// `input` or `flatten`: nothing changes.
    Through { input: Option<[usize; 2]> },
    /// A normalization, and what it multiplies the gradient's second
    /// moment by on the way back: `E[γ²] / (σ² + ε)`.
    Norm { scale: f64 },
    /// An activation as a layer of its own, and the variances (per
    /// position) of the Gaussians it is taken to act on.
    Activation {
        variances: Vec<f64>,
        activation: Activation,
    },
    /// A residual branch's last layer with zero weights: no gradient
    /// passes below it (the skip carries the block's).
    Zero { input: Option<[usize; 2]> },
    /// A residual block's start: on the way back, the branch's gradient
    /// and the skip's add here.
    Open,
    /// A residual block's shortcut: on the way back, the shortcut's
    /// gradient is set aside, and the branch's begins.
    Split,
    /// A residual block's end: on the way back, its gradient goes to both
    /// the branch and the skip; its output's positions.
    Join { positions: usize },
}

/// An open residual block, on the way forward: its input, the spread
/// there, and the branch's output once its shortcut begins.
struct OpenBlock {
    input: Values,
    spread: f64,
    branch: Option<Values>,
    /// Whether a layer of the branch draws random weights; without one,
    /// the branch is a function of its input alone.
    random: bool,
}

/// An open residual block, on the way back: the gradient at its output
/// and the bookkeeping there, and the shortcut's gradient at its input.
struct JoinedBlock {
    gradient: Option<Vec<f64>>,
    above_norm: f64,
    pooled: f64,
    skip: Option<Option<Vec<f64>>>,
    /// Whether no layer with weights is above the block.
    top: bool,
}

/// The sum of a branch's output and what it is added to. Where the
/// branch draws random weights (`random`), their fluctuations are
/// uncorrelated at init (its weights are independent of the skip), so
/// their second moments add, plus twice the product of their means:
/// `E[(a + b)²] = E[a²] + E[b²] + 2 E[a] E[b]`. A branch without random
/// weights (a normalization, an activation) is a function of the skip, and
/// is taken as fully correlated with it: `(√E[a²] + √E[b²])²`, exact for
/// a normalization of values whose mean is zero, an upper bound otherwise.
fn added(branch: &Values, skip: &Values, random: bool) -> Values {
    let mean_of = |values: &Values| (values.mean_ratio * values.mean()).max(0.0).sqrt();
    let (mean_a, mean_b) = (mean_of(branch), mean_of(skip));
    let cross = 2.0 * mean_a * mean_b;
    let sum = |a: f64, b: f64| match random {
        true => a + b + cross,
        false => (a.sqrt() + b.sqrt()).powi(2),
    };
    let field: Vec<f64> = if branch.field.len() == skip.field.len() {
        branch
            .field
            .iter()
            .zip(&skip.field)
            .map(|(&a, &b)| sum(a, b))
            .collect()
    } else {
        vec![sum(branch.mean(), skip.mean()); branch.field.len()]
    };
    let second = field.iter().sum::<f64>() / field.len().max(1) as f64;
    let centred = |values: &Values| values.mean() * (1.0 - values.mean_ratio);
    let (spread_a, spread_b) = (centred(branch), centred(skip));
    Values {
        field,
        plane: branch.plane,
        mean_ratio: if second > 0.0 {
            ((mean_a + mean_b).powi(2) / second).min(1.0)
        } else {
            0.0
        },
        correlation: if spread_a + spread_b > 0.0 {
            (branch.correlation * spread_a + skip.correlation * spread_b) / (spread_a + spread_b)
        } else {
            0.0
        },
        gaussian: None,
    }
}

/// Where windows fall: input and output planes, kernel, stride, padding.
#[derive(Clone, Copy, Debug)]
struct Windows {
    input: [usize; 2],
    output: [usize; 2],
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
}

impl Windows {
    /// For each output position, the input positions its window covers.
    fn each(&self, mut visit: impl FnMut(usize, usize)) {
        let ([height, width], [out_h, out_w]) = (self.input, self.output);
        for oy in 0..out_h {
            for ox in 0..out_w {
                for i in 0..self.kernel[0] {
                    let Some(y) = (oy * self.stride[0] + i)
                        .checked_sub(self.padding[0])
                        .filter(|&y| y < height)
                    else {
                        continue;
                    };
                    for j in 0..self.kernel[1] {
                        if let Some(x) = (ox * self.stride[1] + j)
                            .checked_sub(self.padding[1])
                            .filter(|&x| x < width)
                        {
                            visit(oy * out_w + ox, y * width + x);
                        }
                    }
                }
            }
        }
    }

    fn taps(&self) -> usize {
        self.kernel[0] * self.kernel[1]
    }

    /// The mean over ordered pairs of a window's taps of `f(distance)`, the
    /// distance counted along rows plus along columns.
    fn mean_over_pairs(&self, f: impl Fn(usize) -> f64) -> f64 {
        let [height, width] = self.kernel;
        let mut total = 0.0;
        for a in 0..height * width {
            for b in 0..height * width {
                total += f((a / width).abs_diff(b / width) + (a % width).abs_diff(b % width));
            }
        }
        total / ((height * width) as f64).powi(2)
    }
}

/// `E[φ(z)²]` for many variances, each distinct one computed once.
struct SecondMoments {
    activation: Activation,
    known: HashMap<u64, f64>,
}

impl SecondMoments {
    fn of(&mut self, variance: f64) -> f64 {
        let activation = self.activation;
        *self
            .known
            .entry(variance.to_bits())
            .or_insert_with(|| activation.second_moment(variance))
    }
}

/// Whether `input` describes the input of `layers`: the same plane, one
/// second moment per position (or features for features).
pub(crate) fn fits(layers: &[LayerSpec], input: &InputStatistics) -> Result<(), StatisticsMismatch> {
    let network = flow::input_shape(layers);
    let fits = match (network, input.plane) {
        (Some(Shape::Image { height, width, .. }), Some(plane)) => {
            plane == [height, width] && input.second_moments.len() == height * width
        }
        (Some(Shape::Features(_)) | None, None) => !input.second_moments.is_empty(),
        _ => false,
    };
    match fits {
        true => Ok(()),
        false => Err(StatisticsMismatch {
            network,
            statistics: input.plane,
            values: input.second_moments.len(),
        }),
    }
}

pub(crate) fn propagate(
    layers: &[LayerSpec],
    weights: &[f64],
    input: &InputStatistics,
    passes: Passes,
) -> Vec<LayerSignal> {
    let shapes = flow::shapes(layers);
    let plane_of = |shape: Option<Shape>| shape.and_then(|shape| shape.plane());
    let mut values = Values {
        field: input.second_moments.clone(),
        plane: input.plane,
        mean_ratio: input.mean_ratio,
        correlation: input.neighbour_correlation,
        gaussian: None,
    };
    let input_mean = values.mean();
    // The sum of the layers' Var(f) so far (see `typical_second_moment`).
    let mut spread = 0.0;
    let mut signals = Vec::with_capacity(layers.len());
    let mut steps = Vec::with_capacity(layers.len());
    let mut open: Vec<OpenBlock> = Vec::new();
    for ((layer, &weight), shape) in layers.iter().zip(weights).zip(&shapes) {
        let mut before = values.mean();
        let output_plane = plane_of(*shape);
        let (next, step) = match (layer.kind(), layer.affine()) {
            (LayerKind::Dense(_) | LayerKind::Conv2d(_), Some(affine)) if !layer.weight_is_constant() => {
                let windows = match layer.kind() {
                    LayerKind::Conv2d(conv) => {
                        values.plane.zip(output_plane).map(|(input, output)| Windows {
                            input,
                            output,
                            kernel: conv.kernel(),
                            stride: conv.stride(),
                            padding: conv.padding_sizes(),
                        })
                    }
                    _ => None,
                };
                affine_forward(affine, weight, &values, windows)
            }
            // A residual branch's last layer at zero (ReZero): it gives its
            // activation of the bias, exactly, for every input.
            (LayerKind::Dense(_) | LayerKind::Conv2d(_), Some(affine))
                if weight == 0.0
                    && matches!(affine.bias(), Init::Constant { .. })
                    && blocks::ends_a_branch(layers, signals.len()) =>
            {
                let Init::Constant { value } = affine.bias() else {
                    unreachable!("matched above")
                };
                let second = affine.activation().value(value).powi(2);
                let count = output_plane.map_or(1, |[height, width]| height * width);
                (
                    Values {
                        field: vec![second; count],
                        plane: output_plane,
                        mean_ratio: if second > 0.0 { 1.0 } else { 0.0 },
                        correlation: 1.0,
                        gaussian: None,
                    },
                    Step::Zero { input: values.plane },
                )
            }
            (LayerKind::Dense(_) | LayerKind::Conv2d(_), _) => (
                values.uniform(output_plane),
                Step::Affine {
                    variances: vec![before],
                    input: values.plane,
                    windows: None,
                    included: false,
                },
            ),
            (LayerKind::MaxPool2d(pool) | LayerKind::AvgPool2d(pool), _) => {
                let average = matches!(layer.kind(), LayerKind::AvgPool2d(_));
                match values.plane.zip(output_plane) {
                    Some((input, output)) => pool_forward(pool, average, &values, input, output),
                    None => (values.clone(), Step::Through { input: values.plane }),
                }
            }
            (LayerKind::GlobalAvgPool2d, _) => match values.plane {
                Some(plane) => global_forward(&values, plane),
                None => (values.clone(), Step::Through { input: None }),
            },
            (LayerKind::Activation(activation), _) => activation_forward(*activation, &values),
            // A normalization whose γ is all zeros starts constant: left out,
            // as a constant layer is.
            // A residual branch ending in a normalization whose γ is zero
            // gives β, and passes no gradient back.
            (LayerKind::LayerNorm(norm) | LayerKind::BatchNorm(norm), _)
                if weight == 0.0 && blocks::ends_a_branch(layers, signals.len()) =>
            {
                let beta = norm.beta().second_moment(Activation::Identity, Fans::dense(1, 1));
                let count = output_plane.map_or(1, |[height, width]| height * width);
                (
                    Values {
                        field: vec![beta; count],
                        plane: output_plane,
                        mean_ratio: match norm.beta() {
                            Init::Constant { .. } if beta > 0.0 => 1.0,
                            _ => 0.0,
                        },
                        correlation: 0.0,
                        gaussian: None,
                    },
                    Step::Zero { input: values.plane },
                )
            }
            (LayerKind::LayerNorm(_) | LayerKind::BatchNorm(_), _) if weight == 0.0 => (
                values.clone(),
                Step::Affine {
                    variances: vec![before],
                    input: values.plane,
                    windows: None,
                    included: false,
                },
            ),
            (LayerKind::LayerNorm(norm), _) => {
                // Its output's spread no longer depends on the draws below.
                spread = 0.0;
                norm_forward(norm, weight, &values, true)
            }
            (LayerKind::BatchNorm(norm), _) => {
                spread = 0.0;
                norm_forward(norm, weight, &values, false)
            }
            (LayerKind::Residual { .. }, _) => {
                open.push(OpenBlock {
                    input: values.clone(),
                    spread,
                    branch: None,
                    random: false,
                });
                (values.clone(), Step::Open)
            }
            (LayerKind::Shortcut, _) => match open.last_mut() {
                Some(block) => {
                    block.branch = Some(values.clone());
                    spread = block.spread;
                    (block.input.clone(), Step::Split)
                }
                None => (values.clone(), Step::Through { input: values.plane }),
            },
            (LayerKind::ResidualEnd, _) => match open.pop() {
                Some(block) => {
                    // The block's factor: its output over its input.
                    before = block.input.mean();
                    spread = block.spread;
                    let sum = match &block.branch {
                        Some(branch) => added(branch, &values, block.random),
                        None => added(&values, &block.input, block.random),
                    };
                    let positions = output_plane.map_or(1, |[height, width]| height * width);
                    (sum, Step::Join { positions })
                }
                None => (values.clone(), Step::Through { input: values.plane }),
            },
            (LayerKind::Input(_) | LayerKind::Flatten, _) => (
                Values {
                    plane: output_plane,
                    ..values.clone()
                },
                Step::Through { input: values.plane },
            ),
        };
        values = next;
        let included = !matches!(step, Step::Affine { included: false, .. } | Step::Zero { .. });
        // Random weights make every block around them a random branch.
        // (A zero end's constant, or a normalization's random γ, is no
        // function of the skip either.)
        let random_gamma = layer.norm().is_some_and(|norm| !norm.gamma().is_constant());
        if matches!(step, Step::Affine { included: true, .. } | Step::Zero { .. }) || random_gamma {
            open.iter_mut().for_each(|block| block.random = true);
        }
        let variance = match &step {
            Step::Affine { variances, .. } | Step::Activation { variances, .. } => {
                variances.iter().sum::<f64>() / variances.len().max(1) as f64
            }
            _ => values.mean(),
        };
        let after = values.mean();
        if let (Some(affine), true) = (layer.affine(), included) {
            spread += factor_variance(affine.activation(), variance, affine.outputs());
        }
        signals.push(LayerSignal {
            included,
            preactivation_variance: variance,
            activation: match layer.kind() {
                LayerKind::Activation(activation) => *activation,
                _ => layer.activation(),
            },
            activation_second_moment: after,
            typical_second_moment: after * (-spread / 2.0).exp(),
            forward_factor: after / before,
            forward_cumulative: after / input_mean,
            backward_factor: 1.0,
            backward_cumulative: 1.0,
            output_gradient: 1.0,
        });
        steps.push(step);
    }
    if passes == Passes::Both {
        backward(layers, weights, &steps, &mut signals);
    }
    signals
}

/// How much one layer's factor on the second moment varies between draws
/// of its weights: `(E[φ⁴]/E[φ²]² - 1)/n` for `n` outputs that each draw
/// their own weights.
fn factor_variance(activation: Activation, variance: f64, outputs: usize) -> f64 {
    let second = activation.second_moment(variance);
    if second <= 0.0 || outputs == 0 {
        return 0.0;
    }
    let fourth = crate::rules::gaussian::expectation(|x| activation.value(x).powi(4), variance);
    (fourth / (second * second) - 1.0) / outputs as f64
}

/// A dense layer or a convolution: the pre-activation's variance at each
/// output position, then the activation's moments.
fn affine_forward(
    affine: &AffineSpec,
    weight: f64,
    values: &Values,
    windows: Option<Windows>,
) -> (Values, Step) {
    let bias = affine.bias().second_moment(affine.activation(), affine.fans());
    let per_tap = affine.inputs() as f64 * weight;
    let (variances, correlation) = match windows {
        Some(windows) => {
            let mut sums = vec![0.0; windows.output[0] * windows.output[1]];
            windows.each(|output, input| sums[output] += values.field[input]);
            let variances: Vec<f64> = sums.iter().map(|sum| per_tap * sum + bias).collect();
            // Interior neighbours share their weights tap by tap.
            let taps = windows.taps() as f64 * per_tap * values.mean();
            let correlation = (taps * values.raw(windows.stride[1]) + bias) / (taps + bias);
            (variances, if correlation.is_finite() { correlation } else { 1.0 })
        }
        None => (
            vec![affine.fans().fan_in as f64 * weight * values.mean() + bias],
            0.0,
        ),
    };
    let input = values.plane;
    let plane = windows.map(|windows| windows.output);
    (
        activated(affine.activation(), &variances, correlation, plane),
        Step::Affine {
            variances,
            input,
            windows,
            included: true,
        },
    )
}

/// An activation as a layer of its own. Its input is taken as Gaussian:
/// exactly so after a weighted layer whose activation is the identity
/// (which validation refuses for activations whose init would differ, but
/// not for tanh, sigmoid or softmax), an approximation after anything else.
fn activation_forward(activation: Activation, values: &Values) -> (Values, Step) {
    let (variances, correlation) = match &values.gaussian {
        Some(gaussian) if gaussian.activation == Activation::Identity => {
            (gaussian.variances.clone(), gaussian.correlation)
        }
        _ => (values.field.clone(), values.correlation),
    };
    (
        activated(activation, &variances, correlation, values.plane),
        Step::Activation {
            variances,
            activation,
        },
    )
}

/// A normalization (`per_example`: a layer normalization, else a batch
/// normalization at training time): values brought to mean 0 and variance
/// 1, then scaled by `γ` and shifted by `β`. The variance is taken as the
/// second moment less the part the mean carries (`mean_ratio`), `σ²`;
/// the output's second moment
/// is `E[γ²]·σ²/(σ² + ε) + E[β²]` whatever came before, and the gradient's
/// is multiplied by about `E[γ²]/(σ² + ε)` on the way back. `gamma` is
/// `E[γ²]`, with the branch scaling.
fn norm_forward(norm: &NormSpec, gamma: f64, values: &Values, per_example: bool) -> (Values, Step) {
    // A layer normalization's variance over N features divides by N, as
    // PyTorch's does: on average (N - 1)/N of the spread. A batch
    // normalization's runs over the batch (and the plane's positions),
    // about the whole spread.
    let features = norm.features().max(1) as f64;
    let share = if per_example {
        (features - 1.0) / features
    } else {
        1.0
    };
    let variance = (values.mean() * (1.0 - values.mean_ratio) * share).max(0.0);
    let fans = Fans::dense(1, 1);
    let beta = norm.beta().second_moment(Activation::Identity, fans);
    let denominator = variance + norm.epsilon();
    let second = gamma * variance / denominator + beta;
    // Each feature's mean over examples is its β: a constant β's square.
    let beta_mean = match norm.beta() {
        Init::Constant { value } => value * value,
        _ => 0.0,
    };
    let mean_ratio = if second > 0.0 {
        (beta_mean / second).min(1.0)
    } else {
        0.0
    };
    // A batch normalization keeps an image's plane: per channel it is an
    // affine map, which keeps the centred neighbour correlation.
    let (field, plane, correlation) = match (per_example, values.plane) {
        (false, Some(plane)) => (vec![second; plane[0] * plane[1]], Some(plane), values.correlation),
        _ => (vec![second], None, 0.0),
    };
    (
        Values {
            field,
            plane,
            mean_ratio,
            correlation,
            gaussian: None,
        },
        Step::Norm {
            scale: gamma / denominator,
        },
    )
}

/// The values `activation` gives of zero-mean Gaussians with `variances`
/// (one per position of `plane`, or one for features) whose neighbours
/// correlate by `correlation`.
fn activated(
    activation: Activation,
    variances: &[f64],
    correlation: f64,
    plane: Option<[usize; 2]>,
) -> Values {
    let mut moments = SecondMoments {
        activation,
        known: HashMap::new(),
    };
    let field: Vec<f64> = variances.iter().map(|&variance| moments.of(variance)).collect();
    let mean_variance = variances.iter().sum::<f64>() / variances.len().max(1) as f64;
    let second = moments.of(mean_variance);
    let mean_ratio = if second > 0.0 {
        (activation.mean(mean_variance).powi(2) / second).min(1.0)
    } else {
        0.0
    };
    let neighbour = match plane {
        Some(_) if second > 0.0 => centred(
            cross_moment(activation, mean_variance, correlation) / second,
            mean_ratio,
        ),
        _ => 0.0,
    };
    Values {
        field,
        plane,
        mean_ratio,
        correlation: neighbour,
        gaussian: Some(Gaussian {
            variances: variances.to_vec(),
            activation,
            correlation,
        }),
    }
}

/// A max or average pooling.
fn pool_forward(
    pool: &PoolSpec,
    average: bool,
    values: &Values,
    input: [usize; 2],
    output: [usize; 2],
) -> (Values, Step) {
    let windows = Windows {
        input,
        output,
        kernel: pool.kernel(),
        stride: pool.stride(),
        padding: [0, 0],
    };
    let taps = windows.taps();
    let (factor, mean_ratio) = if average {
        let factor = windows.mean_over_pairs(|distance| values.raw(distance));
        (factor, (values.mean_ratio / factor).min(1.0))
    } else {
        // Values that are no activation of Gaussians are taken as Gaussian themselves.
        let (activation, variance, correlation) = match &values.gaussian {
            Some(gaussian) => (
                gaussian.activation,
                gaussian.variances.iter().sum::<f64>() / gaussian.variances.len().max(1) as f64,
                gaussian.correlation,
            ),
            None => (Activation::Identity, values.mean(), values.correlation),
        };
        let pairs = windows.mean_over_pairs(|distance| correlation.max(0.0).powi(distance as i32));
        // Over distinct pairs only: the mean above counts each tap with itself.
        let distinct = if taps > 1 {
            (pairs * (taps * taps) as f64 - taps as f64) / (taps * (taps - 1)) as f64
        } else {
            1.0
        };
        let single = activation.second_moment(variance);
        let (first, second) = (
            max_moment(activation, variance, distinct, taps, 1),
            max_moment(activation, variance, distinct, taps, 2),
        );
        let factor = if single > 0.0 { second / single } else { 1.0 };
        (
            factor,
            if second > 0.0 {
                (first * first / second).min(1.0)
            } else {
                0.0
            },
        )
    };
    let mut sums = vec![0.0; output[0] * output[1]];
    windows.each(|out, at| sums[out] += values.field[at]);
    let field = sums.iter().map(|sum| factor * sum / taps as f64).collect();
    (
        Values {
            field,
            plane: Some(output),
            mean_ratio,
            correlation: values.correlation.powi(windows.stride[1] as i32),
            gaussian: None,
        },
        Step::Pool { windows, average },
    )
}

/// A global average pooling: each channel's mean over its plane.
fn global_forward(values: &Values, plane: [usize; 2]) -> (Values, Step) {
    let along = |length: usize| {
        let mut total = 0.0;
        for a in 0..length {
            for b in 0..length {
                total += values.correlation.powi(a.abs_diff(b) as i32);
            }
        }
        total / (length * length).max(1) as f64
    };
    let shared = values.mean_ratio + (1.0 - values.mean_ratio) * along(plane[0]) * along(plane[1]);
    (
        Values {
            field: vec![values.mean() * shared],
            plane: None,
            mean_ratio: (values.mean_ratio / shared).min(1.0),
            correlation: 0.0,
            gaussian: None,
        },
        Step::Global { plane },
    )
}

/// The gradients' squared norms, top to bottom, relative to the last
/// layer with weights. A pooling changes how many units share a gradient,
/// as a change of width does: its factor is kept in the cumulative norms
/// but, like widths, not counted in the next layer's own factor.
fn backward(layers: &[LayerSpec], weights: &[f64], steps: &[Step], signals: &mut [LayerSignal]) {
    // E[δ²] per position with respect to the current layer's output.
    let mut gradient: Option<Vec<f64>> = None;
    let mut top_norm: Option<f64> = None;
    let mut above_norm = 1.0;
    let mut pooled = 1.0;
    let mut joined: Vec<JoinedBlock> = Vec::new();
    // Whether the next layer with weights has none above it to be measured
    // against (below a block at the network's top, as at the top itself).
    let mut unmeasured = false;
    for index in (0..layers.len()).rev() {
        let layer = &layers[index];
        let units = layer.outputs() as f64;
        signals[index].output_gradient = gradient.as_deref().map_or(1.0, mean);
        match &steps[index] {
            Step::Join { positions } => {
                signals[index].backward_cumulative = relative(top_norm, above_norm);
                // At the network's top, the unit gradient both ways.
                let gradient = gradient.get_or_insert_with(|| vec![1.0; *positions]);
                // A branch's top layer with no layer with weights above the
                // block is measured against nothing, as the network's top.
                unmeasured = top_norm.is_none();
                joined.push(JoinedBlock {
                    top: top_norm.is_none(),
                    gradient: Some(gradient.clone()),
                    above_norm,
                    pooled,
                    skip: None,
                });
            }
            Step::Split => {
                signals[index].backward_cumulative = relative(top_norm, above_norm);
                if let Some(block) = joined.last_mut() {
                    block.skip = Some(gradient.take());
                    gradient = block.gradient.clone();
                    (above_norm, pooled) = (block.above_norm, block.pooled);
                    unmeasured = block.top;
                }
            }
            Step::Open => {
                signals[index].backward_cumulative = relative(top_norm, above_norm);
                if let Some(block) = joined.pop() {
                    let output = block.gradient.as_deref().map(mean);
                    let skip = block.skip.unwrap_or(block.gradient);
                    gradient = match (gradient.take(), skip) {
                        (Some(branch), Some(skip)) if branch.len() == skip.len() => {
                            Some(branch.iter().zip(&skip).map(|(a, b)| a + b).collect())
                        }
                        (Some(branch), Some(skip)) => Some(vec![mean(&branch) + mean(&skip); skip.len()]),
                        (branch, skip) => branch.or(skip),
                    };
                    // The block's own factor, as a layer's: the gradient at
                    // its input over the one at its output. Below it,
                    // factors are taken against the layer above the block,
                    // times this.
                    let growth = match (output, gradient.as_deref().map(mean)) {
                        (Some(output), Some(input)) if output > 0.0 => input / output,
                        _ => 1.0,
                    };
                    signals[index].backward_factor = growth;
                    signals[index].output_gradient = gradient.as_deref().map_or(1.0, mean);
                    (above_norm, pooled) = (block.above_norm * growth, block.pooled);
                    unmeasured = block.top;
                }
            }
            Step::Zero { input } => {
                signals[index].backward_cumulative = relative(top_norm, above_norm);
                gradient = Some(vec![0.0; input.map_or(1, |[height, width]| height * width)]);
            }
            Step::Affine {
                variances,
                input,
                windows,
                included,
            } => {
                let incoming = gradient.take();
                if !included {
                    let mean = incoming.as_ref().map_or(1.0, |g| mean(g));
                    gradient = Some(vec![mean; input.map_or(1, |[height, width]| height * width)]);
                    signals[index].backward_cumulative = relative(top_norm, above_norm);
                    continue;
                }
                let activation = layer.activation();
                let pre: Vec<f64> = match &incoming {
                    Some(incoming) => {
                        let mut derivative = HashMap::new();
                        incoming
                            .iter()
                            .zip(variances.iter().cycle())
                            .map(|(&g, &variance)| {
                                g * *derivative
                                    .entry(variance.to_bits())
                                    .or_insert_with(|| activation.derivative_second_moment(variance))
                            })
                            .collect()
                    }
                    None => vec![1.0; variances.len()],
                };
                let pre = if pre.len() == variances.len() {
                    pre
                } else {
                    let mean = mean(&pre);
                    variances
                        .iter()
                        .map(|&v| mean * activation.derivative_second_moment(v))
                        .collect()
                };
                let norm = units * pre.iter().sum::<f64>();
                // No gradient reaches a branch whose last layer is zero:
                // such a layer neither sets the scale nor divides by it.
                if norm > 0.0 {
                    top_norm.get_or_insert(norm);
                }
                let factor = match (incoming.is_some() && !unmeasured, norm > 0.0) {
                    (false, _) => 1.0,
                    (true, false) => 0.0,
                    (true, true) => norm / above_norm / pooled,
                };
                unmeasured = false;
                signals[index].backward_factor = factor;
                signals[index].backward_cumulative = top_norm.map_or(0.0, |top| norm / top);
                above_norm = norm;
                pooled = 1.0;
                let per_tap = units * weights[index];
                gradient = Some(match windows {
                    Some(windows) => {
                        let mut below = vec![0.0; windows.input[0] * windows.input[1]];
                        windows.each(|output, at| below[at] += per_tap * pre[output]);
                        below
                    }
                    None => vec![per_tap * mean(&pre); input.map_or(1, |[height, width]| height * width)],
                });
            }
            Step::Pool { windows, average } => {
                let incoming = gradient
                    .take()
                    .unwrap_or_else(|| vec![1.0; windows.output[0] * windows.output[1]]);
                let share = if *average {
                    (windows.taps() as f64).powi(-2)
                } else {
                    1.0 / windows.taps() as f64
                };
                let mut below = vec![0.0; windows.input[0] * windows.input[1]];
                windows.each(|output, at| below[at] += share * incoming[output]);
                pooled *= below.iter().sum::<f64>() / incoming.iter().sum::<f64>().max(f64::MIN_POSITIVE);
                signals[index].backward_cumulative = relative(top_norm, above_norm);
                gradient = Some(below);
            }
            Step::Global { plane } => {
                let positions = (plane[0] * plane[1]) as f64;
                let incoming = gradient.take().map_or(1.0, |g| mean(&g));
                let below = vec![incoming / (positions * positions); plane[0] * plane[1]];
                pooled *= 1.0 / positions;
                signals[index].backward_cumulative = relative(top_norm, above_norm);
                gradient = Some(below);
            }
            Step::Norm { scale } => {
                signals[index].backward_cumulative = relative(top_norm, above_norm);
                // Per position: a batch normalization keeps an image's plane.
                gradient = gradient.take().map(|g| vec![scale * mean(&g); g.len()]);
            }
            Step::Activation {
                variances,
                activation,
            } => {
                signals[index].backward_cumulative = relative(top_norm, above_norm);
                // At the top, nothing above has weights to measure against.
                let Some(incoming) = gradient.take() else {
                    continue;
                };
                let mut derivative = HashMap::new();
                let mut through = |variance: f64| {
                    *derivative
                        .entry(variance.to_bits())
                        .or_insert_with(|| activation.derivative_second_moment(variance))
                };
                gradient = Some(if incoming.len() == variances.len() {
                    incoming
                        .iter()
                        .zip(variances)
                        .map(|(&g, &v)| g * through(v))
                        .collect()
                } else {
                    let incoming = mean(&incoming);
                    variances.iter().map(|&v| incoming * through(v)).collect()
                });
            }
            Step::Through { input } => {
                let incoming = gradient.take();
                signals[index].backward_cumulative = relative(top_norm, above_norm);
                gradient = incoming.map(|g| match input {
                    Some([height, width]) if g.len() != height * width => vec![mean(&g); height * width],
                    None if g.len() != 1 => vec![mean(&g)],
                    _ => g,
                });
            }
        }
    }
}

/// A gradient norm relative to the top layer's (1 while there is none).
fn relative(top_norm: Option<f64>, norm: f64) -> f64 {
    top_norm.map_or(1.0, |top| norm / top)
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}
