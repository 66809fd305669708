//! The DSL read at run time: the compiler's diagnostics word for word and
//! at the same place, specs that print as DSL text and read back, and lint
//! levels kept in the spec.

#[path = "support/invocations.rs"]
mod invocations;

use std::fs;
use std::path::Path;

use netinit::dsl::Severity;
use netinit::{
    Activation, Conv2dSpec, Init, LayerKind, LayerSpec, Level, Lint, NetworkSpec, NormSpec, Padding, Shape,
    SpecError, StructureError,
};
use proptest::prelude::*;

/// One diagnostic as rustc printed it in a `.stderr` file, or as the run
/// time reports it: `message\nhelp: …\nnote: …`, with the line and column
/// in the test's source file.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Printed {
    line: usize,
    column: usize,
    text: String,
}

/// The diagnostics of a `.stderr` file. rustc's own wrapper around our
/// warnings ("use of deprecated unit struct `NET::lint`: ") is removed: the
/// run time does not reproduce it.
fn printed_by_rustc(stderr: &str) -> Vec<Printed> {
    let mut found = Vec::new();
    let mut lines = stderr.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(first) = line
            .strip_prefix("error: ")
            .or_else(|| line.strip_prefix("warning: "))
        else {
            continue;
        };
        let first = match first.strip_prefix("use of deprecated unit struct `") {
            Some(rest) => rest.split_once("`: ").map_or(rest, |(_, message)| message),
            None => first,
        };
        let mut text = first.to_owned();
        while let Some(continuation) = lines.peek().and_then(|next| next.strip_prefix("       ")) {
            text.push('\n');
            text.push_str(continuation);
            lines.next();
        }
        let Some(place) = lines
            .next()
            .and_then(|next| next.trim_start().strip_prefix("--> "))
        else {
            continue;
        };
        let mut parts = place.rsplitn(3, ':');
        let column = parts.next().and_then(|c| c.parse().ok()).expect("a column");
        let line = parts.next().and_then(|l| l.parse().ok()).expect("a line");
        found.push(Printed { line, column, text });
    }
    found.sort();
    found
}

/// What the run time reports for every network in a UI case's source, placed
/// in the source file's lines and columns.
fn printed_at_run_time(source: &str) -> Vec<Printed> {
    let mut found = Vec::new();
    for invocation in invocations::invocations(source) {
        let diagnostics = match NetworkSpec::from_dsl(invocation.text) {
            Ok((_, warnings)) => warnings,
            Err(error) => error.diagnostics,
        };
        for diagnostic in diagnostics {
            // At the end of the text, where rustc points at the whole invocation.
            let at = if diagnostic.location.bytes.start >= invocation.text.trim_end().len() {
                invocation.start
            } else {
                invocation.offset + diagnostic.location.bytes.start
            };
            let before = &source[..at];
            let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
            let mut text = diagnostic.message.clone();
            if let Some(help) = &diagnostic.help {
                text.push_str(&format!("\nhelp: {help}"));
            }
            for note in &diagnostic.notes {
                text.push_str(&format!("\nnote: {note}"));
            }
            found.push(Printed {
                line: before.matches('\n').count() + 1,
                column: before[line_start..].chars().count() + 1,
                text,
            });
        }
    }
    found.sort();
    found
}

#[test]
fn every_ui_diagnostic_is_reported_word_for_word_at_the_same_place() {
    let mut cases = 0;
    for entry in fs::read_dir("tests/ui/fail").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|extension| extension != "rs") {
            continue;
        }
        let source = fs::read_to_string(&path).unwrap();
        let stderr = fs::read_to_string(path.with_extension("stderr")).unwrap();
        let expected = printed_by_rustc(&stderr);
        let got = printed_at_run_time(&source);
        assert_eq!(got, expected, "{}", path.display());
        cases += 1;
    }
    assert!(cases >= 15, "only {cases} UI cases found");
}

#[test]
fn the_card_network_reads_from_text() {
    let (spec, warnings) = NetworkSpec::from_dsl(
        "// The design card's network\ndense(784 -> 256, relu),\ndense(256 -> 10, softmax),\n",
    )
    .unwrap();
    assert!(warnings.is_empty());
    assert_eq!(
        spec,
        NetworkSpec::new(vec![
            LayerSpec::dense(784, 256, Activation::Relu),
            LayerSpec::dense(256, 10, Activation::Softmax),
        ])
        .unwrap()
    );
}

#[test]
fn warnings_come_with_the_spec_and_errors_with_everything() {
    let (_, warnings) = NetworkSpec::from_dsl("dense(64 -> 64, relu, init = xavier_normal)").unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].severity, Severity::Warning);
    assert_eq!(warnings[0].lint, Some(Lint::InitMismatch));
    assert_eq!(warnings[0].location.start.column, 30);

    let error = NetworkSpec::from_dsl("#![deny(init_mismatch)]\ndense(64 -> 64, relu, init = xavier_normal)")
        .unwrap_err();
    let denied = &error.diagnostics[0];
    assert_eq!(denied.severity, Severity::Error);
    assert_eq!(
        denied.notes,
        ["`#[deny(init_mismatch)]` is set on this network or layer"]
    );
    assert_eq!(
        (denied.location.start.line, denied.location.start.column),
        (2, 30)
    );
}

#[test]
fn a_layer_whose_written_width_is_wrong_is_not_also_told_a_std_from_it() {
    // constant_init's help quoted `std=0.1204`, from the 128 inputs the
    // shape error says are wrong; the lints wait for the width to be fixed.
    let error = NetworkSpec::from_dsl("dense(784 -> 256, relu), dense(128 -> 10, softmax, init = zeros)")
        .unwrap_err();
    let messages: Vec<&str> = error.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].starts_with("layer 1 takes 128 inputs"),
        "{messages:?}"
    );
    // Once it is fixed, the constant init is reported with the right fans.
    let error = NetworkSpec::from_dsl("dense(784 -> 256, relu), dense(256 -> 10, softmax, init = zeros)")
        .unwrap_err();
    let help = error.diagnostics[0].help.as_deref().unwrap_or_default();
    assert_eq!(error.diagnostics[0].lint, Some(Lint::ConstantInit));
    assert!(help.contains("std=0.0867"), "{help}");
}

#[test]
fn an_activation_given_widths_is_told_to_be_a_dense_layer() {
    let error = NetworkSpec::from_dsl("relu(784 -> 10), dense(10 -> 2, softmax)").unwrap_err();
    assert_eq!(error.diagnostics.len(), 1, "{error}");
    assert_eq!(
        error.diagnostics[0].message,
        "`relu` is an activation, which takes no widths; write `dense(IN -> OUT, relu)`"
    );
}

#[test]
fn lint_levels_written_in_the_text_are_kept_and_honoured() {
    let spec: NetworkSpec =
        "#![allow(signal_drift)]\n#[allow(init_mismatch)] dense(64 -> 64, relu, init = xavier_normal)"
            .parse()
            .unwrap();
    assert_eq!(spec.lint_levels().get(Lint::SignalDrift), Some(Level::Allow));
    assert_eq!(
        spec.layers()[0].lint_levels().get(Lint::InitMismatch),
        Some(Level::Allow)
    );
    assert!(spec.lint().is_empty());
    let loud = spec
        .with_layer(0, spec.layers()[0].with_lint(Lint::InitMismatch, Level::Deny))
        .unwrap();
    assert_eq!(loud.lint()[0].level, Level::Deny);
}

#[test]
fn forbid_cannot_be_lowered() {
    let error = NetworkSpec::from_dsl(
        "#![forbid(constant_init)]\n#[allow(constant_init)]\ndense(64 -> 10, identity, init = zeros)",
    )
    .unwrap_err();
    let messages: Vec<&str> = error.errors().map(|d| d.message.as_str()).collect();
    assert!(
        messages[0].starts_with("`#[allow(constant_init)]` cannot lower `forbid(constant_init)`"),
        "{messages:?}"
    );
    assert_eq!(error.diagnostics[0].location.start.line, 2);
    // The same rule for a spec built at run time.
    let built = NetworkSpec::new(vec![
        LayerSpec::dense(4, 4, Activation::Relu).allow_constant_init()
    ])
    .unwrap();
    assert_eq!(
        built.with_network_lint(Lint::ConstantInit, Level::Forbid),
        Err(SpecError::Structure(StructureError::LintForbidden {
            layer: 0,
            lint: Lint::ConstantInit,
            level: Level::Allow
        }))
    );
}

#[test]
fn layers_activations_and_inits_read_alone() {
    let layer: LayerSpec = "#[allow(constant_init)] dense(8 -> 2, identity, init = zeros)"
        .parse()
        .unwrap();
    assert!(layer.constant_init_allowed());
    assert!("dense(8 -> 2, relu), dense(2 -> 1, relu)"
        .parse::<LayerSpec>()
        .is_err());
    assert_eq!("elu(1)".parse::<Activation>().unwrap(), Activation::Elu(1.0));
    assert!("relu(2)".parse::<Activation>().is_err());
    assert!("leaky_relu(-1)".parse::<Activation>().is_err());
    assert_eq!(
        "uniform(bound = 0.1)".parse::<Init>().unwrap(),
        Init::Uniform { bound: 0.1 }
    );
    assert!("uniform(bound = -1)".parse::<Init>().is_err());
    assert!("he_normal(2)".parse::<Init>().is_err());
    assert!("he_normal, bias = zeros".parse::<Init>().is_err());
    let error = "normal".parse::<Init>().unwrap_err();
    assert_eq!(
        error.diagnostics[0].message,
        "`normal` needs its standard deviation"
    );
}

#[test]
fn the_issue_s_unprintable_inits_now_print_and_read_back() {
    for text in [
        "he_normal, gain = 1.5",
        "orthogonal, gain = 2",
        "he_normal, dist = truncated_normal",
    ] {
        let init: Init = text.parse().unwrap();
        assert_eq!(init.to_string(), text);
    }
}

fn activation() -> impl Strategy<Value = Activation> {
    prop_oneof![
        Just(Activation::Identity),
        Just(Activation::Relu),
        (0.0..1.0_f64).prop_map(Activation::LeakyRelu),
        (0.1..3.0_f64).prop_map(Activation::Elu),
        Just(Activation::Gelu),
        Just(Activation::Silu),
        Just(Activation::Selu),
        Just(Activation::Softplus),
        Just(Activation::Tanh),
        Just(Activation::Sigmoid),
        Just(Activation::Softmax),
    ]
}

fn scaled() -> impl Strategy<Value = Init> {
    use netinit::{Distribution, Family, FanMode, VarianceScaling};
    (
        prop_oneof![Just(Family::He), Just(Family::Xavier), Just(Family::LeCun)],
        prop_oneof![
            Just(Distribution::Normal),
            Just(Distribution::Uniform),
            Just(Distribution::TruncatedNormal)
        ],
        prop_oneof![Just(FanMode::FanIn), Just(FanMode::FanOut), Just(FanMode::FanAvg)],
        proptest::option::of(0.01..4.0_f64),
    )
        .prop_map(|(family, distribution, mode, gain)| {
            let scaling = VarianceScaling::new(family, distribution).with_mode(mode);
            Init::Scaled(match gain {
                Some(gain) => scaling.with_gain(gain),
                None => scaling,
            })
        })
}

fn weight() -> impl Strategy<Value = Init> {
    prop_oneof![
        scaled(),
        proptest::option::of(0.01..4.0_f64).prop_map(|gain| Init::Orthogonal { gain }),
        (1e-6..1.0_f64).prop_map(|std| Init::Normal { std }),
        (1e-6..1.0_f64).prop_map(|bound| Init::Uniform { bound }),
        (1e-6..1.0_f64).prop_map(|std| Init::TruncatedNormal { std }),
        Just(Init::zeros()),
    ]
}

/// A bias init, or `None` for `bias = none`.
fn bias() -> impl Strategy<Value = Option<Init>> {
    proptest::option::weighted(
        0.8,
        prop_oneof![
            Just(Init::zeros()),
            Just(Init::ones()),
            Just(Init::he_uniform()),
            (-2.0..2.0_f64).prop_map(|value| Init::Constant { value }),
            (1e-6..1.0_f64).prop_map(|std| Init::Normal { std }),
        ],
    )
}

/// A normalization's `γ` and `β` inits, its `ε`, and whether it is a batch
/// normalization (else a layer normalization).
fn norm() -> impl Strategy<Value = (Init, Init, f64, bool)> {
    let init = || {
        prop_oneof![
            Just(Init::ones()),
            Just(Init::zeros()),
            (-2.0..2.0_f64).prop_map(|value| Init::Constant { value }),
            (1e-6..1.0_f64).prop_map(|std| Init::Normal { std }),
            (1e-6..1.0_f64).prop_map(|bound| Init::Uniform { bound }),
        ]
    };
    (
        init(),
        init(),
        prop_oneof![Just(1e-5), 1e-12..1.0_f64],
        proptest::bool::ANY,
    )
}

fn level() -> impl Strategy<Value = Option<Level>> {
    proptest::option::of(prop_oneof![
        Just(Level::Allow),
        Just(Level::Warn),
        Just(Level::Deny)
    ])
}

fn network_level() -> impl Strategy<Value = Option<Level>> {
    proptest::option::of(prop_oneof![
        Just(Level::Allow),
        Just(Level::Warn),
        Just(Level::Deny),
        Just(Level::Forbid)
    ])
}

/// The parts of a dense layer: its output width, activation, inits and the
/// levels of two lints.
type LayerParts = (
    usize,
    Activation,
    Init,
    Option<Init>,
    Option<Level>,
    Option<Level>,
);

fn layer_parts() -> impl Strategy<Value = LayerParts> {
    (1..600_usize, activation(), weight(), bias(), level(), level())
}

/// A dense layer taking `inputs`, with any activation, init, bias and lint
/// levels the DSL can write; a constant init comes with
/// `#[allow(constant_init)]`, as a zero-initialised head does.
fn layer(inputs: usize, (outputs, activation, weight, bias, mismatch, drift): LayerParts) -> LayerSpec {
    let layer = LayerSpec::dense(inputs, outputs, activation).with_weight(weight);
    let mut layer = match bias {
        Some(bias) => layer.with_bias(bias),
        None => layer.without_bias(),
    };
    if weight.is_constant() {
        layer = layer.allow_constant_init();
    }
    if let Some(level) = mismatch {
        layer = layer.with_lint(Lint::InitMismatch, level);
    }
    if let Some(level) = drift {
        layer = layer.with_lint(Lint::SignalDrift, level);
    }
    layer
}

/// Networks of 1 to 6 layers whose widths chain, some of them (with the
/// normalization after them) in a residual block, scaled or not, with a
/// dense shortcut where the width changes; with network-wide levels
/// (including `forbid`) for a lint the layers leave alone.
fn network() -> impl Strategy<Value = NetworkSpec> {
    (
        proptest::collection::vec(
            (
                layer_parts(),
                proptest::option::weighted(0.3, norm()),
                proptest::option::weighted(0.3, proptest::bool::ANY),
            ),
            1..6,
        ),
        1..600_usize,
        network_level(),
    )
        .prop_map(|(parts, inputs, network_level)| {
            let mut width = inputs;
            let layers = parts
                .into_iter()
                .flat_map(|(parts, norm, block)| {
                    let input = width;
                    let built = layer(width, parts);
                    width = match built.kind() {
                        LayerKind::Dense(dense) => dense.outputs(),
                        _ => width,
                    };
                    // A normalization after it, of its width (a width of 1
                    // is an error).
                    let norm = norm.filter(|_| width > 1).map(|(gamma, beta, epsilon, batch)| {
                        let norm = NormSpec::new(width).with_epsilon(epsilon);
                        let layer = match batch {
                            true => LayerSpec::batch_norm(norm),
                            false => LayerSpec::layer_norm(norm),
                        };
                        layer.with_weight(gamma).with_bias(beta)
                    });
                    let body = [Some(built), norm].into_iter().flatten();
                    let Some(scaled) = block else {
                        return body.collect::<Vec<_>>();
                    };
                    let start = match scaled {
                        true => LayerSpec::residual(),
                        false => LayerSpec::residual_unscaled(),
                    };
                    let shortcut = (input != width).then(|| {
                        [
                            LayerSpec::shortcut(),
                            LayerSpec::dense(input, width, Activation::Identity),
                        ]
                    });
                    [start]
                        .into_iter()
                        .chain(body)
                        .chain(shortcut.into_iter().flatten())
                        .chain([LayerSpec::residual_end()])
                        .collect()
                })
                .collect();
            let spec = NetworkSpec::new(layers).unwrap();
            match network_level {
                Some(level) => spec.with_network_lint(Lint::SoftmaxHidden, level).unwrap(),
                None => spec,
            }
        })
}

/// One spatial layer: a convolution (channels, activation, kernel, stride,
/// padding, `same` or not, init) or a pooling (max or average, kernel, stride).
type SpatialParts = (
    bool,
    usize,
    Activation,
    [usize; 2],
    [usize; 2],
    [usize; 2],
    bool,
    Init,
    bool,
    Option<Activation>,
);

fn spatial_parts() -> impl Strategy<Value = SpatialParts> {
    (
        proptest::bool::ANY,
        1..9_usize,
        activation(),
        [1..4_usize, 1..4_usize],
        [1..3_usize, 1..3_usize],
        [0..3_usize, 0..3_usize],
        proptest::bool::ANY,
        weight(),
        proptest::bool::ANY,
        proptest::option::of(activation()),
    )
}

/// Convolutional networks: `input(C, H, W)`, 1 to 4 convolutions and
/// poolings of any geometry (a pooling maybe followed by an activation
/// layer), `flatten` or `global_avg_pool2d`, and a dense head; the
/// geometries that do not fit their input are left out.
fn convolutional_network() -> impl Strategy<Value = Option<NetworkSpec>> {
    (
        [1..4_usize, 6..20_usize, 6..20_usize],
        proptest::collection::vec(spatial_parts(), 1..5),
        proptest::bool::ANY,
        1..12_usize,
    )
        .prop_map(|([channels, height, width], parts, global, classes)| {
            let mut layers = vec![LayerSpec::input(Shape::image(channels, height, width))];
            let mut current = channels;
            for (conv, outputs, activation, kernel, stride, padding, same, init, max, after) in parts {
                let layer = if conv {
                    let odd = [kernel[0] | 1, kernel[1] | 1];
                    let layer = match same {
                        true => LayerSpec::of(
                            Conv2dSpec::new(current, outputs, activation, odd)
                                .with_padding(Padding::Same)
                                .into(),
                        ),
                        false => LayerSpec::of(
                            Conv2dSpec::new(current, outputs, activation, kernel)
                                .with_stride(stride)
                                .with_padding(Padding::Explicit(padding))
                                .into(),
                        ),
                    };
                    current = outputs;
                    match init.is_constant() {
                        true => layer,
                        false => layer.with_weight(init),
                    }
                } else if max {
                    LayerSpec::max_pool2d(kernel, stride)
                } else {
                    LayerSpec::avg_pool2d(kernel, stride)
                };
                layers.push(layer);
                // An activation layer after a pooling (softmax takes no image).
                if let (false, Some(after)) = (conv, after.filter(|&after| after != Activation::Softmax)) {
                    layers.push(LayerSpec::activation_layer(after));
                }
            }
            layers.push(if global {
                LayerSpec::global_avg_pool2d()
            } else {
                LayerSpec::flatten()
            });
            let features = NetworkSpec::new(layers.clone()).ok()?.outputs();
            layers.push(LayerSpec::dense(features, classes, Activation::Softmax));
            NetworkSpec::new(layers).ok()
        })
}

proptest! {
    // 256 random networks (fixed by proptest's deterministic default seed
    // for a given test name), each printed and read back.
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_spec_the_dsl_accepts_prints_as_text_that_reads_back(spec in network()) {
        let accepted = spec.lint().iter().all(|finding| finding.level < Level::Deny);
        prop_assume!(accepted);
        let text = spec.to_string();
        let read: NetworkSpec = text.parse().map_err(|error| TestCaseError::fail(format!("{text}\n{error}")))?;
        prop_assert_eq!(read, spec, "{}", text);
    }

    #[test]
    fn every_convolutional_network_prints_as_text_that_reads_back(spec in convolutional_network()) {
        prop_assume!(spec.is_some());
        let spec = spec.unwrap();
        let accepted = spec.lint().iter().all(|finding| finding.level < Level::Deny);
        prop_assume!(accepted);
        let text = spec.to_string();
        let read: NetworkSpec = text.parse().map_err(|error| TestCaseError::fail(format!("{text}\n{error}")))?;
        prop_assert_eq!(read, spec, "{}", text);
    }

    #[test]
    fn every_layer_prints_as_text_that_reads_back(inputs in 1..600_usize, parts in layer_parts()) {
        let layer = layer(inputs, parts);
        let text = layer.to_string();
        let read: LayerSpec = text.parse().map_err(|error| TestCaseError::fail(format!("{text}\n{error}")))?;
        prop_assert_eq!(read, layer, "{}", text);
    }

    #[test]
    fn every_activation_and_init_reads_back(activation in activation(), init in weight()) {
        prop_assert_eq!(activation.to_string().parse::<Activation>().unwrap(), activation);
        prop_assert_eq!(init.to_string().parse::<Init>().unwrap(), init);
    }
}

#[test]
fn the_readme_and_the_cli_card_file_agree() {
    let card = fs::read_to_string(Path::new("examples/card.net")).unwrap();
    let spec: NetworkSpec = card.parse().unwrap();
    assert_eq!(spec.parameter_count(), 203_530);
}
