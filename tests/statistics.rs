//! Sampled weights have the moments their scheme promises, through the same
//! path users take (`network!` then `init(seed)`).
//!
//! Tolerances come from the sample size n (fixed seeds make every run the
//! same): the sample mean has standard error σ/√n, the sample std of a
//! normal about σ/√(2n), of a uniform σ·√(1/(5n)); each check allows 5
//! standard errors, so it is deterministic yet a 1% change of scale fails.

use netinit::{network, NetworkSpec, TRUNCATED_NORMAL_STD_CORRECTION};

fn moments(values: &[f32]) -> (f64, f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = values.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let max = values.iter().fold(0.0_f64, |m, &v| m.max(f64::from(v).abs()));
    (mean, var.sqrt(), max)
}

fn weights(spec: &NetworkSpec, layer: usize) -> Vec<f32> {
    spec.init(2024).layers()[layer].weight().iter().copied().collect()
}

fn assert_normal(values: &[f32], std: f64) {
    let n = values.len() as f64;
    let (mean, got, _) = moments(values);
    assert!(mean.abs() < 5.0 * std / n.sqrt(), "mean {mean}");
    assert!(
        (got - std).abs() < 5.0 * std / (2.0 * n).sqrt(),
        "std {got} vs {std}"
    );
}

fn assert_uniform(values: &[f32], bound: f64) {
    let n = values.len() as f64;
    let std = bound / 3.0_f64.sqrt();
    let (mean, got, max) = moments(values);
    assert!(mean.abs() < 5.0 * std / n.sqrt(), "mean {mean}");
    assert!(
        (got - std).abs() < 5.0 * std * (0.2 / n).sqrt(),
        "std {got} vs {std}"
    );
    assert!(max <= bound && max > 0.999 * bound, "max {max} vs bound {bound}");
}

const SCHEMES: NetworkSpec = network![
    dense(784 -> 256, relu),
    dense(256 -> 256, relu, init = he_uniform),
    dense(256 -> 512, tanh),
    dense(512 -> 256, tanh, init = xavier_uniform),
    dense(256 -> 256, selu),
    dense(256 -> 256, selu, init = lecun_uniform),
    dense(256 -> 256, relu, dist = truncated_normal),
    dense(256 -> 256, leaky_relu(0.2), mode = fan_out),
    dense(256 -> 256, gelu),
    dense(256 -> 10, softmax),
];

#[test]
fn he_normal_fan_in() {
    // torch.nn.init.kaiming_normal_ on (256, 784): std sqrt(2 / 784) = 0.050508.
    assert_normal(&weights(&SCHEMES, 0), 0.050_508);
}

#[test]
fn he_uniform_bound() {
    // kaiming_uniform_: bound sqrt(6 / fan_in).
    assert_uniform(&weights(&SCHEMES, 1), (6.0_f64 / 256.0).sqrt());
}

#[test]
fn xavier_normal_fan_avg() {
    assert_normal(&weights(&SCHEMES, 2), (2.0_f64 / (256.0 + 512.0)).sqrt());
}

#[test]
fn xavier_uniform_bound() {
    assert_uniform(&weights(&SCHEMES, 3), (6.0_f64 / (512.0 + 256.0)).sqrt());
}

#[test]
fn lecun_normal_and_uniform() {
    assert_normal(&weights(&SCHEMES, 4), (1.0_f64 / 256.0).sqrt());
    assert_uniform(&weights(&SCHEMES, 5), (3.0_f64 / 256.0).sqrt());
}

#[test]
fn truncated_normal_cut_off_and_std() {
    let values = weights(&SCHEMES, 6);
    let target = (2.0_f64 / 256.0).sqrt();
    // Keras: the uncut std is target / 0.8796, cut at two of those.
    let cut = 2.0 * target / TRUNCATED_NORMAL_STD_CORRECTION;
    let (_, _, max) = moments(&values);
    assert!(max <= cut + 1e-7 && max > 0.99 * cut, "max {max} vs cut {cut}");
    assert_normal(&values, target);
}

#[test]
fn leaky_relu_fan_out_gain() {
    // kaiming_normal_(a=0.2, mode='fan_out'): std sqrt(2 / 1.04) / sqrt(256).
    assert_normal(&weights(&SCHEMES, 7), (2.0_f64 / 1.04).sqrt() / 16.0);
}

#[test]
fn gelu_uses_its_moment_matched_gain() {
    // gain² = 2.155057 for gelu (DESIGN.md), fan_in 256.
    assert_normal(&weights(&SCHEMES, 8), (2.155_057_f64 / 256.0).sqrt());
}

#[test]
fn biases_start_at_zero() {
    let network = SCHEMES.init(1);
    assert!(network
        .layers()
        .iter()
        .all(|layer| layer.bias().iter().all(|&b| b == 0.0)));
}

#[test]
fn rows_are_distinct_so_symmetry_is_broken() {
    let weight = SCHEMES.init(0).layers()[0].weight().to_owned();
    let rows: Vec<Vec<u32>> = weight
        .rows()
        .into_iter()
        .map(|row| row.iter().map(|w| w.to_bits()).collect())
        .collect();
    let mut distinct = rows.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), rows.len());
}

#[test]
fn orthogonal_rows_are_orthonormal_times_the_gain() {
    const ORTHO: NetworkSpec = network![dense(128 -> 64, relu, init = orthogonal)];
    let weight = ORTHO.init(3).layers()[0].weight().mapv(f64::from);
    let product = weight.dot(&weight.t());
    // The relu gain is sqrt(2): W Wᵀ = 2 I, to f32 rounding.
    for ((i, j), value) in product.indexed_iter() {
        let expected = if i == j { 2.0 } else { 0.0 };
        assert!((value - expected).abs() < 1e-5, "({i}, {j}): {value}");
    }
}
