//! gelu and its derivative in plain `f32` arithmetic, with no branch and
//! no call into a maths library, so the compiler vectorises a loop over a
//! batch: libm's `erfcf` and std's `exp`, one value at a time, took a
//! third of a training step of the residual example's gelu branches. Every operation
//! is IEEE `f32` arithmetic (Rust never fuses a multiply and an add on its
//! own), so the bits are the same on every platform, vectorised or not.
//!
//! `Φ(z)` comes from `erfc` as Numerical Recipes' Chebyshev fit writes it,
//! `t·exp(−x² + P(t))` with `t = 1/(1 + x/2)`, whose fractional error is
//! below 1.2·10⁻⁷ for every `x ≥ 0`, and `x²` is kept exact where it
//! matters: gelu is within 5·10⁻⁷ of itself on [−12, 12], the tail
//! `gelu(−12) ≈ −2·10⁻³²` included (a test checks 3,283 points there that
//! are no short binary fractions); below −13.2, where it is under f32's
//! smallest normal, it is 0. `exp` reduces by `ln 2` (Cody and Waite's
//! two-part constant) and sums the Taylor series of `e^r` to `r⁷` on
//! `|r| ≤ ln 2 / 2` (truncation below 1.3·10⁻⁸), then builds `2^n` from its
//! bits; below −87.3 it is 0.

use core::f32::consts::{FRAC_1_SQRT_2, LOG2_E};

/// `1/√(2π)`.
const FRAC_1_SQRT_2PI: f32 = 0.398_942_3;

/// `e^x`: 0 below −87.3 (where it would be under f32's smallest normal),
/// about 10³⁸ above 88 (clamped there, not infinity).
#[inline(always)]
fn exp(x: f32) -> f32 {
    let underflows = x < -87.3;
    let x = x.clamp(-87.3, 88.0);
    // n = round(x / ln 2) by the 1.5·2²³ trick: adding it rounds to the
    // nearest integer, which then sits in the sum's low bits, so 2^n is
    // built from bits without a float-to-integer conversion (whose
    // saturation the compiler does one lane at a time).
    const SHIFT: f32 = 12_582_912.0;
    let shifted = x * LOG2_E + SHIFT;
    let n = shifted - SHIFT;
    let r = (x - n * 0.693_145_75) - n * 1.428_606_8e-6;
    let series = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0)))))));
    let power = shifted.to_bits().wrapping_sub(SHIFT.to_bits()).wrapping_add(127) << 23;
    // A select, not a branch.
    if underflows {
        0.0
    } else {
        series * f32::from_bits(power)
    }
}

/// `z²/2` as `hi + lo` where `exp(−hi)` takes an exact argument: `z`'s
/// first 12 bits squared are exact in `f32`, and the rest is small, so the
/// rounding that would cost `e^(−z²/2)` a fraction `z²/2 · 6·10⁻⁸` of
/// itself (4·10⁻⁶ at z = 12) is gone.
#[inline(always)]
fn half_square(z: f32) -> (f32, f32) {
    let high = f32::from_bits(z.to_bits() & 0xFFFF_F000);
    let low = z - high;
    (0.5 * (high * high), 0.5 * (low * (z + high)))
}

/// `erfc(x)` for `x = |z|/√2 ≥ 0`, to a fraction 1.2·10⁻⁷ of itself, given
/// `e^(−z²/2)` split as `exp(−hi)·exp(−lo)` (see [`half_square`]).
#[inline(always)]
fn erfc_positive(x: f32, (high, low): (f32, f32)) -> f32 {
    let t = 1.0 / (1.0 + 0.5 * x);
    let p = -1.265_512_2
        + t * (1.000_023_7
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_204
                                + t * (1.488_515_9 + t * (-0.822_152_2 + t * 0.170_872_77))))))));
    t * exp(-high) * exp(p - low)
}

/// `Φ(z)`, the standard normal's distribution function, given `z²/2`.
#[inline(always)]
fn normal_cdf(z: f32, half_square: (f32, f32)) -> f32 {
    let tail = 0.5 * erfc_positive(z.abs() * FRAC_1_SQRT_2, half_square);
    // Φ(z) = tail for z ≤ 0, 1 − tail above: a select, not a branch.
    if z > 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// Past ±16, `Φ` is 0 or 1 in `f32` and `φ` is 0: `z` is clamped there
/// before its square is taken, so no infinity meets a zero.
const SATURATED: f32 = 16.0;

/// `gelu(z) = z Φ(z)`: −0 below −16 (−∞ included), +∞ at +∞, NaN for NaN.
#[inline(always)]
pub(crate) fn value(z: f32) -> f32 {
    let clamped = z.clamp(-SATURATED, SATURATED);
    let gelu = z * normal_cdf(clamped, half_square(clamped));
    // A select, not a branch.
    if z < -SATURATED {
        -0.0
    } else {
        gelu
    }
}

/// `gelu'(z) = Φ(z) + z φ(z)`: 0 and 1 at the infinities.
#[inline(always)]
pub(crate) fn derivative(z: f32) -> f32 {
    let clamped = z.clamp(-SATURATED, SATURATED);
    let (high, low) = half_square(clamped);
    normal_cdf(clamped, (high, low)) + clamped * FRAC_1_SQRT_2PI * exp(-high) * exp(-low)
}

/// `gelu` in place on every value, with the widest instructions the
/// processor has (the same bits either way).
pub(crate) fn apply(values: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2, checked just above.
        return unsafe { apply_avx2(values) };
    }
    values.iter_mut().for_each(|x| *x = value(*x));
}

/// `gradient ⊙ gelu'(pre)` in place, as [`apply`] chooses its instructions.
pub(crate) fn backward(gradient: &mut [f32], pre: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2, checked just above.
        return unsafe { backward_avx2(gradient, pre) };
    }
    gradient
        .iter_mut()
        .zip(pre)
        .for_each(|(g, &z)| *g *= derivative(z));
}

/// [`apply`] with AVX2: eight values at a time, no fused multiply-add.
///
/// # Safety
/// The processor must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn apply_avx2(values: &mut [f32]) {
    values.iter_mut().for_each(|x| *x = value(*x));
}

/// [`backward`] with AVX2.
///
/// # Safety
/// The processor must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn backward_avx2(gradient: &mut [f32], pre: &[f32]) {
    gradient
        .iter_mut()
        .zip(pre)
        .for_each(|(g, &z)| *g *= derivative(z));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::activation::Activation;

    #[test]
    fn gelu_and_its_derivative_agree_with_the_f64_rules() {
        // 3,284 points from -12 to 12 (gelu from -2·10⁻³² to 12) that are no
        // short binary fractions, so that the low part of `half_square`'s
        // split is not zero: the value within 5·10⁻⁷ of itself (measured:
        // 4.0·10⁻⁷, a few f32 roundings), the derivative within 2·10⁻⁷
        // (measured: 1.6·10⁻⁷).
        let (mut worst_value, mut worst_derivative) = (0.0_f64, 0.0_f64);
        for z in (0..=3283).map(|i| -12.0 + i as f32 * 0.00731) {
            let exact = Activation::Gelu.value(f64::from(z));
            let error = (f64::from(value(z)) - exact).abs() / exact.abs().max(1e-33);
            worst_value = worst_value.max(error);
            let exact = Activation::Gelu.derivative(f64::from(z));
            worst_derivative = worst_derivative.max((f64::from(derivative(z)) - exact).abs());
        }
        assert!(worst_value < 5e-7, "{worst_value}");
        assert!(worst_derivative < 2e-7, "{worst_derivative}");
        // Past the range: exact zeros and ones, and the infinities.
        assert_eq!(value(0.0), 0.0);
        assert_eq!(value(-13.5).to_bits(), (-0.0_f32).to_bits());
        assert_eq!(value(-200.0).to_bits(), (-0.0_f32).to_bits());
        assert_eq!(value(f32::NEG_INFINITY).to_bits(), (-0.0_f32).to_bits());
        assert_eq!(value(200.0), 200.0);
        assert_eq!(value(f32::INFINITY), f32::INFINITY);
        assert!(value(f32::NAN).is_nan() && derivative(f32::NAN).is_nan());
        for z in [f32::NEG_INFINITY, -1e30, -40.0] {
            assert_eq!(derivative(z), 0.0, "{z}");
        }
        for z in [40.0, 2.0_f32.powi(120), f32::INFINITY] {
            assert_eq!(derivative(z), 1.0, "{z}");
        }
    }

    #[test]
    fn the_batch_loops_give_the_values_bits() {
        let pre: Vec<f32> = (0..1000).map(|i| (i as f32 - 500.0) / 37.0).collect();
        let mut values = pre.clone();
        apply(&mut values);
        let mut gradient = vec![1.5; pre.len()];
        backward(&mut gradient, &pre);
        for ((&z, &h), &g) in pre.iter().zip(&values).zip(&gradient) {
            assert_eq!(h.to_bits(), value(z).to_bits(), "{z}");
            assert_eq!(g.to_bits(), (1.5 * derivative(z)).to_bits(), "{z}");
        }
    }

    #[test]
    fn exp_is_accurate_across_its_range() {
        for step in -870..=880 {
            let x = step as f32 / 10.0;
            let exact = f64::from(x).exp();
            let error = (f64::from(exp(x)) - exact).abs() / exact;
            assert!(error < 3e-7, "{x}: {error}");
        }
    }
}
