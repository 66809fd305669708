// Malformed layers: each gets an error at its own token, all in one compile.
const NET: netinit::NetworkSpec = netinit::network![
    dense(784 256, relu),
    dense(256 -> 128),
    dense(128 -> 64, leaky_relu),
    dense(64 -> 32, relu(0.1)),
    dense(32 -> 16, relu, init = normal(0.1)),
    dense(16 -> 8, relu, init = normal(std = 0.1), mode = fan_out),
    dense(8 -> 4, relu, init = orthogonal, dist = uniform),
    dense(4 -> 2, relu, init = he_normal(2.0), bias = orthogonal),
    dense(2 -> 1, relu, init = 0.5),
];

// A residual block's options: a misspelt one, `scale` with another value,
// and a layer after the options.
const BLOCK_OPTION: netinit::NetworkSpec = netinit::network![
    dense(4 -> 4, relu),
    residual(dense(4 -> 4, relu), shortcutt = dense(4 -> 4, identity)),
];

const BLOCK_SCALE: netinit::NetworkSpec = netinit::network![
    dense(4 -> 4, relu),
    residual(dense(4 -> 4, relu), scale = half),
];

const BLOCK_ORDER: netinit::NetworkSpec = netinit::network![
    dense(4 -> 4, relu),
    residual(scale = none, dense(4 -> 4, relu)),
];

// Letters after a number's digits make one token; its digits alone must
// not be read.
const SUFFIXED: netinit::NetworkSpec = netinit::network![
    dense(784 -> 64x, relu),
    dense(64 -> 10, softmax, init = normal(std = 0.1f)),
];

fn main() {
    let _ = (NET, GAP, BLOCK_OPTION, BLOCK_SCALE, BLOCK_ORDER, SUFFIXED);
}

// A layer that cannot be read keeps its place: the shapes around it are not
// misjudged (no mismatch is reported between 784 -> 256 and 128 -> 10).
const GAP: netinit::NetworkSpec = netinit::network![
    dense(784 -> 256, relu),
    dense(256 -> 128 relu),
    dense(128 -> 10, softmax),
];
