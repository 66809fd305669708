//! `init_study --part conv`: the signal analysis through convolutions and
//! pooling, measured on Fashion-MNIST: per layer, the activations' second
//! moment and the gradients' norm at initialisation, measured on a real
//! batch and as `netinit::signal::propagate_from` predicts them from the
//! batch's input statistics.
//!
//! (a) 20 convolutions of 32 channels, 3 × 3, padding 1, at 28 × 28;
//! (b) the same with a 2 × 2 max pooling after convolutions 7 and 14.
//! Each with He (matched), Xavier and N(0, 1) on relu. Writes
//! conv-depth.png and prints the tables the book shows (`docs/src/studies.md`).

use std::error::Error;
use std::path::Path;

use ndarray::{s, Array2, Axis};
use netinit::data::FashionMnist;
use netinit::signal::{propagate_from, InputStatistics};
use netinit::{fill, generator, Activation, Conv2dSpec, Init, LayerSpec, NetworkSpec, Padding, Shape};
use plotters::prelude::*;

use crate::plot::{measured_and_predicted, register_font, write_atomically, Series};

const DEPTH: usize = 20;
const CHANNELS: usize = 32;
const BATCH: usize = 64;
/// Networks sampled per configuration. A layer of 32 channels multiplies
/// the signal by a factor that varies between draws of its weights (by
/// √(5/32) for relu), and over 20 layers that compounds: a typical network
/// (the geometric mean of 8) is set beside the analysis's typical
/// prediction, and the arithmetic mean of 8 beside its mean over the draw.
const SEEDS: u64 = 8;

/// One network and init: what was measured and predicted at each convolution.
struct Profile {
    label: String,
    /// The geometric mean over the networks: a typical network's.
    second_moment: Vec<f64>,
    /// The arithmetic mean over the networks.
    mean_second_moment: Vec<f64>,
    /// A typical network's, predicted.
    predicted_second_moment: Vec<f64>,
    /// The mean over the weights' draw, predicted.
    predicted_mean_second_moment: Vec<f64>,
    gradient: Vec<f64>,
    predicted_gradient: Vec<f64>,
}

/// Run the study on `data`, writing conv-depth.png into `out`.
pub fn run(data: &FashionMnist, out: &Path) -> Result<(), Box<dyn Error>> {
    println!("== conv depth: {DEPTH} convolutions of {CHANNELS} channels, a batch of {BATCH} images, {SEEDS} networks each");
    let images = data.train.images.slice(s![..BATCH, ..]).to_owned();
    let shape = Shape::image(1, 28, 28);
    let all = InputStatistics::measure(
        data.train
            .images
            .as_slice()
            .ok_or("the images are one contiguous array")?,
        shape,
    );
    println!(
        "training set: adjacent pixels correlated {:.3}, the mean {:.1}% of the second moment\n",
        all.neighbour_correlation,
        100.0 * all.mean_ratio
    );
    let statistics = InputStatistics::measure(images.as_slice().ok_or("a fresh array is contiguous")?, shape);
    let inits = [
        ("He", Init::he_normal()),
        ("Xavier", Init::xavier_normal()),
        ("N(0, 1)", Init::Normal { std: 1.0 }),
    ];
    let mut profiles = Vec::new();
    for pooled in [false, true] {
        for (name, init) in inits {
            let spec = network(init, pooled)?;
            let label = format!("{} {name}", if pooled { "(b)" } else { "(a)" });
            let profile = measure(&spec, &images, &statistics, label)?;
            print_profile(&profile);
            profiles.push(profile);
        }
    }
    let path = out.join("conv-depth.png");
    plot(&profiles, &path)?;
    println!("wrote {}", path.display());
    Ok(())
}

/// 20 relu convolutions with `init`, and with `pooled` two max poolings.
fn network(init: Init, pooled: bool) -> Result<NetworkSpec, Box<dyn Error>> {
    let mut layers = vec![LayerSpec::input(Shape::image(1, 28, 28))];
    for index in 0..DEPTH {
        let inputs = if index == 0 { 1 } else { CHANNELS };
        layers.push(
            LayerSpec::of(
                Conv2dSpec::new(inputs, CHANNELS, Activation::Relu, [3, 3])
                    .with_padding(Padding::uniform(1))
                    .into(),
            )
            .with_weight(init),
        );
        if pooled && (index == 6 || index == 13) {
            layers.push(LayerSpec::max_pool2d([2, 2], [2, 2]));
        }
    }
    Ok(NetworkSpec::new(layers)?)
}

fn measure(
    spec: &NetworkSpec,
    images: &Array2<f32>,
    statistics: &InputStatistics,
    label: String,
) -> Result<Profile, Box<dyn Error>> {
    let convolutions: Vec<usize> = spec
        .layers()
        .iter()
        .enumerate()
        .filter(|(_, layer)| layer.weights().is_some())
        .map(|(index, _)| index)
        .collect();
    let second_moment = |values: &Array2<f32>| {
        values.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / values.len() as f64
    };
    let norm = |delta: &Array2<f32>| {
        delta
            .map_axis(Axis(1), |row| {
                row.iter().map(|&d| f64::from(d).powi(2)).sum::<f64>()
            })
            .mean()
            .unwrap_or(f64::NAN)
    };
    let mut measured = vec![0.0; convolutions.len()];
    let mut logarithms = vec![0.0; convolutions.len()];
    let mut gradients = vec![0.0; convolutions.len()];
    for seed in 0..SEEDS {
        let network = spec.init(seed);
        let outputs = network.forward_all(images.view())?;
        let mut top = Array2::<f32>::zeros((images.nrows(), network.outputs()));
        fill::normal(&mut top, 1.0, &mut generator(1000 + seed))?;
        let deltas = network.backward(images.view(), top.view())?;
        for ((sum, log), &index) in measured.iter_mut().zip(&mut logarithms).zip(&convolutions) {
            let value = second_moment(&outputs[index]);
            *sum += value / SEEDS as f64;
            *log += value.ln() / SEEDS as f64;
        }
        for (sum, delta) in gradients.iter_mut().zip(&deltas) {
            *sum += norm(delta) / SEEDS as f64;
        }
    }
    let last = gradients[gradients.len() - 1];
    let report = propagate_from(spec.layers(), statistics)?;
    Ok(Profile {
        label,
        second_moment: logarithms.iter().map(|log| log.exp()).collect(),
        mean_second_moment: measured,
        predicted_second_moment: convolutions
            .iter()
            .map(|&index| report[index].typical_second_moment)
            .collect(),
        predicted_mean_second_moment: convolutions
            .iter()
            .map(|&index| report[index].activation_second_moment)
            .collect(),
        gradient: gradients.iter().map(|norm| norm / last).collect(),
        predicted_gradient: convolutions
            .iter()
            .map(|&index| report[index].backward_cumulative)
            .collect(),
    })
}

/// The table of one profile: per convolution, measured, predicted and their ratio.
fn print_profile(profile: &Profile) {
    println!(
        "== {}: at each convolution, E[h²] of a typical network (geometric mean of {SEEDS}) and the mean over \
         the draw (arithmetic mean), and the gradient's squared norm relative to conv 20's (arithmetic mean)",
        profile.label
    );
    println!(
        "conv   typical E[h²] measured  predicted  ratio   mean E[h²] measured  predicted  ratio   gradient measured  \
         predicted  ratio"
    );
    let mut worst: f64 = 1.0;
    for layer in 0..profile.second_moment.len() {
        let mut ratio = |measured: f64, predicted: f64| {
            let ratio = measured / predicted;
            if ratio.is_finite() && ratio > 0.0 {
                worst = worst.max(ratio.max(1.0 / ratio));
                format!("{ratio:.2}")
            } else {
                "—".to_owned()
            }
        };
        let (h, hp) = (
            profile.second_moment[layer],
            profile.predicted_second_moment[layer],
        );
        let (m, mp) = (
            profile.mean_second_moment[layer],
            profile.predicted_mean_second_moment[layer],
        );
        let (g, gp) = (profile.gradient[layer], profile.predicted_gradient[layer]);
        let typical = ratio(h, hp);
        let gradient = ratio(g, gp);
        // The mean over 8 networks undershoots the mean over the draw, which
        // rare networks pull up: shown, not held to the bound.
        let mean = match m / mp {
            ratio if ratio.is_finite() => format!("{ratio:.2}"),
            _ => "—".to_owned(),
        };
        println!(
            "{:>4}   {:>22.4e}  {:>9.4e}  {:>5}   {:>19.4e}  {:>9.4e}  {:>5}   {:>17.4e}  {:>9.4e}  {:>5}",
            layer + 1,
            h,
            hp,
            typical,
            m,
            mp,
            mean,
            g,
            gp,
            gradient
        );
    }
    println!("largest disagreement, typical E[h²] and gradient: ×{worst:.2}\n");
}

fn plot(profiles: &[Profile], path: &Path) -> Result<(), Box<dyn Error>> {
    register_font()?;
    write_atomically(path, |temporary| {
        let root = BitMapBackend::new(temporary, (1400, 1000)).into_drawing_area();
        root.fill(&WHITE)?;
        let panels = root.split_evenly((2, 2));
        let mut panels = panels.iter();
        for pooled in [false, true] {
            for (title, gradient) in [
                ("E[h²] at each convolution", false),
                ("gradient's squared norm / conv 20's", true),
            ] {
                let panel = panels.next().ok_or("four panels")?;
                let caption = format!("{} {title}", if pooled { "(b) pooled:" } else { "(a)" });
                let series: Vec<Series> = profiles
                    .iter()
                    .filter(|p| p.label.starts_with(if pooled { "(b)" } else { "(a)" }))
                    .map(|profile| {
                        let (measured, predicted) = if gradient {
                            (&profile.gradient, &profile.predicted_gradient)
                        } else {
                            (&profile.second_moment, &profile.predicted_second_moment)
                        };
                        Series {
                            label: &profile.label,
                            measured,
                            predicted,
                        }
                    })
                    .collect();
                measured_and_predicted(panel, (&caption, "convolution"), DEPTH, (1e-30, 1e38), &series)?;
            }
        }
        root.present()?;
        Ok(())
    })
}
