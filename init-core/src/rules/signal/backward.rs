//! The backward pass of the analysis: the gradients' squared norms, top to
//! bottom, step by step. It reads the [`Step`]s the forward pass left, not
//! the layers: each kind's forward step says which shape of step it is.

use std::collections::HashMap;

use crate::rules::signal::step::Step;
use crate::rules::signal::values::{mean, positions};
use crate::rules::signal::LayerSignal;

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

/// The gradients' squared norms, top to bottom, relative to the last
/// layer with weights. A pooling changes how many units share a gradient,
/// as a change of width does: its factor is kept in the cumulative norms
/// but, like widths, not counted in the next layer's own factor.
pub(crate) fn backward(steps: &[Step], signals: &mut [LayerSignal]) {
    // E[δ²] per position with respect to the current layer's output.
    let mut gradient: Option<Vec<f64>> = None;
    let mut top_norm: Option<f64> = None;
    let mut above_norm = 1.0;
    let mut pooled = 1.0;
    let mut joined: Vec<JoinedBlock> = Vec::new();
    // Whether the next layer with weights has none above it to be measured
    // against (below a block at the network's top, as at the top itself).
    let mut unmeasured = false;
    for index in (0..steps.len()).rev() {
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
                gradient = Some(vec![0.0; positions(*input)]);
            }
            Step::Affine {
                variances,
                input,
                windows,
                units,
                weight,
                activation,
                included,
            } => {
                let incoming = gradient.take();
                if !included {
                    let mean = incoming.as_ref().map_or(1.0, |g| mean(g));
                    gradient = Some(vec![mean; positions(*input)]);
                    signals[index].backward_cumulative = relative(top_norm, above_norm);
                    continue;
                }
                let (activation, units) = (*activation, *units as f64);
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
                // Summed over every output position: the mean times their
                // number, also where a large plane is followed as its mean.
                let outputs = windows.map_or(1, |windows| windows.output[0] * windows.output[1]);
                let norm = units * mean(&pre) * outputs as f64;
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
                let per_tap = units * weight;
                gradient = Some(match windows {
                    Some(windows) => windows.spread(&pre).iter().map(|sum| per_tap * sum).collect(),
                    None => vec![per_tap * mean(&pre); positions(*input)],
                });
            }
            Step::Pool { windows, average } => {
                // A block whose branch and skip differ in shape (an error
                // validation reports) brings a gradient of another plane:
                // its mean, spread over the windows' outputs.
                let outputs = positions(Some(windows.output));
                let incoming = match gradient.take() {
                    Some(incoming) if incoming.len() == outputs => incoming,
                    Some(incoming) => vec![mean(&incoming); outputs],
                    None => vec![1.0; outputs],
                };
                let share = if *average {
                    (windows.taps() as f64).powi(-2)
                } else {
                    1.0 / windows.taps() as f64
                };
                let below: Vec<f64> = windows.spread(&incoming).iter().map(|sum| share * sum).collect();
                let total =
                    |values: &[f64], [height, width]: [usize; 2]| mean(values) * (height * width) as f64;
                pooled *=
                    total(&below, windows.input) / total(&incoming, windows.output).max(f64::MIN_POSITIVE);
                signals[index].backward_cumulative = relative(top_norm, above_norm);
                gradient = Some(below);
            }
            Step::Global { plane } => {
                let pooled_over = (plane[0] * plane[1]) as f64;
                let incoming = gradient.take().map_or(1.0, |g| mean(&g));
                let below = vec![incoming / (pooled_over * pooled_over); positions(Some(*plane))];
                pooled *= 1.0 / pooled_over;
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
                    Some(_) if g.len() != positions(*input) => vec![mean(&g); positions(*input)],
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
