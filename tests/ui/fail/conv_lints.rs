// The lints apply to convolutions as to dense layers: a constant kernel, a
// mismatched init, and two constant layers with only pooling and flatten
// between them.
const CONSTANT: netinit::NetworkSpec = netinit::network![
    input(1, 28, 28),
    conv2d(1 -> 8, relu, kernel = 3, init = constant(0.1)),
    flatten,
    dense(5408 -> 10, softmax),
];

const MISMATCHED: netinit::NetworkSpec = netinit::network![
    #![deny(init_mismatch)]
    input(1, 28, 28),
    conv2d(1 -> 8, relu, kernel = 3, init = xavier_normal),
    global_avg_pool2d,
    dense(8 -> 10, softmax),
];

const TIED: netinit::NetworkSpec = netinit::network![
    input(1, 28, 28),
    #[allow(constant_init)]
    conv2d(1 -> 8, tanh, kernel = 3, init = ones),
    max_pool2d(2),
    flatten,
    #[allow(constant_init)]
    dense(1352 -> 10, softmax, init = zeros),
];

// The signal analysis follows convolutions, padding and pooling: unit
// normal kernels over 288 inputs multiply the second moment by about 144
// a layer.
const CONV_SIGNAL_DRIFT_NET: netinit::NetworkSpec = netinit::network![
    #![deny(signal_drift)]
    #![allow(init_scale)]
    input(1, 28, 28),
    conv2d(1 -> 32, relu, kernel = 3, padding = 1, init = normal(std = 1.0)),
    conv2d(32 -> 32, relu, kernel = 3, padding = 1, init = normal(std = 1.0)),
    max_pool2d(2),
    conv2d(32 -> 32, relu, kernel = 3, padding = 1, init = normal(std = 1.0)),
    global_avg_pool2d,
    dense(32 -> 10, softmax),
];

fn main() {
    let _ = (CONSTANT, MISMATCHED, TIED, CONV_SIGNAL_DRIFT_NET);
}
