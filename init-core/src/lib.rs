//! The rules of netinit, and with the `runtime` feature its sampler and network.
//!
//! Without default features this crate is plain code with no dependencies
//! but `libm` (for bit-reproducible `exp`, `erf`, `tanh`): activations and
//! their moment-matched gains, init schemes and fans, network descriptions
//! and their validation, the mean-field signal analysis and the lints. The
//! `network!` macro runs exactly this code at compile time. Users depend on
//! the `netinit` facade, which re-exports everything here.

#![deny(missing_docs)]

#[cfg(feature = "runtime")]
mod activate;
mod activation;
#[cfg(feature = "runtime")]
mod error;
#[cfg(feature = "runtime")]
pub mod fill;
mod gaussian;
#[cfg(feature = "runtime")]
mod generator;
mod lint;
pub mod names;
#[cfg(feature = "runtime")]
mod network;
#[cfg(feature = "runtime")]
mod orthogonal;
#[cfg(feature = "runtime")]
mod sample;
mod scheme;
pub mod signal;
mod spec;
mod spelling;
#[cfg(feature = "runtime")]
mod train;

pub use activation::{Activation, SELU_ALPHA, SELU_LAMBDA};
pub use gaussian::expectation;
pub use lint::{check, Diagnostic, Level, Lint, DRIFT_LIMIT_LOG2, SETTLING_LOG2};
pub use scheme::{
    Distribution, Draw, Family, FanMode, Fans, Init, VarianceScaling, TRUNCATED_NORMAL_STD_CORRECTION,
    TRUNCATION,
};
pub use spec::{validate, LayerSpec, NetworkSpec, Part, SpecError};

#[cfg(feature = "runtime")]
pub use error::Error;
#[cfg(feature = "runtime")]
pub use generator::{generator, Generator, LayerStreams};
#[cfg(feature = "runtime")]
pub use network::{Dense, Network};
pub use spelling::{InitArgument, InitCallError, ParseInitError};
#[cfg(feature = "runtime")]
pub use train::{shuffled, Evaluation, Gradients, Loss, Optimizer, Targets, Trainer};
