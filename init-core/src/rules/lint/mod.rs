//! The lints: constant weight init, inits that do not match their
//! activation, signal drift with depth, and softmax on a hidden layer.
//!
//! [`check`] finds them for a list of layers at their default levels, one
//! lint a file; [`NetworkSpec::lint`] and the DSL's checker then apply the
//! levels the attributes set.

mod constant;
mod drift;
mod mismatch;
mod softmax;

use core::fmt;

use crate::rules::activation::Activation;
use crate::rules::keywords;
use crate::rules::layer::{LayerSpec, Part};
use crate::rules::network::NetworkSpec;

pub use drift::{DRIFT_LIMIT_LOG2, SETTLING_LOG2};

/// A lint's name, as written in `#[allow(…)]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lint {
    /// Constant weight init: never breaks symmetry (deny by default).
    ConstantInit,
    /// An init family that does not match the activation (warn).
    InitMismatch,
    /// Activations or gradients predicted to grow or shrink by more than
    /// 2^10 across the network (warn).
    SignalDrift,
    /// Softmax anywhere but the last layer (warn).
    SoftmaxHidden,
}

impl Lint {
    /// Every lint, in the order the docs list them.
    pub const ALL: [Lint; 4] = [
        Lint::ConstantInit,
        Lint::InitMismatch,
        Lint::SignalDrift,
        Lint::SoftmaxHidden,
    ];

    /// Every lint name.
    pub const NAMES: &'static [&'static str] = keywords::LINTS;

    /// The lint called `name`.
    pub fn from_name(name: &str) -> Option<Lint> {
        Lint::ALL.into_iter().find(|lint| lint.name() == name)
    }

    /// The name as written in attributes.
    pub const fn name(self) -> &'static str {
        match self {
            Lint::ConstantInit => keywords::CONSTANT_INIT,
            Lint::InitMismatch => keywords::INIT_MISMATCH,
            Lint::SignalDrift => keywords::SIGNAL_DRIFT,
            Lint::SoftmaxHidden => keywords::SOFTMAX_HIDDEN,
        }
    }

    /// The level the lint has unless an attribute changes it.
    pub const fn default_level(self) -> Level {
        match self {
            Lint::ConstantInit => Level::Deny,
            _ => Level::Warn,
        }
    }
}

impl fmt::Display for Lint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a finding is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Not reported.
    Allow,
    /// A warning.
    Warn,
    /// An error that `#[allow]` or `#[warn]` can lower.
    Deny,
    /// An error that no attribute lowers.
    Forbid,
}

impl Level {
    /// The name as written in an attribute.
    pub const fn name(self) -> &'static str {
        match self {
            Level::Allow => keywords::ALLOW,
            Level::Warn => keywords::WARN,
            Level::Deny => keywords::DENY,
            Level::Forbid => keywords::FORBID,
        }
    }

    /// Every level name accepted as a lint attribute.
    pub const NAMES: &'static [&'static str] = keywords::LINTS;

    /// The level called `name`.
    pub fn from_name(name: &str) -> Option<Level> {
        match name {
            keywords::ALLOW => Some(Level::Allow),
            keywords::WARN => Some(Level::Warn),
            keywords::DENY => Some(Level::Deny),
            keywords::FORBID => Some(Level::Forbid),
            _ => None,
        }
    }
}

/// The lint levels set at one place, a layer or the whole network: for each
/// lint, the level an attribute set there, if any.
///
/// ```
/// use netinit::{Level, Lint, LintLevels};
/// let levels = LintLevels::NONE.with(Lint::ConstantInit, Level::Allow);
/// assert_eq!(levels.get(Lint::ConstantInit), Some(Level::Allow));
/// assert_eq!(levels.get(Lint::SignalDrift), None);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct LintLevels {
    levels: [Option<Level>; Lint::ALL.len()],
}

impl LintLevels {
    /// No level set: every lint at its default, or at the network's level.
    pub const NONE: LintLevels = LintLevels {
        levels: [None; Lint::ALL.len()],
    };

    /// The same levels with `lint` set to `level`.
    pub const fn with(mut self, lint: Lint, level: Level) -> LintLevels {
        self.levels[lint as usize] = Some(level);
        self
    }

    /// The level set here for `lint`, if any.
    pub const fn get(&self, lint: Lint) -> Option<Level> {
        self.levels[lint as usize]
    }

    /// Every lint whose level is set here, in [`Lint::ALL`]'s order.
    pub fn iter(&self) -> impl Iterator<Item = (Lint, Level)> + '_ {
        Lint::ALL
            .into_iter()
            .filter_map(|lint| self.get(lint).map(|level| (lint, level)))
    }

    /// Whether no level is set.
    pub fn is_empty(&self) -> bool {
        self.levels.iter().all(Option::is_none)
    }
}

/// One finding of a lint.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// Which lint found it.
    pub lint: Lint,
    /// Its level: the lint's default, or [`Level::Forbid`] where no attribute
    /// may lower it.
    pub level: Level,
    /// The layer (0-based).
    pub layer: usize,
    /// The part of the layer it is about.
    pub part: Part,
    /// What is wrong, in terms of symmetry and variance.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = if self.level >= Level::Deny {
            "error"
        } else {
            "warning"
        };
        write!(
            f,
            "{level}[{}] layer {}: {}; {}",
            self.lint,
            self.layer + 1,
            self.message,
            self.help
        )
    }
}

/// Every lint finding for these layers, at default levels, in layer order
/// (constant init, mismatch, softmax), then drift.
///
/// `constant_init` is reported for every constant layer (callers apply
/// allows); two adjacent constant layers are reported at [`Level::Forbid`].
pub fn check(layers: &[LayerSpec]) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (index, layer) in layers.iter().enumerate() {
        if layer.weight().is_constant() {
            found.push(constant::constant_init(index, layer));
            if index > 0 && layers[index - 1].weight().is_constant() {
                found.push(constant::adjacent_constant(index, layer));
            }
        }
        if let Some(diagnostic) = mismatch::init_mismatch(index, layer) {
            found.push(diagnostic);
        }
        if layer.activation() == Activation::Softmax && index + 1 < layers.len() {
            found.push(softmax::softmax_hidden(index, layer));
        }
    }
    found.extend(drift::signal_drift(layers));
    found
}

impl NetworkSpec {
    /// The lint findings for this network at the levels its attributes set
    /// (a layer's own level, else the network's, else the lint's default;
    /// `forbid` on the network cannot be lowered), leaving out those at
    /// [`Level::Allow`]. The `network!` macro reports the same findings.
    ///
    /// ```
    /// use netinit::{Activation, Init, LayerSpec, Level, Lint, NetworkSpec};
    /// let deep = NetworkSpec::new(vec![
    ///     LayerSpec::dense(256, 256, Activation::Relu).with_weight(Init::Normal { std: 1.0 });
    ///     30
    /// ])?;
    /// let lints: Vec<Lint> = deep.lint().iter().map(|d| d.lint).collect();
    /// assert_eq!(lints, [Lint::SignalDrift, Lint::SignalDrift]);
    ///
    /// let quiet = deep.with_network_lint(Lint::SignalDrift, Level::Allow)?;
    /// assert!(quiet.lint().is_empty());
    /// # Ok::<(), netinit::SpecError>(())
    /// ```
    pub fn lint(&self) -> Vec<Diagnostic> {
        check(self.layers())
            .into_iter()
            .filter_map(|mut diagnostic| {
                if diagnostic.level != Level::Forbid {
                    diagnostic.level = self.level(diagnostic.lint, diagnostic.layer);
                }
                (diagnostic.level != Level::Allow).then_some(diagnostic)
            })
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::rules::init::Init;

    pub(crate) fn lints(layers: &[LayerSpec]) -> Vec<(Lint, Level, usize)> {
        check(layers).iter().map(|d| (d.lint, d.level, d.layer)).collect()
    }

    pub(crate) fn stack(depth: usize, activation: Activation, init: Init) -> Vec<LayerSpec> {
        vec![LayerSpec::dense(256, 256, activation).with_weight(init); depth]
    }

    #[test]
    fn the_card_network_is_silent() {
        let card = [
            LayerSpec::dense(784, 256, Activation::Relu),
            LayerSpec::dense(256, 10, Activation::Softmax),
        ];
        assert!(check(&card).is_empty());
    }
}
