//! Weight-initialisation schemes: the families, distributions and fan modes,
//! and the formulas that turn them into a standard deviation or a bound.

use core::fmt;

use crate::rules::activation::Activation;
use crate::rules::fans::{FanMode, Fans};
use crate::rules::keywords;
use crate::rules::number::written;

/// The standard deviation of a unit normal cut at ±2, as a fraction of the
/// uncut one. Keras divides by it so that a truncated normal keeps the
/// variance the scheme asked for.
pub const TRUNCATED_NORMAL_STD_CORRECTION: f64 = 0.879_625_661_034_239_8;

/// Where a truncated normal is cut, in standard deviations of the uncut one.
pub const TRUNCATION: f64 = 2.0;

/// A variance-scaling family: `Var(w) = gain² / fan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// He (Kaiming) et al. 2015: fan_in, the gain of the ReLU family.
    He,
    /// Xavier (Glorot) & Bengio 2010: fan_avg, gain 1.
    Xavier,
    /// LeCun et al. 1998: fan_in, gain 1.
    LeCun,
}

impl Family {
    /// The fan the family divides by unless told otherwise.
    pub const fn default_mode(self) -> FanMode {
        match self {
            Family::He | Family::LeCun => FanMode::FanIn,
            Family::Xavier => FanMode::FanAvg,
        }
    }

    /// The family matched to an activation: He for the ReLU family, LeCun
    /// for SELU, Xavier for the bounded ones, softmax and identity.
    pub const fn matched_to(activation: Activation) -> Family {
        match activation {
            Activation::Relu
            | Activation::LeakyRelu(_)
            | Activation::Elu(_)
            | Activation::Gelu
            | Activation::Silu
            | Activation::Softplus => Family::He,
            Activation::Selu => Family::LeCun,
            Activation::Identity | Activation::Tanh | Activation::Sigmoid | Activation::Softmax => {
                Family::Xavier
            }
        }
    }

    /// The gain the family uses for `activation` when no `gain =` is given.
    /// He: the moment-matched gain, or `sqrt(2)` (PyTorch's ReLU default)
    /// where none exists; Xavier and LeCun: 1, as in PyTorch and Keras.
    pub fn default_gain(self, activation: Activation) -> f64 {
        match self {
            Family::He => activation.moment_matched_gain_squared().unwrap_or(2.0).sqrt(),
            Family::Xavier | Family::LeCun => 1.0,
        }
    }

    /// The scheme's author as a message names it: `He`, `Xavier` or `LeCun`.
    pub const fn author(self) -> &'static str {
        match self {
            Family::He => "He",
            Family::Xavier => "Xavier",
            Family::LeCun => "LeCun",
        }
    }

    /// `he`, `xavier` or `lecun`.
    pub const fn name(self) -> &'static str {
        match self {
            Family::He => "he",
            Family::Xavier => "xavier",
            Family::LeCun => "lecun",
        }
    }
}

/// The distribution weights are drawn from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Distribution {
    /// `N(0, std²)`.
    Normal,
    /// `U(-bound, bound)` with `bound = sqrt(3) * std`.
    Uniform,
    /// A normal cut at ±2 of its standard deviations and redrawn there.
    TruncatedNormal,
}

impl Distribution {
    /// Every name the DSL accepts for `dist =`.
    pub const NAMES: &'static [&'static str] = keywords::DISTRIBUTIONS;

    /// The distribution called `name`.
    pub fn from_name(name: &str) -> Option<Distribution> {
        match name {
            keywords::NORMAL => Some(Distribution::Normal),
            keywords::UNIFORM => Some(Distribution::Uniform),
            keywords::TRUNCATED_NORMAL => Some(Distribution::TruncatedNormal),
            _ => None,
        }
    }

    /// The name as the DSL spells it.
    pub const fn name(self) -> &'static str {
        match self {
            Distribution::Normal => keywords::NORMAL,
            Distribution::Uniform => keywords::UNIFORM,
            Distribution::TruncatedNormal => keywords::TRUNCATED_NORMAL,
        }
    }
}

/// A variance-scaling scheme: `std = gain / sqrt(fan(mode))`, drawn from
/// `distribution`. He, Xavier and LeCun are its three named settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VarianceScaling {
    /// Which named scheme this is (decides the default gain and mode).
    pub family: Family,
    /// The distribution the weights are drawn from.
    pub distribution: Distribution,
    /// The fan the variance is divided by.
    pub mode: FanMode,
    /// The gain; `None` takes the family's gain for the layer's activation
    /// (see [`Family::default_gain`]).
    pub gain: Option<f64>,
}

impl VarianceScaling {
    /// The family's scheme with its default mode and gain.
    pub const fn new(family: Family, distribution: Distribution) -> VarianceScaling {
        VarianceScaling {
            family,
            distribution,
            mode: family.default_mode(),
            gain: None,
        }
    }

    /// The same scheme with another fan mode.
    pub const fn with_mode(self, mode: FanMode) -> VarianceScaling {
        VarianceScaling { mode, ..self }
    }

    /// The same scheme with an explicit gain.
    pub const fn with_gain(self, gain: f64) -> VarianceScaling {
        VarianceScaling {
            gain: Some(gain),
            ..self
        }
    }

    /// The same scheme drawn from another distribution.
    pub const fn with_distribution(self, distribution: Distribution) -> VarianceScaling {
        VarianceScaling { distribution, ..self }
    }

    /// The standard deviation of the weights for a layer with these fans
    /// followed by `activation`.
    pub fn std(&self, activation: Activation, fans: Fans) -> f64 {
        let gain = self.gain.unwrap_or_else(|| self.family.default_gain(activation));
        gain / fans.fan(self.mode).sqrt()
    }
}

/// How a tensor is initialised: a variance-scaling family, an orthogonal
/// matrix, a distribution with an explicit scale, or a constant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// He, Xavier or LeCun: the scale follows from the fans and the gain.
    Scaled(VarianceScaling),
    /// A (semi-)orthogonal matrix times `gain` (Saxe et al. 2014); `None`
    /// takes the He gain of the activation, or 1 for bounded ones.
    Orthogonal {
        /// The factor the orthogonal matrix is multiplied by.
        gain: Option<f64>,
    },
    /// `N(0, std²)`.
    Normal {
        /// The standard deviation.
        std: f64,
    },
    /// `U(-bound, bound)`.
    Uniform {
        /// The half-width.
        bound: f64,
    },
    /// `N(0, std²)` cut at `±2 std` and redrawn there, as Keras'
    /// `TruncatedNormal(stddev)`: its standard deviation is `0.8796 * std`.
    TruncatedNormal {
        /// The standard deviation of the normal before the cut.
        std: f64,
    },
    /// Every element equal to `value` (`zeros`, `ones`, `constant(c)`).
    Constant {
        /// The value.
        value: f64,
    },
}

/// The largest |z| any sampler format's standard normal can return, which
/// the scale checks use: the 0.1 ziggurat's tail draws
/// `3.44 - ln(u) / 3.44` with `u` at least 2^-53, at most 14.1 (the
/// counter format stays below 6.67).
pub const LARGEST_NORMAL: f64 = 14.2;

/// Half of f32's smallest positive value (1.4e-45): a draw whose largest
/// magnitude is below it rounds every value to zero in f32, so the weights
/// are constant in effect.
pub const SMALLEST_SCALE: f64 = 7.006_492_321_624_085e-46;

/// What a sampler draws for one tensor, with the scale resolved.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Draw {
    /// `N(0, std²)`.
    Normal {
        /// The standard deviation.
        std: f64,
    },
    /// `U(-bound, bound)`.
    Uniform {
        /// The half-width.
        bound: f64,
    },
    /// `N(0, std²)` restricted to `[-2 std, 2 std]`.
    TruncatedNormal {
        /// The standard deviation before the cut.
        std: f64,
    },
    /// A (semi-)orthogonal matrix times `gain`.
    Orthogonal {
        /// The factor.
        gain: f64,
    },
    /// A constant.
    Constant {
        /// The value.
        value: f64,
    },
}

impl Draw {
    /// The largest magnitude a value can take: the scale times the largest
    /// standard normal, the bound, the gain, or the constant.
    pub fn largest_magnitude(&self) -> f64 {
        match *self {
            Draw::Normal { std } => std * LARGEST_NORMAL,
            Draw::TruncatedNormal { std } => std * TRUNCATION,
            Draw::Uniform { bound } => bound,
            Draw::Orthogonal { gain } => gain,
            Draw::Constant { value } => value.abs(),
        }
    }

    /// The same draw with every value multiplied by `factor` (at least 0).
    pub fn scaled(self, factor: f64) -> Draw {
        match self {
            Draw::Normal { std } => Draw::Normal { std: std * factor },
            Draw::Uniform { bound } => Draw::Uniform {
                bound: bound * factor,
            },
            Draw::TruncatedNormal { std } => Draw::TruncatedNormal { std: std * factor },
            Draw::Orthogonal { gain } => Draw::Orthogonal { gain: gain * factor },
            Draw::Constant { value } => Draw::Constant {
                value: value * factor,
            },
        }
    }

    /// Whether every value comes out the same in f32: a constant, or a draw
    /// whose every value rounds to zero (its largest magnitude below
    /// [`SMALLEST_SCALE`]).
    pub fn is_constant_in_f32(&self) -> bool {
        match *self {
            Draw::Constant { .. } => true,
            _ => self.largest_magnitude() < SMALLEST_SCALE,
        }
    }
}

impl Init {
    /// Every init name the DSL accepts.
    pub const NAMES: &'static [&'static str] = keywords::INITS;

    /// The scheme derived from an activation: its matched family, drawn from
    /// a normal distribution, with the family's default mode and gain.
    pub const fn derived(activation: Activation) -> Init {
        Init::Scaled(VarianceScaling::new(
            Family::matched_to(activation),
            Distribution::Normal,
        ))
    }

    /// He normal, fan_in (`torch.nn.init.kaiming_normal_`).
    pub const fn he_normal() -> Init {
        Init::Scaled(VarianceScaling::new(Family::He, Distribution::Normal))
    }

    /// He uniform, fan_in (`torch.nn.init.kaiming_uniform_`).
    pub const fn he_uniform() -> Init {
        Init::Scaled(VarianceScaling::new(Family::He, Distribution::Uniform))
    }

    /// Xavier normal, fan_avg (`torch.nn.init.xavier_normal_`).
    pub const fn xavier_normal() -> Init {
        Init::Scaled(VarianceScaling::new(Family::Xavier, Distribution::Normal))
    }

    /// Xavier uniform, fan_avg (`torch.nn.init.xavier_uniform_`).
    pub const fn xavier_uniform() -> Init {
        Init::Scaled(VarianceScaling::new(Family::Xavier, Distribution::Uniform))
    }

    /// LeCun normal, fan_in (Keras' `lecun_normal`).
    pub const fn lecun_normal() -> Init {
        Init::Scaled(VarianceScaling::new(Family::LeCun, Distribution::Normal))
    }

    /// LeCun uniform, fan_in (Keras' `lecun_uniform`).
    pub const fn lecun_uniform() -> Init {
        Init::Scaled(VarianceScaling::new(Family::LeCun, Distribution::Uniform))
    }

    /// All zeros: the default for biases.
    pub const fn zeros() -> Init {
        Init::Constant { value: 0.0 }
    }

    /// All ones.
    pub const fn ones() -> Init {
        Init::Constant { value: 1.0 }
    }

    /// The variance-scaling family, if this is one.
    pub const fn family(&self) -> Option<Family> {
        match self {
            Init::Scaled(scaling) => Some(scaling.family),
            _ => None,
        }
    }

    /// Whether every element gets the same value: a constant, or a
    /// distribution whose scale is zero. Such weights never break symmetry.
    pub fn is_constant(&self) -> bool {
        match *self {
            Init::Constant { .. } => true,
            Init::Scaled(VarianceScaling { gain: Some(gain), .. })
            | Init::Orthogonal { gain: Some(gain) } => gain == 0.0,
            Init::Normal { std } | Init::TruncatedNormal { std } => std == 0.0,
            Init::Uniform { bound } => bound == 0.0,
            _ => false,
        }
    }

    /// The scale that makes this init unusable, if any: a std, bound or gain
    /// that is negative, infinite or NaN, or a constant that is not finite.
    /// Returns what the number is (`std`, `bound`, `gain`, `constant`) and its value.
    pub fn invalid_scale(&self) -> Option<(&'static str, f64)> {
        let (what, value, may_be_negative) = match *self {
            Init::Scaled(VarianceScaling { gain: Some(gain), .. })
            | Init::Orthogonal { gain: Some(gain) } => ("gain", gain, false),
            Init::Normal { std } | Init::TruncatedNormal { std } => ("std", std, false),
            Init::Uniform { bound } => ("bound", bound, false),
            Init::Constant { value } => ("constant", value, true),
            _ => return None,
        };
        let valid = value.is_finite() && (may_be_negative || value >= 0.0);
        (!valid).then_some((what, value))
    }

    /// What is wrong with a scale that [`Init::invalid_scale`] reports.
    pub(crate) fn invalid_scale_message(what: &str, value: f64) -> String {
        format!(
            "the {what} must be a finite number and not negative; found {}",
            written(value)
        )
    }

    /// What to draw for a tensor with these fans followed by `activation`.
    pub fn draw(&self, activation: Activation, fans: Fans) -> Draw {
        match *self {
            Init::Scaled(scaling) => {
                let std = scaling.std(activation, fans);
                match scaling.distribution {
                    Distribution::Normal => Draw::Normal { std },
                    Distribution::Uniform => Draw::Uniform {
                        bound: 3.0_f64.sqrt() * std,
                    },
                    Distribution::TruncatedNormal => Draw::TruncatedNormal {
                        std: std / TRUNCATED_NORMAL_STD_CORRECTION,
                    },
                }
            }
            Init::Orthogonal { gain } => Draw::Orthogonal {
                gain: gain.unwrap_or_else(|| orthogonal_gain(activation)),
            },
            Init::Normal { std } => Draw::Normal { std },
            Init::Uniform { bound } => Draw::Uniform { bound },
            Init::TruncatedNormal { std } => Draw::TruncatedNormal { std },
            Init::Constant { value } => Draw::Constant { value },
        }
    }

    /// `E[w²]` of one element: the variance of a random scheme (for an
    /// orthogonal matrix, `gain² / max(fan_in, fan_out)`), or the square of
    /// a constant.
    pub fn second_moment(&self, activation: Activation, fans: Fans) -> f64 {
        match self.draw(activation, fans) {
            Draw::Normal { std } => std * std,
            Draw::Uniform { bound } => bound * bound / 3.0,
            Draw::TruncatedNormal { std } => (std * TRUNCATED_NORMAL_STD_CORRECTION).powi(2),
            Draw::Orthogonal { gain } => gain * gain / fans.fan_in.max(fans.fan_out) as f64,
            Draw::Constant { value } => value * value,
        }
    }

    /// The standard deviation of the elements (0 for a constant).
    pub fn std(&self, activation: Activation, fans: Fans) -> f64 {
        match self {
            Init::Constant { .. } => 0.0,
            _ => self.second_moment(activation, fans).sqrt(),
        }
    }

    /// A short description with the fan and the resolved scale, for
    /// summaries: `he_normal fan_in std=0.0505`, `xavier_uniform fan_avg bound=0.1502`.
    pub fn describe(&self, activation: Activation, fans: Fans) -> String {
        let fan = match self {
            Init::Scaled(scaling) => format!(" {}", scaling.mode.name()),
            _ => String::new(),
        };
        let name = match self {
            Init::Scaled(scaling) => format!("{}_{}", scaling.family.name(), scaling.distribution.name()),
            Init::Orthogonal { .. } => keywords::ORTHOGONAL.to_owned(),
            _ => self.to_string(),
        };
        match self.draw(activation, fans) {
            Draw::Constant { .. } => name,
            Draw::Uniform { bound } => format!("{name}{fan} bound={}", four_places(bound)),
            Draw::Orthogonal { gain } => format!("{name} gain={}", four_places(gain)),
            Draw::Normal { .. } | Draw::TruncatedNormal { .. } => {
                format!("{name}{fan} std={}", four_places(self.std(activation, fans)))
            }
        }
    }
}

/// `value` to four decimals (`0.0505`), or four significant decimals with
/// an exponent where those would show nothing or too much (`3.4000e38`,
/// `1.0000e-50`).
fn four_places(value: f64) -> String {
    let magnitude = value.abs();
    if value != 0.0 && value.is_finite() && !(1e-4..1e6).contains(&magnitude) {
        format!("{value:.4e}")
    } else {
        format!("{value:.4}")
    }
}

/// The orthogonal scheme's default gain: the activation's moment-matched
/// gain where it has one, 1 for the bounded activations.
fn orthogonal_gain(activation: Activation) -> f64 {
    activation.moment_matched_gain_squared().unwrap_or(1.0).sqrt()
}

/// The variance-scaling inits the DSL names, with their family and distribution.
const SCALED_NAMES: [(&str, Family, Distribution); 6] = [
    (keywords::HE_NORMAL, Family::He, Distribution::Normal),
    (keywords::HE_UNIFORM, Family::He, Distribution::Uniform),
    (keywords::XAVIER_NORMAL, Family::Xavier, Distribution::Normal),
    (keywords::XAVIER_UNIFORM, Family::Xavier, Distribution::Uniform),
    (keywords::LECUN_NORMAL, Family::LeCun, Distribution::Normal),
    (keywords::LECUN_UNIFORM, Family::LeCun, Distribution::Uniform),
];

impl VarianceScaling {
    /// The scheme the DSL names `name` (`he_uniform`), with its default mode and gain.
    pub fn named(name: &str) -> Option<VarianceScaling> {
        SCALED_NAMES
            .iter()
            .find(|(known, ..)| *known == name)
            .map(|&(_, family, distribution)| VarianceScaling::new(family, distribution))
    }

    /// The DSL's name for this family and distribution, if it has one
    /// (`he_normal`); truncated normals are written `he_normal, dist = truncated_normal`.
    pub fn dsl_name(&self) -> Option<&'static str> {
        SCALED_NAMES
            .iter()
            .find(|(_, family, distribution)| *family == self.family && *distribution == self.distribution)
            .map(|(name, ..)| *name)
    }

    /// Whether the DSL names this scheme with no option after it
    /// (`he_uniform`, not `he_uniform, gain = 2`).
    pub fn is_plain(&self) -> bool {
        self.dsl_name().is_some() && *self == VarianceScaling::new(self.family, self.distribution)
    }
}

impl fmt::Display for Init {
    /// The DSL spelling, with the options that adjust a variance-scaling or
    /// orthogonal init after it, as they follow `init = …` in a layer:
    /// `he_normal`, `he_uniform, mode = fan_out, gain = 1.2`,
    /// `xavier_normal, dist = truncated_normal`, `normal(std = 0.01)`,
    /// `constant(0.5)`. It parses back to the same init.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Init::Scaled(scaling) => {
                let normal = VarianceScaling::new(scaling.family, Distribution::Normal);
                match scaling.dsl_name() {
                    Some(name) => f.write_str(name)?,
                    None => write!(
                        f,
                        "{}, {} = {}",
                        normal.dsl_name().unwrap_or(keywords::HE_NORMAL),
                        keywords::DIST,
                        scaling.distribution.name()
                    )?,
                }
                if scaling.mode != scaling.family.default_mode() {
                    write!(f, ", {} = {}", keywords::MODE, scaling.mode.name())?;
                }
                if let Some(gain) = scaling.gain {
                    write!(f, ", {} = {}", keywords::GAIN, written(gain))?;
                }
                Ok(())
            }
            Init::Orthogonal { gain: Some(gain) } => {
                write!(
                    f,
                    "{}, {} = {}",
                    keywords::ORTHOGONAL,
                    keywords::GAIN,
                    written(gain)
                )
            }
            Init::Orthogonal { gain: None } => f.write_str(keywords::ORTHOGONAL),
            Init::Normal { std } => write!(f, "{}({} = {})", keywords::NORMAL, keywords::STD, written(std)),
            Init::Uniform { bound } => write!(
                f,
                "{}({} = {})",
                keywords::UNIFORM,
                keywords::BOUND,
                written(bound)
            ),
            Init::TruncatedNormal { std } => {
                write!(
                    f,
                    "{}({} = {})",
                    keywords::TRUNCATED_NORMAL,
                    keywords::STD,
                    written(std)
                )
            }
            Init::Constant { value: 0.0 } => f.write_str(keywords::ZEROS),
            Init::Constant { value: 1.0 } => f.write_str(keywords::ONES),
            Init::Constant { value } => write!(f, "{}({})", keywords::CONSTANT, written(value)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_show_huge_and_tiny_scales_with_an_exponent() {
        let fans = Fans::dense(8, 8);
        let huge = Init::Uniform { bound: 3e37 }.describe(Activation::Relu, fans);
        assert!(huge.ends_with("bound=3.0000e37"), "{huge}");
        let tiny = Init::Normal { std: 1e-50 }.describe(Activation::Relu, fans);
        assert!(tiny.ends_with("std=1.0000e-50"), "{tiny}");
        let usual = Init::he_normal().describe(Activation::Relu, Fans::dense(784, 256));
        assert!(usual.ends_with("std=0.0505"), "{usual}");
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 5e-7
    }

    #[test]
    fn reference_values_of_torch_and_keras() {
        // torch.nn.init.kaiming_normal_ on a (256, 784) weight: sqrt(2 / 784).
        let fans = Fans::dense(784, 256);
        assert!(close(Init::he_normal().std(Activation::Relu, fans), 0.050508));
        // xavier_uniform_ on (10, 256): sqrt(6 / (256 + 10)).
        let head = Fans::dense(256, 10);
        let Draw::Uniform { bound } = Init::xavier_uniform().draw(Activation::Softmax, head) else {
            panic!("xavier_uniform draws uniformly");
        };
        assert!(close(bound, 0.150188));
        // kaiming_uniform_ bound: sqrt(6 / fan_in).
        let Draw::Uniform { bound } = Init::he_uniform().draw(Activation::Relu, fans) else {
            panic!("he_uniform draws uniformly");
        };
        assert!(close(bound, (6.0_f64 / 784.0).sqrt()));
        // lecun_normal: sqrt(1 / fan_in).
        assert!(close(
            Init::lecun_normal().std(Activation::Selu, fans),
            (1.0_f64 / 784.0).sqrt()
        ));
    }

    #[test]
    fn truncated_normal_keeps_the_requested_variance() {
        // Keras VarianceScaling(truncated_normal): stddev = sqrt(scale / n) / 0.8796...
        let scheme = Init::Scaled(VarianceScaling::new(Family::He, Distribution::TruncatedNormal));
        let fans = Fans::dense(784, 256);
        let Draw::TruncatedNormal { std } = scheme.draw(Activation::Relu, fans) else {
            panic!("truncated normal expected");
        };
        assert!(close(std, (2.0_f64 / 784.0).sqrt() / 0.879_625_661_034_239_8));
        assert!(close(scheme.std(Activation::Relu, fans), 0.050508));
    }

    #[test]
    fn leaky_relu_gain_follows_alpha() {
        // torch.nn.init.calculate_gain('leaky_relu', 0.01) = sqrt(2 / (1 + 0.01²)).
        let std = Init::he_normal().std(Activation::LeakyRelu(0.01), Fans::dense(100, 50));
        assert!(close(std, (2.0 / 1.0001_f64).sqrt() / 10.0));
    }

    #[test]
    fn degenerate_scales_are_constant() {
        assert!(Init::zeros().is_constant());
        assert!(Init::Normal { std: 0.0 }.is_constant());
        assert!(Init::Uniform { bound: 0.0 }.is_constant());
        assert!(
            Init::Scaled(VarianceScaling::new(Family::He, Distribution::Normal).with_gain(0.0)).is_constant()
        );
        assert!(!Init::he_normal().is_constant());
        assert!(!Init::Normal { std: 1e-9 }.is_constant());
    }
}
