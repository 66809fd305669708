// A relu layer of zero weights and zero bias passes no gradient: an error
// that `#[allow(constant_init)]` cannot lower.
const NET: netinit::NetworkSpec = netinit::network![
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

fn main() {
    let _ = (NET, AFTER);
}
