//! `layer_norm(N)` and `batch_norm(C)`: each example's `N` features, or
//! each of `C` channels over the batch, normalised to mean 0 and variance
//! 1, then scaled by `γ` and shifted by `β`, one of each per feature or
//! channel. `γ` and `β` start constant on purpose (ones and zeros): they
//! couple no two units, so `constant_init` does not apply to them.

use crate::rules::error::SpecError;
use crate::rules::init::Init;
use crate::rules::part::Part;

/// PyTorch's default `ε`, added to the variance before its square root.
pub const DEFAULT_EPSILON: f64 = 1e-5;

/// The smallest `ε` netinit accepts: an example whose features are all
/// equal has its gradient multiplied by `1/√ε`, at most 10^6 from here.
pub const MIN_EPSILON: f64 = 1e-12;

/// A normalization's features, its `γ` and `β` inits and its `ε`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NormSpec {
    features: usize,
    gamma: Init,
    beta: Init,
    epsilon: f64,
}

impl NormSpec {
    /// `N` features, `γ` ones, `β` zeros, `ε` 1e-5 (PyTorch's defaults).
    pub const fn new(features: usize) -> NormSpec {
        NormSpec {
            features,
            gamma: Init::ones(),
            beta: Init::zeros(),
            epsilon: DEFAULT_EPSILON,
        }
    }

    /// The same normalization with another `γ` init.
    pub const fn with_gamma(self, gamma: Init) -> NormSpec {
        NormSpec { gamma, ..self }
    }

    /// The same normalization with another `β` init.
    pub const fn with_beta(self, beta: Init) -> NormSpec {
        NormSpec { beta, ..self }
    }

    /// The same normalization with another `ε`.
    pub const fn with_epsilon(self, epsilon: f64) -> NormSpec {
        NormSpec { epsilon, ..self }
    }

    /// The features normalised together (and the `γ`s and `β`s).
    pub const fn features(&self) -> usize {
        self.features
    }

    /// The init of the scales `γ`.
    pub const fn gamma(&self) -> Init {
        self.gamma
    }

    /// The init of the shifts `β`.
    pub const fn beta(&self) -> Init {
        self.beta
    }

    /// `ε`, added to the variance.
    pub const fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// `γ` and `β`: two per feature, `None` if that overflows.
    pub const fn parameter_count(&self) -> Option<usize> {
        self.features.checked_mul(2)
    }

    /// The mistakes in the size of layer `index`; `per_example` for a
    /// layer normalization, which one feature leaves with nothing to
    /// normalise (a batch normalization of one channel normalises it over
    /// the batch).
    pub(crate) fn shape_errors(&self, index: usize, errors: &mut Vec<SpecError>, per_example: bool) {
        match self.features {
            0 => errors.push(SpecError::ZeroWidth {
                layer: index,
                part: Part::Inputs,
            }),
            1 if per_example => errors.push(SpecError::NormOfOne { layer: index }),
            _ => {}
        }
    }

    /// The mistakes in the inits and `ε` of layer `index`: `γ` and `β` are
    /// one value per feature, so a scheme scaled by fans (or orthogonal)
    /// means nothing for them; `ε` must be finite and at least [`MIN_EPSILON`].
    pub(crate) fn init_errors(&self, index: usize, errors: &mut Vec<SpecError>) {
        for (init, part, scale) in [
            (self.gamma, Part::Weight, Part::WeightScale),
            (self.beta, Part::Bias, Part::BiasScale),
        ] {
            if matches!(init, Init::Scaled(_) | Init::Orthogonal { .. }) {
                errors.push(SpecError::NormInit {
                    layer: index,
                    part,
                    init,
                });
            } else if let Some((what, value)) = init.invalid_scale() {
                errors.push(SpecError::InvalidScale {
                    layer: index,
                    part: scale,
                    what,
                    value,
                });
            }
        }
        if !(self.epsilon.is_finite() && self.epsilon >= MIN_EPSILON) {
            errors.push(SpecError::InvalidEpsilon {
                layer: index,
                value: self.epsilon,
            });
        }
    }
}
