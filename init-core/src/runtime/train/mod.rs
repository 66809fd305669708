//! Training: losses, the backward pass, SGD with momentum and Adam, and
//! epochs of shuffled mini-batches.

pub mod backprop;
pub mod evaluate;
#[cfg(test)]
mod gradcheck;
pub mod loss;
pub mod optim;
pub mod schedule;
pub mod trainer;
