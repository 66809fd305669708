//! Joint expectations of two or more correlated Gaussian pre-activations,
//! which pooling needs: `E[φ(z₁)φ(z₂)]` for a pair with correlation `ρ`,
//! and `E[φ(max zᵢ)^p]` for `n` values with a common pairwise correlation.
//!
//! Both are double integrals over a fixed grid (composite Simpson on
//! `[-8, 8]` standard deviations, 256 intervals each way): smooth in the
//! correlation, accurate to about 1e-4 relative even for kinked
//! activations, and cheap enough to run once per layer at compile time.

use crate::rules::activation::Activation;

const REACH: f64 = 8.0;
const INTERVALS: usize = 256;

/// Simpson nodes and weights on `[-REACH, REACH]`, each weight times the
/// standard normal density at its node.
fn grid() -> impl Iterator<Item = (f64, f64)> {
    let h = 2.0 * REACH / INTERVALS as f64;
    (0..=INTERVALS).map(move |k| {
        let x = -REACH + h * k as f64;
        let simpson = match k {
            0 => 1.0,
            k if k == INTERVALS => 1.0,
            k if k % 2 == 1 => 4.0,
            _ => 2.0,
        };
        (x, simpson * h / 3.0 * density(x))
    })
}

fn density(x: f64) -> f64 {
    libm::exp(-0.5 * x * x) / libm::sqrt(2.0 * core::f64::consts::PI)
}

/// `E[φ(z₁)φ(z₂)]` for `z₁, z₂ ~ N(0, variance)` with correlation `rho`.
pub(crate) fn cross_moment(activation: Activation, variance: f64, rho: f64) -> f64 {
    let rho = rho.clamp(-1.0, 1.0);
    let sigma = libm::sqrt(variance.max(0.0));
    if activation == Activation::Relu {
        // Cho and Saul's arc-cosine kernel of degree 1.
        let theta = libm::acos(rho);
        return variance / (2.0 * core::f64::consts::PI)
            * (libm::sin(theta) + (core::f64::consts::PI - theta) * libm::cos(theta));
    }
    if matches!(activation, Activation::Identity | Activation::Softmax) {
        return rho * variance;
    }
    let rest = libm::sqrt(1.0 - rho * rho);
    grid()
        .map(|(x, weight)| {
            let first = activation.value(sigma * x);
            let second: f64 = grid()
                .map(|(u, inner)| inner * activation.value(sigma * (rho * x + rest * u)))
                .sum();
            weight * first * second
        })
        .sum()
}

/// `E[φ(max zᵢ)^power]` over `count` values `zᵢ ~ N(0, variance)` whose
/// pairwise correlations are all `rho ≥ 0`: then `max zᵢ` is `σ(√ρ Z +
/// √(1-ρ) M)` with `Z` standard normal and `M` the largest of `count`
/// independent standard normals, whose density is `n ϕ(m) Φ(m)^(n-1)`.
/// For an activation that never decreases, `max φ(zᵢ) = φ(max zᵢ)`.
pub(crate) fn max_moment(activation: Activation, variance: f64, rho: f64, count: usize, power: i32) -> f64 {
    let rho = rho.clamp(0.0, 1.0);
    let sigma = libm::sqrt(variance.max(0.0));
    let (shared, own) = (libm::sqrt(rho), libm::sqrt(1.0 - rho));
    let largest: Vec<(f64, f64)> = grid()
        .map(|(m, weight)| {
            let below = 0.5 * libm::erfc(-m / core::f64::consts::SQRT_2);
            (m, weight * count as f64 * below.powi(count as i32 - 1))
        })
        .collect();
    grid()
        .map(|(z, weight)| {
            let inner: f64 = largest
                .iter()
                .map(|&(m, density)| density * activation.value(sigma * (shared * z + own * m)).powi(power))
                .sum();
            weight * inner
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_reduce_to_the_known_cases() {
        // ρ = 1: the second moment; ρ = 0: the mean squared.
        for activation in [Activation::Relu, Activation::Tanh, Activation::Gelu] {
            let same = cross_moment(activation, 2.0, 1.0);
            assert!(
                (same / activation.second_moment(2.0) - 1.0).abs() < 1e-3,
                "{activation}"
            );
            let apart = cross_moment(activation, 2.0, 0.0);
            assert!(
                (apart - activation.mean(2.0).powi(2)).abs() < 1e-4,
                "{activation}"
            );
        }
        // The grid agrees with the closed form for relu.
        let grid: f64 = {
            let (rho, rest) = (0.6_f64, 0.8_f64);
            grid()
                .map(|(x, w)| {
                    w * x.max(0.0)
                        * grid()
                            .map(|(u, v)| v * (rho * x + rest * u).max(0.0))
                            .sum::<f64>()
                })
                .sum()
        };
        assert!((grid / cross_moment(Activation::Relu, 1.0, 0.6) - 1.0).abs() < 1e-3);
    }

    #[test]
    fn the_maximum_of_one_is_the_value_and_of_two_is_known() {
        assert!((max_moment(Activation::Identity, 1.0, 0.0, 1, 2) - 1.0).abs() < 1e-6);
        // E[max(X, Y)] = 1/√π for independent standard normals; E[max²] = 1.
        let first = max_moment(Activation::Identity, 1.0, 0.0, 2, 1);
        assert!(
            (first - 1.0 / core::f64::consts::PI.sqrt()).abs() < 1e-6,
            "{first}"
        );
        assert!((max_moment(Activation::Identity, 1.0, 0.0, 2, 2) - 1.0).abs() < 1e-6);
        // Fully correlated values are one value.
        let same = max_moment(Activation::Relu, 3.0, 1.0, 4, 2);
        assert!((same - 1.5).abs() < 1e-6, "{same}");
    }
}
