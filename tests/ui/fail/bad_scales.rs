// Scales are finite and not negative; activation parameters too.
const NET: netinit::NetworkSpec = netinit::network![
    dense(784 -> 256, relu, init = normal(std = -0.1)),
    dense(256 -> 256, relu, gain = 1e999),
    dense(256 -> 256, elu(-1.0), bias = uniform(bound = -2)),
    dense(256 -> 10, softmax),
];

fn main() {
    let _ = NET;
}
