//! Every backward pass checked against finite differences: each
//! coordinate of every trained tensor nudged both ways, the change in the
//! loss compared with its gradient, through every kind of layer, both
//! losses, residual blocks, and batch normalization in both modes.

use ndarray::Array2;

use crate::rules::activation::{Activation, ELEMENTWISE};
use crate::rules::init::Init;
use crate::rules::layer::{Conv2dSpec, LayerSpec, Padding};
use crate::rules::network::NetworkSpec;
use crate::rules::shape::Shape;
use crate::runtime::error::Error;
use crate::runtime::layers::pool::Winners;
use crate::runtime::network::Network;
use crate::runtime::network::Stage;
use crate::runtime::train::loss::{Loss, Targets};

fn network(layers: Vec<LayerSpec>) -> Network {
    NetworkSpec::new(layers).unwrap().init(3)
}

fn inputs(rows: usize, cols: usize) -> Array2<f32> {
    Array2::from_shape_fn((rows, cols), |(r, c)| {
        (((r * 7 + c * 13) % 17) as f32 - 8.0) / 6.0
    })
}

/// Central differences in f32 are accurate to about 1e-3 relative at
/// h = 1e-2 for these smooth, O(1) losses, the loss accumulated in f64.
/// Where a pre-activation changes sign between the two perturbed
/// networks, the difference straddles a kink (relu, leaky relu, elu,
/// selu at 0) and is not a derivative: such a coordinate is skipped, and
/// at most one in four may be.
fn check_gradients(network: &Network, inputs: &Array2<f32>, targets: Targets, loss: Loss) {
    check_coordinates(network, inputs, targets, loss, false);
}

/// [`check_gradients`] at every weight and bias when `every`, else at
/// three weights and one bias per layer.
fn check_coordinates(network: &Network, inputs: &Array2<f32>, targets: Targets, loss: Loss, every: bool) {
    let (_, gradients) = network.gradients(inputs.view(), targets, loss).unwrap();
    let h = 1e-2_f32;
    let kinked = |activation: Activation| {
        matches!(
            activation,
            Activation::Relu | Activation::LeakyRelu(_) | Activation::Elu(_) | Activation::Selu
        )
    };
    // The kinks a perturbation may cross: the sign of every kinked
    // pre-activation, and which input won each max pooling window.
    let signs = |network: &Network| -> Vec<u32> {
        let cache = network.forward_cached(inputs.view()).unwrap();
        let mut kinks = Vec::new();
        for (computed, stage) in cache.stages.iter().zip(network.stages()) {
            if let Stage::Kind { spec, .. } = stage {
                // A relu layer keeps its output alone, positive where z is.
                let pre = computed.pre.as_ref().unwrap_or(&computed.out);
                if kinked(spec.activation()) {
                    kinks.extend(pre.iter().map(|&z| u32::from(z > 0.0)));
                }
            }
            kinks.extend(
                computed
                    .kept::<Winners>()
                    .iter()
                    .flat_map(|winners| winners.indices()),
            );
        }
        kinks
    };
    let (mut checked, mut skipped) = (0, 0);
    let mut compare = |plus: Network, minus: Network, exact: f32, what: String| {
        if signs(&plus) != signs(&minus) {
            skipped += 1;
            return;
        }
        checked += 1;
        let numeric = (plus.loss(inputs.view(), targets, loss).unwrap()
            - minus.loss(inputs.view(), targets, loss).unwrap())
            / (2.0 * h);
        assert!(
            (numeric - exact).abs() <= 2e-3 + 2e-2 * exact.abs(),
            "{what}: numeric {numeric} vs backprop {exact}"
        );
    };
    for (layer, name, gradient) in gradients.iter() {
        let (rows, cols) = gradient.dim();
        let coordinates: Vec<(usize, usize)> = match (every, rows) {
            (true, _) => (0..rows)
                .flat_map(|row| (0..cols).map(move |col| (row, col)))
                .collect(),
            // A vector: its first value.
            (false, 1) => vec![(0, 0)],
            (false, _) => vec![(0, 0), (1.min(rows - 1), 2.min(cols - 1)), (rows - 1, cols - 1)],
        };
        let at = network.layers()[layer]
            .tensors()
            .iter()
            .position(|tensor| tensor.name() == name)
            .expect("a gradient's tensor is the layer's");
        for &(row, col) in &coordinates {
            let nudged = |by: f32| {
                let mut nudged = network.clone();
                nudged.layers_mut()[layer].tensors_mut()[at].values_mut()[(row, col)] += by;
                nudged
            };
            compare(
                nudged(h),
                nudged(-h),
                gradient[(row, col)],
                format!("layer {layer} {name} ({row}, {col})"),
            );
        }
    }
    // Every coordinate of a small convolution moves many windows, so
    // more of them change a max pooling's winner: there two in three must
    // be checked, elsewhere three in four.
    let most = if every {
        skipped * 2 <= checked
    } else {
        skipped * 3 <= checked
    };
    assert!(
        most,
        "{skipped} of {} coordinates straddle a kink",
        checked + skipped
    );
}

#[test]
fn backprop_matches_finite_differences_for_every_activation() {
    let activations = ELEMENTWISE.into_iter().chain([Activation::Softmax]);
    for activation in activations {
        for (width, hidden) in [(5, 7), (3, 4)] {
            let net = network(vec![
                LayerSpec::dense(width, hidden, activation).with_weight(Init::Normal { std: 0.5 }),
                LayerSpec::dense(hidden, 6, activation).with_weight(Init::Normal { std: 0.5 }),
                LayerSpec::dense(6, 3, Activation::Softmax),
            ]);
            let x = inputs(4, width);
            check_gradients(&net, &x, Targets::Classes(&[0, 2, 1, 2]), Loss::CrossEntropy);
            let mse = network(vec![
                LayerSpec::dense(width, hidden, activation).with_weight(Init::Normal { std: 0.5 }),
                LayerSpec::dense(hidden, 2, activation).with_weight(Init::Normal { std: 0.5 }),
            ]);
            let y = Array2::from_shape_fn((4, 2), |(r, c)| (r + c) as f32 / 4.0);
            check_gradients(&mse, &x, Targets::Values(y.view()), Loss::MeanSquaredError);
        }
    }
}

#[test]
fn backprop_matches_finite_differences_through_convolutions_and_pooling() {
    // Padding, strides, a non-square kernel, both poolings, a global
    // pooling and flatten, with smooth and kinked activations.
    let strided = NetworkSpec::new(vec![
        LayerSpec::input(Shape::image(2, 7, 6)),
        LayerSpec::of(
            Conv2dSpec::new(2, 3, Activation::Tanh, [3, 3])
                .with_padding(Padding::uniform(1))
                .into(),
        )
        .with_weight(Init::Normal { std: 0.5 }),
        LayerSpec::max_pool2d([2, 2], [2, 2]),
        LayerSpec::of(
            Conv2dSpec::new(3, 4, Activation::Elu(1.0), [2, 3])
                .with_stride([1, 2])
                .with_padding(Padding::Explicit([1, 1]))
                .into(),
        )
        .with_weight(Init::Normal { std: 0.5 }),
        LayerSpec::avg_pool2d([2, 2], [1, 1]),
        LayerSpec::flatten(),
        LayerSpec::dense(12, 3, Activation::Softmax),
    ])
    .unwrap()
    .init(3);
    let x = inputs(4, 2 * 7 * 6);
    check_coordinates(
        &strided,
        &x,
        Targets::Classes(&[0, 2, 1, 2]),
        Loss::CrossEntropy,
        true,
    );
    let global = NetworkSpec::new(vec![
        LayerSpec::input(Shape::image(1, 5, 5)),
        LayerSpec::of(
            Conv2dSpec::new(1, 2, Activation::Relu, [3, 3])
                .with_stride([2, 2])
                .into(),
        )
        .with_weight(Init::Normal { std: 0.5 })
        .with_bias(Init::Constant { value: 0.1 }),
        LayerSpec::global_avg_pool2d(),
        LayerSpec::dense(2, 3, Activation::Identity),
    ])
    .unwrap()
    .init(5);
    let y = Array2::from_shape_fn((3, 3), |(r, c)| (r * c) as f32 / 4.0);
    check_coordinates(
        &global,
        &inputs(3, 25),
        Targets::Values(y.view()),
        Loss::MeanSquaredError,
        true,
    );
}

#[test]
fn backprop_matches_finite_differences_through_activation_layers() {
    // Activation layers after pooling, after flatten and after a dense
    // layer, smooth and kinked, and a softmax of its own on top (whose
    // cross-entropy gradient is fused as a dense layer's softmax is).
    let spec = NetworkSpec::new(vec![
        LayerSpec::input(Shape::image(2, 6, 6)),
        LayerSpec::of(
            Conv2dSpec::new(2, 3, Activation::Tanh, [3, 3])
                .with_padding(Padding::uniform(1))
                .into(),
        )
        .with_weight(Init::Normal { std: 0.5 }),
        LayerSpec::max_pool2d([2, 2], [2, 2]),
        LayerSpec::activation_layer(Activation::LeakyRelu(0.1)),
        LayerSpec::flatten(),
        LayerSpec::activation_layer(Activation::Gelu),
        LayerSpec::dense(27, 5, Activation::Sigmoid).with_weight(Init::Normal { std: 0.5 }),
        LayerSpec::activation_layer(Activation::Elu(1.0)),
        LayerSpec::dense(5, 3, Activation::Tanh),
        LayerSpec::activation_layer(Activation::Softmax),
    ])
    .unwrap();
    let net = spec.init(7);
    let x = inputs(4, 2 * 6 * 6);
    check_coordinates(
        &net,
        &x,
        Targets::Classes(&[0, 2, 1, 2]),
        Loss::CrossEntropy,
        true,
    );
    // The same network's output is its layers' composition: the top
    // softmax rows sum to 1.
    let output = net.forward(x.view()).unwrap();
    for row in output.rows() {
        assert!((row.sum() - 1.0).abs() < 1e-5);
    }
}

#[test]
fn backprop_matches_finite_differences_through_residual_blocks() {
    // A block on an image whose shortcut (a strided 1 × 1 convolution
    // and a batch normalization) changes its shape; then blocks nested
    // in a branch, one of them pre-norm. (The outer branch ends in a
    // layer of its own: its scaled-down weights are what a finite
    // difference of 1e-2 may perturb, not weights feeding a norm.)
    let spec: NetworkSpec = "
        input(2, 6, 6),
        residual(
            conv2d(2 -> 3, tanh, kernel = 3, padding = 1),
            conv2d(3 -> 4, identity, kernel = 3, stride = 2, padding = 1),
            shortcut = (
                conv2d(2 -> 4, identity, kernel = 1, stride = 2, bias = none),
                batch_norm(4, gamma = normal(std = 1.0)),
            ),
        ),
        relu,
        flatten,
        dense(36 -> 5, tanh),
        residual(
            dense(5 -> 5, gelu),
            residual(layer_norm(5), dense(5 -> 5, tanh)),
            dense(5 -> 5, identity),
        ),
        dense(5 -> 3, softmax),
    "
    .parse()
    .unwrap();
    let net = spec.init(11);
    let x = inputs(4, 2 * 6 * 6);
    check_coordinates(
        &net,
        &x,
        Targets::Classes(&[0, 2, 1, 2]),
        Loss::CrossEntropy,
        true,
    );
    // The block's end is its branch's output plus its shortcut's.
    let outputs = net.forward_all(x.view()).unwrap();
    assert_eq!(outputs[7], &outputs[3] + &outputs[6]);
    assert_eq!(outputs.last().unwrap(), net.forward(x.view()).unwrap());
}

#[test]
fn backprop_matches_finite_differences_through_layer_normalization() {
    use crate::rules::layer::NormSpec;
    // γ and β drawn at random so that every coordinate matters; a
    // normalization first, between layers, and under the softmax.
    let spec = NetworkSpec::new(vec![
        LayerSpec::layer_norm(NormSpec::new(6).with_gamma(Init::Normal { std: 1.0 })),
        LayerSpec::dense(6, 5, Activation::Tanh).with_weight(Init::Normal { std: 0.5 }),
        LayerSpec::layer_norm(
            NormSpec::new(5)
                .with_gamma(Init::Uniform { bound: 2.0 })
                .with_beta(Init::Normal { std: 0.3 })
                .with_epsilon(1e-3),
        ),
        LayerSpec::dense(5, 3, Activation::Softmax),
    ])
    .unwrap();
    let net = spec.init(13);
    let x = inputs(4, 6);
    check_coordinates(
        &net,
        &x,
        Targets::Classes(&[0, 2, 1, 2]),
        Loss::CrossEntropy,
        true,
    );
    // With γ = 1 and β = 0 each example comes out with mean 0 and
    // variance 1 / (1 + ε / σ²).
    let plain = NetworkSpec::new(vec![LayerSpec::layer_norm(NormSpec::new(6))])
        .unwrap()
        .init(0);
    let out = plain.forward(x.view()).unwrap();
    for (row, input) in out.rows().into_iter().zip(x.rows()) {
        let mean = input.sum() / 6.0;
        let variance = input.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 6.0;
        let (out_mean, out_variance) = (row.sum() / 6.0, row.iter().map(|v| v * v).sum::<f32>() / 6.0);
        assert!(out_mean.abs() < 1e-6, "{out_mean}");
        assert!(
            (out_variance - variance / (variance + 1e-5)).abs() < 1e-5,
            "{out_variance}"
        );
    }
}

#[test]
fn backprop_matches_finite_differences_through_batch_normalization() {
    use crate::rules::layer::NormSpec;
    use crate::runtime::mode::Mode;
    // Over the channels of an image and over features, with random γ
    // and β; with the batch's statistics (each nudge moves them too)
    // and, in evaluation, with the running ones.
    let spec = NetworkSpec::new(vec![
        LayerSpec::input(Shape::image(2, 5, 5)),
        LayerSpec::conv2d(2, 3, Activation::Identity, [3, 3])
            .with_weight(Init::Normal { std: 0.5 })
            .without_bias(),
        LayerSpec::batch_norm(
            NormSpec::new(3)
                .with_gamma(Init::Uniform { bound: 2.0 })
                .with_beta(Init::Normal { std: 0.3 }),
        ),
        LayerSpec::activation_layer(Activation::Tanh),
        LayerSpec::flatten(),
        LayerSpec::dense(27, 4, Activation::Tanh).with_weight(Init::Normal { std: 0.5 }),
        LayerSpec::batch_norm(
            NormSpec::new(4)
                .with_gamma(Init::Normal { std: 1.0 })
                .with_epsilon(1e-3),
        ),
        LayerSpec::dense(4, 3, Activation::Softmax),
    ])
    .unwrap();
    let mut net = spec.init(17);
    let x = inputs(6, 50);
    let targets = Targets::Classes(&[0, 2, 1, 2, 0, 1]);
    check_coordinates(&net, &x, targets, Loss::CrossEntropy, true);
    net.set_mode(Mode::Eval);
    check_coordinates(&net, &x, targets, Loss::CrossEntropy, true);
}

#[test]
fn batch_normalization_uses_the_batch_in_training_and_the_running_statistics_in_evaluation() {
    use crate::rules::layer::NormSpec;
    use crate::runtime::mode::Mode;
    let spec = NetworkSpec::new(vec![
        LayerSpec::input(Shape::Features(3)),
        LayerSpec::batch_norm(NormSpec::new(3).with_epsilon(1e-3)),
    ])
    .unwrap();
    let mut net = spec.init(0);
    let x = Array2::from_shape_fn((4, 3), |(r, c)| (r * r + c) as f32);
    // Training: each column to mean 0 and variance σ²/(σ² + ε).
    let out = net.forward(x.view()).unwrap();
    for (column, input) in out.columns().into_iter().zip(x.columns()) {
        let mean = input.sum() / 4.0;
        let variance = input.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 4.0;
        assert!(column.sum().abs() < 1e-5);
        let second = column.iter().map(|v| v * v).sum::<f32>() / 4.0;
        assert!((second - variance / (variance + 1e-3)).abs() < 1e-5, "{second}");
    }
    // Evaluation: the running statistics, mean 0 and variance 1 at first.
    net.set_mode(Mode::Eval);
    let out = net.forward(x.view()).unwrap();
    let scale = 1.0 / (1.0_f32 + 1e-3).sqrt();
    for (o, v) in out.iter().zip(x.iter()) {
        assert!((o - v * scale).abs() < 1e-5, "{o} {v}");
    }
}

#[test]
fn a_transposed_batch_is_the_same_batch() {
    use crate::rules::layer::NormSpec;
    // Convolutions and normalizations read rows as slices: a batch (or
    // an output gradient) given as a transposed view gives the same bits.
    let spec = NetworkSpec::new(vec![
        LayerSpec::input(Shape::image(1, 4, 4)),
        LayerSpec::conv2d(1, 2, Activation::Tanh, [3, 3]),
        LayerSpec::batch_norm(NormSpec::new(2)),
        LayerSpec::flatten(),
        LayerSpec::layer_norm(NormSpec::new(8)),
    ])
    .unwrap();
    let net = spec.init(3);
    let x = inputs(5, 16);
    let transposed = x.t().to_owned();
    let gradient = Array2::from_shape_fn((5, 8), |(r, c)| (r + 2 * c) as f32 / 9.0);
    let gradient_transposed = gradient.t().to_owned();
    assert_eq!(
        net.forward(transposed.t()).unwrap(),
        net.forward(x.view()).unwrap()
    );
    assert_eq!(
        net.backward(transposed.t(), gradient_transposed.t()).unwrap(),
        net.backward(x.view(), gradient.view()).unwrap()
    );
    let y = Array2::from_shape_fn((5, 8), |(r, c)| (r * c) as f32 / 20.0);
    let loss = Loss::MeanSquaredError;
    let (_, from_transposed) = net
        .gradients(transposed.t(), Targets::Values(y.view()), loss)
        .unwrap();
    let (_, from_rows) = net.gradients(x.view(), Targets::Values(y.view()), loss).unwrap();
    assert_eq!(from_transposed, from_rows);
}

#[test]
fn layers_without_biases_have_no_bias_gradient_and_their_weights_check() {
    let spec = NetworkSpec::new(vec![
        LayerSpec::input(Shape::image(1, 5, 5)),
        LayerSpec::conv2d(1, 3, Activation::Tanh, [3, 3])
            .with_weight(Init::Normal { std: 0.5 })
            .without_bias(),
        LayerSpec::flatten(),
        LayerSpec::dense(27, 4, Activation::Gelu)
            .with_weight(Init::Normal { std: 0.5 })
            .without_bias(),
        LayerSpec::dense(4, 3, Activation::Softmax).with_bias(Init::Constant { value: 0.1 }),
    ])
    .unwrap();
    let net = spec.init(11);
    assert_eq!(
        net.layers()
            .iter()
            .map(|layer| layer.bias().len())
            .collect::<Vec<_>>(),
        [0, 0, 3]
    );
    let x = inputs(4, 25);
    let targets = Targets::Classes(&[0, 2, 1, 2]);
    let (_, gradients) = net.gradients(x.view(), targets, Loss::CrossEntropy).unwrap();
    assert_eq!(
        (0..3)
            .map(|layer| gradients.get(layer, "bias").map_or(0, |bias| bias.len()))
            .collect::<Vec<_>>(),
        [0, 0, 3]
    );
    check_coordinates(&net, &x, targets, Loss::CrossEntropy, true);
}

#[test]
fn taps_that_only_ever_read_padding_are_zeros() {
    // A 5 × 5 kernel with `same` padding on a 1 × 1 image, and a 7 × 7
    // one with padding 3 on 2 × 2: most taps read only padding, at
    // stride 1 (a contiguous copy) as at stride 2. A 1 × 1 convolution
    // below makes the wide one pass its gradient down too.
    for (image, kernel, padding, stride) in [
        ([1, 1], 5, Padding::Same, 1),
        ([2, 2], 7, Padding::uniform(3), 1),
        ([2, 2], 7, Padding::uniform(3), 2),
    ] {
        let spec = NetworkSpec::new(vec![
            LayerSpec::input(Shape::image(2, image[0], image[1])),
            LayerSpec::conv2d(2, 2, Activation::Tanh, [1, 1]).with_weight(Init::Normal { std: 0.5 }),
            LayerSpec::of(
                Conv2dSpec::new(2, 3, Activation::Tanh, [kernel, kernel])
                    .with_padding(padding)
                    .with_stride([stride, stride])
                    .into(),
            ),
            LayerSpec::flatten(),
        ])
        .unwrap();
        let network = spec.init(1);
        let x = inputs(3, spec.inputs());
        let out = network.forward(x.view()).unwrap();
        assert!(out.iter().all(|v| v.is_finite()));
        let y = Array2::from_shape_fn(out.dim(), |(r, c)| (r + c) as f32 / 8.0);
        check_coordinates(
            &network,
            &x,
            Targets::Values(y.view()),
            Loss::MeanSquaredError,
            true,
        );
    }
}

#[test]
fn a_convolution_is_the_sum_over_its_window() {
    // One 2 × 2 kernel, stride 1, padding 1, on a 2 × 3 image: every
    // output is the sum of weight × input over the taps inside the image.
    let spec = NetworkSpec::new(vec![
        LayerSpec::input(Shape::image(1, 2, 3)),
        LayerSpec::of(
            Conv2dSpec::new(1, 1, Activation::Identity, [2, 2])
                .with_padding(Padding::uniform(1))
                .into(),
        ),
    ])
    .unwrap();
    let mut network = spec.init(0);
    let weight = ndarray::array![[1.0_f32, 10.0, 100.0, 1000.0]];
    network.layers_mut()[0].weight_mut().assign(&weight);
    let image = ndarray::array![[1.0_f32, 2.0, 3.0, 4.0, 5.0, 6.0]];
    let out = network.forward(image.view()).unwrap();
    let value = |y: isize, x: isize| {
        if (0..2).contains(&y) && (0..3).contains(&x) {
            image[(0, (y * 3 + x) as usize)]
        } else {
            0.0
        }
    };
    let mut expected = Vec::new();
    for oy in 0..3_isize {
        for ox in 0..4_isize {
            let (y, x) = (oy - 1, ox - 1);
            expected.push(
                value(y, x) + 10.0 * value(y, x + 1) + 100.0 * value(y + 1, x) + 1000.0 * value(y + 1, x + 1),
            );
        }
    }
    assert_eq!(out.iter().copied().collect::<Vec<f32>>(), expected);
}

#[test]
fn cross_entropy_is_stable_for_huge_logits() {
    let mut net = network(vec![LayerSpec::dense(2, 2, Activation::Softmax)]);
    net.layers_mut()[0].weight_mut().fill(1000.0);
    net.layers_mut()[0].weight_mut()[(1, 0)] = -1000.0;
    let x = ndarray::array![[1.0_f32, 1.0]];
    let loss = net
        .loss(x.view(), Targets::Classes(&[1]), Loss::CrossEntropy)
        .unwrap();
    assert!((loss - 2000.0).abs() < 1e-2, "{loss}");
}

#[test]
fn mismatched_targets_are_typed_errors() {
    let net = network(vec![LayerSpec::dense(2, 3, Activation::Softmax)]);
    let x = inputs(2, 2);
    assert_eq!(
        net.loss(x.view(), Targets::Classes(&[0]), Loss::CrossEntropy),
        Err(Error::TargetCount {
            expected: 2,
            found: 1
        })
    );
    assert_eq!(
        net.loss(x.view(), Targets::Classes(&[0, 3]), Loss::CrossEntropy),
        Err(Error::ClassOutOfRange { class: 3, classes: 3 })
    );
    let linear = network(vec![LayerSpec::dense(2, 3, Activation::Identity)]);
    assert!(matches!(
        linear.loss(x.view(), Targets::Classes(&[0, 1]), Loss::CrossEntropy),
        Err(Error::LossNeedsSoftmax { .. })
    ));
    assert_eq!(
        net.loss(x.view(), Targets::Classes(&[0, 1]), Loss::MeanSquaredError),
        Err(Error::TargetsDoNotFit {
            loss: Loss::MeanSquaredError
        })
    );
}

/// A network from its DSL text.
fn parsed(text: &str) -> NetworkSpec {
    text.parse().unwrap_or_else(|error| panic!("{text}: {error}"))
}

#[test]
fn backprop_matches_finite_differences_through_a_language_model() {
    // Every kind a language model has, causal attention included, with
    // inits large enough that no softmax is near uniform and every
    // coordinate of every tensor matters.
    let spec = parsed(
        "input(tokens = 5), embedding(7 -> 8), position_embedding(5 -> 8), \
         residual(rms_norm(8, gamma = normal(std = 1.0)), attention(8, heads = 2, mask = causal, init = normal(std = 0.6))), \
         residual(layer_norm(8, gamma = normal(std = 1.0)), dense(8 -> 12, gelu), dense(12 -> 8, identity)), \
         dense(8 -> 7, softmax)",
    );
    let net = spec.init(5);
    let ids = Array2::from_shape_fn((3, 5), |(row, token)| ((row * 5 + token * 3) % 7) as f32);
    // One class per token: the next id.
    let classes: Vec<usize> = (0..15).map(|at| (at * 2 + 1) % 7).collect();
    check_coordinates(&net, &ids, Targets::Classes(&classes), Loss::CrossEntropy, true);
}

#[test]
fn backprop_matches_finite_differences_through_a_vision_transformer() {
    // Patches of an image, their projection and position table,
    // attention without a mask, and the mean of the tokens.
    let spec = parsed(
        "input(2, 4, 6), patches(2), dense(8 -> 8, identity), position_embedding(6 -> 8), \
         residual(layer_norm(8), attention(8, heads = 4, init = normal(std = 0.6))), \
         layer_norm(8), mean_tokens, dense(8 -> 3, softmax)",
    );
    let net = spec.init(9);
    let x = inputs(3, 48);
    check_coordinates(&net, &x, Targets::Classes(&[0, 2, 1]), Loss::CrossEntropy, true);
}

#[test]
fn causal_attention_does_not_look_ahead_and_sequences_of_any_length_agree() {
    // A causal model's output at token t depends on the ids up to t alone:
    // changing the last id changes the last token's distribution only.
    let spec = parsed(
        "input(tokens = 6), embedding(9 -> 8), position_embedding(6 -> 8), \
         residual(layer_norm(8), attention(8, heads = 2, mask = causal)), dense(8 -> 9, softmax)",
    );
    let net = spec.init(1);
    let ids = Array2::from_shape_fn((1, 6), |(_, token)| token as f32);
    let mut changed = ids.clone();
    changed[(0, 5)] = 8.0;
    let (before, after) = (
        net.forward(ids.view()).unwrap(),
        net.forward(changed.view()).unwrap(),
    );
    assert_eq!(before.dim(), (6, 9));
    for token in 0..5 {
        assert_eq!(before.row(token), after.row(token), "token {token}");
    }
    assert_ne!(before.row(5), after.row(5));
}

#[test]
fn patches_are_row_major_with_each_patch_in_channel_row_column_order() {
    let net = parsed("input(2, 2, 4), patches(2)").init(0);
    // Channel 0 holds 0..8, channel 1 holds 100..108, row by row.
    let image = Array2::from_shape_fn((1, 16), |(_, at)| (at % 8) as f32 + 100.0 * (at / 8) as f32);
    let tokens = net.forward_all(image.view()).unwrap().pop().unwrap();
    // Patch 0 is columns 0..2 of rows 0..2: 0, 1, 4, 5 of each channel.
    let expected = [
        0.0, 1.0, 4.0, 5.0, 100.0, 101.0, 104.0, 105.0, // patch (0, 0)
        2.0, 3.0, 6.0, 7.0, 102.0, 103.0, 106.0, 107.0, // patch (0, 1)
    ];
    assert_eq!(tokens.row(0).to_vec(), expected);
}

#[test]
fn token_ids_outside_the_vocabulary_are_typed_errors() {
    let net = parsed("input(tokens = 3), embedding(4 -> 2), dense(2 -> 4, softmax)").init(0);
    for (value, position) in [(4.0, 2), (-1.0, 0), (1.5, 1), (f32::NAN, 0)] {
        let mut ids = Array2::zeros((2, 3));
        ids[(1, position)] = value;
        match net.forward(ids.view()) {
            Err(Error::TokenId {
                row: 1,
                position: at,
                vocabulary: 4,
                ..
            }) => assert_eq!(at, position),
            other => panic!("{value}: {other:?}"),
        }
    }
}
