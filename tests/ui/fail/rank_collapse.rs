#![deny(warnings)]

// 24 attention layers without residual connections: every layer averages
// the tokens, and the analysis predicts they end as nearly one vector.
netinit::network! {
    #[derive(Debug)]
    #[allow(signal_drift)]
    struct NoSkips {
        input(tokens = 16),
        embedding(256 -> 64),
        attention(64, heads = 4), attention(64, heads = 4), attention(64, heads = 4), attention(64, heads = 4),
        attention(64, heads = 4), attention(64, heads = 4), attention(64, heads = 4), attention(64, heads = 4),
        attention(64, heads = 4), attention(64, heads = 4), attention(64, heads = 4), attention(64, heads = 4),
        attention(64, heads = 4), attention(64, heads = 4), attention(64, heads = 4), attention(64, heads = 4),
        attention(64, heads = 4), attention(64, heads = 4), attention(64, heads = 4), attention(64, heads = 4),
        attention(64, heads = 4), attention(64, heads = 4), attention(64, heads = 4), attention(64, heads = 4),
        dense(64 -> 256, softmax),
    }
}

// The same depth in pre-norm residual blocks keeps the tokens apart.
const PRE_NORM: netinit::NetworkSpec = netinit::network![
    input(tokens = 16),
    embedding(256 -> 64),
    residual(layer_norm(64), attention(64, heads = 4)), residual(layer_norm(64), attention(64, heads = 4)),
    residual(layer_norm(64), attention(64, heads = 4)), residual(layer_norm(64), attention(64, heads = 4)),
    residual(layer_norm(64), attention(64, heads = 4)), residual(layer_norm(64), attention(64, heads = 4)),
    residual(layer_norm(64), attention(64, heads = 4)), residual(layer_norm(64), attention(64, heads = 4)),
    residual(layer_norm(64), attention(64, heads = 4)), residual(layer_norm(64), attention(64, heads = 4)),
    residual(layer_norm(64), attention(64, heads = 4)), residual(layer_norm(64), attention(64, heads = 4)),
    residual(layer_norm(64), attention(64, heads = 4)), residual(layer_norm(64), attention(64, heads = 4)),
    residual(layer_norm(64), attention(64, heads = 4)), residual(layer_norm(64), attention(64, heads = 4)),
    residual(layer_norm(64), attention(64, heads = 4)), residual(layer_norm(64), attention(64, heads = 4)),
    residual(layer_norm(64), attention(64, heads = 4)), residual(layer_norm(64), attention(64, heads = 4)),
    residual(layer_norm(64), attention(64, heads = 4)), residual(layer_norm(64), attention(64, heads = 4)),
    residual(layer_norm(64), attention(64, heads = 4)), residual(layer_norm(64), attention(64, heads = 4)),
    layer_norm(64),
    dense(64 -> 256, softmax),
];

fn main() {}
