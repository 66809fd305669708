// Thirty relu layers drawn from N(0, 1): the activations and the gradients
// explode. A warning, made an error by `deny(deprecated)`. (Each layer's own
// scale is `init_scale`'s business, allowed here.)
#![deny(deprecated)]

const NET: netinit::NetworkSpec = netinit::network![
    #![allow(init_scale)]
    dense(784 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 256, relu, init = normal(std = 1.0)),
    dense(256 -> 10, softmax),
];

// Twelve residual blocks with He relu branches, unscaled: each block
// adds its input's second moment and more, so the signal passes 2^10 at
// the seventh block's end.
const RESIDUAL: netinit::NetworkSpec = netinit::network![
    dense(784 -> 64, relu),
    residual(dense(64 -> 64, relu), dense(64 -> 64, relu), scale = none),
    residual(dense(64 -> 64, relu), dense(64 -> 64, relu), scale = none),
    residual(dense(64 -> 64, relu), dense(64 -> 64, relu), scale = none),
    residual(dense(64 -> 64, relu), dense(64 -> 64, relu), scale = none),
    residual(dense(64 -> 64, relu), dense(64 -> 64, relu), scale = none),
    residual(dense(64 -> 64, relu), dense(64 -> 64, relu), scale = none),
    residual(dense(64 -> 64, relu), dense(64 -> 64, relu), scale = none),
    residual(dense(64 -> 64, relu), dense(64 -> 64, relu), scale = none),
    residual(dense(64 -> 64, relu), dense(64 -> 64, relu), scale = none),
    residual(dense(64 -> 64, relu), dense(64 -> 64, relu), scale = none),
    residual(dense(64 -> 64, relu), dense(64 -> 64, relu), scale = none),
    residual(dense(64 -> 64, relu), dense(64 -> 64, relu), scale = none),
    dense(64 -> 10, softmax),
];

fn main() {
    let _ = (NET, RESIDUAL);
}
