//! Activation functions: their values, derivatives, Gaussian moments, and the
//! init family and gain that suit each of them.

use core::fmt;
use std::cell::RefCell;
use std::collections::HashMap;

use crate::rules::gaussian::expectation;
use crate::rules::keywords;
use crate::rules::number::written;

/// The largest α `leaky_relu(α)` and `elu(α)` take: past it, the gains
/// that match them are too small or too large to sample in f32.
pub const MAX_ALPHA: f64 = 1000.0;

/// The most Gaussian moments a thread keeps (see `Activation::remembered`).
const REMEMBERED: usize = 1 << 14;

/// An expectation the analysis takes of an activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Moment {
    Mean,
    Second,
    Fourth,
    DerivativeSecond,
}

/// `(moment, activation, variance's bits)`: the moments computed on this thread.
type Known = HashMap<(Moment, (u8, u64), u64), f64>;

thread_local! {
    static KNOWN: RefCell<Known> = RefCell::new(HashMap::new());
}

/// SELU's scale λ (Klambauer et al., 2017).
pub const SELU_LAMBDA: f64 = 1.050_700_987_355_480_5;
/// SELU's α (Klambauer et al., 2017).
pub const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;

/// An element-wise nonlinearity after a dense layer (softmax acts on a row).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    /// `x` (also spelt `linear`).
    Identity,
    /// `max(0, x)`.
    Relu,
    /// `x` for `x > 0`, `alpha * x` otherwise.
    LeakyRelu(f64),
    /// `x` for `x > 0`, `alpha * (exp(x) - 1)` otherwise.
    Elu(f64),
    /// `x * Phi(x)` with the exact Gaussian CDF (PyTorch's default GELU).
    Gelu,
    /// `x * sigmoid(x)` (also called swish).
    Silu,
    /// Scaled ELU with the self-normalising constants λ and α.
    Selu,
    /// `ln(1 + exp(x))`.
    Softplus,
    /// `tanh(x)`.
    Tanh,
    /// `1 / (1 + exp(-x))`.
    Sigmoid,
    /// `exp(x_i) / sum_j exp(x_j)` over a row: a distribution over classes.
    Softmax,
}

impl Activation {
    /// Every name the DSL accepts, in the order the docs list them.
    pub const NAMES: &'static [&'static str] = keywords::ACTIVATIONS;

    /// The activation called `name`, for those without a parameter;
    /// `leaky_relu` and `elu` need theirs (see [`Activation::takes_parameter`]).
    pub fn from_name(name: &str) -> Option<Activation> {
        Some(match name {
            keywords::IDENTITY | keywords::LINEAR => Activation::Identity,
            keywords::RELU => Activation::Relu,
            keywords::GELU => Activation::Gelu,
            keywords::SILU => Activation::Silu,
            keywords::SELU => Activation::Selu,
            keywords::SOFTPLUS => Activation::Softplus,
            keywords::TANH => Activation::Tanh,
            keywords::SIGMOID => Activation::Sigmoid,
            keywords::SOFTMAX => Activation::Softmax,
            _ => return None,
        })
    }

    /// The activation called `name` with parameter `alpha`
    /// (`leaky_relu(alpha)`, `elu(alpha)`).
    pub fn with_parameter(name: &str, alpha: f64) -> Option<Activation> {
        match name {
            keywords::LEAKY_RELU => Some(Activation::LeakyRelu(alpha)),
            keywords::ELU => Some(Activation::Elu(alpha)),
            _ => None,
        }
    }

    /// Whether the name is written with a parameter, `name(alpha)`.
    pub fn takes_parameter(name: &str) -> bool {
        Activation::with_parameter(name, 0.0).is_some()
    }

    /// The name as the DSL spells it.
    pub const fn name(self) -> &'static str {
        match self {
            Activation::Identity => keywords::IDENTITY,
            Activation::Relu => keywords::RELU,
            Activation::LeakyRelu(_) => keywords::LEAKY_RELU,
            Activation::Elu(_) => keywords::ELU,
            Activation::Gelu => keywords::GELU,
            Activation::Silu => keywords::SILU,
            Activation::Selu => keywords::SELU,
            Activation::Softplus => keywords::SOFTPLUS,
            Activation::Tanh => keywords::TANH,
            Activation::Sigmoid => keywords::SIGMOID,
            Activation::Softmax => keywords::SOFTMAX,
        }
    }

    /// The parameter of `leaky_relu` and `elu`.
    pub const fn parameter(self) -> Option<f64> {
        match self {
            Activation::LeakyRelu(alpha) | Activation::Elu(alpha) => Some(alpha),
            _ => None,
        }
    }

    /// Whether the output is bounded (tanh, sigmoid, softmax): no weight
    /// scale can keep its second moment at 1, so it has no moment-matched gain.
    pub const fn is_bounded(self) -> bool {
        matches!(self, Activation::Tanh | Activation::Sigmoid | Activation::Softmax)
    }

    /// The activation's value at `x` (softmax: its element-wise stand-in,
    /// the identity on logits; the network applies the real softmax to a row).
    pub fn value(self, x: f64) -> f64 {
        match self {
            Activation::Identity | Activation::Softmax => x,
            Activation::Relu => x.max(0.0),
            Activation::LeakyRelu(alpha) => {
                if x > 0.0 {
                    x
                } else {
                    alpha * x
                }
            }
            Activation::Elu(alpha) => {
                if x > 0.0 {
                    x
                } else {
                    alpha * libm::expm1(x)
                }
            }
            Activation::Gelu => x * normal_cdf(x),
            Activation::Silu => x * sigmoid(x),
            Activation::Selu => {
                if x > 0.0 {
                    SELU_LAMBDA * x
                } else {
                    SELU_LAMBDA * SELU_ALPHA * libm::expm1(x)
                }
            }
            Activation::Softplus => x.max(0.0) + libm::log1p(libm::exp(-x.abs())),
            Activation::Tanh => libm::tanh(x),
            Activation::Sigmoid => sigmoid(x),
        }
    }

    /// The derivative at `x` (at a kink, the right-hand one; softmax: 1, as
    /// its gradient is taken together with the loss).
    pub fn derivative(self, x: f64) -> f64 {
        match self {
            Activation::Identity | Activation::Softmax => 1.0,
            Activation::Relu => f64::from(u8::from(x > 0.0)),
            Activation::LeakyRelu(alpha) => {
                if x > 0.0 {
                    1.0
                } else {
                    alpha
                }
            }
            Activation::Elu(alpha) => {
                if x > 0.0 {
                    1.0
                } else {
                    alpha * libm::exp(x)
                }
            }
            Activation::Gelu => normal_cdf(x) + x * normal_pdf(x),
            Activation::Silu => {
                let s = sigmoid(x);
                s * (1.0 + x * (1.0 - s))
            }
            Activation::Selu => {
                if x > 0.0 {
                    SELU_LAMBDA
                } else {
                    SELU_LAMBDA * SELU_ALPHA * libm::exp(x)
                }
            }
            Activation::Softplus => sigmoid(x),
            Activation::Tanh => {
                let t = libm::tanh(x);
                1.0 - t * t
            }
            Activation::Sigmoid => {
                let s = sigmoid(x);
                s * (1.0 - s)
            }
        }
    }

    /// `E[φ(z)]` for `z ~ N(0, variance)`.
    pub fn mean(self, variance: f64) -> f64 {
        match self {
            Activation::Identity | Activation::Softmax => 0.0,
            Activation::Relu => (variance / (2.0 * core::f64::consts::PI)).sqrt(),
            Activation::LeakyRelu(alpha) => (1.0 - alpha) * (variance / (2.0 * core::f64::consts::PI)).sqrt(),
            _ => self.remembered(Moment::Mean, variance, |x| self.value(x)),
        }
    }

    /// `E[φ(z)²]` for `z ~ N(0, variance)`: the second moment of the output.
    pub fn second_moment(self, variance: f64) -> f64 {
        match self {
            Activation::Identity | Activation::Softmax => variance,
            Activation::Relu => variance / 2.0,
            Activation::LeakyRelu(alpha) => variance * (1.0 + alpha * alpha) / 2.0,
            _ => self.remembered(Moment::Second, variance, |x| self.value(x).powi(2)),
        }
    }

    /// `E[φ(z)⁴]` for `z ~ N(0, variance)`: how much a layer's factor on
    /// the second moment varies between draws.
    pub fn fourth_moment(self, variance: f64) -> f64 {
        self.remembered(Moment::Fourth, variance, |x| self.value(x).powi(4))
    }

    /// `E[φ'(z)²]` for `z ~ N(0, variance)`: how much of a gradient's
    /// second moment passes back through the activation.
    pub fn derivative_second_moment(self, variance: f64) -> f64 {
        match self {
            Activation::Identity | Activation::Softmax => 1.0,
            Activation::Relu => 0.5,
            Activation::LeakyRelu(alpha) => (1.0 + alpha * alpha) / 2.0,
            _ => self.remembered(Moment::DerivativeSecond, variance, |x| self.derivative(x).powi(2)),
        }
    }

    /// `E[f(z)]`, the `moment` of this activation, from the moments this
    /// thread has computed, or computed and kept. An expectation is a
    /// quadrature of a few thousand points, and the analysis asks for the
    /// same ones again and again: every block of a deep stack sees the
    /// same variance after its normalization, and in the macro the core
    /// runs unoptimised. At most [`REMEMBERED`] are kept.
    fn remembered(self, moment: Moment, variance: f64, f: impl Fn(f64) -> f64) -> f64 {
        let key = (moment, self.tag(), variance.to_bits());
        if let Some(known) = KNOWN.with_borrow(|known| known.get(&key).copied()) {
            return known;
        }
        let value = expectation(f, variance);
        KNOWN.with_borrow_mut(|known| {
            if known.len() >= REMEMBERED {
                known.clear();
            }
            known.insert(key, value);
        });
        value
    }

    /// The activation as a key: its variant and its parameter's bits.
    fn tag(self) -> (u8, u64) {
        match self {
            Activation::Identity => (0, 0),
            Activation::Relu => (1, 0),
            Activation::LeakyRelu(alpha) => (2, alpha.to_bits()),
            Activation::Elu(alpha) => (3, alpha.to_bits()),
            Activation::Gelu => (4, 0),
            Activation::Silu => (5, 0),
            Activation::Selu => (6, 0),
            Activation::Softplus => (7, 0),
            Activation::Tanh => (8, 0),
            Activation::Sigmoid => (9, 0),
            Activation::Softmax => (10, 0),
        }
    }

    /// The squared gain `g²` that keeps the second moment of the output equal
    /// to its input's: it solves `E[φ(z)²] = 1` for `z ~ N(0, g²)`.
    ///
    /// This is He's rule (2 for relu, `2 / (1 + α²)` for leaky_relu) applied
    /// to every unbounded activation, 1 for identity and selu. Bounded
    /// activations (tanh, sigmoid, softmax) have none: `None`.
    ///
    /// ```
    /// use netinit::Activation;
    /// assert_eq!(Activation::Relu.moment_matched_gain_squared(), Some(2.0));
    /// let elu = Activation::Elu(1.0).moment_matched_gain_squared().unwrap();
    /// assert!((elu - 1.633182).abs() < 1e-4);
    /// assert_eq!(Activation::Tanh.moment_matched_gain_squared(), None);
    /// ```
    pub fn moment_matched_gain_squared(self) -> Option<f64> {
        match self {
            Activation::Identity => Some(1.0),
            Activation::Relu => Some(2.0),
            Activation::LeakyRelu(alpha) => Some(2.0 / (1.0 + alpha * alpha)),
            Activation::Tanh | Activation::Sigmoid | Activation::Softmax => None,
            _ => solve_unit_second_moment(self),
        }
    }
}

/// Every element-wise activation, `leaky_relu` and `elu` with a parameter
/// other than the defaults, for tests that must cover them all.
#[cfg(test)]
pub(crate) const ELEMENTWISE: [Activation; 10] = [
    Activation::Identity,
    Activation::Relu,
    Activation::LeakyRelu(0.1),
    Activation::Elu(1.3),
    Activation::Gelu,
    Activation::Silu,
    Activation::Selu,
    Activation::Softplus,
    Activation::Tanh,
    Activation::Sigmoid,
];

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.parameter() {
            Some(alpha) => write!(f, "{}({})", self.name(), written(alpha)),
            None => f.write_str(self.name()),
        }
    }
}

/// Solves `E[φ(z)²] = 1`, `z ~ N(0, s)`, for `s = g²` by the Illinois
/// variant of regula falsi on a bracket: the second moment increases with `s`
/// for every unbounded activation we have. `None` when the activation cannot
/// reach a unit second moment for `s` in `(0, 1e6]`.
fn solve_unit_second_moment(activation: Activation) -> Option<f64> {
    let excess = |s: f64| activation.second_moment(s) - 1.0;
    let (mut low, mut high) = (0.0_f64, 1.0_f64);
    let (mut f_low, mut f_high) = (excess(low), excess(high));
    if f_low > 0.0 {
        return None;
    }
    while f_high < 0.0 {
        (low, f_low) = (high, f_high);
        high *= 2.0;
        if high > 1e6 {
            return None;
        }
        f_high = excess(high);
    }
    let mut last_side = 0_i8;
    for _ in 0..100 {
        let guess = high - f_high * (high - low) / (f_high - f_low);
        let f_guess = excess(guess);
        if f_guess.abs() < 1e-15 || high - low < 1e-14 {
            return Some(guess);
        }
        if f_guess < 0.0 {
            (low, f_low) = (guess, f_guess);
            if last_side == -1 {
                f_high /= 2.0;
            }
            last_side = -1;
        } else {
            (high, f_high) = (guess, f_guess);
            if last_side == 1 {
                f_low /= 2.0;
            }
            last_side = 1;
        }
    }
    Some(0.5 * (low + high))
}

fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + libm::exp(-x))
    } else {
        let e = libm::exp(x);
        e / (1.0 + e)
    }
}

fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / core::f64::consts::SQRT_2)
}

fn normal_pdf(x: f64) -> f64 {
    libm::exp(-0.5 * x * x) / (2.0 * core::f64::consts::PI).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gain_squared(activation: Activation) -> f64 {
        activation.moment_matched_gain_squared().unwrap()
    }

    #[test]
    fn he_gains_are_the_closed_forms() {
        assert_eq!(gain_squared(Activation::Relu), 2.0);
        // PyTorch: calculate_gain('leaky_relu', 0.2)**2 = 2 / 1.04.
        assert!((gain_squared(Activation::LeakyRelu(0.2)) - 2.0 / 1.04).abs() < 1e-15);
        assert_eq!(gain_squared(Activation::Identity), 1.0);
    }

    #[test]
    fn moment_matched_gains_of_the_smooth_relus() {
        // DESIGN.md's table, to 1e-4.
        for (activation, expected) in [
            (Activation::Elu(1.0), 1.633182),
            (Activation::Gelu, 2.155057),
            (Activation::Silu, 2.429733),
            (Activation::Softplus, 1.173153),
        ] {
            let got = gain_squared(activation);
            assert!((got - expected).abs() < 1e-4, "{activation}: {got} vs {expected}");
        }
    }

    #[test]
    fn selu_is_self_normalising() {
        // The SELU constants make E[selu(z)^2] = 1 at unit variance, so the
        // rule gives 1 (Keras' lecun_normal), not PyTorch's 3/4.
        assert!((gain_squared(Activation::Selu) - 1.0).abs() < 1e-6);
        assert!(Activation::Selu.mean(1.0).abs() < 1e-6);
    }

    #[test]
    fn the_rule_reproduces_he_for_relu_by_quadrature() {
        // The closed forms and the quadrature agree where both exist.
        let relu_by_quadrature = solve_unit_second_moment(Activation::Relu).unwrap();
        assert!((relu_by_quadrature - 2.0).abs() < 1e-8);
        let leaky = solve_unit_second_moment(Activation::LeakyRelu(0.1)).unwrap();
        assert!((leaky - 2.0 / 1.01).abs() < 1e-8);
    }

    #[test]
    fn elu_gain_follows_its_alpha() {
        let small = gain_squared(Activation::Elu(0.5));
        let large = gain_squared(Activation::Elu(2.0));
        assert!(small > gain_squared(Activation::Elu(1.0)));
        assert!(large < gain_squared(Activation::Elu(1.0)));
    }

    #[test]
    fn derivatives_match_finite_differences() {
        for activation in ELEMENTWISE {
            for x in [-3.1, -0.7, 0.4, 2.2] {
                let h = 1e-6;
                let numeric = (activation.value(x + h) - activation.value(x - h)) / (2.0 * h);
                let exact = activation.derivative(x);
                assert!(
                    (numeric - exact).abs() < 1e-6,
                    "{activation} at {x}: {numeric} vs {exact}"
                );
            }
        }
    }

    #[test]
    fn every_name_parses() {
        for name in Activation::NAMES {
            let parsed = if Activation::takes_parameter(name) {
                Activation::with_parameter(name, 0.1)
            } else {
                Activation::from_name(name)
            };
            assert!(parsed.is_some(), "{name}");
        }
    }
}
