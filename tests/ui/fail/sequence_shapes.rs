// Attention splits each token's features evenly among its heads.
const HEADS_DIVIDE: netinit::NetworkSpec = netinit::network![
    input(tokens = 16),
    embedding(256 -> 64),
    attention(64, heads = 5),
];

// A patch must tile the image's height and width.
const PATCH_TILES: netinit::NetworkSpec = netinit::network![
    input(1, 28, 30),
    patches(7),
];

// An embedding looks up token ids, which only `input(tokens = T)` gives.
const EMBEDDING_NEEDS_IDS: netinit::NetworkSpec = netinit::network![
    input(784),
    embedding(256 -> 64),
];

// An embedding comes right after the ids.
const EMBEDDING_AFTER_VECTORS: netinit::NetworkSpec = netinit::network![
    input(tokens = 16),
    embedding(256 -> 64),
    embedding(64 -> 64),
];

// A position table has one row per token.
const POSITIONS_PER_TOKEN: netinit::NetworkSpec = netinit::network![
    input(tokens = 64),
    embedding(256 -> 128),
    position_embedding(32 -> 128),
];

// The position table's features are the tokens'.
const POSITION_WIDTH: netinit::NetworkSpec = netinit::network![
    input(tokens = 64),
    embedding(256 -> 128),
    position_embedding(64 -> 96),
];

// A sequence is not an image.
const SEQUENCE_TO_CONV: netinit::NetworkSpec = netinit::network![
    input(tokens = 16),
    embedding(256 -> 64),
    conv2d(64 -> 32, relu, kernel = 3),
];

// An image is not a sequence: it becomes one through `patches`.
const IMAGE_TO_ATTENTION: netinit::NetworkSpec = netinit::network![
    input(1, 28, 28),
    attention(28, heads = 4),
];

// `mean_tokens` pools a sequence; features are one vector already.
const MEAN_OF_FEATURES: netinit::NetworkSpec = netinit::network![
    input(784),
    dense(784 -> 64, relu),
    mean_tokens,
    dense(64 -> 10, softmax),
];

// Attention's width is the tokens'.
const ATTENTION_WIDTH: netinit::NetworkSpec = netinit::network![
    input(tokens = 16),
    embedding(256 -> 64),
    attention(32, heads = 4),
];

// Token ids go through an embedding before any dense layer.
const DENSE_ON_IDS: netinit::NetworkSpec = netinit::network![
    input(tokens = 16),
    dense(16 -> 10, softmax),
];

// A batch normalization would mix a sequence's tokens.
const BATCH_NORM_ON_TOKENS: netinit::NetworkSpec = netinit::network![
    input(tokens = 16),
    embedding(256 -> 64),
    batch_norm(64),
];

// A sequence's features per token are `rms_norm`'s.
const RMS_WIDTH: netinit::NetworkSpec = netinit::network![
    input(tokens = 16),
    embedding(256 -> 64),
    rms_norm(128),
];

fn main() {}
