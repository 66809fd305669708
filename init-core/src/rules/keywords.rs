//! Every word the DSL knows, in one place: the reader, the printer, the
//! name lists in messages and the enums' `name()` all use these constants,
//! so a name is written once.

/// `dense(IN -> OUT, ACTIVATION, …)`.
pub const DENSE: &str = "dense";
/// `input(C, H, W)` or `input(N)`.
pub const INPUT: &str = "input";
/// `conv2d(IN -> OUT, ACTIVATION, kernel = K, …)`.
pub const CONV2D: &str = "conv2d";
/// `max_pool2d(K [, stride = S])`.
pub const MAX_POOL2D: &str = "max_pool2d";
/// `avg_pool2d(K [, stride = S])`.
pub const AVG_POOL2D: &str = "avg_pool2d";
/// `global_avg_pool2d`.
pub const GLOBAL_AVG_POOL2D: &str = "global_avg_pool2d";
/// `flatten`.
pub const FLATTEN: &str = "flatten";
/// `layer_norm(N)`.
pub const LAYER_NORM: &str = "layer_norm";
/// `batch_norm(C)`.
pub const BATCH_NORM: &str = "batch_norm";
/// `rms_norm(D)`.
pub const RMS_NORM: &str = "rms_norm";
/// `embedding(V -> D)`.
pub const EMBEDDING: &str = "embedding";
/// `position_embedding(T -> D)`.
pub const POSITION_EMBEDDING: &str = "position_embedding";
/// `patches(P)`.
pub const PATCHES: &str = "patches";
/// `attention(D, heads = H)`.
pub const ATTENTION: &str = "attention";
/// `mean_tokens`.
pub const MEAN_TOKENS: &str = "mean_tokens";
/// `residual(LAYER, …[, shortcut = LAYER | (LAYER, …)][, scale = none])`.
pub const RESIDUAL: &str = "residual";
/// `shortcut = LAYER` or `shortcut = (LAYER, …)` in a residual block.
pub const SHORTCUT: &str = "shortcut";
/// `scale = none` on a residual block: its branch's last layer keeps its init.
pub const SCALE: &str = "scale";
/// `scale = derived` on a residual block: the derived branch scaling (the default).
pub const DERIVED: &str = "derived";
/// A residual block's options, as listed in messages.
pub const RESIDUAL_OPTIONS: &[&str] = &[SHORTCUT, SCALE];

/// The tensor PyTorch calls `weight`: a layer's weights, a normalization's `γ`.
pub const WEIGHT: &str = "weight";

/// `init = INIT`: the weight init.
pub const INIT: &str = "init";
/// `bias = INIT`: the bias init.
pub const BIAS: &str = "bias";
/// `dist = DISTRIBUTION`: the distribution of a variance-scaling init.
pub const DIST: &str = "dist";
/// `mode = FAN MODE`: the fan a variance-scaling init divides by.
pub const MODE: &str = "mode";
/// `gain = F`: the gain of a variance-scaling or orthogonal init.
pub const GAIN: &str = "gain";
/// A layer's options, as listed in messages.
pub const OPTIONS: &[&str] = &[INIT, BIAS, DIST, MODE, GAIN];
/// `kernel = K` or `kernel = (KH, KW)`: a convolution's window.
pub const KERNEL: &str = "kernel";
/// `stride = S` or `stride = (SH, SW)`: how far a window moves.
pub const STRIDE: &str = "stride";
/// `padding = P`, `padding = (PH, PW)` or `padding = same`: a convolution's zeros at the borders.
pub const PADDING: &str = "padding";
/// `padding = same`.
pub const SAME: &str = "same";
/// `bias = none`: a layer without biases.
pub const NONE: &str = "none";
/// `gamma = INIT`: a normalization's scales.
pub const GAMMA: &str = "gamma";
/// `beta = INIT`: a normalization's shifts.
pub const BETA: &str = "beta";
/// `epsilon = F`: what a normalization adds to the variance.
pub const EPSILON: &str = "epsilon";
/// `tokens = T`: the tokens of `input(tokens = T)`.
pub const TOKENS: &str = "tokens";
/// `features = D`: the features of each token of `input(tokens = T, features = D)`.
pub const FEATURES: &str = "features";
/// `heads = H`: attention's heads.
pub const HEADS: &str = "heads";
/// `mask = causal`: which tokens attention lets each token see.
pub const MASK: &str = "mask";
/// `mask = causal`: each token sees itself and the tokens before it.
pub const CAUSAL: &str = "causal";
/// The masks of `mask =`.
pub const MASKS: &[&str] = &[CAUSAL, NONE];

/// The identity activation.
pub const IDENTITY: &str = "identity";
/// Another name for the identity.
pub const LINEAR: &str = "linear";
/// `max(0, x)`.
pub const RELU: &str = "relu";
/// `leaky_relu(α)`.
pub const LEAKY_RELU: &str = "leaky_relu";
/// `elu(α)`.
pub const ELU: &str = "elu";
/// GELU with the exact Gaussian CDF.
pub const GELU: &str = "gelu";
/// SiLU (swish).
pub const SILU: &str = "silu";
/// SELU.
pub const SELU: &str = "selu";
/// `ln(1 + exp(x))`.
pub const SOFTPLUS: &str = "softplus";
/// `tanh(x)`.
pub const TANH: &str = "tanh";
/// The logistic sigmoid.
pub const SIGMOID: &str = "sigmoid";
/// Softmax over a row.
pub const SOFTMAX: &str = "softmax";
/// The activations, as listed in messages.
pub const ACTIVATIONS: &[&str] = &[
    IDENTITY, LINEAR, RELU, LEAKY_RELU, ELU, GELU, SILU, SELU, SOFTPLUS, TANH, SIGMOID, SOFTMAX,
];

/// He normal.
pub const HE_NORMAL: &str = "he_normal";
/// He uniform.
pub const HE_UNIFORM: &str = "he_uniform";
/// Xavier normal.
pub const XAVIER_NORMAL: &str = "xavier_normal";
/// Xavier uniform.
pub const XAVIER_UNIFORM: &str = "xavier_uniform";
/// LeCun normal.
pub const LECUN_NORMAL: &str = "lecun_normal";
/// LeCun uniform.
pub const LECUN_UNIFORM: &str = "lecun_uniform";
/// A (semi-)orthogonal matrix.
pub const ORTHOGONAL: &str = "orthogonal";
/// `normal(std = F)`, and the normal distribution of `dist =`.
pub const NORMAL: &str = "normal";
/// `uniform(bound = F)`, and the uniform distribution of `dist =`.
pub const UNIFORM: &str = "uniform";
/// `truncated_normal(std = F)`, and the distribution of `dist =`.
pub const TRUNCATED_NORMAL: &str = "truncated_normal";
/// All zeros.
pub const ZEROS: &str = "zeros";
/// All ones.
pub const ONES: &str = "ones";
/// `constant(F)`.
pub const CONSTANT: &str = "constant";
/// The inits, as listed in messages.
pub const INITS: &[&str] = &[
    HE_NORMAL,
    HE_UNIFORM,
    XAVIER_NORMAL,
    XAVIER_UNIFORM,
    LECUN_NORMAL,
    LECUN_UNIFORM,
    ORTHOGONAL,
    NORMAL,
    UNIFORM,
    TRUNCATED_NORMAL,
    ZEROS,
    ONES,
    CONSTANT,
];

/// The key of `normal(std = F)` and `truncated_normal(std = F)`.
pub const STD: &str = "std";
/// The key of `uniform(bound = F)`.
pub const BOUND: &str = "bound";

/// The distributions of `dist =`.
pub const DISTRIBUTIONS: &[&str] = &[NORMAL, UNIFORM, TRUNCATED_NORMAL];

/// Divide by the fan-in.
pub const FAN_IN: &str = "fan_in";
/// Divide by the fan-out.
pub const FAN_OUT: &str = "fan_out";
/// Divide by their mean.
pub const FAN_AVG: &str = "fan_avg";
/// The fan modes of `mode =`.
pub const FAN_MODES: &[&str] = &[FAN_IN, FAN_OUT, FAN_AVG];

/// Constant weight init.
pub const CONSTANT_INIT: &str = "constant_init";
/// An init family that does not match the activation.
pub const INIT_MISMATCH: &str = "init_mismatch";
/// An init whose variance is far from the one matched to the activation.
pub const INIT_SCALE: &str = "init_scale";
/// Predicted growth or shrinkage with depth.
pub const SIGNAL_DRIFT: &str = "signal_drift";
/// Softmax on a hidden layer.
pub const SOFTMAX_HIDDEN: &str = "softmax_hidden";
/// A forward pass predicted to leave f32's range.
pub const F32_OVERFLOW: &str = "f32_overflow";
/// Tokens predicted to become nearly the same vector.
pub const RANK_COLLAPSE: &str = "rank_collapse";
/// The lints, as listed in messages.
pub const LINTS: &[&str] = &[
    CONSTANT_INIT,
    INIT_MISMATCH,
    INIT_SCALE,
    SIGNAL_DRIFT,
    SOFTMAX_HIDDEN,
    F32_OVERFLOW,
    RANK_COLLAPSE,
];

/// Other libraries' names for netinit's layer kinds, lowercase and without
/// underscores, as a misspelt layer is matched: PyTorch's `nn.Linear`,
/// `nn.Conv2d` written `conv`, `nn.BatchNorm1d`/`2d`,
/// `nn.AdaptiveAvgPool2d` (to one position, netinit's global pooling).
pub const LAYER_ALIASES: &[(&str, &str)] = &[
    ("linear", DENSE),
    ("conv", CONV2D),
    ("batchnorm1d", BATCH_NORM),
    ("batchnorm2d", BATCH_NORM),
    ("adaptiveavgpool2d", GLOBAL_AVG_POOL2D),
    ("rmsnorm", RMS_NORM),
    ("layernorm", LAYER_NORM),
    ("multiheadattention", ATTENTION),
    ("selfattention", ATTENTION),
    ("positionalembedding", POSITION_EMBEDDING),
    ("posembedding", POSITION_EMBEDDING),
    ("patchembedding", PATCHES),
    ("meanpool", MEAN_TOKENS),
];

/// `#[allow(…)]`.
pub const ALLOW: &str = "allow";
/// `#[warn(…)]`.
pub const WARN: &str = "warn";
/// `#[deny(…)]`.
pub const DENY: &str = "deny";
/// `#[forbid(…)]`.
pub const FORBID: &str = "forbid";
/// The lint levels, as listed in messages.
pub const LEVELS: &[&str] = &[ALLOW, WARN, DENY, FORBID];

/// Whether `word` is `keyword`, in a `const fn` (where `==` on strings is
/// not available).
pub(crate) const fn same(word: &str, keyword: &str) -> bool {
    let (word, keyword) = (word.as_bytes(), keyword.as_bytes());
    if word.len() != keyword.len() {
        return false;
    }
    let mut at = 0;
    while at < word.len() {
        if word[at] != keyword[at] {
            return false;
        }
        at += 1;
    }
    true
}
