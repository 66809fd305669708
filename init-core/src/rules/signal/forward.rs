//! The forward pass of the analysis: each layer's kind takes its step
//! ([`Kind::signal`](crate::rules::layer::kind::Kind::signal)); here are the
//! walk, a residual block's markers (its input kept, its branch and skip
//! added), and the spread of a typical network's factor.

use crate::rules::blocks::Nesting;
use crate::rules::flow;
use crate::rules::layer::{LayerSpec, Marker, Node};
use crate::rules::shape::Shape;
use crate::rules::signal::input::InputStatistics;
use crate::rules::signal::step::{SignalAt, Spread, Step, Stepped};
use crate::rules::signal::values::{mean, positions, Values};
use crate::rules::signal::{Analysed, LayerSignal};

/// An open residual block, on the way forward: its input, the spread
/// there, and the branch's output once its shortcut begins.
#[derive(Clone)]
struct OpenBlock {
    input: Values,
    spread: f64,
    branch: Option<Values>,
    /// Whether a layer of the branch draws random weights; without one,
    /// the branch is a function of its input alone.
    random: bool,
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
    let second = mean(&field);
    let centred = |values: &Values| values.mean() * (1.0 - values.mean_ratio);
    // Two tokens' cross moments add as the second moments do.
    let tokens_cross = match random {
        true => branch.tokens * branch.mean() + skip.tokens * skip.mean() + cross,
        false => {
            branch.tokens * branch.mean()
                + skip.tokens * skip.mean()
                + (branch.tokens + skip.tokens) * (branch.mean() * skip.mean()).sqrt()
        }
    };
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
        tokens: if second > 0.0 {
            (tokens_cross / second).clamp(-1.0, 1.0)
        } else {
            branch.tokens
        },
        gaussian: None,
    }
}

/// Every layer's signal on the way forward, and the steps the backward
/// pass takes back; `analysed` holds each layer's tensors and their second
/// moments.
pub(crate) fn forward(
    layers: &[LayerSpec],
    analysed: &[Analysed],
    input: &InputStatistics,
) -> (Vec<LayerSignal>, Vec<Step>) {
    let around = Around::of(layers);
    let mut walk = Walk::start(input);
    let mut signals = Vec::with_capacity(layers.len());
    let mut steps = Vec::with_capacity(layers.len());
    for (index, layer) in layers.iter().enumerate() {
        let (signal, step) = walk.step(layer, index, &around, &analysed[index]);
        signals.push(signal);
        steps.push(step);
    }
    (signals, steps)
}

/// What the walk asks of the layers around the one it is at: the shapes
/// between them and where the blocks are, each found once.
pub(crate) struct Around {
    shapes: Vec<Option<Shape>>,
    nesting: Nesting,
}

impl Around {
    /// The shapes and the nesting of `layers`.
    pub(crate) fn of(layers: &[LayerSpec]) -> Around {
        Around {
            shapes: flow::shapes(layers),
            nesting: Nesting::of(layers),
        }
    }

    /// Where the blocks are.
    pub(crate) fn nesting(&self) -> &Nesting {
        &self.nesting
    }
}

/// The forward pass, a layer at a time: what it holds after a layer is all
/// the layers after it need, so a walk can be kept at a layer and taken on
/// from there again (the branch scaling tries factors on one layer and
/// walks only from it to its block's end).
#[derive(Clone)]
pub(crate) struct Walk {
    values: Values,
    input_mean: f64,
    /// The sum of the layers' Var(f) so far (see `typical_second_moment`).
    spread: f64,
    open: Vec<OpenBlock>,
}

impl Walk {
    /// Before the first layer, at `input`.
    pub(crate) fn start(input: &InputStatistics) -> Walk {
        // A plane past `MAX_FOLLOWED` positions is followed as its mean.
        let field = match input.second_moments.len() == positions(input.plane) {
            true => input.second_moments.clone(),
            false => vec![mean(&input.second_moments)],
        };
        let values = Values {
            field,
            plane: input.plane,
            mean_ratio: input.mean_ratio,
            correlation: input.neighbour_correlation,
            tokens: input.token_similarity,
            gaussian: None,
        };
        Walk {
            input_mean: values.mean(),
            values,
            spread: 0.0,
            open: Vec::new(),
        }
    }

    /// Layer `index`, `layer`, with its tensors `analysed`: its signal, and
    /// the step the backward pass takes back.
    pub(crate) fn step(
        &mut self,
        layer: &LayerSpec,
        index: usize,
        around: &Around,
        analysed: &Analysed,
    ) -> (LayerSignal, Step) {
        let values = &self.values;
        let mut before = values.mean();
        let output_plane = around.shapes[index].and_then(|shape| shape.plane());
        let input_shape = match index {
            0 => None,
            _ => around.shapes[index - 1],
        };
        let Stepped {
            values: next,
            step,
            spread: spreads,
            random,
        } = match layer.kind().node() {
            Node::Layer(kind) => {
                let at = SignalAt {
                    parameters: &analysed.parameters,
                    moments: &analysed.moments,
                    output_plane,
                    input: input_shape,
                    ends_branch: &|| around.nesting.ends_a_branch(index),
                };
                kind.signal(values, &at)
            }
            Node::Marker(Marker::Start { .. }) => {
                self.open.push(OpenBlock {
                    input: values.clone(),
                    spread: self.spread,
                    branch: None,
                    random: false,
                });
                Stepped::plain(values.clone(), Step::Open)
            }
            Node::Marker(Marker::Shortcut) => match self.open.last_mut() {
                Some(block) => {
                    block.branch = Some(values.clone());
                    self.spread = block.spread;
                    Stepped::plain(block.input.clone(), Step::Split)
                }
                None => Stepped::plain(values.clone(), Step::Through { input: values.plane }),
            },
            Node::Marker(Marker::End) => match self.open.pop() {
                Some(block) => {
                    // The block's factor: its output over its input.
                    before = block.input.mean();
                    self.spread = block.spread;
                    let sum = match &block.branch {
                        Some(branch) => added(branch, values, block.random),
                        None => added(values, &block.input, block.random),
                    };
                    let positions = positions(output_plane);
                    Stepped::plain(sum, Step::Join { positions })
                }
                None => Stepped::plain(values.clone(), Step::Through { input: values.plane }),
            },
        };
        self.values = next;
        // Random weights make every block around them a random branch.
        // (A zero end's constant, or a normalization's random γ, is no
        // function of the skip either.)
        if random {
            self.open.iter_mut().for_each(|block| block.random = true);
        }
        let variance = match &step {
            Step::Affine { variances, .. } | Step::Activation { variances, .. } => mean(variances),
            _ => self.values.mean(),
        };
        match spreads {
            Spread::Keeps => {}
            Spread::Adds(variance) => self.spread += variance,
            Spread::Resets => self.spread = 0.0,
        }
        let after = self.values.mean();
        let signal = LayerSignal {
            included: step.included(),
            preactivation_variance: variance,
            activation: layer.activation(),
            activation_second_moment: after,
            typical_second_moment: after * (-self.spread / 2.0).exp(),
            forward_factor: after / before,
            forward_cumulative: after / self.input_mean,
            backward_factor: 1.0,
            backward_cumulative: 1.0,
            output_gradient: 1.0,
            token_similarity: self.values.tokens,
        };
        (signal, step)
    }
}
