//! Which part of a layer a diagnostic is about.

use crate::rules::levels::Lint;

/// Which part of a layer a diagnostic is about (the macro points there).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The network as a whole.
    Network,
    /// The layer as a whole (its kind keyword).
    Layer,
    /// The input width.
    Inputs,
    /// The output width.
    Outputs,
    /// The activation.
    Activation,
    /// The activation's parameter (`leaky_relu(α)`, `elu(α)`).
    ActivationParameter,
    /// The weight init.
    Weight,
    /// The weight init's scale: its std, bound, gain or constant.
    WeightScale,
    /// The bias init.
    Bias,
    /// The bias init's scale.
    BiasScale,
    /// The option of this key: a window's `kernel`, `stride` or
    /// `padding`, a normalization's `epsilon`.
    Option(&'static str),
    /// The attribute that sets a lint's level on the layer.
    LintAttribute(Lint),
}
