// Lint names and levels are checked, with a did-you-mean.
const NET: netinit::NetworkSpec = netinit::network![
    #[allow(constnat_init)]
    dense(784 -> 256, relu),
    #[alow(init_mismatch)]
    dense(256 -> 10, softmax),
];

fn main() {
    let _ = NET;
}
