// `#[deny(init_mismatch)]` inside the macro makes the warning an error.
const NET: netinit::NetworkSpec = netinit::network![
    #![deny(init_mismatch)]
    dense(784 -> 256, relu, init = lecun_uniform),
    dense(256 -> 10, softmax),
];

fn main() {
    let _ = NET;
}
