//! Train a byte-level causal language model on the text of Debian's
//! `fortunes` package, with its derived init and AdamW, then sample text
//! from it.
//!
//! cargo run --release --example charlm -- [--steps 2000] [--learning-rate 0.001]
//!     [--weight-decay 0.1] [--batch-size 32] [--seed 0] [--data DIR] [--sample 400]
//!
//! Text: every file directly in `--data DIR` (default
//! `/usr/share/games/fortunes`) but `*.dat` and `*.u8`, sorted by name and
//! concatenated; without it, the excerpt bundled in `data/fortunes-excerpt`
//! (its licence is beside it). The last 10% of the bytes are held out.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[path = "support/data.rs"]
#[allow(dead_code)]
mod data;
#[path = "support/epochs.rs"]
#[allow(dead_code)]
mod epochs;

use clap::Parser;
use netinit::generator;
use netinit::ndarray::Array2;
use netinit::rand::RngExt;
use netinit::{network, Loss, Network, NetworkSpec, Optimizer, Targets, Trainer};

/// The tokens of a window: the network's `input(tokens = 64)`, checked at
/// the start.
const TOKENS: usize = 64;

/// 256 byte values embedded in 128 features with a position table, four
/// pre-norm blocks (causal attention of 4 heads; an MLP of 512 with gelu),
/// a final layer normalization and a head with one distribution per byte.
const CHARLM: NetworkSpec = network![
    input(tokens = 64),
    embedding(256 -> 128),
    position_embedding(64 -> 128),
    residual(layer_norm(128), attention(128, heads = 4, mask = causal)),
    residual(layer_norm(128), dense(128 -> 512, gelu), dense(512 -> 128, identity)),
    residual(layer_norm(128), attention(128, heads = 4, mask = causal)),
    residual(layer_norm(128), dense(128 -> 512, gelu), dense(512 -> 128, identity)),
    residual(layer_norm(128), attention(128, heads = 4, mask = causal)),
    residual(layer_norm(128), dense(128 -> 512, gelu), dense(512 -> 128, identity)),
    residual(layer_norm(128), attention(128, heads = 4, mask = causal)),
    residual(layer_norm(128), dense(128 -> 512, gelu), dense(512 -> 128, identity)),
    layer_norm(128),
    dense(128 -> 256, softmax),
];

/// Train a byte-level causal language model on the fortunes' text with
/// AdamW, report the held-out loss every 500 steps, and sample text.
#[derive(Parser)]
#[command(name = "charlm")]
struct Options {
    /// Optimizer steps to take.
    #[arg(long, value_name = "N", default_value_t = 2000)]
    steps: u32,
    /// AdamW's step size (constant).
    #[arg(long, value_name = "F", default_value_t = 1e-3)]
    learning_rate: f32,
    /// AdamW's decay of the weights and tables (not the norms and biases).
    #[arg(long, value_name = "F", default_value_t = 0.1)]
    weight_decay: f32,
    /// Random windows of 64 bytes per step (at least 1).
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = at_least_one)]
    batch_size: usize,
    /// The seed of the weights, of the windows and of the sampling.
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u64,
    /// Read the text from this folder.
    #[arg(long, value_name = "DIR", default_value = "/usr/share/games/fortunes")]
    data: PathBuf,
    /// Bytes of text to sample at the end.
    #[arg(long, value_name = "N", default_value_t = 400)]
    sample: usize,
}

/// A count of at least 1.
fn at_least_one(value: &str) -> Result<usize, String> {
    match value.parse() {
        Ok(0) => Err("at least 1".into()),
        Ok(count) => Ok(count),
        Err(error) => Err(format!("{error}")),
    }
}

fn main() -> ExitCode {
    epochs::finish(run(&Options::parse()))
}

fn run(options: &Options) -> Result<(), Box<dyn Error>> {
    if CHARLM.input_shape() != netinit::Shape::Tokens(TOKENS) {
        return Err(format!(
            "the network takes {}, the windows {TOKENS} tokens",
            CHARLM.input_shape()
        )
        .into());
    }
    let text = load(&options.data)?;
    let cut = text.len() / 10 * 9;
    let (train, held_out) = text.split_at(cut);
    if train.len() <= TOKENS + 1 || held_out.len() <= TOKENS + 1 {
        return Err(format!(
            "{} bytes of text is too little for windows of {TOKENS}",
            text.len()
        )
        .into());
    }
    println!("{}\n", CHARLM.summary());
    let optimizer = Optimizer::adamw(options.learning_rate, options.weight_decay);
    println!(
        "training: {} steps of {} windows of {TOKENS} bytes, {optimizer:?}, seed {}\n",
        options.steps, options.batch_size, options.seed
    );
    let mut trainer = Trainer::new(CHARLM.init(options.seed), Loss::CrossEntropy, optimizer)?;
    let mut windows = generator(options.seed.wrapping_add(1));
    let (mut seconds, mut loss) = (0.0, f32::NAN);
    for step in 1..=options.steps {
        let (ids, next) = batch(train, options.batch_size, &mut windows);
        let started = Instant::now();
        loss = trainer.step(ids.view(), Targets::Classes(&next))?;
        seconds += started.elapsed().as_secs_f64();
        if step % 500 == 0 || step == options.steps {
            let held = held_out_loss(trainer.network(), held_out)?;
            println!("step {step}: train loss {loss:.4}");
            println!("held-out loss {held:.4} nats/byte at step {step}");
        }
    }
    println!(
        "\n{:.4} s per step (batch {} × {TOKENS} tokens), last train loss {loss:.4}",
        seconds / f64::from(options.steps.max(1)),
        options.batch_size
    );
    let prompt = &held_out[..TOKENS];
    let sampled = sample(trainer.network(), prompt, options.sample, options.seed)?;
    println!(
        "\nsampled after the held-out prompt {:?}:\n{}",
        String::from_utf8_lossy(prompt),
        String::from_utf8_lossy(&sampled)
    );
    Ok(())
}

/// The text: every file directly in `directory` but `*.dat` and `*.u8`,
/// sorted by name, concatenated; the bundled excerpt when the folder is
/// missing (said so).
fn load(directory: &Path) -> Result<Vec<u8>, Box<dyn Error>> {
    if !directory.is_dir() {
        let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/fortunes-excerpt/fortunes");
        println!(
            "text: {} is not installed (`apt-get install fortunes`); training on the excerpt bundled in {}\n",
            directory.display(),
            bundled.display()
        );
        return Ok(std::fs::read(bundled)?);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(directory)?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()?;
    files.retain(|path| {
        let name = path.file_name().and_then(|name| name.to_str()).unwrap_or("");
        path.is_file() && !name.ends_with(".dat") && !name.ends_with(".u8")
    });
    files.sort();
    let mut text = Vec::new();
    for file in &files {
        text.extend(std::fs::read(file)?);
    }
    println!(
        "text: {} files of {}, {} bytes\n",
        files.len(),
        directory.display(),
        text.len()
    );
    Ok(text)
}

/// `rows` windows of the text at random starts: their bytes as ids, and
/// for each token the byte after it.
fn batch(text: &[u8], rows: usize, windows: &mut netinit::Generator) -> (Array2<f32>, Vec<usize>) {
    let mut ids = Array2::zeros((rows, TOKENS));
    let mut next = Vec::with_capacity(rows * TOKENS);
    for mut row in ids.rows_mut() {
        let start = windows.random_range(0..text.len() - TOKENS);
        let window = &text[start..start + TOKENS + 1];
        row.iter_mut()
            .zip(window)
            .for_each(|(id, &byte)| *id = f32::from(byte));
        next.extend(window[1..].iter().map(|&byte| usize::from(byte)));
    }
    (ids, next)
}

/// The mean loss in nats per byte over every non-overlapping window of
/// the held-out text: window `i` reads bytes `64i..64i+64` and predicts
/// `64i+1..64i+65`; a last partial window is left out.
fn held_out_loss(network: &Network, text: &[u8]) -> Result<f32, Box<dyn Error>> {
    let windows = (text.len() - 1) / TOKENS;
    let (mut total, mut counted) = (0.0_f64, 0usize);
    for first in (0..windows).step_by(256) {
        let rows = (windows - first).min(256);
        let ids = Array2::from_shape_fn((rows, TOKENS), |(row, token)| {
            f32::from(text[(first + row) * TOKENS + token])
        });
        let next: Vec<usize> = (0..rows * TOKENS)
            .map(|at| usize::from(text[first * TOKENS + at + 1]))
            .collect();
        let loss = network.loss(ids.view(), Targets::Classes(&next), Loss::CrossEntropy)?;
        total += f64::from(loss) * next.len() as f64;
        counted += next.len();
    }
    Ok((total / counted.max(1) as f64) as f32)
}

/// `count` bytes drawn one at a time from the model's distribution for
/// the byte after the last 64 (the prompt's, then the drawn ones').
fn sample(network: &Network, prompt: &[u8], count: usize, seed: u64) -> Result<Vec<u8>, Box<dyn Error>> {
    let mut context: Vec<u8> = prompt.to_vec();
    let mut drawn = Vec::with_capacity(count);
    let mut random = generator(seed.wrapping_add(2));
    for _ in 0..count {
        let window = &context[context.len() - TOKENS..];
        let ids = Array2::from_shape_fn((1, TOKENS), |(_, token)| f32::from(window[token]));
        let probabilities = network.forward(ids.view())?;
        let last = probabilities.row(TOKENS - 1);
        let mut left: f32 = random.random_range(0.0..1.0);
        let mut byte = 255;
        for (value, &p) in last.iter().enumerate() {
            left -= p;
            if left < 0.0 {
                byte = value as u8;
                break;
            }
        }
        drawn.push(byte);
        context.push(byte);
    }
    Ok(drawn)
}
