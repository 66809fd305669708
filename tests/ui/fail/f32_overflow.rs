// Finite weights whose forward pass leaves f32's range: an error by
// default, at the layer where the values pass it.
use netinit::{network, NetworkSpec};

const WIDE: NetworkSpec = network![
    #![allow(init_scale, signal_drift)]
    dense(64 -> 64, identity, init = normal(std = 1e10)),
    dense(64 -> 64, identity, init = normal(std = 1e10)),
    dense(64 -> 64, identity, init = normal(std = 1e10)),
    dense(64 -> 64, identity, init = normal(std = 1e10)),
];

const EDGE: NetworkSpec = network![#![allow(init_scale, signal_drift)] dense(8 -> 8, tanh, init = uniform(bound = 3.4e38))];

const GAMMA: NetworkSpec = network![dense(8 -> 8, relu), layer_norm(8, gamma = constant(3e38))];

// Allowed where the inputs are known to be that much smaller than 1.
const ALLOWED: NetworkSpec = network![
    #![allow(f32_overflow, signal_drift, init_scale)]
    dense(8 -> 8, relu, init = uniform(bound = 3.4e38))
];

fn main() {
    let _ = (WIDE, EDGE, GAMMA, ALLOWED);
}
