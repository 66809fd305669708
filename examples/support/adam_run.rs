//! What the examples that train a network on Fashion-MNIST with Adam share
//! (`fashion_cnn`, `fashion_vit`): their flags, and the run itself.

use std::error::Error;
use std::path::PathBuf;

use netinit::{Loss, NetworkSpec, Optimizer, Trainer};

/// The flags of such an example.
#[derive(clap::Args)]
pub struct AdamRun {
    /// Epochs to train.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub epochs: usize,
    /// Images per mini-batch (at least 1).
    #[arg(long, value_name = "N", default_value_t = 128, value_parser = batch_size)]
    pub batch_size: usize,
    /// Adam's step size.
    #[arg(long, value_name = "F", default_value_t = 1e-3)]
    pub learning_rate: f32,
    /// The seed of the weights and of the shuffles.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Read Fashion-MNIST from this folder.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

/// `--batch-size`: a count of at least 1.
fn batch_size(value: &str) -> Result<usize, String> {
    match value.parse() {
        Ok(0) => Err("a batch holds at least 1 image".into()),
        Ok(size) => Ok(size),
        Err(error) => Err(format!("{error}")),
    }
}

/// Train `spec` with its derived init and Adam as `run` says: its summary,
/// each epoch's losses, test accuracy and time, then the mean seconds per
/// epoch and the line `final test accuracy 0.xxxx after N epochs`.
pub fn train(spec: &NetworkSpec, run: &AdamRun) -> Result<(), Box<dyn Error>> {
    let data = crate::epochs::load(run.data.as_deref())?;
    println!("{}\n", spec.summary());
    let optimizer = Optimizer::adam(run.learning_rate);
    println!(
        "training: {} epochs, batch {}, {optimizer:?}, seed {}\n",
        run.epochs, run.batch_size, run.seed
    );
    let mut trainer = Trainer::new(spec.init(run.seed), Loss::CrossEntropy, optimizer)?;
    let last = crate::epochs::train(
        &mut trainer,
        &data,
        (1, run.epochs),
        run.batch_size,
        run.seed,
        |_| Ok(()),
    )?;
    if let Some((test, mean)) = last {
        println!("\n{mean:.2} s per epoch");
        println!(
            "final test accuracy {:.4} after {} epochs",
            test.accuracy, run.epochs
        );
    }
    Ok(())
}
