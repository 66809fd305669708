//! Residual networks on Fashion-MNIST: the signal analysis through residual
//! blocks measured at depth, and a pre-norm network trained.
//!
//! cargo run --release --example residual -- [--part depth|train|curves|all]
//!     [--epochs 5] [--seed 0] [--out docs/src/figures] [--data DIR]
//!
//! 1. `depth`: 64 residual blocks of width 256 (each branch a relu dense
//!    layer and an identity one) on a real batch of 128 images. At each
//!    block's end, the activations' second moment and the gradient's,
//!    measured (4 networks) and as the analysis predicts them from the
//!    batch, for (a) He-matched branches without scaling (`scale = none`),
//!    (b) the derived branch scaling, (c) zero-initialised branch ends and
//!    (d) pre-norm branches (a `layer_norm` first). Writes residual-depth.png.
//! 2. `train`: 8 pre-norm blocks (the network), Adam 1e-3, batch
//!    128; prints how far each block's branch weights moved (‖ΔW‖/‖W‖) and
//!    ends with `final test accuracy …`.
//! 3. `curves`: 32 blocks without normalization, the derived scaling against
//!    unscaled He branches: the training loss every 50 steps over two
//!    epochs, and the time per epoch (residual-curves.png).
//!
//! The default runs `depth` and `train`; `all` adds `curves`.

#[path = "support/data.rs"]
mod data;
#[path = "support/epochs.rs"]
mod epochs;
#[path = "support/plot.rs"]
mod plot;

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use ndarray::{s, Array2};
use netinit::data::FashionMnist;
use netinit::signal::{propagate_from, InputStatistics};
use netinit::{
    fill, generator, network, Activation, Init, LayerKind, LayerSpec, Loss, Network, NetworkSpec, NormSpec,
    Optimizer, Shape, Trainer,
};
use plot::{measured_and_predicted, register_font, write_atomically, Series, COLORS};
use plotters::prelude::*;

/// The network: 8 pre-norm blocks whose branches widen to 1024
/// with gelu; each branch's last layer gets the derived scaling.
const DEEP: NetworkSpec = network![
    dense(784 -> 256, relu),
    residual(layer_norm(256), dense(256 -> 1024, gelu), dense(1024 -> 256, identity)),
    residual(layer_norm(256), dense(256 -> 1024, gelu), dense(1024 -> 256, identity)),
    residual(layer_norm(256), dense(256 -> 1024, gelu), dense(1024 -> 256, identity)),
    residual(layer_norm(256), dense(256 -> 1024, gelu), dense(1024 -> 256, identity)),
    residual(layer_norm(256), dense(256 -> 1024, gelu), dense(1024 -> 256, identity)),
    residual(layer_norm(256), dense(256 -> 1024, gelu), dense(1024 -> 256, identity)),
    residual(layer_norm(256), dense(256 -> 1024, gelu), dense(1024 -> 256, identity)),
    residual(layer_norm(256), dense(256 -> 1024, gelu), dense(1024 -> 256, identity)),
    layer_norm(256),
    dense(256 -> 10, softmax),
];

const WIDTH: usize = 256;
const DEPTH_BLOCKS: usize = 64;
const CURVE_BLOCKS: usize = 32;
const BATCH: usize = 128;
/// Networks sampled per configuration of the depth study.
const SEEDS: u64 = 4;

/// Residual networks on Fashion-MNIST: the signal analysis through residual
/// blocks measured at depth, and a pre-norm network trained.
///
/// Data: `--data DIR`, else $NETINIT_FASHION_MNIST, else Debian's
/// dataset-fashion-mnist package, else the subset bundled in the repository.
#[derive(Parser)]
#[command(name = "residual")]
struct Options {
    /// The part to run; without it, `depth` then `train`.
    #[arg(long, value_enum)]
    part: Option<Part>,
    /// Epochs of `train`.
    #[arg(long, value_name = "N", default_value_t = 5)]
    epochs: usize,
    /// The seed of `train`'s and `curves`' weights and shuffles.
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u64,
    /// Write the plots into this folder.
    #[arg(long, value_name = "DIR", default_value = "docs/src/figures")]
    out: PathBuf,
    /// Read Fashion-MNIST from this folder.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
}

/// The parts of `--part`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Part {
    /// 64 residual blocks at initialisation, measured against the analysis
    /// (residual-depth.png).
    Depth,
    /// 8 pre-norm blocks trained with Adam.
    Train,
    /// 32 blocks without normalization trained, derived scaling against
    /// unscaled branches (residual-curves.png).
    Curves,
    /// All three.
    All,
}

fn main() -> ExitCode {
    epochs::finish(run(&Options::parse()))
}

fn run(options: &Options) -> Result<(), Box<dyn Error>> {
    let data = epochs::load(options.data.as_deref())?;
    std::fs::create_dir_all(&options.out)?;
    let part = |name: Part| match options.part {
        None => name != Part::Curves,
        Some(Part::All) => true,
        Some(chosen) => chosen == name,
    };
    if part(Part::Depth) {
        depth(&data, &options.out)?;
    }
    if part(Part::Curves) {
        curves(&data, options.seed, &options.out)?;
    }
    if part(Part::Train) {
        train(&data, options.epochs, options.seed)?;
    }
    Ok(())
}

/// The four configurations of the depth study.
#[derive(Clone, Copy)]
enum Config {
    Unscaled,
    Derived,
    ZeroEnd,
    PreNorm,
}

impl Config {
    fn label(self) -> &'static str {
        match self {
            Config::Unscaled => "(a) He, unscaled",
            Config::Derived => "(b) derived scaling",
            Config::ZeroEnd => "(c) zero branch ends",
            Config::PreNorm => "(d) pre-norm, derived",
        }
    }
}

/// `blocks` residual blocks of width 256 between a relu layer from the
/// images and a head: each branch a relu dense layer and an identity one.
fn residual_mlp(config: Config, blocks: usize, head: Activation) -> Result<NetworkSpec, Box<dyn Error>> {
    let mut layers = vec![LayerSpec::dense(784, WIDTH, Activation::Relu)];
    for _ in 0..blocks {
        layers.push(match config {
            Config::Unscaled => LayerSpec::residual_unscaled(),
            _ => LayerSpec::residual(),
        });
        if let Config::PreNorm = config {
            layers.push(LayerSpec::layer_norm(NormSpec::new(WIDTH)));
        }
        layers.push(LayerSpec::dense(WIDTH, WIDTH, Activation::Relu));
        layers.push(match config {
            Config::ZeroEnd => {
                LayerSpec::dense(WIDTH, WIDTH, Activation::Identity).with_weight(Init::zeros())
            }
            _ => LayerSpec::dense(WIDTH, WIDTH, Activation::Identity),
        });
        layers.push(LayerSpec::residual_end());
    }
    layers.push(LayerSpec::dense(WIDTH, 10, head));
    Ok(NetworkSpec::new(layers)?)
}

/// At each block's end: measured and predicted second moments.
struct Profile {
    label: &'static str,
    /// A typical network's E[h²] (the geometric mean over the networks).
    second_moment: Vec<f64>,
    predicted_second_moment: Vec<f64>,
    /// E[δ²] of the gradient with respect to the block's output, over the
    /// head's (the arithmetic mean over the networks).
    gradient: Vec<f64>,
    predicted_gradient: Vec<f64>,
}

fn depth(data: &FashionMnist, out: &Path) -> Result<(), Box<dyn Error>> {
    println!(
        "== residual depth: {DEPTH_BLOCKS} blocks of width {WIDTH} (branch: dense relu, dense identity), a batch of \
         {BATCH} training images, {SEEDS} networks each"
    );
    let images = data.train.images.slice(s![..BATCH, ..]).to_owned();
    let statistics = InputStatistics::measure(
        images.as_slice().ok_or("a fresh array is contiguous")?,
        Shape::Features(784),
    );
    let mut profiles = Vec::new();
    for config in [
        Config::Unscaled,
        Config::Derived,
        Config::ZeroEnd,
        Config::PreNorm,
    ] {
        let spec = residual_mlp(config, DEPTH_BLOCKS, Activation::Identity)?;
        let profile = measure(&spec, &images, &statistics, config.label())?;
        print_profile(&profile);
        profiles.push(profile);
    }
    let path = out.join("residual-depth.png");
    plot_depth(&profiles, &path)?;
    println!("wrote {}\n", path.display());
    Ok(())
}

fn measure(
    spec: &NetworkSpec,
    images: &Array2<f32>,
    statistics: &InputStatistics,
    label: &'static str,
) -> Result<Profile, Box<dyn Error>> {
    let ends: Vec<usize> = spec
        .layers()
        .iter()
        .enumerate()
        .filter(|(_, layer)| *layer.kind() == LayerKind::ResidualEnd)
        .map(|(index, _)| index)
        .collect();
    let second_moment = |values: &Array2<f32>| {
        values.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / values.len() as f64
    };
    let mut logarithms = vec![0.0; ends.len()];
    let mut gradients = vec![0.0; ends.len()];
    for seed in 0..SEEDS {
        let network = spec.init(seed);
        let outputs = network.forward_all(images.view())?;
        let mut top = Array2::<f32>::zeros((images.nrows(), network.outputs()));
        fill::normal(&mut top, 1.0, &mut generator(1000 + seed))?;
        let backward = network.backward_all(images.view(), top.view())?;
        // The head is an identity layer: its pre-activation's gradient is `top`.
        let head = second_moment(&top);
        for (at, &end) in ends.iter().enumerate() {
            logarithms[at] += second_moment(&outputs[end]).ln() / SEEDS as f64;
            gradients[at] += second_moment(&backward[end]) / head / SEEDS as f64;
        }
    }
    let report = propagate_from(spec.layers(), statistics)?;
    Ok(Profile {
        label,
        second_moment: logarithms.iter().map(|log| log.exp()).collect(),
        predicted_second_moment: ends
            .iter()
            .map(|&end| report[end].typical_second_moment)
            .collect(),
        gradient: gradients,
        predicted_gradient: ends.iter().map(|&end| report[end].output_gradient).collect(),
    })
}

/// The blocks shown in the table; the largest disagreement is over all.
const SHOWN: [usize; 7] = [1, 2, 4, 8, 16, 32, 64];

fn print_profile(profile: &Profile) {
    println!("== {}: at each block's end", profile.label);
    println!("block   E[h²] measured  predicted  ratio   gradient E[δ²] measured  predicted  ratio");
    let ratio = |measured: f64, predicted: f64| measured / predicted;
    let mut worst: f64 = 1.0;
    for block in 0..profile.second_moment.len() {
        let (h, hp) = (
            profile.second_moment[block],
            profile.predicted_second_moment[block],
        );
        let (g, gp) = (profile.gradient[block], profile.predicted_gradient[block]);
        for r in [ratio(h, hp), ratio(g, gp)] {
            worst = worst.max(r.max(1.0 / r));
        }
        if SHOWN.contains(&(block + 1)) {
            println!(
                "{:>5}   {:>14.4e}  {:>9.4e}  {:>5.2}   {:>23.4e}  {:>9.4e}  {:>5.2}",
                block + 1,
                h,
                hp,
                ratio(h, hp),
                g,
                gp,
                ratio(g, gp)
            );
        }
    }
    println!(
        "largest disagreement over the {} blocks: ×{worst:.2}\n",
        profile.second_moment.len()
    );
}

fn plot_depth(profiles: &[Profile], path: &Path) -> Result<(), Box<dyn Error>> {
    register_font()?;
    write_atomically(path, |temporary| {
        let root = BitMapBackend::new(temporary, (1400, 600)).into_drawing_area();
        root.fill(&WHITE)?;
        let (left, right) = root.split_horizontally(700);
        for (panel, gradient) in [(&left, false), (&right, true)] {
            let series: Vec<Series> = profiles
                .iter()
                .map(|profile| Series {
                    label: profile.label,
                    measured: if gradient {
                        &profile.gradient
                    } else {
                        &profile.second_moment
                    },
                    predicted: if gradient {
                        &profile.predicted_gradient
                    } else {
                        &profile.predicted_second_moment
                    },
                })
                .collect();
            let title = match gradient {
                false => "E[h²] at each block's end (solid measured, dashed predicted)",
                true => "gradient E[δ²] at each block's end / the head's",
            };
            measured_and_predicted(panel, (title, "block"), DEPTH_BLOCKS, (1e-2, 1e22), &series)?;
        }
        root.present()?;
        Ok(())
    })
}

/// 32 blocks without normalization, derived against unscaled He: the
/// training loss every 50 steps over two epochs.
fn curves(data: &FashionMnist, seed: u64, out: &Path) -> Result<(), Box<dyn Error>> {
    const EPOCHS: usize = 2;
    const EVERY: usize = 50;
    println!(
        "== {CURVE_BLOCKS} residual blocks without normalization: Adam 1e-3, batch {BATCH}, seed {seed}, {EPOCHS} \
         epochs; the mean training loss of every {EVERY} steps"
    );
    let mut runs: Vec<(&str, Vec<f64>)> = Vec::new();
    for config in [Config::Derived, Config::Unscaled] {
        let spec = residual_mlp(config, CURVE_BLOCKS, Activation::Softmax)?;
        let mut trainer = Trainer::new(spec.init(seed), Loss::CrossEntropy, Optimizer::adam(1e-3))?;
        let (mut losses, mut window) = (Vec::new(), Vec::new());
        let mut stopped = None;
        for epoch in 1..=EPOCHS {
            let started = Instant::now();
            let result = trainer.epoch(
                data.train.images.view(),
                &data.train.labels,
                BATCH,
                seed * 1000 + epoch as u64,
                |loss| {
                    window.push(f64::from(loss));
                    if window.len() == EVERY {
                        losses.push(window.iter().sum::<f64>() / EVERY as f64);
                        window.clear();
                    }
                },
            );
            let seconds = started.elapsed().as_secs_f64();
            match result {
                Ok(loss) => {
                    let test = trainer
                        .network()
                        .evaluate(data.test.images.view(), &data.test.labels)?;
                    println!(
                        "{}: epoch {epoch}: train loss {loss:.4}  test accuracy {:.4}  ({seconds:.2} s)",
                        config.label(),
                        test.accuracy
                    );
                }
                Err(error) => {
                    stopped = Some(format!("epoch {epoch}, after {} steps: {error}", trainer.steps()));
                    break;
                }
            }
        }
        if let Some(reason) = stopped {
            println!("{}: training stopped at {reason}", config.label());
        }
        runs.push((config.label(), losses));
    }
    println!("\n{:>6}  {:>20}  {:>20}", "step", runs[0].0, runs[1].0);
    for at in (1..runs[0].1.len().max(runs[1].1.len())).step_by(2) {
        let loss = |run: &[f64]| run.get(at).map_or("—".to_owned(), |loss| format!("{loss:.4}"));
        println!(
            "{:>6}  {:>20}  {:>20}",
            (at + 1) * EVERY,
            loss(&runs[0].1),
            loss(&runs[1].1)
        );
    }
    let path = out.join("residual-curves.png");
    plot_curves(&runs, EVERY, &path)?;
    println!("wrote {}\n", path.display());
    Ok(())
}

fn plot_curves(runs: &[(&str, Vec<f64>)], every: usize, path: &Path) -> Result<(), Box<dyn Error>> {
    register_font()?;
    write_atomically(path, |temporary| {
        let root = BitMapBackend::new(temporary, (900, 550)).into_drawing_area();
        root.fill(&WHITE)?;
        let steps = runs.iter().map(|(_, losses)| losses.len()).max().unwrap_or(1) * every;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("{CURVE_BLOCKS} residual blocks, no normalization: training loss"),
                ("sans-serif", 18),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0..steps, (0.1..1e5).log_scale())?;
        chart.configure_mesh().x_desc("step").draw()?;
        for ((label, losses), color) in runs.iter().zip(COLORS) {
            let points = losses
                .iter()
                .enumerate()
                .filter(|(_, loss)| loss.is_finite())
                .map(|(at, &loss)| ((at + 1) * every, loss.clamp(0.1, 1e5)));
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))?
                .label(*label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
        root.present()?;
        Ok(())
    })
}

/// The pre-norm network: trained, then how far each block's
/// branch weights moved.
fn train(data: &FashionMnist, epochs: usize, seed: u64) -> Result<(), Box<dyn Error>> {
    println!(
        "== {} pre-norm residual blocks, the derived branch scaling",
        blocks_of(&DEEP).len()
    );
    println!("{}\n", DEEP.summary());
    let start = DEEP.init(seed);
    let mut trainer = Trainer::new(start.clone(), Loss::CrossEntropy, Optimizer::adam(1e-3))?;
    println!("training: {epochs} epochs, batch {BATCH}, Adam 1e-3, seed {seed}\n");
    let last = epochs::train(&mut trainer, data, (1, epochs), BATCH, seed, |_| Ok(()))?;
    println!(
        "\nhow far each block's branch weights moved, ‖W − W₀‖ / ‖W₀‖ (a branch that stayed dead shows 0):"
    );
    for (block, layers) in blocks_of(&DEEP).iter().enumerate() {
        let moved: Vec<String> = layers
            .iter()
            .map(|(name, layer)| format!("{name} {:.3}", moved(&start, trainer.network(), *layer)))
            .collect();
        println!("block {}: {}", block + 1, moved.join(", "));
    }
    if let Some((test, mean)) = last {
        println!(
            "\nfinal test accuracy {:.4} after {epochs} epochs, {mean:.2} s per epoch",
            test.accuracy
        );
    }
    Ok(())
}

/// For each residual block, its branch's layers with parameters: a short
/// name and the index among the network's layers with parameters.
fn blocks_of(spec: &NetworkSpec) -> Vec<Vec<(String, usize)>> {
    let mut blocks: Vec<Vec<(String, usize)>> = Vec::new();
    let (mut inside, mut parameters) = (false, 0);
    for layer in spec.layers() {
        match layer.kind() {
            LayerKind::Residual { .. } => {
                inside = true;
                blocks.push(Vec::new());
            }
            LayerKind::ResidualEnd => inside = false,
            kind if kind.has_parameters() => {
                if let (true, Some(block)) = (inside, blocks.last_mut()) {
                    let name = match kind {
                        LayerKind::Dense(dense) => format!("dense {}->{}", dense.inputs(), dense.outputs()),
                        other => format!("{} γ", other.name()),
                    };
                    block.push((name, parameters));
                }
                parameters += 1;
            }
            _ => {}
        }
    }
    blocks
}

/// ‖W − W₀‖ / ‖W₀‖ for the weights (a normalization's γ) of layer `layer`.
fn moved(start: &Network, now: &Network, layer: usize) -> f64 {
    let (before, after) = (start.layers()[layer].weight(), now.layers()[layer].weight());
    let norm = |values: &mut dyn Iterator<Item = f64>| values.map(|v| v * v).sum::<f64>().sqrt();
    let change = norm(
        &mut before
            .iter()
            .zip(after)
            .map(|(&b, &a)| f64::from(a) - f64::from(b)),
    );
    change / norm(&mut before.iter().map(|&b| f64::from(b)))
}
