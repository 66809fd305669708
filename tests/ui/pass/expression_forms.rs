// The expression form in const, static and let position, several side by side.
#[path = "support/from_text.rs"]
mod from_text;

use netinit::{network, NetworkSpec};

const MNIST: NetworkSpec = network![dense(784 -> 256, relu), dense(256 -> 10, softmax)];
const OTHER: NetworkSpec = network![dense(784 -> 10, softmax)];
static STATIC: NetworkSpec = network![dense(3 -> 4, tanh), dense(4 -> 2, sigmoid),];

fn main() {
    let local = network![
        dense(1_000 -> 5_00, gelu),
        dense(500 -> 10, identity),
    ];
    assert_eq!(MNIST.parameter_count(), 203_530);
    assert_eq!(OTHER.layers().len(), 1);
    assert_eq!(STATIC.outputs(), 2);
    assert_eq!(local.inputs(), 1000);
    assert_eq!(local.output_shapes()[0], netinit::Shape::Features(500));
    from_text::assert_same(include_str!("expression_forms.rs"), &[MNIST, OTHER, STATIC.clone(), local]);
}
