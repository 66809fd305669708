//! A layer's inits and the numbers that shape its values: scales that are
//! negative, not finite or past f32's range, an activation's α, inits a
//! tensor's role refuses, a normalization's `ε`.

use crate::rules::activation::MAX_ALPHA;
use crate::rules::error::Diagnosis;
use crate::rules::init::Init;
use crate::rules::keywords;
use crate::rules::limits::MIN_EPSILON;
use crate::rules::number::written;
use crate::rules::part::Part;

/// A mistake in a layer's inits, activation parameter or `ε`.
#[derive(Clone, Debug, PartialEq)]
pub enum InitError {
    /// A std, bound, gain or constant is negative, infinite or NaN.
    InvalidScale {
        /// The layer (0-based).
        layer: usize,
        /// [`Part::WeightScale`] or [`Part::BiasScale`].
        part: Part,
        /// What the number is (`std`, `bound`, `gain`, `constant`).
        what: &'static str,
        /// The number found.
        value: f64,
    },
    /// A resolved scale whose samples pass f32's largest value (3.4e38), or
    /// that is not a number: the weights would be infinite or NaN.
    ScaleOverflow {
        /// The layer (0-based).
        layer: usize,
        /// [`Part::WeightScale`] or [`Part::BiasScale`].
        part: Part,
        /// Whether the tensor is a normalization's `γ` or `β` (its values
        /// one per feature), which the message names so.
        per_feature: bool,
        /// The largest magnitude a value could take.
        largest: f64,
    },
    /// `leaky_relu(α)` or `elu(α)` with α negative, infinite, NaN or above
    /// [`MAX_ALPHA`](crate::MAX_ALPHA).
    InvalidActivationParameter {
        /// The layer (0-based).
        layer: usize,
        /// The α found.
        value: f64,
    },
    /// `orthogonal` asked for a bias, which is a vector.
    OrthogonalBias {
        /// The layer (0-based).
        layer: usize,
    },
    /// A bias init with a gain, fan mode or distribution of its own, which
    /// the DSL cannot write (`dist`, `mode` and `gain` adjust the weights).
    AdjustedBias {
        /// The layer (0-based).
        layer: usize,
    },
    /// A normalization's `γ` or `β` from a scheme scaled by fans, or
    /// orthogonal: they are one value per feature, with no fans.
    NormInit {
        /// The layer (0-based).
        layer: usize,
        /// [`Part::Weight`] for `γ`, [`Part::Bias`] for `β`.
        part: Part,
        /// The init written.
        init: Init,
    },
    /// A normalization's `ε` that is not finite or is below
    /// [`MIN_EPSILON`](crate::MIN_EPSILON).
    InvalidEpsilon {
        /// The layer (0-based).
        layer: usize,
        /// The `ε` found.
        value: f64,
    },
}

impl InitError {
    /// The layer (0-based) the error is about.
    pub fn layer(&self) -> usize {
        match *self {
            InitError::InvalidScale { layer, .. }
            | InitError::ScaleOverflow { layer, .. }
            | InitError::InvalidActivationParameter { layer, .. }
            | InitError::OrthogonalBias { layer }
            | InitError::AdjustedBias { layer }
            | InitError::NormInit { layer, .. }
            | InitError::InvalidEpsilon { layer, .. } => layer,
        }
    }

    /// What the diagnostic says.
    pub fn diagnosis(&self) -> Diagnosis {
        match *self {
            InitError::InvalidScale { part, what, value, .. } => Diagnosis::new(
                part,
                Init::invalid_scale_message(what, value),
                match what {
                    "constant" => "write a finite value, e.g. `constant(0.1)`",
                    "gain" => "a gain multiplies the std: write a positive number such as `gain = 1.0`",
                    "bound" => "a bound is a size: write a positive number such as `bound = 0.05`",
                    _ => "a std is a size: write a positive number such as `std = 0.01`",
                },
            ),
            InitError::ScaleOverflow { part, per_feature, largest, .. } => {
                let (what, help) = match (per_feature, part) {
                    (true, Part::BiasScale) => (
                        format!("values of `{}`", keywords::BETA),
                        format!("write a smaller scale, or leave `{}` out for zeros", keywords::BETA),
                    ),
                    (true, _) => (
                        format!("values of `{}`", keywords::GAMMA),
                        format!("write a smaller scale, or leave `{}` out for ones", keywords::GAMMA),
                    ),
                    (_, Part::BiasScale) => (
                        "biases".to_owned(),
                        "write a smaller scale; the derived init needs none, and weights above about 1 are rarely \
                         meant"
                            .to_owned(),
                    ),
                    _ => (
                        "weights".to_owned(),
                        "write a smaller scale; the derived init needs none, and weights above about 1 are rarely \
                         meant"
                            .to_owned(),
                    ),
                };
                let which = if part == Part::BiasScale { "they" } else { "some" };
                Diagnosis::new(
                    part,
                    format!(
                        "the {what} can reach {largest:e}, past the largest f32 ({:e}): {which} would be infinite or NaN",
                        f32::MAX,
                    ),
                    help,
                )
            }
            InitError::InvalidActivationParameter { value, .. } => Diagnosis::new(
                Part::ActivationParameter,
                match value > MAX_ALPHA {
                    true => format!("the activation's α must be at most {MAX_ALPHA}; found {}", written(value)),
                    false => Init::invalid_scale_message("activation's α", value),
                },
                "write a small positive α, e.g. `leaky_relu(0.01)` or `elu(1.0)`",
            ),
            InitError::OrthogonalBias { .. } => Diagnosis::new(
                Part::Bias,
                "`orthogonal` needs a matrix, and a bias is a vector",
                "use `bias = zeros` (the default) or a distribution such as `bias = normal(std = 0.01)`",
            ),
            InitError::AdjustedBias { .. } => Diagnosis::new(
                Part::Bias,
                "a bias init cannot have a gain, fan mode or distribution of its own: `dist`, `mode` and `gain` \
                 adjust the weights",
                "use a plain scheme such as `bias = he_uniform`, or a written scale such as \
                 `bias = uniform(bound = 0.05)`",
            ),
            InitError::NormInit { part, init, .. } => {
                let (holds, option, default) = match part {
                    Part::Weight => ("`gamma` holds one scale", keywords::GAMMA, "ones"),
                    _ => ("`beta` holds one shift", keywords::BETA, "zeros"),
                };
                Diagnosis::new(
                    part,
                    format!(
                        "a normalization's {holds} per feature, with no fans to scale by, so `{init}` means nothing \
                         for it"
                    ),
                    format!(
                        "write a constant (`ones`, `zeros`, `constant(0.5)`) or a distribution with its own scale \
                         (`normal(std = 0.02)`), or leave `{option}` out for {default}"
                    ),
                )
            }
            InitError::InvalidEpsilon { value, .. } => Diagnosis::new(
                Part::Option(keywords::EPSILON),
                format!(
                    "`epsilon` is added to the variance before its square root, and an example whose features are \
                     all equal has its gradient multiplied by 1/√epsilon, so it must be finite and at least \
                     {MIN_EPSILON:e}; found {}",
                    written(value)
                ),
                "write a small positive number, e.g. `epsilon = 1e-5` (PyTorch's default, and netinit's)",
            ),
        }
    }
}
