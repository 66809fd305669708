//! The lints: constant weight init, inits that do not match their
//! activation, signal drift with depth, and softmax on a hidden layer.
//!
//! [`check`] finds them for a list of layers at their default levels; the
//! `network!` macro then applies the user's `#[allow]`/`#[warn]`/`#[deny]`,
//! and [`NetworkSpec::lint`] applies the layers' own
//! [`LayerSpec::constant_init_allowed`].

use core::fmt;

use crate::rules::activation::Activation;
use crate::rules::fans::Fans;
use crate::rules::init::{Family, Init};
use crate::rules::keywords;
use crate::rules::signal::propagate;
use crate::rules::spec::{LayerSpec, NetworkSpec, Part};

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

/// How far the predicted second moment may drift across the network before
/// `signal_drift` speaks: a factor of 2^10 either way.
pub const DRIFT_LIMIT_LOG2: f64 = 10.0;

/// A layer whose predicted factor is within `2^±0.01` (0.7%) of 1 adds
/// nothing to the drift: such factors come from a signal settling slowly
/// toward its fixed point, as tanh's second moment does under Xavier (like
/// 1/depth), not from a scale that compounds with depth.
pub const SETTLING_LOG2: f64 = 0.01;

/// Every lint finding for these layers, at default levels, in layer order
/// (constant init, mismatch, softmax), then drift.
///
/// `constant_init` is reported for every constant layer (callers apply
/// allows); two adjacent constant layers are reported at [`Level::Forbid`].
pub fn check(layers: &[LayerSpec]) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (index, layer) in layers.iter().enumerate() {
        if layer.weight().is_constant() {
            found.push(constant_init(index, layer));
            if index > 0 && layers[index - 1].weight().is_constant() {
                found.push(adjacent_constant(index, layer));
            }
        }
        if let Some(diagnostic) = init_mismatch(index, layer) {
            found.push(diagnostic);
        }
        if layer.activation() == Activation::Softmax && index + 1 < layers.len() {
            found.push(softmax_hidden(index, layer));
        }
    }
    found.extend(signal_drift(layers));
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

fn constant_init(index: usize, layer: &LayerSpec) -> Diagnostic {
    let derived = Init::derived(layer.activation()).describe(layer.activation(), layer.fans());
    let derived = format!("the init derived for `{}` ({derived})", layer.activation());
    let fix = match layer.weight() {
        Init::Constant { .. } => format!("remove `init = …` to get {derived}"),
        Init::Scaled(_) | Init::Orthogonal { .. } => format!("remove the zero `gain = …` to get {derived}"),
        explicit => format!("give `{explicit}` a scale above zero, or remove `init = …` to get {derived}"),
    };
    let part = constant_part(layer);
    Diagnostic {
        lint: Lint::ConstantInit,
        level: Level::Deny,
        layer: index,
        part,
        message: format!(
            "constant weight init `{}` never breaks symmetry: all {} neurons of this layer compute the same \
             value from the same input and receive the same update, so they stay identical and the layer \
             learns no more than a single neuron",
            layer.weight(),
            layer.outputs()
        ),
        help: format!(
            "draw random weights: {fix}; or add `#[allow(constant_init)]` to this layer if it must start \
             constant (a zero-initialised output head)"
        ),
    }
}

/// A constant is named by the init; a degenerate distribution by its zero scale.
fn constant_part(layer: &LayerSpec) -> Part {
    match layer.weight() {
        Init::Constant { .. } => Part::Weight,
        _ => Part::WeightScale,
    }
}

fn adjacent_constant(index: usize, layer: &LayerSpec) -> Diagnostic {
    Diagnostic {
        lint: Lint::ConstantInit,
        level: Level::Forbid,
        layer: index,
        part: constant_part(layer),
        message: format!(
            "layers {} and {} both start constant: the {} neurons between them have identical incoming and \
             identical outgoing weights, so every update keeps them identical and no training can tell them \
             apart; `#[allow(constant_init)]` cannot lower this",
            index,
            index + 1,
            layer.inputs()
        ),
        help: "give at least one of the two layers random weights, e.g. the init derived from its activation"
            .into(),
    }
}

fn init_mismatch(index: usize, layer: &LayerSpec) -> Option<Diagnostic> {
    let family = layer.weight().family()?;
    let activation = layer.activation();
    let matched = Family::matched_to(activation);
    let mismatched = match matched {
        Family::He | Family::LeCun => family != matched,
        Family::Xavier => family == Family::He,
    };
    if !mismatched {
        return None;
    }
    let chosen = layer.weight();
    let derived = Init::derived(activation);
    let variance_ratio =
        |fans: Fans| chosen.second_moment(activation, fans) / derived.second_moment(activation, fans);
    let here = variance_ratio(layer.fans());
    let square = variance_ratio(Fans::dense(layer.inputs(), layer.inputs()));
    let family_name = |family: Family| match family {
        Family::He => "He",
        Family::Xavier => "Xavier",
        Family::LeCun => "LeCun",
    };
    let effect = if (here - 1.0).abs() < 1e-9 && (square - 1.0).abs() < 1e-9 {
        format!(
            "{} draws the same variance here only because its gain for `{activation}` happens to equal {}'s; \
             name the scheme that fits so the intent survives a change of activation or of framework",
            family_name(family),
            family_name(matched)
        )
    } else {
        format!(
            "the predicted variance factor is ×{here:.2} per layer here ({})",
            per_layer_effect(square, activation)
        )
    };
    Some(Diagnostic {
        lint: Lint::InitMismatch,
        level: Level::Warn,
        layer: index,
        part: Part::Weight,
        message: format!(
            "{} init does not match `{activation}`, which wants {}: {effect}",
            family_name(family),
            family_name(matched),
        ),
        help: format!(
            "remove `init = …` to get the derived `{}`, or add `#[allow(init_mismatch)]` to this layer if \
             the scale is deliberate",
            derived.describe(activation, layer.fans())
        ),
    })
}

fn per_layer_effect(factor: f64, activation: Activation) -> String {
    let saturation = if activation.is_bounded() {
        format!(" until `{activation}` saturates")
    } else {
        String::new()
    };
    if (factor - 0.5).abs() < 0.01 {
        "it halves the signal at every layer".into()
    } else if (factor - 2.0).abs() < 0.02 {
        format!("it doubles the signal at every layer{saturation}")
    } else if (factor - 1.0).abs() < 0.01 {
        "right between layers of equal width, wrong wherever the width changes".into()
    } else {
        format!("×{factor:.2} at every layer of equal width{saturation}")
    }
}

fn softmax_hidden(index: usize, layer: &LayerSpec) -> Diagnostic {
    Diagnostic {
        lint: Lint::SoftmaxHidden,
        level: Level::Warn,
        layer: index,
        part: Part::Activation,
        message: format!(
            "softmax on a hidden layer squeezes its {} outputs into one distribution that sums to 1: each \
             is about 1/{} of what the next layer expects, and gradients through it are damped the same way",
            layer.outputs(),
            layer.outputs()
        ),
        help:
            "use softmax only on the last layer; hidden layers want `relu` (He init) or `tanh` (Xavier init)"
                .into(),
    }
}

fn signal_drift(layers: &[LayerSpec]) -> Vec<Diagnostic> {
    let report = propagate(layers, 1.0);
    let derived_everywhere = layers
        .iter()
        .all(|layer| layer.weight() == Init::derived(layer.activation()));
    let mut found = Vec::new();
    // Log2 sums rather than products: a deep sigmoid stack underflows f64.
    let forward: Vec<f64> = report.iter().map(|s| s.forward_factor.log2()).collect();
    let backward: Vec<f64> = report.iter().map(|s| s.backward_factor.log2()).collect();
    // Only factors that compound count: a layer whose factor is within
    // 2^±0.01 of 1 is settling toward a fixed point (tanh's slow 1/depth
    // decay under Xavier), so it adds nothing. The limit is crossed where the
    // sum of the rest passes ±10.
    let crossing = |path: &mut dyn Iterator<Item = usize>, factors: &[f64]| {
        let mut running = 0.0_f64;
        for index in path {
            if factors[index].abs() >= SETTLING_LOG2 {
                running += factors[index];
            }
            if report[index].included && running.abs() > DRIFT_LIMIT_LOG2 {
                return Some(index);
            }
        }
        None
    };
    if let Some(index) = crossing(&mut (0..layers.len()), &forward) {
        let drift = Drift {
            what: "activations",
            path: "first layer to the last",
            total_log2: compounding(&forward),
            factor: report[index].forward_factor,
        };
        found.push(drift.diagnostic(layers, index, derived_everywhere));
    }
    if let Some(index) = crossing(&mut (0..layers.len()).rev(), &backward) {
        let drift = Drift {
            what: "gradients",
            path: "last layer back to the first",
            total_log2: compounding(&backward),
            factor: report[index].backward_factor,
        };
        found.push(drift.diagnostic(layers, index, derived_everywhere));
    }
    found
}

/// The sum of the log2 factors that compound (see [`SETTLING_LOG2`]).
fn compounding(factors: &[f64]) -> f64 {
    factors
        .iter()
        .filter(|factor| factor.abs() >= SETTLING_LOG2)
        .sum()
}

/// A predicted drift across the network, for its message.
struct Drift {
    what: &'static str,
    path: &'static str,
    total_log2: f64,
    factor: f64,
}

impl Drift {
    fn diagnostic(&self, layers: &[LayerSpec], index: usize, derived_everywhere: bool) -> Diagnostic {
        let growing = self.total_log2 > 0.0;
        let direction = if growing { "grows" } else { "shrinks" };
        let limit = if growing { "2^10" } else { "2^-10" };
        let total = self.total_log2.exp2();
        let total = if total == 0.0 || total.is_infinite() {
            format!("2^{:.1}", self.total_log2)
        } else {
            format!("{} (2^{:.1})", scientific(total), self.total_log2)
        };
        let layer = &layers[index];
        let help = if derived_everywhere {
            format!(
                "every layer already has its derived init, so this comes from `{}` itself at this depth: use \
                 fewer layers, an activation of the ReLU family, or normalisation and skip connections; or add \
                 `#[allow(signal_drift)]` if those correct it",
                layer.activation()
            )
        } else {
            format!(
                "the weight scale does not suit the depth: remove `init = …` to get the derived `{}`, or add \
                 `#[allow(signal_drift)]` if a normalisation layer corrects it",
                Init::derived(layer.activation()).describe(layer.activation(), layer.fans())
            )
        };
        Diagnostic {
            lint: Lint::SignalDrift,
            level: Level::Warn,
            layer: index,
            part: Part::Layer,
            message: format!(
                "the {}' predicted second moment {direction} by a factor of {total} from the {}; it passes \
                 {limit} at layer {} (of {}), where each layer multiplies it by {}",
                self.what,
                self.path,
                index + 1,
                layers.len(),
                scientific(self.factor)
            ),
            help,
        }
    }
}

/// Three significant digits, in scientific notation when very large or
/// small: `128`, `0.0128`, `7.6e61`.
fn scientific(value: f64) -> String {
    let magnitude = value.abs();
    if value == 0.0 || !value.is_finite() {
        format!("{value}")
    } else if !(1e-3..1e4).contains(&magnitude) {
        format!("{value:.1e}")
    } else {
        let decimals = (2 - magnitude.log10().floor() as i32).max(0) as usize;
        format!("{value:.decimals$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lints(layers: &[LayerSpec]) -> Vec<(Lint, Level, usize)> {
        check(layers).iter().map(|d| (d.lint, d.level, d.layer)).collect()
    }

    fn stack(depth: usize, activation: Activation, init: Init) -> Vec<LayerSpec> {
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

    #[test]
    fn matched_schemes_are_silent_at_any_depth() {
        for depth in [1, 30, 300] {
            assert!(
                check(&stack(depth, Activation::Relu, Init::he_normal())).is_empty(),
                "relu {depth}"
            );
            assert!(
                check(&stack(depth, Activation::Tanh, Init::xavier_normal())).is_empty(),
                "tanh {depth}"
            );
        }
        // The moment-matched gain keeps the forward signal exactly; backward,
        // gelu's gradient grows by 1.06 per layer, past 2^10 only beyond 100.
        assert!(check(&stack(100, Activation::Gelu, Init::he_normal())).is_empty());
        // SELU's mean-field gradient factor E[selu'(z)²] is 1.07 at its fixed
        // point, so its gradients do grow with depth (Yang & Schoenholz 2017),
        // past 2^10 only beyond about 100 layers.
        assert!(check(&stack(30, Activation::Selu, Init::lecun_normal())).is_empty());
        let deep_selu = check(&stack(300, Activation::Selu, Init::lecun_normal()));
        assert_eq!(deep_selu.len(), 1);
        assert!(deep_selu[0]
            .message
            .contains("gradients' predicted second moment grows"));
        // Far past any practical depth, tanh's slow settling is still not drift.
        assert!(check(&stack(1500, Activation::Tanh, Init::xavier_normal())).is_empty());
    }

    #[test]
    fn badly_scaled_deep_relu_nets_drift() {
        for std in [1.0, 0.01] {
            let found = lints(&stack(30, Activation::Relu, Init::Normal { std }));
            assert_eq!(found.len(), 2, "std {std}: {found:?}");
            assert!(found
                .iter()
                .all(|(lint, level, _)| *lint == Lint::SignalDrift && *level == Level::Warn));
        }
        let diagnostics = check(&stack(30, Activation::Relu, Init::Normal { std: 0.01 }));
        // E[w²] fan_in / 2 = 1e-4 * 256 / 2 = 0.0128 per layer: 2^-10 is passed at layer 2.
        assert_eq!(diagnostics[0].layer, 1);
        assert!(
            diagnostics[0]
                .message
                .contains("activations' predicted second moment shrinks"),
            "{}",
            diagnostics[0].message
        );
        assert!(
            diagnostics[0].message.contains("multiplies it by 0.0128"),
            "{}",
            diagnostics[0].message
        );
        assert!(diagnostics[1].message.contains("gradients'"));
    }

    #[test]
    fn constant_init_is_denied_and_adjacent_constants_forbidden() {
        let mut layers = stack(3, Activation::Relu, Init::he_normal());
        layers[1] = layers[1].with_weight(Init::zeros());
        assert_eq!(lints(&layers), [(Lint::ConstantInit, Level::Deny, 1)]);
        layers[2] = layers[2]
            .with_weight(Init::Uniform { bound: 0.0 })
            .allow_constant_init();
        assert_eq!(
            lints(&layers),
            [
                (Lint::ConstantInit, Level::Deny, 1),
                (Lint::ConstantInit, Level::Deny, 2),
                (Lint::ConstantInit, Level::Forbid, 2)
            ]
        );
        let spec = NetworkSpec::new(layers).unwrap();
        let kept: Vec<_> = spec.lint().iter().map(|d| (d.layer, d.level)).collect();
        assert_eq!(kept, [(1, Level::Deny), (2, Level::Forbid)]);
    }

    #[test]
    fn mismatches_name_the_variance_factor() {
        let xavier_relu =
            check(&[LayerSpec::dense(256, 256, Activation::Relu).with_weight(Init::xavier_normal())]);
        assert_eq!(xavier_relu[0].lint, Lint::InitMismatch);
        assert!(
            xavier_relu[0].message.contains("×0.50 per layer"),
            "{}",
            xavier_relu[0].message
        );
        assert!(xavier_relu[0].message.contains("halves the signal"));
        let he_tanh = check(&[LayerSpec::dense(256, 256, Activation::Tanh).with_weight(Init::he_normal())]);
        assert!(he_tanh[0]
            .message
            .contains("doubles the signal at every layer until `tanh` saturates"));
        let xavier_selu =
            check(&[LayerSpec::dense(256, 256, Activation::Selu).with_weight(Init::xavier_normal())]);
        assert_eq!(xavier_selu[0].lint, Lint::InitMismatch);
        // LeCun on tanh is the classic choice for tanh: no warning.
        assert!(
            check(&[LayerSpec::dense(256, 256, Activation::Tanh).with_weight(Init::lecun_normal())])
                .is_empty()
        );
    }

    #[test]
    fn deep_sigmoid_stacks_vanish_whatever_the_scale() {
        // E[sigmoid'(z)²] <= 1/16: the derived init cannot save 40 layers, and
        // the help says so instead of suggesting the init it already has.
        let found = check(&stack(40, Activation::Sigmoid, Init::xavier_normal()));
        assert_eq!(found.len(), 1);
        assert!(found[0]
            .message
            .contains("gradients' predicted second moment shrinks"));
        assert!(
            found[0].help.contains("comes from `sigmoid` itself"),
            "{}",
            found[0].help
        );
    }

    #[test]
    fn softmax_is_for_the_last_layer() {
        let layers = [
            LayerSpec::dense(10, 10, Activation::Softmax),
            LayerSpec::dense(10, 10, Activation::Softmax),
        ];
        assert_eq!(lints(&layers), [(Lint::SoftmaxHidden, Level::Warn, 0)]);
    }
}
