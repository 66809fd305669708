// Two adjacent constant layers tie the neurons between them forever: no
// attribute lowers that.
const NET: netinit::NetworkSpec = netinit::network![
    #[allow(constant_init)]
    dense(784 -> 256, relu, init = constant(0.01)),
    #[allow(constant_init)]
    dense(256 -> 10, softmax, init = ones),
];

fn main() {
    let _ = NET;
}
