//! Train a small vision transformer on Fashion-MNIST with its derived init:
//! 7 × 7 patches, four pre-norm blocks of attention and MLP, the mean of the
//! tokens, a linear head.
//!
//! cargo run --release --example fashion_vit -- [--epochs 5] [--batch-size 128]
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
    #[command(flatten)]
    run: adam_run::AdamRun,
}

fn main() -> ExitCode {
    epochs::finish(adam_run::train(&VIT, &Options::parse().run))
}
