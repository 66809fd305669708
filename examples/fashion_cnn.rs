//! Train a small convolutional network on Fashion-MNIST with its derived init.
//!
//! cargo run --release --example fashion_cnn -- [--epochs 5] [--batch-size 128]
//!     [--learning-rate 0.001] [--seed 0] [--data DIR]
//!
//! Data: `--data DIR`, else $NETINIT_FASHION_MNIST, else Debian's
//! dataset-fashion-mnist package, else the subset bundled in the repository.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
#[path = "support/data.rs"]
mod data;

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

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag}: `{value}` is not a valid number"))
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("error: {message}");
            }
            eprintln!(
                "usage: fashion_cnn [--epochs N] [--batch-size N] [--learning-rate F] [--seed N] [--data DIR]"
            );
            return ExitCode::FAILURE;
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let (data, origin) = data::fashion_mnist(options.data.as_deref())?;
    println!("{origin}");
    println!(
        "      {} training and {} test images\n",
        data.train.len(),
        data.test.len()
    );
    println!("{}\n", CNN.summary());
    let optimizer = Optimizer::adam(options.learning_rate);
    println!(
        "training: {} epochs, batch {}, {optimizer:?}, seed {}\n",
        options.epochs, options.batch_size, options.seed
    );
    let mut trainer = Trainer::new(CNN.init(options.seed), Loss::CrossEntropy, optimizer)?;
    let batches = data.train.len().div_ceil(options.batch_size) as u64;
    let style = ProgressStyle::with_template("epoch {prefix:>2} [{bar:30}] {pos}/{len} batches, loss {msg}")?
        .progress_chars("=> ");
    let mut seconds = Vec::new();
    let mut last = None;
    for epoch in 1..=options.epochs {
        let bar = ProgressBar::new(batches)
            .with_style(style.clone())
            .with_prefix(epoch.to_string());
        let started = Instant::now();
        let shuffle_seed = options.seed.wrapping_mul(1000).wrapping_add(epoch as u64);
        let loss = trainer.epoch(
            data.train.images.view(),
            &data.train.labels,
            options.batch_size,
            shuffle_seed,
            |loss| {
                bar.set_message(format!("{loss:.4}"));
                bar.inc(1);
            },
        )?;
        let elapsed = started.elapsed().as_secs_f64();
        bar.finish_and_clear();
        seconds.push(elapsed);
        let test = trainer
            .network()
            .evaluate(data.test.images.view(), &data.test.labels)?;
        println!(
            "epoch {epoch:>2}: train loss {loss:.4}  test loss {:.4}  test accuracy {:.4}  ({elapsed:.2} s)",
            test.loss, test.accuracy
        );
        last = Some(test);
    }
    if let Some(test) = last {
        let mean = seconds.iter().sum::<f64>() / seconds.len() as f64;
        println!("\n{mean:.2} s per epoch");
        println!(
            "final test accuracy {:.4} after {} epochs",
            test.accuracy, options.epochs
        );
    }
    Ok(())
}
