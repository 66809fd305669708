//! The rules of netinit, and with the `runtime` feature its sampler and network.
//!
//! Without default features this crate is plain code whose only
//! dependencies are `libm` (for bit-reproducible `exp`, `erf`, `tanh`) and
//! the DSL's reader, `syn` and `proc-macro2`: activations and their
//! moment-matched gains, init schemes and fans, network descriptions and
//! their validation, the mean-field signal analysis, the lints and the DSL.
//! The `network!` macro runs exactly this code at compile time. Users depend
//! on the `netinit` facade, which re-exports what they need from here.

#![deny(missing_docs)]

mod rules;
#[cfg(feature = "runtime")]
mod runtime;

pub use rules::activation::{Activation, MAX_ALPHA, SELU_ALPHA, SELU_LAMBDA};
pub use rules::dsl;
pub use rules::fans::{FanMode, Fans};
pub use rules::gaussian::expectation;
pub use rules::init::{
    Distribution, Draw, Family, Init, VarianceScaling, LARGEST_NORMAL, SMALLEST_SCALE,
    TRUNCATED_NORMAL_STD_CORRECTION, TRUNCATION,
};
pub use rules::layer::{
    AffineSpec, Conv2dSpec, LayerKind, LayerSpec, NormSpec, Padding, PoolSpec, DEFAULT_EPSILON, MIN_EPSILON,
};
/// The name [`AffineSpec`] had while dense was the only kind with weights.
#[deprecated(since = "0.2.0", note = "renamed `AffineSpec`: dense and conv2d share it")]
pub type DenseSpec = AffineSpec;
pub use rules::flow::{MAX_PLANE, MAX_SIDE, MAX_VALUES};
pub use rules::levels::{Level, Lint, LintLevels};
pub use rules::lint::{Finding, DRIFT_LIMIT_LOG2, SETTLING_LOG2};
pub use rules::network::NetworkSpec;
pub use rules::part::Part;
pub use rules::path::LayerPath;
pub use rules::shape::Shape;
pub use rules::signal;
pub use rules::summary::Summary;
pub use rules::validate::{validate, SpecError, MAX_PARAMETERS};

#[cfg(feature = "runtime")]
pub use runtime::checkpoint::{self, CheckpointError};
#[cfg(feature = "runtime")]
pub use runtime::error::Error;
#[cfg(feature = "runtime")]
pub use runtime::fill;
#[cfg(feature = "runtime")]
pub use runtime::format::{Origin, SamplerFormat};
#[cfg(feature = "runtime")]
pub use runtime::generator::{generator, Generator};
#[cfg(feature = "runtime")]
pub use runtime::layers::batch_norm::BatchNorm;
#[cfg(feature = "runtime")]
pub use runtime::layers::conv::Conv2d;
#[cfg(feature = "runtime")]
pub use runtime::layers::dense::Dense;
#[cfg(feature = "runtime")]
pub use runtime::layers::norm::LayerNorm;
#[cfg(feature = "runtime")]
pub use runtime::layers::Layer;
#[cfg(feature = "runtime")]
pub use runtime::network::{Mode, Network};
#[cfg(feature = "runtime")]
pub use runtime::train::backprop::{Evaluation, Gradients};
#[cfg(feature = "runtime")]
pub use runtime::train::loss::{Loss, Targets};
#[cfg(feature = "runtime")]
pub use runtime::train::optim::Optimizer;
#[cfg(feature = "runtime")]
pub use runtime::train::trainer::Trainer;
