// The same depth drawn from N(0, 0.01²): the signal vanishes. `#[deny]` on
// the item turns our warning into an error.
netinit::network! {
    #[deny(signal_drift)]
    #[allow(init_scale)]
    pub struct Tiny {
        dense(256 -> 256, relu, init = normal(std = 0.01)),
        dense(256 -> 256, relu, init = normal(std = 0.01)),
        dense(256 -> 256, relu, init = normal(std = 0.01)),
        dense(256 -> 10, softmax),
    }
}

fn main() {
    let _ = Tiny::init(0);
}
