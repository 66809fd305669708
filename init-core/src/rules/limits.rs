//! The limits netinit holds every network to, in one place: every check
//! and every message that names one reads it here.

/// The longest side of a plane [`MAX_PLANE`] allows.
pub const MAX_SIDE: usize = 8192;

/// The most positions a plane may have: 8192 × 8192. The signal analysis
/// follows every position of a plane, at compile time too.
pub const MAX_PLANE: usize = MAX_SIDE * MAX_SIDE;

/// The most groups (`( )`, `[ ]`, `{ }`) the DSL nests: a residual block
/// inside another takes one level, a layer's arguments and an init's one
/// more each. The reader recurses into groups, so a bound keeps its stack
/// bounded.
pub const MAX_NESTING: usize = 64;

/// The most characters a number in the DSL may have: enough for any
/// f64 written without an exponent (`1e-308` takes 310), and far below
/// where reading its digits would take time.
pub const MAX_LITERAL: usize = 400;

/// The most values one example may have between two layers (2^31), so
/// that a batch's index arithmetic stays well inside `usize` and `u32`.
pub const MAX_VALUES: usize = 1 << 31;

/// The most parameters a network may have: what a sampler's buffer of
/// 8-byte values can address (`isize::MAX` bytes). A network within it can
/// still need more memory than a machine has; `NetworkSpec::try_init`
/// reports that.
pub const MAX_PARAMETERS: usize = isize::MAX as usize / 8;

/// The smallest `ε` a normalization takes: an example whose features are
/// all equal has its gradient multiplied by `1/√ε`, at most 10^6 from here.
pub const MIN_EPSILON: f64 = 1e-12;

/// The most tokens attention attends over: each head's scores are a `(T,
/// T)` matrix, 64 MiB of f32 at 4096 tokens, which a pass holds two of per
/// thread.
pub const MAX_ATTENDED: usize = 1 << 12;

/// The most token ids an embedding may have (2^24): ids travel through a
/// batch as `f32` values, which hold every whole number up to here exactly.
pub const MAX_VOCABULARY: usize = 1 << 24;
