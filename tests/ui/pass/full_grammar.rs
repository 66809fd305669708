// Every activation, init and option of the grammar, lint attributes on layers
// and on the network, `_` separators and trailing commas.
#![deny(warnings)]

#[path = "support/from_text.rs"]
mod from_text;

use netinit::{network, Activation, Distribution, FanMode, Init, NetworkSpec};

const EVERYTHING: NetworkSpec = network![
    #![allow(softmax_hidden, init_scale)]
    dense(1_024 -> 512, identity, init = lecun_normal),
    dense(512 -> 512, linear, init = xavier_uniform, bias = normal(std = 0.01),),
    dense(512 -> 512, relu, dist = uniform, mode = fan_out),
    dense(512 -> 512, leaky_relu(0.2), init = he_uniform, gain = 1.3),
    dense(512 -> 512, elu(1.0), dist = truncated_normal),
    dense(512 -> 512, gelu, init = orthogonal, gain = 1.0),
    dense(512 -> 512, silu, init = he_normal, mode = fan_avg),
    dense(512 -> 512, selu, init = lecun_uniform),
    dense(512 -> 512, softplus, bias = uniform(bound = 0.1)),
    dense(512 -> 512, tanh, init = xavier_normal, bias = ones),
    #[allow(init_mismatch)]
    dense(512 -> 512, sigmoid, init = he_normal, bias = zeros),
    dense(512 -> 512, softmax, init = truncated_normal(std = 0.05), bias = constant(-0.5)),
    dense(512 -> 256, tanh, init = normal(std = 0.05)),
    dense(256 -> 10, softmax, init = uniform(bound = 0.1), bias = truncated_normal(std = 0.01),),
];

// The convolutional network, and each spatial layer's spellings.
const CNN: netinit::NetworkSpec = netinit::network![
    input(1, 28, 28),
    conv2d(1 -> 32, relu, kernel = 3, padding = 1),
    max_pool2d(2),
    conv2d(32 -> 64, relu, kernel = 3, padding = 1),
    max_pool2d(2),
    flatten,
    dense(3136 -> 128, relu),
    dense(128 -> 10, softmax),
];

const SPELLINGS: netinit::NetworkSpec = netinit::network![
    input(3, 32, 30),
    conv2d(3 -> 16, gelu, kernel = (3, 5), stride = (1, 2), padding = (1, 2), init = he_uniform, bias = normal(std = 0.01)),
    avg_pool2d(2, 3, stride = 1),
    conv2d(16 -> 16, tanh, kernel = 3, padding = same,),
    max_pool2d(3, stride = 2),
    global_avg_pool2d,
    dense(16 -> 10, softmax),
];

// Activations as layers of their own: after pooling, flatten and another
// activation, and a softmax of its own on top; a convolution without biases.
const ACTIVATIONS: netinit::NetworkSpec = netinit::network![
    input(1, 8, 8),
    conv2d(1 -> 4, relu, kernel = 3, bias = none),
    max_pool2d(2),
    leaky_relu(0.1),
    flatten,
    gelu,
    dense(36 -> 10, tanh),
    softmax,
];

// Layer and batch normalization, with and without their options.
const NORMALIZED: netinit::NetworkSpec = netinit::network![
    layer_norm(784),
    dense(784 -> 256, gelu, bias = none),
    layer_norm(256, gamma = constant(0.5), beta = normal(std = 0.02), epsilon = 1e-6),
    dense(256 -> 10, softmax),
];

const BATCH_NORMALIZED: netinit::NetworkSpec = netinit::network![
    input(3, 8, 8),
    conv2d(3 -> 16, identity, kernel = 3, padding = 1, bias = none),
    batch_norm(16),
    relu,
    global_avg_pool2d,
    dense(16 -> 16, tanh),
    batch_norm(16, gamma = zeros, epsilon = 1e-3),
    dense(16 -> 10, softmax),
];

// Residual blocks: the pre-norm network, a ResNet stage whose
// shortcut changes the shape, a zero-initialised branch end, blocks nested
// in a branch, a block that keeps its inits (`scale = none`), and a bare
// relu after a block.
const RESIDUAL: netinit::NetworkSpec = netinit::network![
    dense(784 -> 256, relu),
    residual(layer_norm(256), dense(256 -> 1024, gelu), dense(1024 -> 256, identity)),
    residual(layer_norm(256), dense(256 -> 1024, gelu), dense(1024 -> 256, identity, init = zeros)),
    layer_norm(256),
    dense(256 -> 10, softmax),
];

const RESNET: netinit::NetworkSpec = netinit::network![
    input(3, 16, 16),
    conv2d(3 -> 16, identity, kernel = 3, padding = 1, bias = none),
    batch_norm(16),
    relu,
    residual(
        conv2d(16 -> 32, identity, kernel = 3, stride = 2, padding = 1, bias = none),
        batch_norm(32),
        relu,
        conv2d(32 -> 32, identity, kernel = 3, padding = 1, bias = none),
        batch_norm(32),
        shortcut = (conv2d(16 -> 32, identity, kernel = 1, stride = 2, bias = none), batch_norm(32)),
    ),
    relu,
    residual(
        residual(conv2d(32 -> 32, relu, kernel = 3, padding = 1), conv2d(32 -> 32, identity, kernel = 3, padding = 1)),
        conv2d(32 -> 32, identity, kernel = 1),
        scale = none,
    ),
    global_avg_pool2d,
    dense(32 -> 10, softmax),
];

fn main() {
    let spec = EVERYTHING;
    let layers = spec.layers();
    assert_eq!(layers.len(), 14);
    assert_eq!(spec.input_shape(), netinit::Shape::Features(1024));
    assert_eq!(layers[3].activation(), Activation::LeakyRelu(0.2));
    let Init::Scaled(scaling) = layers[2].weight() else { panic!("he derived") };
    assert_eq!(scaling.distribution, Distribution::Uniform);
    assert_eq!(scaling.mode, FanMode::FanOut);
    let Init::Scaled(scaling) = layers[3].weight() else { panic!("he_uniform") };
    assert_eq!(scaling.gain, Some(1.3));
    assert_eq!(layers[11].bias(), Init::Constant { value: -0.5 });
    assert_eq!(layers[1].activation(), Activation::Identity);
    from_text::assert_same(
        include_str!("full_grammar.rs"),
        &[EVERYTHING, CNN, SPELLINGS, ACTIVATIONS, NORMALIZED, BATCH_NORMALIZED, RESIDUAL, RESNET],
    );
    // The printed text reads back to the same network, scaling and all.
    for spec in [RESIDUAL, RESNET] {
        assert_eq!(spec.to_string().parse::<NetworkSpec>().unwrap(), spec);
    }
    // Two blocks in a row: the first branch's end is scaled so that the
    // block adds half its input's second moment; the zero end is kept.
    assert!(RESIDUAL.layers()[4].branch_scale() < 1.0);
    assert_eq!(RESIDUAL.layers()[9].branch_scale(), 1.0);
    assert_eq!(RESIDUAL.output_shapes()[5], netinit::Shape::Features(256));
    // The stage's block ends in a batch normalization: its γ is scaled.
    assert!(RESNET.layers()[9].branch_scale() < 1.0);
    assert_eq!(RESNET.output_shapes()[13], netinit::Shape::image(32, 8, 8));
    // The inner block is scaled (alone in its sequence, so that it adds
    // as much as it takes in); the outer one says `scale = none`.
    assert_ne!(RESNET.layers()[18].branch_scale(), 1.0);
    assert_eq!(RESNET.layers()[20].branch_scale(), 1.0);
    let output = RESNET.init(0).forward(netinit::ndarray::Array2::ones((2, 768)).view()).unwrap();
    assert!(output.rows().into_iter().all(|row| (row.sum() - 1.0).abs() < 1e-5));
    assert_eq!(BATCH_NORMALIZED.output_shapes()[2], netinit::Shape::image(16, 8, 8));
    assert_eq!(BATCH_NORMALIZED.layers()[2].parameter_count(), Some(32));
    let netinit::LayerKind::LayerNorm(netinit::LayerNormSpec(norm)) = *NORMALIZED.layers()[2].kind() else {
        panic!("a layer normalization")
    };
    assert_eq!((norm.features(), norm.epsilon()), (256, 1e-6));
    assert_eq!(norm.gamma(), Init::Constant { value: 0.5 });
    assert_eq!(NORMALIZED.parameter_count(), 2 * 784 + 784 * 256 + 2 * 256 + 2570);
    assert_eq!(NORMALIZED.input_shape(), netinit::Shape::Features(784));
    assert_eq!(ACTIVATIONS.layers()[3].to_string(), "leaky_relu(0.1)");
    assert_eq!(ACTIVATIONS.output_shapes()[3], netinit::Shape::image(4, 3, 3));
    assert_eq!(ACTIVATIONS.output_shapes()[5], netinit::Shape::Features(36));
    // `bias = none`: the convolution's 4 biases are gone.
    assert!(ACTIVATIONS.layers()[1].parameter("bias").is_none());
    assert_eq!(ACTIVATIONS.parameter_count(), 36 + 370);
    let output = ACTIVATIONS.init(0).forward(netinit::ndarray::Array2::ones((2, 64)).view()).unwrap();
    assert!(output.rows().into_iter().all(|row| (row.sum() - 1.0).abs() < 1e-5));

    assert_eq!(CNN.parameter_count(), 421_642);
    assert_eq!(SPELLINGS.output_shapes()[1], netinit::Shape::image(16, 32, 15));
    assert_eq!(SPELLINGS.output_shapes()[2], netinit::Shape::image(16, 31, 13));
    assert_eq!(SPELLINGS.output_shapes()[4], netinit::Shape::image(16, 15, 6));
}
