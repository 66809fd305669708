// The item form reports errors at the user's tokens, and the struct is still
// defined, so its uses do not cascade into more errors.
netinit::network! {
    pub struct Mnist {
        dense(784 -> 256, relu),
        dense(255 -> 10, softmax),
    }
}

fn main() {
    let model = Mnist::init(0);
    let _ = model.layers();
}
