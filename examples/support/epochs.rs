//! The training loop the Fashion-MNIST examples share: epochs of shuffled
//! mini-batches with a progress bar, each followed by the test set.

use std::error::Error;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use netinit::data::FashionMnist;
use netinit::{Evaluation, Trainer};

/// Train for epochs `first` to `last`, batches of `batch_size` shuffled from
/// the network's own seed (else `seed`), so a resumed run shuffles as the
/// first one did; print each epoch's losses, test accuracy and time, and
/// call `after_epoch` after each. Returns the last test evaluation and the
/// mean seconds per epoch, `None` when there was no epoch to run.
pub fn train(
    trainer: &mut Trainer,
    data: &FashionMnist,
    (first, last): (usize, usize),
    batch_size: usize,
    seed: u64,
    mut after_epoch: impl FnMut(&Trainer) -> Result<(), Box<dyn Error>>,
) -> Result<Option<(Evaluation, f64)>, Box<dyn Error>> {
    let batches = data.train.len().div_ceil(batch_size) as u64;
    let style = ProgressStyle::with_template("epoch {prefix:>2} [{bar:30}] {pos}/{len} batches, loss {msg}")?
        .progress_chars("=> ");
    let mut seconds = Vec::new();
    let mut last_test = None;
    for epoch in first..=last {
        let bar = ProgressBar::new(batches)
            .with_style(style.clone())
            .with_prefix(epoch.to_string());
        let started = Instant::now();
        let seed = trainer.network().seed().unwrap_or(seed);
        let shuffle_seed = seed.wrapping_mul(1000).wrapping_add(epoch as u64);
        let loss = trainer.epoch(
            data.train.images.view(),
            &data.train.labels,
            batch_size,
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
        last_test = Some(test);
        after_epoch(trainer)?;
    }
    let mean = seconds.iter().sum::<f64>() / seconds.len().max(1) as f64;
    Ok(last_test.map(|test| (test, mean)))
}

/// An example's `main`: `run` with the options `parsed`; a flag's error
/// (or `--help`, an empty one) prints `usage`, and `run`'s error is printed.
pub fn main_with<O>(
    usage: &str,
    parsed: Result<O, String>,
    run: impl FnOnce(&O) -> Result<(), Box<dyn Error>>,
) -> ExitCode {
    let options = match parsed {
        Ok(options) => options,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("error: {message}");
            }
            eprintln!("usage: {usage}");
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

/// Fashion-MNIST as the examples read it (see `data.rs`), saying from where
/// and how many images.
pub fn load(directory: Option<&Path>) -> Result<FashionMnist, Box<dyn Error>> {
    let (data, origin) = crate::data::fashion_mnist(directory)?;
    println!("{origin}");
    println!(
        "      {} training and {} test images\n",
        data.train.len(),
        data.test.len()
    );
    Ok(data)
}

/// A flag's value as a number, or the error that names the flag.
pub fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag}: `{value}` is not a valid number"))
}
