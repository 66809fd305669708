//! The rules of netinit, and with the `runtime` feature its sampler and network.
//!
//! Without default features this crate is plain code whose only
//! dependencies are `libm` (for bit-reproducible `exp`, `erf`, `tanh`), the
//! DSL's reader, `syn` and `proc-macro2`, and `quote`, with which each kind
//! writes the constant the macro expands to: activations and their
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
/// The layer kinds' specs, [`LayerKind`] and [`LayerSpec`]: every kind the
/// table lists is exported here, and through the facade.
pub mod layers {
    pub use crate::rules::layer::public::*;
}
pub use layers::*;
/// The name [`AffineSpec`] had while dense was the only kind with weights.
#[deprecated(since = "0.2.0", note = "renamed `AffineSpec`: dense and conv2d share it")]
pub type DenseSpec = AffineSpec;
pub use rules::error::{ChainError, Diagnosis, InitError, SizeError, Sort, SpecError, StructureError};
pub use rules::levels::{Level, Lint, LintLevels};
pub use rules::limits::{
    MAX_ATTENDED, MAX_PARAMETERS, MAX_PLANE, MAX_SIDE, MAX_VALUES, MAX_VOCABULARY, MIN_EPSILON,
};
pub use rules::lint::{Finding, COLLAPSE_LIMIT, DRIFT_LIMIT_LOG2, SETTLING_LOG2};
pub use rules::network::NetworkSpec;
pub use rules::parameter::{ParameterSpec, Role, Stream};
pub use rules::part::Part;
pub use rules::path::LayerPath;
pub use rules::shape::Shape;
pub use rules::signal;
pub use rules::summary::Summary;
pub use rules::validate::validate;

#[cfg(feature = "runtime")]
pub use runtime::checkpoint::{self, CheckpointError};
#[cfg(feature = "runtime")]
pub use runtime::error::Error;
#[cfg(feature = "runtime")]
pub use runtime::files;
#[cfg(feature = "runtime")]
pub use runtime::fill;
#[cfg(feature = "runtime")]
pub use runtime::format::{Origin, SamplerFormat};
#[cfg(feature = "runtime")]
pub use runtime::generator::{generator, Generator};
#[cfg(feature = "runtime")]
pub use runtime::layers::{Layer, Tensor};
#[cfg(feature = "runtime")]
pub use runtime::mode::Mode;
#[cfg(feature = "runtime")]
pub use runtime::network::Network;
#[cfg(feature = "runtime")]
pub use runtime::train::backprop::Gradients;
#[cfg(feature = "runtime")]
pub use runtime::train::evaluate::Evaluation;
#[cfg(feature = "runtime")]
pub use runtime::train::loss::{Loss, Targets};
#[cfg(feature = "runtime")]
pub use runtime::train::optim::{Optimizer, LEARNING_RATES, MAX_EPSILON_PER_RATE};
#[cfg(feature = "runtime")]
pub use runtime::train::schedule::Schedule;
#[cfg(feature = "runtime")]
pub use runtime::train::trainer::Trainer;
