// A relu layer of zero weights and zero bias passes no gradient: an error
// that `#[allow(constant_init)]` cannot lower.
const NET: netinit::NetworkSpec = netinit::network![
    dense(784 -> 256, relu),
    #[allow(constant_init)]
    dense(256 -> 10, relu, init = zeros),
    dense(10 -> 10, softmax),
];

fn main() {
    let _ = NET;
}
