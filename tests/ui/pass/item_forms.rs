// The item form with docs and any visibility, at module level and in a body.
#[path = "support/from_text.rs"]
mod from_text;

use netinit::network;

network! {
    /// A Fashion-MNIST classifier. The user's derives go on the struct.
    #[derive(Clone, Debug, PartialEq)]
    pub struct Mnist {
        dense(784 -> 256, relu),
        dense(256 -> 10, softmax),
    }
}

mod inner {
    netinit::network! {
        pub(crate) struct Small { dense(4 -> 2, tanh) }
    }
}

network! {
    #[allow(init_mismatch)]
    struct Quiet {
        dense(8 -> 8, relu, init = xavier_uniform),
    }
}

fn main() {
    network! {
        struct Local {
            dense(2 -> 3, relu),
            dense(3 -> 1, sigmoid),
        }
    }
    let model = Mnist::init(1);
    assert_eq!(model.clone(), model);
    assert!(format!("{model:?}").starts_with("Mnist"));
    assert_eq!(model.layers()[0].weight().dim(), (256, 784));
    assert_eq!(Mnist::SPEC.parameter_count(), 203_530);
    assert_eq!(inner::Small::SPEC.inputs(), 4);
    assert_eq!(Local::init(0).outputs(), 1);
    assert_eq!(Quiet::init(3).into_network().inputs(), 8);
    from_text::assert_same(include_str!("item_forms.rs"), &[Mnist::SPEC, inner::Small::SPEC, Quiet::SPEC, Local::SPEC]);
}
