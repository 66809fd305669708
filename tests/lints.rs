//! The run-time lint API returns, as values, what the macro reports at
//! compile time for the same network (the tests/ui cases show the latter).

use netinit::{Activation, Init, LayerSpec, Level, Lint, NetworkSpec, Part};

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
    assert!(diagnostics[1].message.contains("never breaks symmetry"));
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
