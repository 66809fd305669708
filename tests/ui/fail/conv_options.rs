// Options that a kind does not take, a convolution without its kernel, and
// sizes that are not whole numbers.
const NET: netinit::NetworkSpec = netinit::network![
    input(1, 28, 28),
    conv2d(1 -> 8, relu, padding = 1),
    conv2d(8 -> 8, relu, kernel = 1.5),
    max_pool2d(2, init = he_normal),
    avg_pool2d(2.5),
    flatten(1),
    dense(1568 -> 10, softmax, kernel = 3),
];

fn main() {
    let _ = NET;
}
