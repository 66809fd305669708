// Misspelt names get a did-you-mean and the list of valid names (`bias`
// takes `none` too, without arguments).
const NET: netinit::NetworkSpec = netinit::network![
    dense(784 -> 256, rleu),
    dense(256 -> 256, relu, init = he_norml),
    dense(256 -> 256, relu, inti = he_uniform),
    dense(256 -> 256, relu, dist = unifrom, mode = fan_inn),
    dense(256 -> 256, relu, bias = nnoe),
    dense(256 -> 256, relu, bias = none(0)),
    dens(256 -> 10, softmax),
];

fn main() {
    let _ = NET;
}
