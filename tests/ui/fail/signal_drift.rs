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

fn main() {
    let _ = NET;
}
