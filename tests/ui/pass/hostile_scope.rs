// Generated code names everything absolutely: it compiles with no prelude,
// with every warning denied, and beside items that shadow common names.
#![no_implicit_prelude]
#![deny(warnings)]

#[path = "support/from_text.rs"]
mod from_text;

#[allow(dead_code)]
struct Vec;
#[allow(dead_code)]
struct Result;
#[allow(dead_code)]
struct Option;
#[allow(dead_code)]
struct LayerSpec;
#[allow(dead_code, non_camel_case_types)]
struct u64;
#[allow(dead_code)]
mod core {}
#[allow(dead_code)]
mod ndarray {}
#[allow(dead_code)]
mod rand {}

const SPEC: ::netinit::NetworkSpec = ::netinit::network![
    dense(784 -> 256, leaky_relu(0.01), gain = 1.2),
    dense(256 -> 10, softmax, init = orthogonal),
];

::netinit::network! {
    /// Documented, as `missing_docs` would ask.
    pub struct Hostile {
        dense(4 -> 4, elu(1.0), bias = constant(0.1)),
    }
}

fn main() {
    let _ = SPEC.layers();
    let _ = Hostile::init(0);
    from_text::assert_same(::std::include_str!("hostile_scope.rs"), &[SPEC, Hostile::SPEC]);
}
