//! How weights move along their gradients: SGD with momentum, Adam, and
//! AdamW (Adam with decoupled weight decay).

use ndarray::Array2;

use crate::rules::parameter::Role;
use crate::runtime::error::Error;
use crate::runtime::layers::Layer;

/// How weights move along their gradients.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Optimizer {
    /// `v = momentum·v + g; w -= learning_rate·v` (PyTorch's SGD).
    Sgd {
        /// The step size.
        learning_rate: f32,
        /// The fraction of the previous step kept (0 for plain SGD).
        momentum: f32,
    },
    /// Adam (Kingma & Ba 2015) with bias correction, as PyTorch's.
    Adam {
        /// The step size.
        learning_rate: f32,
        /// Decay of the first-moment estimate.
        beta1: f32,
        /// Decay of the second-moment estimate.
        beta2: f32,
        /// Added to the denominator.
        epsilon: f32,
    },
    /// AdamW (Loshchilov & Hutter 2019), as PyTorch's: each step first
    /// shrinks a decayed tensor by `learning_rate · weight_decay` of
    /// itself, then takes Adam's step. The weights that mix units and the
    /// tables (embeddings, position tables) decay; biases and a
    /// normalization's `γ` and `β` do not (see [`Optimizer::decays`]).
    AdamW {
        /// The step size.
        learning_rate: f32,
        /// Decay of the first-moment estimate.
        beta1: f32,
        /// Decay of the second-moment estimate.
        beta2: f32,
        /// Added to the denominator.
        epsilon: f32,
        /// The decay's rate, per unit of learning rate.
        weight_decay: f32,
    },
}

impl Optimizer {
    /// Plain SGD.
    pub const fn sgd(learning_rate: f32) -> Optimizer {
        Optimizer::Sgd {
            learning_rate,
            momentum: 0.0,
        }
    }

    /// SGD with momentum.
    pub const fn sgd_momentum(learning_rate: f32, momentum: f32) -> Optimizer {
        Optimizer::Sgd {
            learning_rate,
            momentum,
        }
    }

    /// AdamW with PyTorch's β = (0.9, 0.999) and ε = 1e-8.
    pub const fn adamw(learning_rate: f32, weight_decay: f32) -> Optimizer {
        Optimizer::AdamW {
            learning_rate,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            weight_decay,
        }
    }

    /// Whether a tensor of `role` decays under AdamW: the weights that mix
    /// units and the tables, not biases, a normalization's `γ` and `β`, or
    /// buffers (GPT-2's and nanoGPT's split, by the tensor's role rather
    /// than its number of dimensions).
    pub fn decays(role: Role) -> bool {
        matches!(role, Role::Weights | Role::Table)
    }

    /// The step size before any schedule.
    pub fn learning_rate(&self) -> f32 {
        match *self {
            Optimizer::Sgd { learning_rate, .. }
            | Optimizer::Adam { learning_rate, .. }
            | Optimizer::AdamW { learning_rate, .. } => learning_rate,
        }
    }

    /// Adam with PyTorch's defaults: β = (0.9, 0.999), ε = 1e-8.
    pub const fn adam(learning_rate: f32) -> Optimizer {
        Optimizer::Adam {
            learning_rate,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
        }
    }
}

/// The learning rates a trainer takes. An Adam step moves a weight by about
/// the learning rate: below 1e-12 that changes no f32 weight of magnitude
/// 3e-5 or more (half the spacing of f32 values there is above 1e-12);
/// above 1e19, one step leaves weights
/// whose products over two layers pass f32's largest (3.4e38).
pub const LEARNING_RATES: core::ops::RangeInclusive<f32> = 1e-12..=1e19;

/// The largest Adam ε, as a multiple of the learning rate: for gradients
/// below ε a step is `learning_rate · g / ε`, SGD at `learning_rate / ε`,
/// which below [`LEARNING_RATES`]' 1e-12 moves no weight.
pub const MAX_EPSILON_PER_RATE: f32 = 1e12;

impl Optimizer {
    /// Every setting in its range: a learning rate in [`LEARNING_RATES`];
    /// a momentum and betas in `[0, 1)`; an epsilon above 0 and at most
    /// [`MAX_EPSILON_PER_RATE`] times the learning rate.
    pub fn check(&self) -> Result<(), Error> {
        let rate = |value: f32| {
            LEARNING_RATES
                .contains(&value)
                .then_some(())
                .ok_or(Error::InvalidOptimizer {
                    setting: "learning rate",
                    value,
                    expected: "from 1e-12 to 1e19: an Adam step moves a weight by about the learning rate, which \
                               below 1e-12 changes no f32 weight of magnitude 3e-5 or more, and above 1e19 leaves \
                               weights whose products over two layers pass f32's largest",
                })
        };
        let fraction = |setting, value: f32| {
            (0.0..1.0)
                .contains(&value)
                .then_some(())
                .ok_or(Error::InvalidOptimizer {
                    setting,
                    value,
                    expected: "at least 0 and below 1",
                })
        };
        match *self {
            Optimizer::Sgd {
                learning_rate,
                momentum,
            } => {
                rate(learning_rate)?;
                fraction("momentum", momentum)
            }
            Optimizer::Adam {
                learning_rate,
                beta1,
                beta2,
                epsilon,
            }
            | Optimizer::AdamW {
                learning_rate,
                beta1,
                beta2,
                epsilon,
                ..
            } => {
                rate(learning_rate)?;
                fraction("beta1", beta1)?;
                fraction("beta2", beta2)?;
                (epsilon > 0.0 && epsilon <= MAX_EPSILON_PER_RATE * learning_rate)
                    .then_some(())
                    .ok_or(Error::InvalidOptimizer {
                        setting: "epsilon",
                        value: epsilon,
                        expected: "above 0 and at most 1e12 times the learning rate: for gradients below epsilon a \
                                   step is the learning rate times the gradient over epsilon, which then moves no \
                                   f32 weight",
                    })?;
                match *self {
                    Optimizer::AdamW { weight_decay, .. } => (weight_decay >= 0.0
                        && weight_decay * learning_rate < 1.0)
                        .then_some(())
                        .ok_or(Error::InvalidOptimizer {
                            setting: "weight decay",
                            value: weight_decay,
                            expected: "at least 0, and below 1 once multiplied by the learning rate: a step \
                                       multiplies each decayed weight by 1 − learning rate × weight decay, which at 0 \
                                       or below erases or flips it",
                        }),
                    _ => Ok(()),
                }
            }
        }
    }
}

/// Optimizer state for one trained tensor: its first and second moments
/// (SGD's velocity is the first), shaped as the tensor is held.
#[derive(Clone, Debug)]
pub(crate) struct Moments {
    pub(crate) first: Array2<f32>,
    pub(crate) second: Array2<f32>,
}

impl Moments {
    /// Zero moments for each trained tensor of `layer`, in its order.
    pub(crate) fn zeros_like(layer: &Layer) -> Vec<Moments> {
        layer
            .trained()
            .map(|tensor| Moments {
                first: Array2::zeros(tensor.values().raw_dim()),
                second: Array2::zeros(tensor.values().raw_dim()),
            })
            .collect()
    }
}

/// How one step treats one tensor: the step count (Adam's bias correction
/// raises its betas to it), the schedule's factor on the learning rate,
/// and whether the tensor decays under AdamW.
#[derive(Clone, Copy)]
pub(crate) struct StepOf {
    pub(crate) steps: i32,
    pub(crate) rate_factor: f32,
    pub(crate) decays: bool,
}

/// One optimizer step for one tensor: reads the current parameter and
/// moments `from` (`[parameter, first, second]`), writes the stepped ones to
/// `to` (the trainer's spare buffers, so a step that goes wrong leaves the
/// current ones whole) in one pass, and returns whether every value written
/// is finite. SGD leaves the second moment, which it does not use, alone.
pub(crate) fn update(
    optimizer: Optimizer,
    step: StepOf,
    gradient: &[f32],
    from: [&[f32]; 3],
    to: [&mut [f32]; 3],
) -> bool {
    // A large tensor is halved between rayon's threads: each value's update
    // depends on that value alone, so the bits are the same.
    const SERIAL_UP_TO: usize = 1 << 15;
    if gradient.len() > SERIAL_UP_TO {
        let middle = gradient.len() / 2;
        let (gradient_low, gradient_high) = gradient.split_at(middle);
        let [from_low, from_high] = halves(from, middle);
        let [to_low, to_high] = halves_mut(to, middle);
        let (low, high) = rayon::join(
            || update(optimizer, step, gradient_low, from_low, to_low),
            || update(optimizer, step, gradient_high, from_high, to_high),
        );
        return low & high;
    }
    let [parameter, first, second] = from;
    let [new_parameter, new_first, new_second] = to;
    let current = parameter.iter().zip(first).zip(second).zip(gradient);
    let next = new_parameter
        .iter_mut()
        .zip(new_first.iter_mut())
        .zip(new_second.iter_mut());
    let mut finite = true;
    let steps = step.steps;
    match optimizer {
        Optimizer::Sgd {
            learning_rate,
            momentum,
        } => {
            let learning_rate = learning_rate * step.rate_factor;
            for (((w, v), _), (((&w0, &v0), _), &g)) in next.zip(current) {
                *v = momentum * v0 + g;
                *w = w0 - learning_rate * *v;
                finite &= w.is_finite() & v.is_finite();
            }
        }
        Optimizer::Adam {
            learning_rate,
            beta1,
            beta2,
            epsilon,
        }
        | Optimizer::AdamW {
            learning_rate,
            beta1,
            beta2,
            epsilon,
            ..
        } => {
            let learning_rate = learning_rate * step.rate_factor;
            // PyTorch's AdamW shrinks the weight first, then steps.
            let kept = match optimizer {
                Optimizer::AdamW { weight_decay, .. } if step.decays => 1.0 - learning_rate * weight_decay,
                _ => 1.0,
            };
            let first_correction = 1.0 - beta1.powi(steps);
            let second_correction = 1.0 - beta2.powi(steps);
            for (((w, m), v), (((&w0, &m0), &v0), &g)) in next.zip(current) {
                *m = beta1 * m0 + (1.0 - beta1) * g;
                *v = beta2 * v0 + (1.0 - beta2) * g * g;
                let m_hat = *m / first_correction;
                let v_hat = *v / second_correction;
                *w = w0 * kept - learning_rate * m_hat / (v_hat.sqrt() + epsilon);
                finite &= w.is_finite() & m.is_finite() & v.is_finite();
            }
        }
    }
    finite
}

/// Each slice split at `middle`: the first halves, then the second.
fn halves(slices: [&[f32]; 3], middle: usize) -> [[&[f32]; 3]; 2] {
    let [a, b, c] = slices.map(|slice| slice.split_at(middle));
    [[a.0, b.0, c.0], [a.1, b.1, c.1]]
}

/// [`halves`] of mutable slices.
fn halves_mut(slices: [&mut [f32]; 3], middle: usize) -> [[&mut [f32]; 3]; 2] {
    let [a, b, c] = slices.map(|slice| slice.split_at_mut(middle));
    [[a.0, b.0, c.0], [a.1, b.1, c.1]]
}
