//! Writes what an independent reader checks netinit's checkpoints against:
//! the card's network sampled with seed 0 as a safetensors file, a batch of
//! inputs, and netinit's outputs for it (raw little-endian f32); and the
//! same for a small convolutional network (`cnn*`) and for one with a layer
//! without biases, a layer normalization and an activation layer
//! (`normalized*`), and for one with batch normalizations trained a few
//! steps, run in evaluation mode (`batch_norm*`), and for the residual
//! network of `tests/python/residual.net` (`residual*`), and the
//! transformers of `tests/python/language_model.net` (`language_model*`:
//! token ids in, one row per token out) and
//! `tests/python/vision_transformer.net` (`vision_transformer*`), whose
//! exported PyTorch modules `tests/python/check_export.py` runs.
//!
//! cargo run --example checkpoint_reference -- DIR
//! then: python tests/python/check_checkpoint.py DIR   (needs safetensors, numpy)

use std::error::Error;
use std::fs;
use std::path::PathBuf;

use clap::Parser;
use netinit::ndarray::Array2;
use netinit::{network, Loss, Mode, Optimizer, Targets, Trainer};

const CARD: netinit::NetworkSpec = network![dense(784 -> 256, relu), dense(256 -> 10, softmax)];

/// Two convolutions (padding, tanh and relu), a max pooling and flatten:
/// layouts a reader gets wrong show (a transposed kernel, another flatten
/// order). Symmetric padding and stride 1, which candle's `Conv2d` takes.
const CNN: netinit::NetworkSpec = network![
    input(2, 10, 8),
    conv2d(2 -> 4, tanh, kernel = 3, padding = 1),
    max_pool2d(2),
    conv2d(4 -> 3, relu, kernel = 3),
    flatten,
    dense(18 -> 5, softmax),
];

/// A dense layer without biases, a layer normalization with random γ and β
/// and its own ε, and an activation layer after it: what PyTorch's
/// `Linear(bias=False)` and `LayerNorm` hold, in their order.
const NORMALIZED: netinit::NetworkSpec = network![
    dense(12 -> 16, silu, bias = none),
    layer_norm(16, gamma = uniform(bound = 2.0), beta = normal(std = 0.5), epsilon = 1e-3),
    tanh,
    dense(16 -> 4, softmax),
];

/// Batch normalizations over a convolution's channels and over features,
/// with random γ and β, trained a few steps so their running statistics
/// are not the initial 0 and 1, then run in evaluation mode.
const BATCH_NORMALIZED: netinit::NetworkSpec = network![
    input(2, 4, 4),
    conv2d(2 -> 3, identity, kernel = 3, padding = 1, bias = none),
    batch_norm(3, gamma = uniform(bound = 2.0), beta = normal(std = 0.5)),
    relu,
    flatten,
    dense(48 -> 6, tanh),
    batch_norm(6, epsilon = 1e-3),
    dense(6 -> 3, softmax),
];

/// The batch's size: a few rows, enough that a transposed weight or a
/// swapped tensor cannot match by chance.
const ROWS: usize = 8;

/// Write reference checkpoints, inputs and outputs for the independent
/// readers of tests/python (check_checkpoint.py, check_export.py).
#[derive(Parser)]
#[command(name = "checkpoint_reference")]
struct Options {
    /// The folder to write into, created if missing.
    #[arg(value_name = "DIR")]
    directory: PathBuf,
}

fn main() -> Result<(), Box<dyn Error>> {
    let Options { directory } = Options::parse();
    fs::create_dir_all(&directory)?;
    let network = CARD.init(0);
    network.save(directory.join("card.safetensors"))?;
    let inputs = Array2::from_shape_fn((ROWS, 784), |(row, col)| {
        ((row * 37 + col * 11) % 256) as f32 / 255.0
    });
    let outputs = network.forward(inputs.view())?;
    fs::write(directory.join("inputs.f32"), le_bytes(inputs.iter()))?;
    fs::write(directory.join("outputs.f32"), le_bytes(outputs.iter()))?;
    let cnn = CNN.init(0);
    cnn.save(directory.join("cnn.safetensors"))?;
    let images = Array2::from_shape_fn((ROWS, CNN.inputs()), |(row, col)| {
        ((row * 29 + col * 13) % 97) as f32 / 48.0 - 1.0
    });
    fs::write(directory.join("cnn_inputs.f32"), le_bytes(images.iter()))?;
    fs::write(
        directory.join("cnn_outputs.f32"),
        le_bytes(cnn.forward(images.view())?.iter()),
    )?;
    let normalized = NORMALIZED.init(0);
    normalized.save(directory.join("normalized.safetensors"))?;
    let rows = Array2::from_shape_fn((ROWS, 12), |(row, col)| {
        ((row * 7 + col * 5) % 13) as f32 / 3.0 - 2.0
    });
    fs::write(directory.join("normalized_inputs.f32"), le_bytes(rows.iter()))?;
    fs::write(
        directory.join("normalized_outputs.f32"),
        le_bytes(normalized.forward(rows.view())?.iter()),
    )?;
    let images = Array2::from_shape_fn((ROWS, 32), |(row, col)| {
        ((row * 11 + col * 7) % 19) as f32 / 6.0 - 1.5
    });
    let labels: Vec<usize> = (0..ROWS).map(|row| row % 3).collect();
    let mut trainer = Trainer::new(BATCH_NORMALIZED.init(0), Loss::CrossEntropy, Optimizer::sgd(0.1))?;
    for _ in 0..3 {
        trainer.step(images.view(), Targets::Classes(&labels))?;
    }
    let mut batch_normalized = trainer.into_network();
    batch_normalized.set_mode(Mode::Eval);
    batch_normalized.save(directory.join("batch_norm.safetensors"))?;
    fs::write(directory.join("batch_norm_inputs.f32"), le_bytes(images.iter()))?;
    fs::write(
        directory.join("batch_norm_outputs.f32"),
        le_bytes(batch_normalized.forward(images.view())?.iter()),
    )?;
    let text = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/residual.net"))?;
    let residual = text.parse::<netinit::NetworkSpec>()?.init(0);
    residual.save(directory.join("residual.safetensors"))?;
    let rows = Array2::from_shape_fn((ROWS, 6), |(row, col)| {
        ((row * 5 + col * 3) % 11) as f32 / 4.0 - 1.2
    });
    fs::write(directory.join("residual_inputs.f32"), le_bytes(rows.iter()))?;
    fs::write(
        directory.join("residual_outputs.f32"),
        le_bytes(residual.forward(rows.view())?.iter()),
    )?;
    let language_model = sampled("language_model.net")?;
    language_model.save(directory.join("language_model.safetensors"))?;
    let ids = Array2::from_shape_fn((ROWS, 6), |(row, token)| ((row * 5 + token * 7) % 11) as f32);
    fs::write(directory.join("language_model_inputs.f32"), le_bytes(ids.iter()))?;
    fs::write(
        directory.join("language_model_outputs.f32"),
        le_bytes(language_model.forward(ids.view())?.iter()),
    )?;
    let vision = sampled("vision_transformer.net")?;
    vision.save(directory.join("vision_transformer.safetensors"))?;
    let images = Array2::from_shape_fn((ROWS, 48), |(row, col)| {
        ((row * 13 + col * 5) % 17) as f32 / 8.0 - 1.0
    });
    fs::write(
        directory.join("vision_transformer_inputs.f32"),
        le_bytes(images.iter()),
    )?;
    fs::write(
        directory.join("vision_transformer_outputs.f32"),
        le_bytes(vision.forward(images.view())?.iter()),
    )?;
    println!(
        "wrote the card's network, a convolutional one, a normalized one, a batch-normalized one, a residual one \
         and two transformers, {ROWS} inputs each and their outputs, to {}",
        directory.display()
    );
    Ok(())
}

/// The network of `tests/python/NAME` sampled with seed 0.
fn sampled(name: &str) -> Result<netinit::Network, Box<dyn Error>> {
    let path = format!("{}/tests/python/{name}", env!("CARGO_MANIFEST_DIR"));
    Ok(fs::read_to_string(path)?.parse::<netinit::NetworkSpec>()?.init(0))
}

fn le_bytes<'a>(values: impl Iterator<Item = &'a f32>) -> Vec<u8> {
    values.flat_map(|value| value.to_le_bytes()).collect()
}
