//! The rules of netinit, and with the `runtime` feature its sampler and network.
//!
//! Without default features this crate is plain code with no dependencies
//! but `libm` (for bit-reproducible `exp`, `erf`, `tanh`): activations and
//! their moment-matched gains, init schemes and fans, network descriptions
//! and their validation, the mean-field signal analysis and the lints. The
//! `network!` macro runs exactly this code at compile time. Users depend on
//! the `netinit` facade, which re-exports everything here.

#![deny(missing_docs)]

mod activation;
mod gaussian;
mod lint;
pub mod names;
mod scheme;
pub mod signal;
mod spec;

pub use activation::{Activation, SELU_ALPHA, SELU_LAMBDA};
pub use gaussian::expectation;
pub use lint::{check, Diagnostic, Level, Lint, DRIFT_LIMIT_LOG2, SETTLING_LOG2};
pub use scheme::{
    Distribution, Draw, Family, FanMode, Fans, Init, VarianceScaling, TRUNCATED_NORMAL_STD_CORRECTION,
    TRUNCATION,
};
pub use spec::{validate, LayerSpec, NetworkSpec, Part, SpecError};
