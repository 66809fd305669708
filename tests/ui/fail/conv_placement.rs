// Spatial layers need `input(C, H, W)` first, an image to work on, and
// dense layers need `flatten` after them.
const NO_INPUT: netinit::NetworkSpec = netinit::network![
    conv2d(1 -> 8, relu, kernel = 3),
    flatten,
    dense(5408 -> 10, softmax),
];

const LATE_INPUT: netinit::NetworkSpec = netinit::network![
    dense(784 -> 256, relu),
    input(256),
    dense(256 -> 10, softmax),
];

const AFTER_FLATTEN: netinit::NetworkSpec = netinit::network![
    input(1, 28, 28),
    flatten,
    max_pool2d(2),
];

const NO_FLATTEN: netinit::NetworkSpec = netinit::network![
    input(1, 28, 28),
    conv2d(1 -> 8, relu, kernel = 3, padding = 1),
    dense(6272 -> 10, softmax),
];

const TWO_SIZES: netinit::NetworkSpec = netinit::network![
    input(28, 28),
    flatten,
    dense(784 -> 10, softmax),
];

fn main() {
    let _ = (NO_INPUT, LATE_INPUT, AFTER_FLATTEN, NO_FLATTEN, TWO_SIZES);
}
