//! Lints and their levels: the names written in `#[allow(…)]`, and the
//! levels set at one place, a layer or the whole network.

use core::fmt;

use crate::rules::keywords;

/// A lint's name, as written in `#[allow(…)]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lint {
    /// Constant weight init: the layer's neurons start identical (deny by
    /// default; tied layers and a layer that passes no gradient are errors
    /// no attribute lowers).
    ConstantInit,
    /// An init family that does not match the activation (warn).
    InitMismatch,
    /// An init whose weight variance is at most half, or at least twice,
    /// the one matched to the activation (warn).
    InitScale,
    /// Activations or gradients predicted to grow or shrink by more than
    /// 2^10 across the network (warn).
    SignalDrift,
    /// Softmax anywhere but the last layer (warn).
    SoftmaxHidden,
    /// A forward pass predicted to leave f32's range: values three times
    /// a layer's root mean square past 3.4e38 (deny).
    F32Overflow,
    /// Two tokens of a sequence predicted to become nearly the same vector,
    /// their mean cosine similarity past 0.99 (warn).
    RankCollapse,
}

impl Lint {
    /// Every lint, in the order the docs list them.
    pub const ALL: [Lint; 7] = [
        Lint::ConstantInit,
        Lint::InitMismatch,
        Lint::InitScale,
        Lint::SignalDrift,
        Lint::SoftmaxHidden,
        Lint::F32Overflow,
        Lint::RankCollapse,
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
            Lint::InitScale => keywords::INIT_SCALE,
            Lint::SignalDrift => keywords::SIGNAL_DRIFT,
            Lint::SoftmaxHidden => keywords::SOFTMAX_HIDDEN,
            Lint::F32Overflow => keywords::F32_OVERFLOW,
            Lint::RankCollapse => keywords::RANK_COLLAPSE,
        }
    }

    /// The level the lint has unless an attribute changes it.
    pub const fn default_level(self) -> Level {
        match self {
            Lint::ConstantInit | Lint::F32Overflow => Level::Deny,
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
    pub const NAMES: &'static [&'static str] = keywords::LEVELS;

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
