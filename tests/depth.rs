//! Variance at depth, measured on sampled networks against the static
//! analysis: matched schemes keep the signal level through 30 layers,
//! mismatched ones drift as predicted.
//!
//! Tolerances: at width 256 and batch 256 each layer's measured factor
//! fluctuates by about sqrt(2/256) ≈ 9% around the mean-field one, and over
//! 30 layers these add like a random walk (about ±50% in the worst layer).
//! The bound, a factor 2 per layer, holds with room at these fixed
//! seeds (measured: within 0.66–1.25).

use ndarray::{Array2, Axis};
use netinit::signal::propagate;
use netinit::{fill, generator, Activation, Init, LayerSpec, NetworkSpec};

const DEPTH: usize = 30;
const WIDTH: usize = 256;

struct Measured {
    std: Vec<f64>,
    predicted_std: Vec<f64>,
    gradient: Vec<f64>,
    predicted_gradient: Vec<f64>,
}

fn measure(activation: Activation, init: Init) -> Measured {
    let spec = NetworkSpec::new(vec![
        LayerSpec::dense(WIDTH, WIDTH, activation).with_weight(init);
        DEPTH
    ])
    .unwrap();
    let mut inputs = Array2::<f32>::zeros((256, WIDTH));
    fill::normal(&mut inputs, 1.0, &mut generator(1)).unwrap();
    let mut top = Array2::<f32>::zeros((256, WIDTH));
    fill::normal(&mut top, 1.0, &mut generator(2)).unwrap();
    let network = spec.init(5);
    let outputs = network.forward_all(inputs.view()).unwrap();
    let deltas = network.backward(inputs.view(), top.view()).unwrap();
    let std = |values: &Array2<f32>| values.mapv(f64::from).std(0.0);
    let norm = |delta: &Array2<f32>| {
        delta
            .map_axis(Axis(1), |row| {
                row.iter().map(|&d| f64::from(d).powi(2)).sum::<f64>()
            })
            .mean()
            .unwrap()
            .sqrt()
    };
    let last = norm(&deltas[DEPTH - 1]);
    let report = propagate(spec.layers(), 1.0);
    Measured {
        std: outputs.iter().map(std).collect(),
        predicted_std: report.iter().map(|layer| layer.activation_std()).collect(),
        gradient: deltas.iter().map(|delta| norm(delta) / last).collect(),
        predicted_gradient: report
            .iter()
            .map(|layer| layer.backward_cumulative.sqrt())
            .collect(),
    }
}

fn within(measured: &[f64], predicted: &[f64], factor: f64) {
    for (layer, (m, p)) in measured.iter().zip(predicted).enumerate() {
        let ratio = m / p;
        assert!(
            ratio < factor && ratio > 1.0 / factor,
            "layer {}: measured {m} vs predicted {p}",
            layer + 1
        );
    }
}

#[test]
fn he_on_relu_keeps_the_signal_level() {
    let measured = measure(Activation::Relu, Init::he_normal());
    let first = measured.std[0];
    for (layer, std) in measured.std.iter().enumerate() {
        assert!(
            std / first < 2.0 && first / std < 2.0,
            "layer {}: {std} vs {first}",
            layer + 1
        );
    }
    within(&measured.std, &measured.predicted_std, 2.0);
    within(&measured.gradient, &measured.predicted_gradient, 2.0);
}

#[test]
fn mismatched_relu_scales_drift_as_predicted() {
    for init in [
        Init::xavier_normal(),
        Init::Normal { std: 1.0 },
        Init::Normal { std: 0.01 },
    ] {
        let measured = measure(Activation::Relu, init);
        let drift = measured.std[DEPTH - 1] / measured.std[0];
        assert!(!(1e-3..1e3).contains(&drift), "{init}: {drift}");
        within(&measured.std, &measured.predicted_std, 2.0);
        within(&measured.gradient, &measured.predicted_gradient, 2.0);
    }
}

#[test]
fn tanh_saturation_is_predicted_too() {
    for init in [Init::xavier_normal(), Init::he_normal()] {
        let measured = measure(Activation::Tanh, init);
        within(&measured.std, &measured.predicted_std, 2.0);
        within(&measured.gradient, &measured.predicted_gradient, 2.0);
    }
}
