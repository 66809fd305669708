// The two examples' networks, as the issue declares them, compile
// without a diagnostic.

/// A vision transformer for Fashion-MNIST.
const VIT: netinit::NetworkSpec = netinit::network![
    input(1, 28, 28),
    patches(7),
    dense(49 -> 64, identity),
    position_embedding(16 -> 64),
    residual(layer_norm(64), attention(64, heads = 4)),
    residual(layer_norm(64), dense(64 -> 256, gelu), dense(256 -> 64, identity)),
    residual(layer_norm(64), attention(64, heads = 4)),
    residual(layer_norm(64), dense(64 -> 256, gelu), dense(256 -> 64, identity)),
    residual(layer_norm(64), attention(64, heads = 4)),
    residual(layer_norm(64), dense(64 -> 256, gelu), dense(256 -> 64, identity)),
    residual(layer_norm(64), attention(64, heads = 4)),
    residual(layer_norm(64), dense(64 -> 256, gelu), dense(256 -> 64, identity)),
    layer_norm(64),
    mean_tokens,
    dense(64 -> 10, softmax),
];

/// A byte-level causal language model.
const CHARLM: netinit::NetworkSpec = netinit::network![
    input(tokens = 64),
    embedding(256 -> 128),
    position_embedding(64 -> 128),
    residual(layer_norm(128), attention(128, heads = 4, mask = causal)),
    residual(layer_norm(128), dense(128 -> 512, gelu), dense(512 -> 128, identity)),
    residual(rms_norm(128), attention(128, heads = 4, mask = causal, bias = none)),
    residual(rms_norm(128), dense(128 -> 512, gelu), dense(512 -> 128, identity)),
    layer_norm(128),
    dense(128 -> 256, softmax),
];

fn main() {
    assert_eq!(VIT.output_shape(), netinit::Shape::Features(10));
    assert_eq!(CHARLM.output_shape(), netinit::Shape::sequence(64, 256));
}
