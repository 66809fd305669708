//! Train a small convolutional network on Fashion-MNIST with its derived init.
//!
//! cargo run --release --example fashion_cnn -- [--epochs 5] [--batch-size 128]
//!     [--learning-rate 0.001] [--seed 0] [--data DIR]
//!
//! Data: `--data DIR`, else $NETINIT_FASHION_MNIST, else Debian's
//! dataset-fashion-mnist package, else the subset bundled in the repository.

use std::process::ExitCode;

#[path = "support/adam_run.rs"]
mod adam_run;
#[path = "support/data.rs"]
mod data;
#[path = "support/epochs.rs"]
mod epochs;

use clap::Parser;
use netinit::{network, NetworkSpec};

/// Two 3 × 3 convolutions, each halved by a max pooling, then two dense layers.
const CNN: NetworkSpec = network![
    input(1, 28, 28),
    conv2d(1 -> 32, relu, kernel = 3, padding = 1),
    max_pool2d(2),
    conv2d(32 -> 64, relu, kernel = 3, padding = 1),
    max_pool2d(2),
    flatten,
    dense(3136 -> 128, relu),
    dense(128 -> 10, softmax),
];

/// Train a small convolutional network (two 3 × 3 convolutions, each
/// halved by a max pooling, then two dense layers) on Fashion-MNIST with its
/// derived init, with Adam.
///
/// Data: `--data DIR`, else $NETINIT_FASHION_MNIST, else Debian's
/// dataset-fashion-mnist package, else the subset bundled in the repository.
#[derive(Parser)]
#[command(name = "fashion_cnn")]
struct Options {
    #[command(flatten)]
    run: adam_run::AdamRun,
}

fn main() -> ExitCode {
    epochs::finish(adam_run::train(&CNN, &Options::parse().run))
}
