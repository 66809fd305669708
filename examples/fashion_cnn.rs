//! Train a small convolutional network on Fashion-MNIST with its derived init.
//!
//! cargo run --release --example fashion_cnn -- [--epochs 5] [--batch-size 128]
//!     [--learning-rate 0.001] [--seed 0] [--data DIR]
//!
//! Data: `--data DIR`, else $NETINIT_FASHION_MNIST, else Debian's
//! dataset-fashion-mnist package, else the subset bundled in the repository.

use std::path::PathBuf;
use std::process::ExitCode;

#[path = "support/data.rs"]
mod data;
#[path = "support/epochs.rs"]
mod epochs;

use clap::Parser;
use netinit::{network, Loss, NetworkSpec, Optimizer, Trainer};

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
    /// Epochs to train.
    #[arg(long, value_name = "N", default_value_t = 5)]
    epochs: usize,
    /// Images per mini-batch (at least 1).
    #[arg(long, value_name = "N", default_value_t = 128, value_parser = batch_size)]
    batch_size: usize,
    /// Adam's step size.
    #[arg(long, value_name = "F", default_value_t = 1e-3)]
    learning_rate: f32,
    /// The seed of the weights and of the shuffles.
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u64,
    /// Read Fashion-MNIST from this folder.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
}

/// `--batch-size`: a count of at least 1.
fn batch_size(value: &str) -> Result<usize, String> {
    match value.parse() {
        Ok(0) => Err("a batch holds at least 1 image".into()),
        Ok(size) => Ok(size),
        Err(error) => Err(format!("{error}")),
    }
}

fn main() -> ExitCode {
    epochs::finish(run(&Options::parse()))
}

fn run(options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let data = epochs::load(options.data.as_deref())?;
    println!("{}\n", CNN.summary());
    let optimizer = Optimizer::adam(options.learning_rate);
    println!(
        "training: {} epochs, batch {}, {optimizer:?}, seed {}\n",
        options.epochs, options.batch_size, options.seed
    );
    let mut trainer = Trainer::new(CNN.init(options.seed), Loss::CrossEntropy, optimizer)?;
    let last = epochs::train(
        &mut trainer,
        &data,
        (1, options.epochs),
        options.batch_size,
        options.seed,
        |_| Ok(()),
    )?;
    if let Some((test, mean)) = last {
        println!("\n{mean:.2} s per epoch");
        println!(
            "final test accuracy {:.4} after {} epochs",
            test.accuracy, options.epochs
        );
    }
    Ok(())
}
