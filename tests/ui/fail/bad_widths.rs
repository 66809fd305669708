// Widths are whole, positive, and the parameter count must fit in memory.
const NET: netinit::NetworkSpec = netinit::network![
    dense(0 -> 256, relu),
    dense(256 -> 0, relu),
    dense(1.5 -> 10, relu),
];

const HUGE: netinit::NetworkSpec = netinit::network![
    dense(4_294_967_296 -> 4_294_967_296, relu),
];

fn main() {
    let _ = (NET, HUGE);
}
