// One constant layer under a random head starts its neurons identical: an
// error by default, whose message says what follows.
const NET: netinit::NetworkSpec = netinit::network![
    dense(784 -> 256, relu, init = constant(0.01)),
    dense(256 -> 10, softmax),
];

// Two adjacent constant layers tie the neurons between them forever: no
// attribute lowers that.
const ADJACENT: netinit::NetworkSpec = netinit::network![
    #[allow(constant_init)]
    dense(784 -> 256, relu, init = constant(0.01)),
    #[allow(constant_init)]
    dense(256 -> 10, softmax, init = ones),
];

// A distribution with zero scale is a constant too.
const DEGENERATE: netinit::NetworkSpec = netinit::network![
    dense(784 -> 256, tanh, init = normal(std = 0.0)),
    dense(256 -> 10, softmax, gain = 0),
];

// A relu layer of zero weights and zero bias passes no gradient: an error
// that `#[allow(constant_init)]` cannot lower.
const NO_GRADIENT: netinit::NetworkSpec = netinit::network![
    dense(784 -> 256, relu),
    #[allow(constant_init)]
    dense(256 -> 10, relu, init = zeros),
    dense(10 -> 10, softmax),
];

// The same through an activation layer: tanh of zero is zero, where the
// relu after `flatten` has derivative 0.
const AFTER: netinit::NetworkSpec = netinit::network![
    input(1, 4, 4),
    #[allow(constant_init)]
    conv2d(1 -> 2, tanh, kernel = 3, init = zeros),
    flatten,
    relu,
    dense(8 -> 2, softmax),
];

// A residual branch whose last layer starts at zero is allowed where its
// activation passes gradient at zero (the identity here); with relu it is
// dead, as any zero relu layer is.
const ZERO_BRANCH: netinit::NetworkSpec = netinit::network![
    dense(784 -> 256, relu),
    residual(dense(256 -> 256, relu), dense(256 -> 256, identity, init = zeros)),
    residual(dense(256 -> 256, relu), dense(256 -> 256, relu, init = zeros)),
    dense(256 -> 10, softmax),
];

fn main() {
    let _ = (NET, ADJACENT, DEGENERATE, NO_GRADIENT, AFTER, ZERO_BRANCH);
}
