// Windows that do not fit, strides and kernels of zero, and `same` padding
// where no padding keeps the size.
const TOO_LARGE: netinit::NetworkSpec = netinit::network![
    input(1, 4, 4),
    conv2d(1 -> 8, relu, kernel = 5),
];

const PADDED: netinit::NetworkSpec = netinit::network![
    input(1, 4, 6),
    conv2d(1 -> 8, relu, kernel = (3, 9), padding = 1),
];

const POOLED_AWAY: netinit::NetworkSpec = netinit::network![
    input(1, 28, 28),
    max_pool2d(2),
    max_pool2d(2),
    max_pool2d(2),
    max_pool2d(2),
    max_pool2d(2),
];

const ZEROS: netinit::NetworkSpec = netinit::network![
    input(1, 28, 28),
    conv2d(1 -> 8, relu, kernel = 0),
    conv2d(8 -> 8, relu, kernel = 3, stride = 0),
    avg_pool2d(2, stride = 0),
];

const SAME: netinit::NetworkSpec = netinit::network![
    input(1, 28, 28),
    conv2d(1 -> 8, relu, kernel = 3, stride = 2, padding = same),
    conv2d(8 -> 8, relu, kernel = 4, padding = same),
];

// Options that a kind does not take, a convolution without its kernel, and
// sizes that are not whole numbers.
const CONV_OPTIONS_NET: netinit::NetworkSpec = netinit::network![
    input(1, 28, 28),
    conv2d(1 -> 8, relu, padding = 1),
    conv2d(8 -> 8, relu, kernel = 1.5),
    max_pool2d(2, init = he_normal),
    avg_pool2d(2.5),
    flatten(1),
    dense(1568 -> 10, softmax, kernel = 3),
];


// A plane past netinit's bound (8192 × 8192 positions), and softmax on a
// convolution.
const CONV_OPTIONS_HUGE: netinit::NetworkSpec = netinit::network![
    input(1, 2, 2),
    conv2d(1 -> 1, relu, kernel = 1, padding = 100_000),
    flatten,
    dense(10 -> 2, softmax),
];

const CONV_OPTIONS_SOFTMAX: netinit::NetworkSpec = netinit::network![
    input(1, 8, 8),
    conv2d(1 -> 4, softmax, kernel = 3),
];

fn main() {
    let _ = (TOO_LARGE, PADDED, POOLED_AWAY, ZEROS, SAME, CONV_OPTIONS_NET, CONV_OPTIONS_HUGE, CONV_OPTIONS_SOFTMAX);
}
