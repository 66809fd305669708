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

fn main() {
    let _ = (CONSTANT, MISMATCHED, TIED);
}
