// One relu layer drawn from N(0, 1): 784 inputs multiply the signal's
// second moment by 392 at this layer alone, too few layers for signal_drift
// to speak. A warning, made an error by `deny(warnings)`.
#![deny(warnings)]

const NET: netinit::NetworkSpec = netinit::network![
    dense(784 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 10, softmax),
];

fn main() {
    let _ = NET;
}
