//! The sampled layers and what they compute.

pub mod activation;
pub mod dense;
