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

// PyTorch's names and near misses, with their arguments: one error each,
// with the kind meant, and nothing after that follows from a guess.
const PYTORCH: netinit::NetworkSpec = netinit::network![
    input(1, 28, 28),
    Conv2d(1 -> 8, relu, kernel = 3),
    maxpool2d(2),
    BatchNorm2d(8),
    avgpool(2),
    Flatten,
    linear(1352 -> 64, relu),
    LayerNorm(64),
    dense(64 -> 10, softmax),
];

fn main() {
    let _ = (NET, PYTORCH);
}
