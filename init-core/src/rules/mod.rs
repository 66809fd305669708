//! The rules: activations and their gains, init schemes and fans, network
//! descriptions and their checks, the signal analysis and the lints. No
//! run-time dependency: the `network!` macro runs this code at compile time.

pub mod activation;
pub mod blocks;
pub mod dsl;
pub mod error;
pub mod fans;
pub mod flow;
pub mod gaussian;
pub mod init;
pub mod keywords;
pub mod layer;
pub mod levels;
pub mod limits;
pub mod lint;
pub mod network;
pub mod number;
pub mod parameter;
pub mod part;
pub mod path;
pub mod pytorch;
pub mod shape;
pub mod signal;
pub mod suggest;
pub mod summary;
pub mod tokens;
pub mod validate;
