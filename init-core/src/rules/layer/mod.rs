//! A layer of a network description: its kind, whose own rules live in a
//! module per kind, and the lint levels set on it. Adding a kind means a
//! variant of [`LayerKind`] and its module here, in the DSL's reader and
//! printer, in the signal analysis and in the run time's layers.

mod dense;

use crate::rules::activation::Activation;
use crate::rules::error::SpecError;
use crate::rules::fans::Fans;
use crate::rules::init::{Draw, Init};
use crate::rules::keywords;
use crate::rules::levels::{Level, Lint, LintLevels};

pub use dense::DenseSpec;

/// What a layer computes, with the fields of its kind.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LayerKind {
    /// `dense(IN -> OUT, ACTIVATION, …)`: an affine map and an activation.
    Dense(DenseSpec),
}

impl LayerKind {
    /// The kind's keyword in the DSL.
    pub const fn name(&self) -> &'static str {
        match self {
            LayerKind::Dense(_) => keywords::DENSE,
        }
    }

    /// Whether the kind has parameters (and so a [`LayerPath`](crate::rules::path::LayerPath)).
    pub const fn has_parameters(&self) -> bool {
        match self {
            LayerKind::Dense(_) => true,
        }
    }
}

/// One layer: its kind and the lint levels its attributes set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerSpec {
    kind: LayerKind,
    lints: LintLevels,
}

impl LayerSpec {
    /// A dense layer with the init derived from its activation and zero biases.
    ///
    /// ```
    /// use netinit::{Activation, Init, LayerSpec};
    /// let layer = LayerSpec::dense(784, 256, Activation::Relu);
    /// assert_eq!(layer.weight(), Init::he_normal());
    /// assert_eq!(layer.bias(), Init::zeros());
    /// ```
    pub const fn dense(inputs: usize, outputs: usize, activation: Activation) -> LayerSpec {
        LayerSpec {
            kind: LayerKind::Dense(DenseSpec::new(inputs, outputs, activation)),
            lints: LintLevels::NONE,
        }
    }

    /// What the layer computes.
    pub const fn kind(&self) -> &LayerKind {
        &self.kind
    }

    /// The dense fields, which every kind so far has.
    const fn dense_fields(&self) -> &DenseSpec {
        match &self.kind {
            LayerKind::Dense(dense) => dense,
        }
    }

    /// The same layer with another weight init.
    pub const fn with_weight(self, weight: Init) -> LayerSpec {
        let LayerKind::Dense(dense) = self.kind;
        LayerSpec {
            kind: LayerKind::Dense(dense.with_weight(weight)),
            ..self
        }
    }

    /// The same layer with another bias init.
    pub const fn with_bias(self, bias: Init) -> LayerSpec {
        let LayerKind::Dense(dense) = self.kind;
        LayerSpec {
            kind: LayerKind::Dense(dense.with_bias(bias)),
            ..self
        }
    }

    /// The same layer, marked as meant to start constant (a zero-initialised
    /// output head or residual branch): `#[allow(constant_init)]` on it, so
    /// `constant_init` is not reported for it. (The signal analysis leaves
    /// out every constant layer, marked or not.)
    pub const fn allow_constant_init(self) -> LayerSpec {
        self.with_lint(Lint::ConstantInit, Level::Allow)
    }

    /// The same layer with `lint` set to `level` on it, as
    /// `#[allow(lint)]` and its kin do in the DSL.
    pub const fn with_lint(self, lint: Lint, level: Level) -> LayerSpec {
        LayerSpec {
            lints: self.lints.with(lint, level),
            ..self
        }
    }

    /// The lint levels set on this layer.
    pub const fn lint_levels(&self) -> LintLevels {
        self.lints
    }

    /// Whether this layer's own attributes lower `constant_init` to `allow`
    /// or `warn` (see [`LayerSpec::allow_constant_init`]; the network's
    /// level is [`NetworkSpec::level`](crate::NetworkSpec::level)'s business).
    pub const fn constant_init_allowed(&self) -> bool {
        matches!(
            self.lints.get(Lint::ConstantInit),
            Some(Level::Allow | Level::Warn)
        )
    }

    /// The input width.
    pub const fn inputs(&self) -> usize {
        self.dense_fields().inputs()
    }

    /// The output width.
    pub const fn outputs(&self) -> usize {
        self.dense_fields().outputs()
    }

    /// The activation after the affine map.
    pub const fn activation(&self) -> Activation {
        self.dense_fields().activation()
    }

    /// The weight init.
    pub const fn weight(&self) -> Init {
        self.dense_fields().weight()
    }

    /// The bias init.
    pub const fn bias(&self) -> Init {
        self.dense_fields().bias()
    }

    /// The fans of the weight tensor.
    pub const fn fans(&self) -> Fans {
        self.dense_fields().fans()
    }

    /// What the weights are drawn from, with the scale resolved.
    pub fn weight_draw(&self) -> Draw {
        self.dense_fields().weight_draw()
    }

    /// What the biases are drawn from, with the scale resolved.
    pub fn bias_draw(&self) -> Draw {
        self.dense_fields().bias_draw()
    }

    /// Whether the weights start constant as the f32 they become: a
    /// constant init, or a scale that rounds them all to zero (see
    /// [`Draw::is_constant_in_f32`]).
    pub fn weight_is_constant(&self) -> bool {
        self.weight().is_constant() || self.weight_draw().is_constant_in_f32()
    }

    /// The standard deviation of the weights.
    pub fn weight_std(&self) -> f64 {
        self.weight().std(self.activation(), self.fans())
    }

    /// Weights plus biases, `None` if that overflows `usize`.
    pub const fn parameter_count(&self) -> Option<usize> {
        match &self.kind {
            LayerKind::Dense(dense) => dense.parameter_count(),
        }
    }

    /// The mean-field step of the signal analysis: the pre-activation's
    /// variance and the output's second moment for an input of second
    /// moment `input`, with weights of second moment `weight`.
    pub(crate) fn forward_moments(&self, weight: f64, input: f64) -> (f64, f64) {
        match &self.kind {
            LayerKind::Dense(dense) => dense.forward_moments(weight, input),
        }
    }

    /// What passing a gradient back through the layer's weights multiplies
    /// its squared norm by.
    pub(crate) fn backward_through_weights(&self, weight: f64) -> f64 {
        match &self.kind {
            LayerKind::Dense(dense) => dense.backward_through_weights(weight),
        }
    }

    /// The mistakes in the layer's shape (widths of zero).
    pub(crate) fn shape_errors(&self, index: usize, errors: &mut Vec<SpecError>) {
        match &self.kind {
            LayerKind::Dense(dense) => dense.shape_errors(index, errors),
        }
    }

    /// The mistakes in the layer's activation and inits.
    pub(crate) fn init_errors(&self, index: usize, errors: &mut Vec<SpecError>) {
        match &self.kind {
            LayerKind::Dense(dense) => dense.init_errors(index, errors),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The design card's layers, for the rules' tests.
    pub(crate) fn card() -> Vec<LayerSpec> {
        vec![
            LayerSpec::dense(784, 256, Activation::Relu),
            LayerSpec::dense(256, 10, Activation::Softmax),
        ]
    }
}
