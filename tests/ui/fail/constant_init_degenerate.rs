// A distribution with zero scale is a constant too.
const NET: netinit::NetworkSpec = netinit::network![
    dense(784 -> 256, tanh, init = normal(std = 0.0)),
    dense(256 -> 10, softmax, gain = 0),
];

fn main() {
    let _ = NET;
}
