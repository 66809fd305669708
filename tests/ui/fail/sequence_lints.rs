// A constant token table starts every id as the same vector: an error by
// default, which `#[allow(constant_init)]` lowers.
const CONSTANT_TABLE: netinit::NetworkSpec = netinit::network![
    input(tokens = 16),
    embedding(256 -> 64, init = zeros),
    dense(64 -> 256, softmax),
];

// A constant position table, the same for every position.
const CONSTANT_POSITIONS: netinit::NetworkSpec = netinit::network![
    input(tokens = 16),
    embedding(256 -> 64),
    position_embedding(16 -> 64, init = constant(0.02)),
    dense(64 -> 256, softmax),
];

// Allowed, the table may start constant.
const ALLOWED_TABLE: netinit::NetworkSpec = netinit::network![
    input(tokens = 16),
    #[allow(constant_init)]
    embedding(256 -> 64, init = zeros),
    dense(64 -> 256, softmax),
];

// Constant projections tie attention's features forever: no attribute
// lowers it.
const CONSTANT_ATTENTION: netinit::NetworkSpec = netinit::network![
    input(tokens = 16),
    embedding(256 -> 64),
    residual(layer_norm(64), #[allow(constant_init)] attention(64, heads = 4, init = zeros)),
    dense(64 -> 256, softmax),
];

fn main() {}
