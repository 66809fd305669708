// Softmax belongs on the last layer.
#![deny(warnings)]

const NET: netinit::NetworkSpec = netinit::network![
    dense(784 -> 256, softmax),
    dense(256 -> 10, softmax),
];

fn main() {
    let _ = NET;
}
