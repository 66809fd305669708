//! The run-time lint API returns, as values, what the macro reports at
//! compile time for the same network (the tests/ui cases show the latter).

use netinit::{Activation, Init, InitError, LayerSpec, Level, Lint, NetworkSpec, Part};

fn lints(spec: &NetworkSpec) -> Vec<(Lint, Level, usize)> {
    spec.lint().iter().map(|d| (d.lint, d.level, d.layer)).collect()
}

fn deep(depth: usize, activation: Activation, init: Init) -> NetworkSpec {
    NetworkSpec::new(vec![
        LayerSpec::dense(256, 256, activation).with_weight(init);
        depth
    ])
    .unwrap()
}

#[test]
fn thirty_relu_layers_from_unit_or_tiny_normals_drift_both_ways() {
    for std in [1.0, 0.01] {
        let spec = deep(30, Activation::Relu, Init::Normal { std });
        // Every layer is also badly scaled on its own (init_scale).
        assert_eq!(lints(&spec).len(), 32, "std {std}");
        let drift_only = spec.with_network_lint(Lint::InitScale, Level::Allow).unwrap();
        let found = lints(&drift_only);
        assert_eq!(found.len(), 2, "std {std}");
        assert!(found
            .iter()
            .all(|(lint, level, _)| *lint == Lint::SignalDrift && *level == Level::Warn));
    }
}

#[test]
fn matched_deep_networks_are_silent() {
    assert!(deep(30, Activation::Relu, Init::he_normal()).lint().is_empty());
    assert!(deep(100, Activation::Tanh, Init::xavier_normal())
        .lint()
        .is_empty());
}

#[test]
fn constant_and_mismatched_inits_are_reported_at_their_part() {
    let spec = NetworkSpec::new(vec![
        LayerSpec::dense(784, 256, Activation::Relu).with_weight(Init::xavier_uniform()),
        LayerSpec::dense(256, 10, Activation::Softmax).with_weight(Init::zeros()),
    ])
    .unwrap();
    let diagnostics = spec.lint();
    assert_eq!(diagnostics.len(), 2);
    assert_eq!(
        (diagnostics[0].lint, diagnostics[0].part),
        (Lint::InitMismatch, Part::Weight)
    );
    assert_eq!(
        (diagnostics[1].lint, diagnostics[1].level),
        (Lint::ConstantInit, Level::Deny)
    );
    assert!(
        diagnostics[1].message.contains("outputs of this layer identical"),
        "{}",
        diagnostics[1].message
    );
    assert!(diagnostics[1]
        .to_string()
        .starts_with("error[constant_init] layer 1:"));

    // Marking the head as meant to start constant silences it.
    let allowed = spec
        .with_layer(
            1,
            LayerSpec::dense(256, 10, Activation::Softmax)
                .with_weight(Init::zeros())
                .allow_constant_init(),
        )
        .unwrap();
    assert_eq!(allowed.lint().len(), 1);
}

#[test]
fn the_signal_report_explains_the_drift() {
    let report = netinit::signal::propagate(
        deep(30, Activation::Relu, Init::Normal { std: 0.01 }).layers(),
        1.0,
    );
    // E[w²]·fan_in/2 = 1e-4 · 256 / 2 per layer.
    for layer in &report {
        assert!((layer.forward_factor - 0.0128).abs() < 1e-12);
    }
}

#[test]
fn scales_are_checked_as_the_f32_weights_they_become() {
    // A std that rounds every f32 weight to zero is a constant init.
    let tiny = NetworkSpec::new(vec![
        LayerSpec::dense(8, 8, Activation::Relu).with_weight(Init::Normal { std: 1e-50 }),
        LayerSpec::dense(8, 2, Activation::Softmax),
    ])
    .unwrap();
    assert_eq!(tiny.lint()[0].lint, Lint::ConstantInit);
    // Samples past f32's largest value are refused outright.
    let huge = NetworkSpec::new(vec![
        LayerSpec::dense(8, 8, Activation::Tanh).with_bias(Init::Uniform { bound: 1e308 })
    ]);
    assert!(
        matches!(
            huge,
            Err(netinit::SpecError::Init(InitError::ScaleOverflow {
                layer: 0,
                part: Part::BiasScale,
                ..
            }))
        ),
        "{huge:?}"
    );
    let gain = NetworkSpec::new(vec![LayerSpec::dense(8, 8, Activation::Sigmoid).with_weight(
        Init::Scaled(
            netinit::VarianceScaling::new(netinit::Family::Xavier, netinit::Distribution::Normal)
                .with_gain(1e308),
        ),
    )]);
    assert!(matches!(
        gain,
        Err(netinit::SpecError::Init(InitError::ScaleOverflow { .. }))
    ));
    // α has a range: past it the matched gains cannot be sampled in f32.
    for activation in [Activation::Elu(1e154), Activation::LeakyRelu(1e50)] {
        let error = NetworkSpec::new(vec![LayerSpec::dense(8, 8, activation)]).unwrap_err();
        assert!(error.to_string().contains("must be at most 1000"), "{error}");
    }
}

#[test]
fn distinct_rows_compare_values_so_minus_zero_is_zero() {
    let spec = NetworkSpec::new(vec![LayerSpec::dense(2, 2, Activation::Relu)]).unwrap();
    let mut network = spec.init(0);
    let mut weight = network.layers_mut()[0].weight_mut();
    weight.fill(0.0);
    weight[(1, 0)] = -0.0;
    assert_eq!(network.layers()[0].distinct_rows(), 1);
}
