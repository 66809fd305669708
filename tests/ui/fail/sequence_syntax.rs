// Attention needs its heads.
const NO_HEADS: netinit::NetworkSpec = netinit::network![
    input(tokens = 16),
    embedding(256 -> 64),
    attention(64),
];

// Zero heads attend to nothing; a patch of side 0 covers nothing.
const ZEROS: netinit::NetworkSpec = netinit::network![
    input(tokens = 16),
    embedding(256 -> 64),
    attention(64, heads = 0),
];
const ZERO_PATCH: netinit::NetworkSpec = netinit::network![
    input(1, 28, 28),
    patches(0),
];

// Misspelt kinds, options and values are told what they may have meant.
const MISSPELT: netinit::NetworkSpec = netinit::network![
    input(tokens = 16),
    embeding(256 -> 64),
    atention(64, heads = 4),
    rmsnorm(64),
];
const MISSPELT_OPTIONS: netinit::NetworkSpec = netinit::network![
    input(tokens = 16),
    embedding(256 -> 64),
    attention(64, head = 4),
    attention(64, heads = 4, mask = casual),
    attention(64, heads = 2.5),
];

// `input` takes sizes or tokens; `features` describes tokens.
const INPUT_FORMS: netinit::NetworkSpec = netinit::network![
    input(features = 8),
];
const INPUT_BOTH: netinit::NetworkSpec = netinit::network![
    input(784, tokens = 8),
];

// An embedding's vocabulary fits f32's exact whole numbers.
const VOCABULARY: netinit::NetworkSpec = netinit::network![
    input(tokens = 16),
    embedding(100000000 -> 8),
];

// Attention's biases start at zero; `bias = none` leaves them out.
const ATTENTION_BIAS: netinit::NetworkSpec = netinit::network![
    input(tokens = 16),
    embedding(256 -> 64),
    attention(64, heads = 4, bias = ones),
];

fn main() {}
