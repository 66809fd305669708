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

/// An example's exit status: success, or `result`'s error printed as
/// `error: …` and failure. (clap reports the flags' own errors.)
pub fn finish(result: Result<(), Box<dyn Error>>) -> ExitCode {
    match result {
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
