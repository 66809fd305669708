//! The claims netinit is built on, measured on Fashion-MNIST.
//!
//! cargo run --release --example init_study -- [--epochs 3] [--steps 600] [--out init-study]
//!     [--data DIR] [--part symmetry|depth|training|conv|all]
//!
//! 1. Symmetry: constant weights (set at run time) leave every hidden neuron
//!    identical through training.
//! 2. Depth: in 30 dense layers of width 256, the activations' std and the
//!    gradients' norm at initialisation, measured and as `signal_drift`
//!    predicts them, for matched and mismatched inits (depth.png).
//! 3. Training at depth: a 20-layer relu net with plain SGD, He against
//!    Xavier (training.png).
//! 4. Convolutions: 20 convolutions at 28 × 28, with and without pooling,
//!    measured against the analysis (conv-depth.png; `support/conv_depth.rs`).

#[path = "support/conv_depth.rs"]
mod conv_depth;
#[path = "support/data.rs"]
mod data;
#[path = "support/plot.rs"]
mod plot;

use std::error::Error;
use std::path::{Path, PathBuf};

use clap::{Parser, ValueEnum};
use ndarray::{s, Array2, Axis};
use netinit::data::FashionMnist;
use netinit::rand::seq::SliceRandom;
use netinit::signal::propagate;
use netinit::{
    fill, generator, network, Activation, Init, LayerSpec, Loss, NetworkSpec, Optimizer, Targets, Trainer,
};
use plot::{measured_and_predicted, register_font, write_atomically, Series, COLORS};
use plotters::prelude::*;

const MNIST: NetworkSpec = network![
    dense(784 -> 256, relu),
    dense(256 -> 10, softmax),
];

/// The claims netinit is built on, measured on Fashion-MNIST: symmetry,
/// depth, training at depth and convolutions.
///
/// Data: `--data DIR`, else $NETINIT_FASHION_MNIST, else Debian's
/// dataset-fashion-mnist package, else the subset bundled in the repository.
#[derive(Parser)]
#[command(name = "init_study")]
struct Options {
    /// Epochs of each network of `symmetry`.
    #[arg(long, value_name = "N", default_value_t = 3)]
    epochs: usize,
    /// SGD steps of each network of `training`.
    #[arg(long, value_name = "N", default_value_t = 600)]
    steps: usize,
    /// Write the plots into this folder.
    #[arg(long, value_name = "DIR", default_value = "init-study")]
    out: PathBuf,
    /// Read Fashion-MNIST from this folder.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// The study to run.
    #[arg(long, value_enum, default_value_t = Part::All)]
    part: Part,
}

/// The studies of `--part`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Part {
    /// Constant weights leave every hidden neuron identical.
    Symmetry,
    /// 30 dense layers at initialisation, measured against the analysis
    /// (depth.png).
    Depth,
    /// A 20-layer relu net trained with plain SGD, He against Xavier
    /// (training.png).
    Training,
    /// 20 convolutions at initialisation, measured against the analysis
    /// (conv-depth.png).
    Conv,
    /// All four.
    All,
}

fn main() -> Result<(), Box<dyn Error>> {
    let options = Options::parse();
    let (data, origin) = data::fashion_mnist(options.data.as_deref())?;
    println!(
        "{origin}\n      {} training and {} test images\n",
        data.train.len(),
        data.test.len()
    );
    std::fs::create_dir_all(&options.out)?;
    let run = |part: Part| options.part == Part::All || options.part == part;
    if run(Part::Symmetry) {
        symmetry(&data, options.epochs)?;
    }
    if run(Part::Depth) {
        depth(&data, &options.out)?;
    }
    if run(Part::Training) {
        training_at_depth(&data, options.steps, &options.out)?;
    }
    if run(Part::Conv) {
        conv_depth::run(&data, &options.out)?;
    }
    Ok(())
}

/// Claim 1: constant weights start every neuron of a layer the same; what
/// becomes of them depends on their neighbours. Four cases, each trained
/// `epochs` epochs: two constant layers in a row (tied forever), one
/// constant hidden layer under a random head (the head pulls them apart),
/// the same with tanh and zeros, and a zero relu layer (no gradient at all).
fn symmetry(data: &FashionMnist, epochs: usize) -> Result<(), Box<dyn Error>> {
    println!("== symmetry: after {epochs} epochs of Adam(1e-3), batch 128, seed 0");
    println!(
        "{:<44} {:>16} {:>14}",
        "network", "distinct rows W1", "test accuracy"
    );
    let card_with = |hidden: &str| -> Result<NetworkSpec, Box<dyn Error>> {
        Ok(format!("#[allow(constant_init)] {hidden}, dense(256 -> 10, softmax)").parse()?)
    };
    let cases: [(&str, NetworkSpec); 6] = [
        ("derived (He / Xavier)", MNIST),
        (
            "both layers zeros (tied forever)",
            MNIST.with_weight_init(Init::zeros())?,
        ),
        (
            "both layers constant(0.01) (tied forever)",
            MNIST.with_weight_init(Init::Constant { value: 0.01 })?,
        ),
        (
            "hidden relu constant(0.01), head random",
            card_with("dense(784 -> 256, relu, init = constant(0.01))")?,
        ),
        (
            "hidden tanh zeros, head random",
            card_with("dense(784 -> 256, tanh, init = zeros)")?,
        ),
        (
            "relu zeros between random layers (no gradient)",
            // Built at run time: the macro and the text reader refuse it.
            NetworkSpec::new(vec![
                LayerSpec::dense(784, 256, Activation::Relu),
                LayerSpec::dense(256, 64, Activation::Relu).with_weight(Init::zeros()),
                LayerSpec::dense(64, 10, Activation::Softmax),
            ])?,
        ),
    ];
    for (name, spec) in cases {
        let mut trainer = Trainer::new(spec.init(0), Loss::CrossEntropy, Optimizer::adam(1e-3))?;
        let start = trainer.network().clone();
        for epoch in 0..epochs {
            trainer.epoch(
                data.train.images.view(),
                &data.train.labels,
                128,
                epoch as u64,
                |_| {},
            )?;
        }
        let test = trainer
            .network()
            .evaluate(data.test.images.view(), &data.test.labels)?;
        let first = &trainer.network().layers()[0];
        let moved = first.weight() != start.layers()[0].weight();
        println!(
            "{name:<44} {:>12} / {:<3} {:>14.4}{}",
            first.distinct_rows(),
            first.weight().nrows(),
            test.accuracy,
            if moved { "" } else { "  (layer 1 never moved)" }
        );
    }
    println!();
    Ok(())
}

/// One depth configuration: a label, the activation, the weight init.
struct Config {
    label: &'static str,
    activation: Activation,
    init: Init,
}

/// What was measured and predicted at each layer of one configuration.
struct Profile {
    label: &'static str,
    measured_std: Vec<f64>,
    predicted_std: Vec<f64>,
    measured_gradient: Vec<f64>,
    predicted_gradient: Vec<f64>,
}

const DEPTH: usize = 30;
const WIDTH: usize = 256;

/// Claim 2: the scale must fit the activation, or the signal drifts with depth.
fn depth(data: &FashionMnist, out: &Path) -> Result<(), Box<dyn Error>> {
    let configs = [
        Config {
            label: "relu, He",
            activation: Activation::Relu,
            init: Init::he_normal(),
        },
        Config {
            label: "relu, Xavier",
            activation: Activation::Relu,
            init: Init::xavier_normal(),
        },
        Config {
            label: "relu, N(0, 1)",
            activation: Activation::Relu,
            init: Init::Normal { std: 1.0 },
        },
        Config {
            label: "relu, N(0, 0.01²)",
            activation: Activation::Relu,
            init: Init::Normal { std: 0.01 },
        },
        Config {
            label: "tanh, Xavier",
            activation: Activation::Tanh,
            init: Init::xavier_normal(),
        },
        Config {
            label: "tanh, He",
            activation: Activation::Tanh,
            init: Init::he_normal(),
        },
    ];
    let batch = data.train.images.slice(s![..256, ..]).to_owned();
    let input_second_moment = batch.iter().map(|&x| f64::from(x * x)).sum::<f64>() / batch.len() as f64;
    // The gradient arriving at the top: unit Gaussian per output, the same for every configuration.
    let mut top_gradient = Array2::<f32>::zeros((batch.nrows(), WIDTH));
    fill::normal(&mut top_gradient, 1.0, &mut generator(99))?;

    let mut profiles = Vec::new();
    for config in &configs {
        let layers: Vec<LayerSpec> = (0..DEPTH)
            .map(|index| {
                let inputs = if index == 0 { 784 } else { WIDTH };
                LayerSpec::dense(inputs, WIDTH, config.activation).with_weight(config.init)
            })
            .collect();
        let spec = NetworkSpec::new(layers)?;
        let network = spec.init(1);
        let outputs = network.forward_all(batch.view())?;
        let deltas = network.backward(batch.view(), top_gradient.view())?;
        let report = propagate(spec.layers(), input_second_moment);
        let norm = |delta: &Array2<f32>| {
            (delta
                .map_axis(Axis(1), |row| {
                    row.iter().map(|&d| f64::from(d) * f64::from(d)).sum::<f64>()
                })
                .mean())
            .unwrap_or(0.0)
            .sqrt()
        };
        let top = norm(&deltas[DEPTH - 1]);
        profiles.push(Profile {
            label: config.label,
            measured_std: outputs.iter().map(std_of).collect(),
            predicted_std: report.iter().map(|layer| layer.activation_std()).collect(),
            measured_gradient: deltas.iter().map(|delta| norm(delta) / top).collect(),
            predicted_gradient: report
                .iter()
                .map(|layer| layer.backward_cumulative.sqrt())
                .collect(),
        });
    }

    println!("== depth: {DEPTH} dense layers of width {WIDTH}, a batch of 256 Fashion-MNIST images, at initialisation");
    println!("activation std (measured / predicted by the signal_drift analysis), and the gradient's norm");
    println!(
        "relative to the last layer's (measured / predicted); `inf` and `0` are f32 overflow and underflow\n"
    );
    for profile in &profiles {
        println!("{}", profile.label);
        println!("  layer   act std measured  predicted   ratio    grad norm measured  predicted   ratio");
        for layer in 0..DEPTH {
            println!(
                "  {:>5}   {:>16} {:>10} {:>7}    {:>18} {:>10} {:>7}",
                layer + 1,
                short(profile.measured_std[layer]),
                short(profile.predicted_std[layer]),
                ratio(profile.measured_std[layer], profile.predicted_std[layer]),
                short(profile.measured_gradient[layer]),
                short(profile.predicted_gradient[layer]),
                ratio(
                    profile.measured_gradient[layer],
                    profile.predicted_gradient[layer]
                ),
            );
        }
        let first = profile.measured_std[0];
        let spread = profile
            .measured_std
            .iter()
            .map(|s| (s / first).max(first / s))
            .fold(1.0_f64, f64::max);
        println!(
            "  largest factor between a layer's activation std and layer 1's: {}\n",
            short(spread)
        );
    }
    println!(
        "tanh: the prediction follows the saturation too (He's factor 2 per layer stops where tanh flattens,\n\
         Xavier's signal shrinks like 1/depth rather than geometrically), so the analysis calls neither drift.\n"
    );
    let path = out.join("depth.png");
    plot_depth(&profiles, &path)?;
    println!("plot: {}\n", path.display());
    Ok(())
}

/// Claim 3: at depth, the matched scheme trains and the mismatched one stalls.
fn training_at_depth(data: &FashionMnist, steps: usize, out: &Path) -> Result<(), Box<dyn Error>> {
    const LAYERS: usize = 20;
    const LEARNING_RATE: f32 = 0.01;
    println!("== training at depth: {LAYERS} relu layers of width {WIDTH}, plain SGD (lr {LEARNING_RATE}), batch 128, {steps} steps");
    let mut curves = Vec::new();
    for (label, init) in [("He", Init::he_normal()), ("Xavier", Init::xavier_normal())] {
        let layers: Vec<LayerSpec> = (0..LAYERS)
            .map(|index| match index {
                0 => LayerSpec::dense(784, WIDTH, Activation::Relu).with_weight(init),
                i if i + 1 == LAYERS => LayerSpec::dense(WIDTH, 10, Activation::Softmax),
                _ => LayerSpec::dense(WIDTH, WIDTH, Activation::Relu).with_weight(init),
            })
            .collect();
        let mut trainer = Trainer::new(
            NetworkSpec::new(layers)?.init(3),
            Loss::CrossEntropy,
            Optimizer::sgd(LEARNING_RATE),
        )?;
        let mut order: Vec<usize> = (0..data.train.len()).collect();
        order.shuffle(&mut netinit::generator(3));
        let mut losses = Vec::with_capacity(steps);
        for step in 0..steps {
            let start = (step * 128) % (order.len() - 127);
            let rows = &order[start..start + 128];
            let inputs = data.train.images.select(Axis(0), rows);
            let labels: Vec<usize> = rows.iter().map(|&row| data.train.labels[row]).collect();
            losses.push(trainer.step(inputs.view(), Targets::Classes(&labels))?);
        }
        let test = trainer
            .network()
            .evaluate(data.test.images.view(), &data.test.labels)?;
        curves.push((label, losses, test.accuracy));
    }
    println!("  step   {:>10} {:>10}", "He loss", "Xavier loss");
    let window = (steps / 12).max(1);
    for end in (window..=steps).step_by(window) {
        let mean = |losses: &[f32]| losses[end - window..end].iter().sum::<f32>() / window as f32;
        println!(
            "  {end:>4}   {:>10.4} {:>10.4}",
            mean(&curves[0].1),
            mean(&curves[1].1)
        );
    }
    for (label, _, accuracy) in &curves {
        println!("  {label}: test accuracy {accuracy:.4}");
    }
    let path = out.join("training.png");
    plot_training(&curves, &path)?;
    println!("plot: {}", path.display());
    Ok(())
}

/// The standard deviation of every element, computed in f64.
fn std_of(values: &Array2<f32>) -> f64 {
    values.mapv(f64::from).std(0.0)
}

fn short(value: f64) -> String {
    if !value.is_finite() {
        "inf".into()
    } else if value == 0.0 {
        "0".into()
    } else if !(1e-3..1e4).contains(&value.abs()) {
        format!("{value:.2e}")
    } else {
        format!("{value:.4}")
    }
}

fn ratio(measured: f64, predicted: f64) -> String {
    if measured.is_finite() && measured > 0.0 && predicted.is_finite() && predicted > 0.0 {
        format!("{:.2}", measured / predicted)
    } else {
        "-".into()
    }
}

/// Which measured and predicted series of a profile a panel draws.
type Pick = fn(&Profile) -> (&[f64], &[f64]);

fn plot_depth(profiles: &[Profile], path: &Path) -> Result<(), Box<dyn Error>> {
    register_font()?;
    write_atomically(path, |temporary| {
        let root = BitMapBackend::new(temporary, (1400, 600)).into_drawing_area();
        root.fill(&WHITE)?;
        let panels = root.split_evenly((1, 2));
        let series: [(&str, Pick); 2] = [
            ("activation std at each layer", |p| {
                (&p.measured_std, &p.predicted_std)
            }),
            ("gradient norm relative to layer 30", |p| {
                (&p.measured_gradient, &p.predicted_gradient)
            }),
        ];
        for (panel, (title, pick)) in panels.iter().zip(series) {
            let series: Vec<Series> = profiles
                .iter()
                .map(|profile| {
                    let (measured, predicted) = pick(profile);
                    Series {
                        label: profile.label,
                        measured,
                        predicted,
                    }
                })
                .collect();
            measured_and_predicted(panel, (title, "layer"), DEPTH, (1e-35, 1e35), &series)?;
        }
        root.present()?;
        Ok(())
    })
}

fn plot_training(curves: &[(&str, Vec<f32>, f32)], path: &Path) -> Result<(), Box<dyn Error>> {
    write_atomically(path, |temporary| {
        let root = BitMapBackend::new(temporary, (900, 500)).into_drawing_area();
        root.fill(&WHITE)?;
        let steps = curves
            .iter()
            .map(|(_, losses, _)| losses.len())
            .max()
            .unwrap_or(1);
        let top = curves
            .iter()
            .flat_map(|(_, losses, _)| losses.iter().copied())
            .fold(0.0_f32, f32::max)
            .max(2.5);
        let mut chart = ChartBuilder::on(&root)
            .caption("20 relu layers, plain SGD: training loss", ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0..steps, 0.0_f32..top)?;
        chart
            .configure_mesh()
            .x_desc("step")
            .y_desc("cross-entropy")
            .draw()?;
        for ((label, losses, _), color) in curves.iter().zip(COLORS) {
            // A moving mean over 20 steps, for a readable curve.
            let smoothed: Vec<(usize, f32)> = (0..losses.len())
                .map(|i| {
                    let window = &losses[i.saturating_sub(19)..=i];
                    (i, window.iter().sum::<f32>() / window.len() as f32)
                })
                .collect();
            chart
                .draw_series(LineSeries::new(smoothed, color.stroke_width(3)))?
                .label(format!("{label} init"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3)));
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
