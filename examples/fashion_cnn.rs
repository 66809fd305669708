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

use epochs::number;

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

/// The command line.
struct Options {
    epochs: usize,
    batch_size: usize,
    learning_rate: f32,
    seed: u64,
    data: Option<PathBuf>,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        epochs: 5,
        batch_size: 128,
        learning_rate: 1e-3,
        seed: 0,
        data: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--epochs" => options.epochs = number(&flag, &value)?,
            "--batch-size" => options.batch_size = number(&flag, &value)?,
            "--learning-rate" => options.learning_rate = number(&flag, &value)?,
            "--seed" => options.seed = number(&flag, &value)?,
            "--data" => options.data = Some(PathBuf::from(value)),
            other => return Err(format!("unknown flag `{other}`")),
        }
    }
    if options.batch_size == 0 {
        return Err("--batch-size must be at least 1".into());
    }
    Ok(options)
}

fn main() -> ExitCode {
    epochs::main_with(
        "fashion_cnn [--epochs N] [--batch-size N] [--learning-rate F] [--seed N] [--data DIR]",
        parse_options(),
        run,
    )
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
