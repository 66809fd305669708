//! Train a small vision transformer on Fashion-MNIST with its derived init:
//! 7 × 7 patches, four pre-norm blocks of attention and MLP, the mean of the
//! tokens, a linear head.
//!
//! cargo run --release --example fashion_vit -- [--epochs 5] [--batch-size 128]
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

/// 16 patches of 7 × 7 projected to 64 features with a position table, four
/// pre-norm blocks (attention of 4 heads; an MLP of 256 with gelu), a
/// final layer normalization, the mean of the tokens and the head.
const VIT: NetworkSpec = network![
    input(1, 28, 28),
    patches(7),
    dense(49 -> 64, identity),
    position_embedding(16 -> 64),
    residual(layer_norm(64), attention(64, heads = 4)),
    residual(layer_norm(64), dense(64 -> 256, gelu), dense(256 -> 64, identity)),
    residual(layer_norm(64), attention(64, heads = 4)),
    residual(layer_norm(64), dense(64 -> 256, gelu), dense(256 -> 64, identity)),
    residual(layer_norm(64), attention(64, heads = 4)),
    residual(layer_norm(64), dense(64 -> 256, gelu), dense(256 -> 64, identity)),
    residual(layer_norm(64), attention(64, heads = 4)),
    residual(layer_norm(64), dense(64 -> 256, gelu), dense(256 -> 64, identity)),
    layer_norm(64),
    mean_tokens,
    dense(64 -> 10, softmax),
];

/// Train a small vision transformer (7 × 7 patches, four pre-norm blocks,
/// the mean of the tokens) on Fashion-MNIST with its derived init, with
/// Adam.
///
/// Data: `--data DIR`, else $NETINIT_FASHION_MNIST, else Debian's
/// dataset-fashion-mnist package, else the subset bundled in the repository.
#[derive(Parser)]
#[command(name = "fashion_vit")]
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
    println!("{}\n", VIT.summary());
    let optimizer = Optimizer::adam(options.learning_rate);
    println!(
        "training: {} epochs, batch {}, {optimizer:?}, seed {}\n",
        options.epochs, options.batch_size, options.seed
    );
    let mut trainer = Trainer::new(VIT.init(options.seed), Loss::CrossEntropy, optimizer)?;
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
