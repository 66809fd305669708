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

#[path = "support/data.rs"]
mod data;
#[path = "support/epochs.rs"]
mod epochs;

use epochs::number;

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

fn main() -> ExitCode {
    epochs::main_with(
        "fashion_mnist [--epochs N] [--batch-size N] [--learning-rate F] [--optimizer adam|sgd] \
                 [--momentum F] [--seed N] [--init INIT] [--data DIR] [--save PATH] [--resume PATH]",
        parse_options(),
        run,
    )
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
