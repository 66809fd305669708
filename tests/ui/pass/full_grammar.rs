// Every activation, init and option of the grammar, lint attributes on layers
// and on the network, `_` separators and trailing commas.
#![deny(warnings)]

#[path = "support/from_text.rs"]
mod from_text;

use netinit::{network, Activation, Distribution, FanMode, Init, NetworkSpec};

const EVERYTHING: NetworkSpec = network![
    #![allow(softmax_hidden, init_scale)]
    dense(1_024 -> 512, identity, init = lecun_normal),
    dense(512 -> 512, linear, init = xavier_uniform, bias = normal(std = 0.01),),
    dense(512 -> 512, relu, dist = uniform, mode = fan_out),
    dense(512 -> 512, leaky_relu(0.2), init = he_uniform, gain = 1.3),
    dense(512 -> 512, elu(1.0), dist = truncated_normal),
    dense(512 -> 512, gelu, init = orthogonal, gain = 1.0),
    dense(512 -> 512, silu, init = he_normal, mode = fan_avg),
    dense(512 -> 512, selu, init = lecun_uniform),
    dense(512 -> 512, softplus, bias = uniform(bound = 0.1)),
    dense(512 -> 512, tanh, init = xavier_normal, bias = ones),
    #[allow(init_mismatch)]
    dense(512 -> 512, sigmoid, init = he_normal, bias = zeros),
    dense(512 -> 512, softmax, init = truncated_normal(std = 0.05), bias = constant(-0.5)),
    dense(512 -> 256, tanh, init = normal(std = 0.05)),
    dense(256 -> 10, softmax, init = uniform(bound = 0.1), bias = truncated_normal(std = 0.01),),
];

fn main() {
    let spec = EVERYTHING;
    let layers = spec.layers();
    assert_eq!(layers.len(), 14);
    assert_eq!(layers[0].inputs(), 1024);
    assert_eq!(layers[3].activation(), Activation::LeakyRelu(0.2));
    let Init::Scaled(scaling) = layers[2].weight() else { panic!("he derived") };
    assert_eq!(scaling.distribution, Distribution::Uniform);
    assert_eq!(scaling.mode, FanMode::FanOut);
    let Init::Scaled(scaling) = layers[3].weight() else { panic!("he_uniform") };
    assert_eq!(scaling.gain, Some(1.3));
    assert_eq!(layers[11].bias(), Init::Constant { value: -0.5 });
    assert_eq!(layers[1].activation(), Activation::Identity);
    from_text::assert_same(include_str!("full_grammar.rs"), &[EVERYTHING]);
}
