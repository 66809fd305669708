// `forbid` cannot be lowered, neither by a layer's attribute nor by a later
// attribute in the same place, as in rustc.
const NETWORK: netinit::NetworkSpec = netinit::network![
    #![forbid(init_mismatch)]
    #[allow(init_mismatch)]
    dense(64 -> 64, relu, init = xavier_normal),
];

const LAYER: netinit::NetworkSpec = netinit::network![
    #[forbid(constant_init)]
    #[allow(constant_init)]
    dense(64 -> 10, identity, init = zeros),
];

fn main() {
    let _ = (NETWORK, LAYER);
}
