//! The run time: the seeded generator and samplers, filling `ndarray`
//! tensors, the sampled network and its training. Imports only from
//! [`crate::rules`], never the other way.

pub mod alloc;
pub mod checkpoint;
pub mod counter;
pub mod error;
pub mod files;
pub mod fill;
pub mod format;
pub mod generator;
pub mod layers;
pub mod mode;
pub mod network;
pub mod orthogonal;
pub mod philox;
pub mod product;
pub mod sample;
pub mod sampler;
pub mod scratch;
pub mod spec;
pub mod train;
