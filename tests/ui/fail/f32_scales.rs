// Scales are checked as the f32 values the weights become: a scale that
// rounds every weight to zero is a constant init; one whose samples pass
// f32's largest value, or an α far out of range, is an error.
const NET: netinit::NetworkSpec = netinit::network![
    dense(8 -> 8, relu, init = normal(std = 1e-50)),
    dense(8 -> 8, sigmoid, gain = 1e308),
    dense(8 -> 8, tanh, bias = uniform(bound = 1e308)),
    dense(8 -> 8, elu(1e154)),
    dense(8 -> 8, leaky_relu(1e50)),
    dense(8 -> 8, identity),
    layer_norm(8, gamma = constant(1e39), beta = normal(std = 1e308)),
    dense(8 -> 2, softmax),
];

fn main() {
    let _ = NET;
}
