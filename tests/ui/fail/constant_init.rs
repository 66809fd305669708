// Constant weights never break symmetry: an error by default.
const NET: netinit::NetworkSpec = netinit::network![
    dense(784 -> 256, relu, init = zeros),
    dense(256 -> 10, softmax),
];

fn main() {
    let _ = NET;
}
