//! How weights move along their gradients: SGD with momentum and Adam.

use ndarray::{Array1, Array2};

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

impl Optimizer {
    /// Every setting in its range: a finite, positive learning rate; a
    /// momentum and betas in `[0, 1)`; a finite, positive epsilon.
    pub fn check(&self) -> Result<(), Error> {
        let positive = |setting, value: f32| {
            (value.is_finite() && value > 0.0)
                .then_some(())
                .ok_or(Error::InvalidOptimizer {
                    setting,
                    value,
                    expected: "a finite number above 0",
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
                positive("learning rate", learning_rate)?;
                fraction("momentum", momentum)
            }
            Optimizer::Adam {
                learning_rate,
                beta1,
                beta2,
                epsilon,
            } => {
                positive("learning rate", learning_rate)?;
                fraction("beta1", beta1)?;
                fraction("beta2", beta2)?;
                positive("epsilon", epsilon)
            }
        }
    }
}

/// Optimizer state for one layer.
#[derive(Clone, Debug)]
pub(crate) struct Moments {
    pub(crate) weight_first: Array2<f32>,
    pub(crate) weight_second: Array2<f32>,
    pub(crate) bias_first: Array1<f32>,
    pub(crate) bias_second: Array1<f32>,
}

impl Moments {
    /// Whether every moment is finite.
    pub(crate) fn is_finite(&self) -> bool {
        [self.weight_first.view(), self.weight_second.view()]
            .iter()
            .all(|moment| moment.iter().all(|value| value.is_finite()))
            && [self.bias_first.view(), self.bias_second.view()]
                .iter()
                .all(|moment| moment.iter().all(|value| value.is_finite()))
    }

    /// Zero moments shaped like `layer`'s parameters.
    pub(crate) fn zeros_like(layer: &Layer) -> Moments {
        Moments {
            weight_first: Array2::zeros(layer.weight().raw_dim()),
            weight_second: Array2::zeros(layer.weight().raw_dim()),
            bias_first: Array1::zeros(layer.bias().raw_dim()),
            bias_second: Array1::zeros(layer.bias().raw_dim()),
        }
    }
}

pub(crate) fn update<D: ndarray::Dimension>(
    optimizer: Optimizer,
    steps: i32,
    mut parameter: ndarray::ArrayViewMut<f32, D>,
    gradient: ndarray::ArrayView<f32, D>,
    first: &mut ndarray::Array<f32, D>,
    second: &mut ndarray::Array<f32, D>,
) {
    match optimizer {
        Optimizer::Sgd {
            learning_rate,
            momentum,
        } => {
            ndarray::Zip::from(&mut parameter)
                .and(&gradient)
                .and(first)
                .for_each(|w, &g, v| {
                    *v = momentum * *v + g;
                    *w -= learning_rate * *v;
                });
        }
        Optimizer::Adam {
            learning_rate,
            beta1,
            beta2,
            epsilon,
        } => {
            let first_correction = 1.0 - beta1.powi(steps);
            let second_correction = 1.0 - beta2.powi(steps);
            ndarray::Zip::from(&mut parameter)
                .and(&gradient)
                .and(first)
                .and(second)
                .for_each(|w, &g, m, v| {
                    *m = beta1 * *m + (1.0 - beta1) * g;
                    *v = beta2 * *v + (1.0 - beta2) * g * g;
                    let m_hat = *m / first_correction;
                    let v_hat = *v / second_correction;
                    *w -= learning_rate * m_hat / (v_hat.sqrt() + epsilon);
                });
        }
    }
}
