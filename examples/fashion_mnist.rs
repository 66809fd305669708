//! Train the design card's network on Fashion-MNIST with its derived init.
//!
//! cargo run --release --example fashion_mnist -- [--epochs 10] [--batch-size 128]
//!     [--learning-rate 0.001] [--optimizer adam|sgd] [--momentum 0.9] [--seed 0]
//!     [--init INIT] [--data DIR]
//!
//! `--init` overrides every layer's weight init at run time, e.g.
//! `--init zeros` or `--init "constant(0.01)"`, to see what a bad init does
//! (the macro refuses those at compile time). Data: `--data DIR`, else
//! $NETINIT_FASHION_MNIST, else Debian's dataset-fashion-mnist package, else
//! the subset bundled in the repository.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
#[path = "support/data.rs"]
mod data;

use netinit::{network, Init, Loss, NetworkSpec, Optimizer, Trainer};

const MNIST: NetworkSpec = network![
    dense(784 -> 256, relu),
    dense(256 -> 10, softmax),
];

/// The command line.
struct Options {
    epochs: usize,
    batch_size: usize,
    learning_rate: f32,
    /// SGD with momentum instead of Adam.
    sgd: bool,
    momentum: f32,
    seed: u64,
    init: Option<Init>,
    data: Option<PathBuf>,
    /// Save the trainer's state here after every epoch.
    save: Option<PathBuf>,
    /// Resume from a state saved with `--save`.
    resume: Option<PathBuf>,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        epochs: 10,
        batch_size: 128,
        learning_rate: 1e-3,
        sgd: false,
        momentum: 0.9,
        seed: 0,
        init: None,
        data: None,
        save: None,
        resume: None,
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
            "--momentum" => options.momentum = number(&flag, &value)?,
            "--seed" => options.seed = number(&flag, &value)?,
            "--optimizer" => {
                options.sgd = match value.as_str() {
                    "adam" => false,
                    "sgd" => true,
                    other => return Err(format!("--optimizer: `{other}`; expected `adam` or `sgd`")),
                }
            }
            "--init" => options.init = Some(value.parse().map_err(|e| format!("--init: {e}"))?),
            "--data" => options.data = Some(PathBuf::from(value)),
            "--save" => options.save = Some(PathBuf::from(value)),
            "--resume" => options.resume = Some(PathBuf::from(value)),
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
                "usage: fashion_mnist [--epochs N] [--batch-size N] [--learning-rate F] [--optimizer adam|sgd] \
                 [--momentum F] [--seed N] [--init INIT] [--data DIR] [--save PATH] [--resume PATH]"
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

    let spec = match options.init {
        Some(init) => {
            println!("weight init overridden at run time: every layer draws `{init}`");
            MNIST.with_weight_init(init)?
        }
        None => MNIST,
    };
    println!("{}\n", spec.summary());
    let optimizer = if options.sgd {
        Optimizer::sgd_momentum(options.learning_rate, options.momentum)
    } else {
        Optimizer::adam(options.learning_rate)
    };
    println!(
        "training: {} epochs, batch {}, {optimizer:?}, seed {}\n",
        options.epochs, options.batch_size, options.seed
    );

    let mut trainer = match &options.resume {
        Some(path) => {
            let trainer = Trainer::load(path)?;
            println!(
                "resumed from {} after {} epochs ({} steps): its network, optimizer and seed, not the flags' \
                 (use the first run's --batch-size)\n",
                path.display(),
                trainer.epochs(),
                trainer.steps()
            );
            trainer
        }
        None => Trainer::new(spec.init(options.seed), Loss::CrossEntropy, optimizer)?,
    };
    let batches = data.train.len().div_ceil(options.batch_size) as u64;
    let style = ProgressStyle::with_template("epoch {prefix:>2} [{bar:30}] {pos}/{len} batches, loss {msg}")?
        .progress_chars("=> ");
    let mut seconds = Vec::new();
    let mut last = None;
    for epoch in trainer.epochs() as usize + 1..=options.epochs {
        let bar = ProgressBar::new(batches)
            .with_style(style.clone())
            .with_prefix(epoch.to_string());
        let started = Instant::now();
        // From the network's own seed, so a resumed run shuffles as the
        // first one did (give it the same --batch-size).
        let seed = trainer.network().seed().unwrap_or(options.seed);
        let shuffle_seed = seed.wrapping_mul(1000).wrapping_add(epoch as u64);
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
        if let Some(path) = &options.save {
            trainer.save(path)?;
        }
    }
    if let Some(test) = last {
        let mean = seconds.iter().sum::<f64>() / seconds.len() as f64;
        println!(
            "\nfinal test accuracy {:.4} after {} epochs, {mean:.2} s per epoch",
            test.accuracy, options.epochs
        );
    }
    let hidden = trainer.network().layers()[0].weight();
    let mut rows: Vec<Vec<u32>> = hidden
        .rows()
        .into_iter()
        .map(|row| row.iter().map(|w| w.to_bits()).collect())
        .collect();
    rows.sort_unstable();
    rows.dedup();
    println!(
        "distinct rows of the hidden layer's weights: {} of {}",
        rows.len(),
        hidden.nrows()
    );
    Ok(())
}
