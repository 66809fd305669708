//! The signal analysis through 48 transformer blocks, predicted against
//! measured: at every residual block's end, each token's second moment and
//! the mean cosine similarity of two tokens (rank collapse), for pre-norm
//! blocks with the derived scaling, pre-norm with GPT-2's fixed 0.02, and
//! post-norm; on synthetic token ids whose share of equal pairs is known,
//! on windows of the fortunes' text, and on Fashion-MNIST's patches, each
//! input's measured statistics fed to the analysis.
//!
//! cargo run --release --example transformer_depth -- [--seeds 3] [--plot FILE.png]

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;

#[path = "support/data.rs"]
mod data;
#[path = "support/epochs.rs"]
#[allow(dead_code)]
mod epochs;
#[path = "support/plot.rs"]
#[allow(dead_code)]
mod plot;

use clap::Parser;
use netinit::ndarray::{s, Array2};
use netinit::rand::RngExt;
use netinit::signal::{propagate_from, InputStatistics};
use netinit::{generator, LayerKind, NetworkSpec, Shape};

/// Tokens of a window, features, heads, attention layers (each with its MLP:
/// two residual blocks).
const TOKENS: usize = 32;
const FEATURES: usize = 64;
const LAYERS: usize = 24;

/// Predict and measure the analysis through 48 transformer blocks.
#[derive(Parser)]
#[command(name = "transformer_depth")]
struct Options {
    /// Networks sampled per case (seeds 0, 1, …).
    #[arg(long, value_name = "N", default_value_t = 3)]
    seeds: u64,
    /// Print every block's predicted and measured values for the cases
    /// whose input and build contain this text (e.g. `text PreNorm`).
    #[arg(long, value_name = "TEXT")]
    show: Option<String>,
    /// Draw predicted and measured similarity against depth into this PNG.
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
}

/// The three ways of building the stack.
#[derive(Clone, Copy, Debug)]
enum Build {
    /// Pre-norm blocks, every init derived (the branch scaling included).
    PreNorm,
    /// Pre-norm blocks with GPT-2's init: 0.02 everywhere, tables too, and
    /// 0.02/√(2L) on each MLP's last layer, no derived scaling (netinit's
    /// attention draws its four projections from one init, so `o` stays
    /// at 0.02).
    Gpt2,
    /// Post-norm blocks: each residual block followed by a layer normalization.
    PostNorm,
}

/// The network's text for `build`, after `front` (the input and the
/// layers that make the sequence).
fn stack(build: Build, front: &str) -> String {
    let d = FEATURES;
    let mut text = format!("#![allow(signal_drift, init_scale, init_mismatch)] {front}");
    let small = 0.02 / (2.0 * LAYERS as f64).sqrt();
    for _ in 0..LAYERS {
        let block = match build {
            Build::PreNorm => format!(
                "residual(layer_norm({d}), attention({d}, heads = 4, mask = causal)), \
                 residual(layer_norm({d}), dense({d} -> {h}, gelu), dense({h} -> {d}, identity)), ",
                h = 4 * d
            ),
            Build::Gpt2 => format!(
                "residual(layer_norm({d}), attention({d}, heads = 4, mask = causal, init = normal(std = 0.02)), \
                 scale = none), \
                 residual(layer_norm({d}), dense({d} -> {h}, gelu, init = normal(std = 0.02)), \
                 dense({h} -> {d}, identity, init = normal(std = {small})), scale = none), ",
                h = 4 * d
            ),
            Build::PostNorm => format!(
                "residual(attention({d}, heads = 4, mask = causal)), layer_norm({d}), \
                 residual(dense({d} -> {h}, gelu), dense({h} -> {d}, identity)), layer_norm({d}), ",
                h = 4 * d
            ),
        };
        text.push_str(&block);
    }
    text.push_str(&format!("layer_norm({d}), dense({d} -> 256, softmax)"));
    text
}

/// An input: the layers that make the sequence (for each build's GPT-2
/// variant too) and a batch.
struct Input {
    name: &'static str,
    front: fn(Build) -> String,
    batch: Array2<f32>,
}

fn token_front(build: Build) -> String {
    match build {
        Build::Gpt2 => format!(
            "input(tokens = {TOKENS}), embedding(256 -> {FEATURES}, init = normal(std = 0.02)), \
             position_embedding({TOKENS} -> {FEATURES}, init = normal(std = 0.02)), "
        ),
        _ => format!(
            "input(tokens = {TOKENS}), embedding(256 -> {FEATURES}), position_embedding({TOKENS} -> {FEATURES}), "
        ),
    }
}

fn patch_front(build: Build) -> String {
    // 28 × 28 images as 7 × 7 patches, 16 tokens of 49 values, taken as the
    // input so that their similarity is measured, not modelled.
    match build {
        Build::Gpt2 => format!(
            "input(tokens = 16, features = 49), dense(49 -> {FEATURES}, identity, init = normal(std = 0.02)), \
             position_embedding(16 -> {FEATURES}, init = normal(std = 0.02)), "
        ),
        _ => format!(
            "input(tokens = 16, features = 49), dense(49 -> {FEATURES}, identity), \
             position_embedding(16 -> {FEATURES}), "
        ),
    }
}

fn main() -> ExitCode {
    epochs::finish(run(&Options::parse()))
}

fn run(options: &Options) -> Result<(), Box<dyn Error>> {
    let mut random = generator(99);
    let rows = 24;
    // Ids from 8 of the 256 values: one pair in 8 holds the same id.
    let few = Array2::from_shape_fn((rows, TOKENS), |_| (random.random_range(0..8) * 31) as f32);
    let uniform = Array2::from_shape_fn((rows, TOKENS), |_| random.random_range(0..256) as f32);
    let text = fortunes()?;
    let text_batch = Array2::from_shape_fn((rows, TOKENS), |(row, token)| f32::from(text[row * 997 + token]));
    let (images, _) = data::fashion_mnist(None)?;
    let cut: NetworkSpec = "input(1, 28, 28), patches(7)".parse()?;
    // A sequence comes back one row per token: an example's 16 together.
    let patches = cut
        .init(0)
        .forward(images.test.images.slice(s![..rows, ..]))?
        .into_shape_with_order((rows, 16 * 49))?;
    let inputs = [
        Input {
            name: "uniform ids",
            front: token_front,
            batch: uniform,
        },
        Input {
            name: "ids of 8 values",
            front: token_front,
            batch: few,
        },
        Input {
            name: "fortunes' text",
            front: token_front,
            batch: text_batch,
        },
        Input {
            name: "Fashion-MNIST patches",
            front: patch_front,
            batch: patches,
        },
    ];
    println!(
        "predicted against measured at each of the 48 residual blocks' ends ({LAYERS} attention and MLP \
         layers, {FEATURES} features, {} networks each):\n",
        options.seeds
    );
    println!(
        "{:<24} {:<10} {:>22} {:>24}",
        "input", "blocks", "second moment (worst ×)", "similarity (worst |Δ|)"
    );
    let mut curves = Vec::new();
    for input in &inputs {
        for build in [Build::PreNorm, Build::Gpt2, Build::PostNorm] {
            let spec: NetworkSpec = stack(build, &(input.front)(build)).parse()?;
            let shape = spec.input_shape();
            let statistics = InputStatistics::measure(input.batch.as_slice().unwrap_or(&[]), shape);
            let predicted = propagate_from(spec.layers(), &statistics)?;
            let ends: Vec<usize> = (0..spec.layers().len())
                .filter(|&index| matches!(spec.layers()[index].kind(), LayerKind::ResidualEnd))
                .collect();
            // The means over the networks sampled: the analysis predicts
            // the expectation over the weights' draw.
            let mut measured_curve = vec![0.0; ends.len()];
            let mut measured_second = vec![0.0; ends.len()];
            for seed in 0..options.seeds {
                let outputs = spec.init(seed).forward_all(input.batch.view())?;
                for (at, &end) in ends.iter().enumerate() {
                    let Shape::Sequence { tokens, features } = spec.output_shapes()[end] else {
                        continue;
                    };
                    let values = outputs[end].as_slice().unwrap_or(&[]);
                    let measured = InputStatistics::measure(values, Shape::sequence(tokens, features));
                    measured_second[at] += measured.second_moments[0] / options.seeds as f64;
                    measured_curve[at] += measured.token_similarity / options.seeds as f64;
                }
            }
            let (mut worst_ratio, mut worst_similarity) = (1.0_f64, 0.0_f64);
            for (at, &end) in ends.iter().enumerate() {
                let (second, predicted_second) =
                    (measured_second[at], predicted[end].activation_second_moment);
                worst_ratio = worst_ratio.max((predicted_second / second).max(second / predicted_second));
                worst_similarity =
                    worst_similarity.max((predicted[end].token_similarity - measured_curve[at]).abs());
            }
            println!(
                "{:<24} {:<10} {:>22.2} {:>24.3}",
                input.name,
                format!("{build:?}"),
                worst_ratio,
                worst_similarity
            );
            let predicted_curve: Vec<f64> = ends.iter().map(|&end| predicted[end].token_similarity).collect();
            let case = format!("{} {build:?}", input.name);
            if options.show.as_deref().is_some_and(|show| case.contains(show)) {
                for (at, &end) in ends.iter().enumerate() {
                    println!(
                        "  block {at:>2}: similarity predicted {:.3} measured {:.3}; second moment predicted {:.3} \
                         measured {:.3}",
                        predicted_curve[at],
                        measured_curve[at],
                        predicted[end].activation_second_moment,
                        measured_second[at]
                    );
                }
            }
            curves.push((
                format!("{} {build:?}", input.name),
                predicted_curve,
                measured_curve,
            ));
        }
    }
    if let Some(path) = &options.plot {
        let shown: Vec<_> = curves
            .iter()
            .filter(|curve| curve.0.starts_with("fortunes"))
            .cloned()
            .collect();
        plot(path, &shown)?;
        println!("\nwrote {}", path.display());
    }
    Ok(())
}

/// The fortunes' text, or the bundled excerpt.
fn fortunes() -> Result<Vec<u8>, Box<dyn Error>> {
    let file = PathBuf::from("/usr/share/games/fortunes/computers");
    match std::fs::read(&file) {
        Ok(text) if text.len() > 32 * 997 => Ok(text),
        _ => Ok(std::fs::read(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/fortunes-excerpt/fortunes"),
        )?),
    }
}

/// Predicted (lines) and measured (dots) similarity against the block,
/// for the pre-norm and post-norm stacks on the text.
fn plot(path: &std::path::Path, curves: &[(String, Vec<f64>, Vec<f64>)]) -> Result<(), Box<dyn Error>> {
    use plotters::prelude::*;
    plot::register_font()?;
    plot::write_atomically(path, |temporary| {
        let root = BitMapBackend::new(temporary, (1000, 640)).into_drawing_area();
        root.fill(&WHITE)?;
        let blocks = curves.first().map_or(1, |curve| curve.1.len());
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "mean cosine similarity of two tokens, 48 blocks: predicted (lines), measured (dots)",
                ("sans-serif", 18),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0..blocks, 0.0..1.0)?;
        chart
            .configure_mesh()
            .x_desc("residual block")
            .y_desc("similarity")
            .draw()?;
        for (index, (name, predicted, measured)) in curves.iter().enumerate() {
            let color = plot::COLORS[index % plot::COLORS.len()];
            chart
                .draw_series(LineSeries::new(predicted.iter().copied().enumerate(), color))?
                .label(name.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 15, y)], color));
            chart.draw_series(
                measured
                    .iter()
                    .copied()
                    .enumerate()
                    .map(|point| Circle::new(point, 2, color.filled())),
            )?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .draw()?;
        root.present()?;
        Ok(())
    })
}
