// A convolution's input channels must be the channels the layer before gives.
const CONV_CHANNELS_NET: netinit::NetworkSpec = netinit::network![
    input(1, 28, 28),
    conv2d(1 -> 32, relu, kernel = 3, padding = 1),
    max_pool2d(2),
    conv2d(16 -> 64, relu, kernel = 3, padding = 1),
];

// The first convolution's input channels are the input's.
const CONV_CHANNELS_FIRST: netinit::NetworkSpec = netinit::network![
    input(3, 32, 32),
    conv2d(1 -> 8, relu, kernel = 3),
];

// The first dense layer after `flatten` takes C × H × W features: the
// arithmetic is spelled out where the width is wrong.
const FLATTEN_WIDTH_CNN: netinit::NetworkSpec = netinit::network![
    input(1, 28, 28),
    conv2d(1 -> 32, relu, kernel = 3, padding = 1),
    max_pool2d(2),
    conv2d(32 -> 64, relu, kernel = 3, padding = 1),
    max_pool2d(2),
    flatten,
    dense(3000 -> 128, relu),
    dense(128 -> 10, softmax),
];

// A global pooling gives one feature per channel.
const FLATTEN_WIDTH_GLOBAL: netinit::NetworkSpec = netinit::network![
    input(3, 32, 32),
    conv2d(3 -> 16, relu, kernel = 3),
    global_avg_pool2d,
    dense(32 -> 10, softmax),
];

// `input(N)` states the width of a vector.
const FLATTEN_WIDTH_VECTOR: netinit::NetworkSpec = netinit::network![
    input(784),
    dense(700 -> 10, softmax),
];

// Spatial layers need `input(C, H, W)` first, an image to work on, and
// dense layers need `flatten` after them.
const CONV_PLACEMENT_NO_INPUT: netinit::NetworkSpec = netinit::network![
    conv2d(1 -> 8, relu, kernel = 3),
    flatten,
    dense(5408 -> 10, softmax),
];

const CONV_PLACEMENT_LATE_INPUT: netinit::NetworkSpec = netinit::network![
    dense(784 -> 256, relu),
    input(256),
    dense(256 -> 10, softmax),
];

const CONV_PLACEMENT_AFTER_FLATTEN: netinit::NetworkSpec = netinit::network![
    input(1, 28, 28),
    flatten,
    max_pool2d(2),
];

const CONV_PLACEMENT_NO_FLATTEN: netinit::NetworkSpec = netinit::network![
    input(1, 28, 28),
    conv2d(1 -> 8, relu, kernel = 3, padding = 1),
    dense(6272 -> 10, softmax),
];

const CONV_PLACEMENT_TWO_SIZES: netinit::NetworkSpec = netinit::network![
    input(28, 28),
    flatten,
    dense(784 -> 10, softmax),
];

// Activation layers: right after a layer whose activation is identity (its
// init would be derived for the identity), softmax on an image, first with
// no input shape, a misspelt one, and a width mismatch that names the
// layer before the activation.
const ACTIVATION_UNFUSED: netinit::NetworkSpec = netinit::network![
    dense(784 -> 256, identity),
    relu,
    dense(256 -> 10, softmax),
];

const ACTIVATION_SOFTMAX_IMAGE: netinit::NetworkSpec = netinit::network![
    input(1, 4, 4),
    softmax,
    flatten,
    dense(16 -> 10, softmax),
];

const ACTIVATION_FIRST: netinit::NetworkSpec = netinit::network![
    tanh,
    dense(784 -> 10, softmax),
];

const ACTIVATION_MISSPELT: netinit::NetworkSpec = netinit::network![
    input(784),
    rleu,
    dense(784 -> 10, softmax),
];

const ACTIVATION_WIDTH: netinit::NetworkSpec = netinit::network![
    input(1, 4, 4),
    flatten,
    leaky_relu(0.1),
    dense(15 -> 10, softmax),
];

// Layer normalization: another width than it is given, an image, and
// options that mean nothing for it.
const NORM_WIDTH: netinit::NetworkSpec = netinit::network![
    dense(784 -> 256, relu),
    layer_norm(128),
    dense(128 -> 10, softmax),
];

const NORM_CHANNELS: netinit::NetworkSpec = netinit::network![
    input(3, 8, 8),
    conv2d(3 -> 16, identity, kernel = 3, bias = none),
    batch_norm(32),
    batch_norm(16, 16),
];

const NORM_IMAGE: netinit::NetworkSpec = netinit::network![
    input(1, 4, 4),
    layer_norm(16),
    flatten,
    dense(16 -> 2, softmax),
];

const NORM_OPTIONS: netinit::NetworkSpec = netinit::network![
    dense(784 -> 256, relu),
    layer_norm(256, gamma = he_normal, epsilon = 0, init = zeros),
    layer_norm(256, beta = xavier_uniform, epsilon = 1e-300),
    layer_norm(256, gamma = 1, epsilon = small),
    layer_norm(256, 256),
    dense(256 -> 1, tanh),
    layer_norm(1),
];

// A residual branch that gives another shape than the block's input: the
// help writes the shortcut (a dense layer; for an image, a strided 1 × 1
// convolution and a batch normalization), or the shortcut's own mismatch.
const RESIDUAL_WIDTH: netinit::NetworkSpec = netinit::network![
    dense(784 -> 256, relu),
    residual(dense(256 -> 512, relu), dense(512 -> 128, identity)),
    dense(128 -> 10, softmax),
];

const RESIDUAL_IMAGE: netinit::NetworkSpec = netinit::network![
    input(16, 28, 28),
    residual(
        conv2d(16 -> 32, relu, kernel = 3, stride = 2, padding = 1),
        conv2d(32 -> 32, identity, kernel = 3, padding = 1),
    ),
];

const RESIDUAL_SHORTCUT: netinit::NetworkSpec = netinit::network![
    input(32, 8, 8),
    residual(
        conv2d(32 -> 32, relu, kernel = 3, padding = 1),
        shortcut = (conv2d(32 -> 64, identity, kernel = 1, bias = none), batch_norm(64)),
    ),
];

// A block with nothing in its branch, and an empty shortcut.
const RESIDUAL_EMPTY: netinit::NetworkSpec = netinit::network![
    dense(784 -> 256, relu),
    residual(),
    residual(dense(256 -> 256, relu), shortcut = ()),
    dense(256 -> 10, softmax),
];

fn main() {
    let _ = (CONV_CHANNELS_NET, CONV_CHANNELS_FIRST, FLATTEN_WIDTH_CNN, FLATTEN_WIDTH_GLOBAL, FLATTEN_WIDTH_VECTOR, CONV_PLACEMENT_NO_INPUT, CONV_PLACEMENT_LATE_INPUT, CONV_PLACEMENT_AFTER_FLATTEN, CONV_PLACEMENT_NO_FLATTEN, CONV_PLACEMENT_TWO_SIZES);
    let _ = (NORM_WIDTH, NORM_CHANNELS, NORM_IMAGE, NORM_OPTIONS);
    let _ = (RESIDUAL_WIDTH, RESIDUAL_IMAGE, RESIDUAL_SHORTCUT, RESIDUAL_EMPTY);
    let _ = (ACTIVATION_UNFUSED, ACTIVATION_SOFTMAX_IMAGE, ACTIVATION_FIRST, ACTIVATION_MISSPELT, ACTIVATION_WIDTH);
}
