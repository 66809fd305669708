// One constant layer under a random head starts its neurons identical: an
// error by default, whose message says what follows.
const NET: netinit::NetworkSpec = netinit::network![
    dense(784 -> 256, relu, init = constant(0.01)),
    dense(256 -> 10, softmax),
];

fn main() {
    let _ = NET;
}
