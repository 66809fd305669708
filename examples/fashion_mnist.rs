//! Train the design card's network on Fashion-MNIST with its derived init.
//!
//! cargo run --release --example fashion_mnist -- [--epochs 10] [--batch-size 128]
//!     [--learning-rate 0.001] [--optimizer adam|sgd] [--momentum 0.9] [--seed 0]
//!     [--init INIT] [--data DIR] [--save PATH] [--resume PATH]
//!
//! `--init` overrides every layer's weight init at run time, e.g.
//! `--init zeros` or `--init "constant(0.01)"`, to see what a bad init does
//! (the macro refuses those at compile time). Data: `--data DIR`, else
//! $NETINIT_FASHION_MNIST, else Debian's dataset-fashion-mnist package, else
//! the subset bundled in the repository.

use std::path::PathBuf;
use std::process::ExitCode;

#[path = "support/data.rs"]
mod data;
#[path = "support/epochs.rs"]
mod epochs;

use clap::{Parser, ValueEnum};
use netinit::dsl::ParseError;
use netinit::{network, Init, Loss, NetworkSpec, Optimizer, Trainer};

const MNIST: NetworkSpec = network![
    dense(784 -> 256, relu),
    dense(256 -> 10, softmax),
];

/// Train the design card's network (784 -> 256 relu -> 10 softmax) on
/// Fashion-MNIST with its derived init.
///
/// Data: `--data DIR`, else $NETINIT_FASHION_MNIST, else Debian's
/// dataset-fashion-mnist package, else the subset bundled in the repository.
#[derive(Parser)]
#[command(name = "fashion_mnist")]
struct Options {
    /// Train up to this epoch (a resumed run continues after its last one).
    #[arg(long, value_name = "N", default_value_t = 10)]
    epochs: usize,
    /// Images per mini-batch (at least 1).
    #[arg(long, value_name = "N", default_value_t = 128, value_parser = batch_size)]
    batch_size: usize,
    /// The optimizer's step size.
    #[arg(long, value_name = "F", default_value_t = 1e-3)]
    learning_rate: f32,
    /// Adam, or SGD with momentum.
    #[arg(long, value_enum, default_value_t = Choice::Adam)]
    optimizer: Choice,
    /// SGD's momentum (with `--optimizer sgd`).
    #[arg(long, value_name = "F", default_value_t = 0.9)]
    momentum: f32,
    /// The seed of the weights and of the shuffles.
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u64,
    /// Override every layer's weight init at run time, e.g. `zeros` or
    /// "constant(0.01)" (the macro refuses those at compile time).
    #[arg(long, value_name = "INIT", value_parser = init)]
    init: Option<Init>,
    /// Read Fashion-MNIST from this folder.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Save the trainer's state here after every epoch.
    #[arg(long, value_name = "PATH")]
    save: Option<PathBuf>,
    /// Resume from a state saved with `--save` (its network, optimizer and
    /// seed, not the flags').
    #[arg(long, value_name = "PATH")]
    resume: Option<PathBuf>,
}

/// The optimizers of `--optimizer`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Choice {
    /// Adam with the learning rate.
    Adam,
    /// SGD with the learning rate and `--momentum`.
    Sgd,
}

/// `--batch-size`: a count of at least 1.
fn batch_size(value: &str) -> Result<usize, String> {
    match value.parse() {
        Ok(0) => Err("a batch holds at least 1 image".into()),
        Ok(size) => Ok(size),
        Err(error) => Err(format!("{error}")),
    }
}

/// `--init`: an init as the DSL writes it. Its errors without their
/// position in the flag's value, each with its help.
fn init(value: &str) -> Result<Init, String> {
    value.parse().map_err(|error: ParseError| {
        let lines: Vec<String> = error
            .errors()
            .map(|diagnostic| match &diagnostic.help {
                Some(help) => format!("{}\n  = help: {help}", diagnostic.message),
                None => diagnostic.message.clone(),
            })
            .collect();
        lines.join("\n")
    })
}

fn main() -> ExitCode {
    epochs::finish(run(&Options::parse()))
}

fn run(options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let data = epochs::load(options.data.as_deref())?;

    let spec = match options.init {
        Some(init) => {
            println!("weight init overridden at run time: every layer draws `{init}`");
            MNIST.with_weight_init(init)?
        }
        None => MNIST,
    };
    println!("{}\n", spec.summary());
    let optimizer = match options.optimizer {
        Choice::Adam => Optimizer::adam(options.learning_rate),
        Choice::Sgd => Optimizer::sgd_momentum(options.learning_rate, options.momentum),
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
    let first = trainer.epochs() as usize + 1;
    let last = epochs::train(
        &mut trainer,
        &data,
        (first, options.epochs),
        options.batch_size,
        options.seed,
        |trainer| {
            if let Some(path) = &options.save {
                trainer.save(path)?;
            }
            Ok(())
        },
    )?;
    if let Some((test, mean)) = last {
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
