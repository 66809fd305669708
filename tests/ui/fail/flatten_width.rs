// The first dense layer after `flatten` takes C × H × W features: the
// arithmetic is spelled out where the width is wrong.
const CNN: netinit::NetworkSpec = netinit::network![
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
const GLOBAL: netinit::NetworkSpec = netinit::network![
    input(3, 32, 32),
    conv2d(3 -> 16, relu, kernel = 3),
    global_avg_pool2d,
    dense(32 -> 10, softmax),
];

// `input(N)` states the width of a vector.
const VECTOR: netinit::NetworkSpec = netinit::network![
    input(784),
    dense(700 -> 10, softmax),
];

fn main() {
    let _ = (CNN, GLOBAL, VECTOR);
}
