// An option may be given once.
const NET: netinit::NetworkSpec = netinit::network![
    dense(784 -> 10, softmax, init = xavier_uniform, init = xavier_normal),
];

fn main() {
    let _ = NET;
}
