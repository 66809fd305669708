// A layer's input width must be the previous layer's output width.
const NET: netinit::NetworkSpec = netinit::network![
    dense(784 -> 256, relu),
    dense(128 -> 10, softmax),
];

fn main() {
    let _ = NET;
}
