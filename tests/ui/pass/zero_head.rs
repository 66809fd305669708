// A zero-initialised output head is a legitimate constant init when allowed
// on that layer; the network still samples and runs.
#![deny(warnings)]

#[path = "support/from_text.rs"]
mod from_text;

const FIXUP: netinit::NetworkSpec = netinit::network![
    dense(32 -> 64, relu),
    dense(64 -> 64, relu),
    #[allow(constant_init)]
    dense(64 -> 10, identity, init = zeros),
];

fn main() {
    let network = FIXUP.init(0);
    assert!(network.layers()[2].weight().iter().all(|w| *w == 0.0));
    assert!(FIXUP.layers()[2].constant_init_allowed());
    assert!(FIXUP.lint().is_empty());
    from_text::assert_same(include_str!("zero_head.rs"), &[FIXUP]);
}
