//! ## `signal_drift` — warning
//!
//! `signal_drift`: the signal analysis predicts the activations or the
//! gradients to grow or shrink by more than 2^10 across the network. Each
//! layer multiplies the signal by its weights on the way forward and the
//! gradient by the same weights on the way back, so a scale that is a little
//! off compounds with depth until the signal explodes or vanishes.
//!
//! A static mean-field analysis propagates the second moment of the activations
//! forward (`Var(z) = fan_in · E[w²] · E[h²] + E[b²]`, then `E[φ(z)²]`) and the
//! squared norm of the gradient backward (`fan_in · E[w²] · E[φ'(z)²]` per
//! layer), with each activation's expectations over a Gaussian pre-activation
//! (closed forms for relu, leaky_relu and identity, adaptive quadrature split
//! at the kink for the others). It warns when either grows or shrinks by more
//! than 2^10 across the network, naming the factor, the direction and the layer
//! where it crosses. Width changes are not drift (using norms, the width ratios
//! telescope, as He et al. 2015 show), and a layer whose factor is within 0.7%
//! of 1 adds nothing: that is a signal settling to a fixed point, as tanh's does
//! under Xavier (its second moment decays like 1/depth), so He on relu and
//! Xavier on tanh stay silent at any depth. Layers whose constant init is
//! allowed are left out.
//!
//! Under the derived init the forward signal keeps its level by construction,
//! but some activations move the gradient by themselves ([The derived
//! scheme](derived-scheme.md)): the lint reports that once it compounds past
//! 2^10, from 3 sigmoid hidden layers, 9 softplus layers, and about 100 gelu,
//! silu or selu layers, and its help then says the drift comes from the
//! activation, since no init scale fixes it.
//!
//! Thirty relu layers drawn from `N(0, 1)`:
//!
//! ```text
//! error: use of deprecated unit struct `NET::signal_drift`: the activations' predicted second moment grows by a factor of 7.6e61 (2^205.6) from the first layer to the last; it passes 2^10 at layer 1 (of layers 0 to 29), where each layer multiplies it by 128
//!        help: the weight scale does not suit the depth: remove `init = …` to get the derived `he_normal fan_in std=0.0884`, add a normalization (`layer_norm`, `batch_norm`) that resets the scale, or add `#[allow(signal_drift)]` if the drift is deliberate
//!        note: `#[warn(signal_drift)]` is on by default; `#[allow(signal_drift)]` on the layer or network silences it
//!  --> tests/ui/fail/signal_drift.rs:9:5
//!   |
//! 9 |     dense(256 -> 256, relu, init = normal(std = 1.0)),
//!   |     ^^^^^
//!   |
//! note: the lint level is defined here
//!  --> tests/ui/fail/signal_drift.rs:4:9
//!   |
//! 4 | #![deny(deprecated)]
//!   |         ^^^^^^^^^^
//!
//! error: use of deprecated unit struct `NET::signal_drift`: the gradients' predicted second moment grows by a factor of 9.7e58 (2^195.9) from the last layer back to the first; it passes 2^10 at layer 26 (of layers 0 to 29), where each layer multiplies it by 128
//!        help: the weight scale does not suit the depth: remove `init = …` to get the derived `he_normal fan_in std=0.0884`, add a normalization (`layer_norm`, `batch_norm`) that resets the scale, or add `#[allow(signal_drift)]` if the drift is deliberate
//!        note: `#[warn(signal_drift)]` is on by default; `#[allow(signal_drift)]` on the layer or network silences it
//!   --> tests/ui/fail/signal_drift.rs:34:5
//!    |
//! 34 |     dense(256 -> 256, relu, init = normal(std = 1.0)),
//!    |     ^^^^^
//! ```
//!
//! The same from `N(0, 0.01²)` vanishes; here with `#[deny(signal_drift)]` on
//! the item:
//!
//! ```text
//! error: the activations' predicted second moment shrinks by a factor of 4.0e-6 (2^-17.9) from the first layer to the last; it passes 2^-10 at layer 1 (of layers 0 to 3), where each layer multiplies it by 0.0128
//!        help: the weight scale does not suit the depth: remove `init = …` to get the derived `he_normal fan_in std=0.0884`, add a normalization (`layer_norm`, `batch_norm`) that resets the scale, or add `#[allow(signal_drift)]` if the drift is deliberate
//!        note: `#[deny(signal_drift)]` is set on this network or layer
//!  --> tests/ui/fail/signal_drift_vanishing.rs:8:9
//!   |
//! 8 |         dense(256 -> 256, relu, init = normal(std = 0.01)),
//!   |         ^^^^^
//! ```
//!
//! Through convolutions the analysis follows each position (zero padding's
//! lost taps) and, for pooling, how neighbouring values are correlated
//! (assuming an image input's pixels correlate 0.92 as Fashion-MNIST's do); a
//! pooling's change of the gradient's norm is, like a width, not drift
//! (`tests/ui/fail/conv_lints.rs`):
//!
//! ```text
//! error: the activations' predicted second moment grows by a factor of 9.9e4 (2^16.6) from the first layer to the last; it passes 2^10 at layer 4 (of layers 0 to 6), where each layer multiplies it by 134
//!        help: the weight scale does not suit the depth: remove `init = …` to get the derived `he_normal fan_in std=0.0833`, add a normalization (`layer_norm`, `batch_norm`) that resets the scale, or add `#[allow(signal_drift)]` if the drift is deliberate
//!        note: `#[deny(signal_drift)]` is set on this network or layer
//!   --> tests/ui/fail/conv_lints.rs:39:5
//!    |
//! 39 |     conv2d(32 -> 32, relu, kernel = 3, padding = 1, init = normal(std = 1.0)),
//!    |     ^^^^^^
//! ```
//!
//! A normalization resets the second moment, and the lint counts afresh after
//! each one, naming the stretch between them where the signal drifts
//! ([Normalization](normalization.md)). Through residual blocks it follows
//! the network's trunk, a block counting as one step, and points at the block
//! where the signal passes 2^10, its help naming both fixes: scale the
//! branches' last layers down, or normalize ([Residual
//! blocks](residual.md#the-analysis)):
//!
//! ```text
//! error: use of deprecated unit struct `RESIDUAL::signal_drift`: the activations' predicted second moment grows by a factor of 5.2e5 (2^19.0) from the first layer to the last; it passes 2^10 at layer 28 (of layers 0 to 49), where each residual block multiplies it by 2.90
//!        help: each residual block adds its branch's output to its input, so the second moment grows at every block: scale each branch's last layer down (the derived branch scaling does, unless the branch's last layer names its own init or the block says `scale = none`; `init = zeros` starts it at zero), or normalize (a `layer_norm` or `batch_norm` at the start of each branch, or after each block)
//!        note: `#[warn(signal_drift)]` is on by default; `#[allow(signal_drift)]` on the layer or network silences it
//!   --> tests/ui/fail/signal_drift.rs:51:5
//!    |
//! 51 |     residual(dense(64 -> 64, relu), dense(64 -> 64, relu), scale = none),
//!    |     ^^^^^^^^
//! ```
//!
//! Measured against real Fashion-MNIST batches in [the depth
//! studies](studies.md), the analysis is within a factor 1.51 of the
//! measurement at every layer of 30 dense layers, 1.73 at every convolution of
//! 20, and 1.57 at every one of 64 residual blocks.
//!
//! **Fixing it.** Remove `init = …` to get the derived init, add a
//! normalization (`layer_norm`, `batch_norm`) that resets the scale, or, in a
//! residual network, let the derived branch scaling (or a zero branch end)
//! keep each block's addition small. Add `#[allow(signal_drift)]` if the drift
//! is deliberate.

use crate::rules::blocks;
use crate::rules::init::Init;
use crate::rules::layer::{LayerSpec, Marker};
use crate::rules::levels::{Level, Lint};
use crate::rules::lint::{scientific, Finding};
use crate::rules::part::Part;
use crate::rules::signal::LayerSignal;

/// How far the predicted second moment may drift across the network before
/// `signal_drift` speaks: a factor of 2^10 either way.
pub const DRIFT_LIMIT_LOG2: f64 = 10.0;

/// A layer whose predicted factor is within `2^±0.01` (0.7%) of 1 adds
/// nothing to the drift: such factors come from a signal settling slowly
/// toward its fixed point, as tanh's second moment does under Xavier (like
/// 1/depth), not from a scale that compounds with depth.
pub const SETTLING_LOG2: f64 = 0.01;

/// The drifts `report`, the analysis of `layers` from inputs of second
/// moment 1, predicts.
pub(crate) fn signal_drift(layers: &[LayerSpec], report: &[LayerSignal]) -> Vec<Finding> {
    let derived_everywhere = layers
        .iter()
        .filter_map(LayerSpec::weights)
        .all(|weights| weights.is_derived());
    let mut found = Vec::new();
    // Log2 sums rather than products: a deep sigmoid stack underflows f64.
    // A factor that is not a number (a moment past f64's range divided by
    // another) counts as a drift past any limit, never as no drift.
    let log2 = |factor: f64| {
        if factor.is_nan() {
            f64::INFINITY
        } else {
            factor.log2()
        }
    };
    let forward: Vec<f64> = report.iter().map(|s| log2(s.forward_factor)).collect();
    let backward: Vec<f64> = report.iter().map(|s| log2(s.backward_factor)).collect();
    // Only factors that compound count: a layer whose factor is within
    // 2^±0.01 of 1 is settling toward a fixed point (tanh's slow 1/depth
    // decay under Xavier), so it adds nothing. The limit is crossed where the
    // sum of the rest passes ±10, reported at a layer with weights (whose
    // init the help is about), not at an activation or pooling layer.
    // A normalization resets the second moment (and the gradient's), so
    // the sum starts again after one. The path is the network's trunk:
    // a residual block counts as one step, its end's factor (output over
    // input), and is reported at as a layer with weights is.
    let depths = blocks::depths(layers);
    let trunk = |index: &usize| depths[*index] == 0;
    let resets = |index: usize| {
        trunk(&index)
            && layers[index]
                .kind()
                .rules()
                .is_some_and(|kind| kind.properties().normalizes)
    };
    // A block's factor is its end's forward, its start's backward.
    let crossing =
        |path: &mut dyn Iterator<Item = usize>, factors: &[f64], block: &dyn Fn(Option<Marker>) -> bool| {
            let mut running = 0.0_f64;
            for index in path.filter(trunk) {
                if resets(index) {
                    running = 0.0;
                    continue;
                }
                if factors[index].abs() >= SETTLING_LOG2 {
                    running += factors[index];
                }
                let weighted = layers[index].weights().is_some() || block(blocks::marker(&layers[index]));
                if report[index].included && weighted && running.abs() > DRIFT_LIMIT_LOG2 {
                    return Some(index);
                }
            }
            None
        };
    // The stretch between normalizations (or the ends) around `index`.
    let stretch = |index: usize| {
        let first = (0..index).rev().find(|&at| resets(at)).map_or(0, |at| at + 1);
        let last = (index..layers.len())
            .find(|&at| resets(at))
            .map_or(layers.len(), |at| at);
        first..last
    };
    let whole = |range: &core::ops::Range<usize>| range.start == 0 && range.end == layers.len();
    if let Some(index) = crossing(&mut (0..layers.len()), &forward, &|marker| {
        marker == Some(Marker::End)
    }) {
        let range = stretch(index);
        let drift = Drift {
            what: "activations",
            path: match whole(&range) {
                true => "the first layer to the last".to_owned(),
                false => format!(
                    "layer {} to layer {}, between normalizations",
                    range.start,
                    range.end - 1
                ),
            },
            total_log2: compounding(range.filter(trunk).map(|at| forward[at])),
            factor: report[index].forward_factor,
        };
        found.push(drift.diagnostic(layers, index, derived_everywhere));
    }
    if let Some(index) = crossing(&mut (0..layers.len()).rev(), &backward, &|marker| {
        matches!(marker, Some(Marker::Start { .. }))
    }) {
        let range = stretch(index);
        let drift = Drift {
            what: "gradients",
            path: match whole(&range) {
                true => "the last layer back to the first".to_owned(),
                false => format!(
                    "layer {} back to layer {}, between normalizations",
                    range.end - 1,
                    range.start
                ),
            },
            total_log2: compounding(range.filter(trunk).map(|at| backward[at])),
            factor: report[index].backward_factor,
        };
        found.push(drift.diagnostic(layers, index, derived_everywhere));
    }
    found
}

/// The sum of the log2 factors that compound (see [`SETTLING_LOG2`]).
fn compounding(factors: impl Iterator<Item = f64>) -> f64 {
    factors.filter(|factor| factor.abs() >= SETTLING_LOG2).sum()
}

/// A predicted drift across the network, for its message.
struct Drift {
    what: &'static str,
    path: String,
    total_log2: f64,
    factor: f64,
}

impl Drift {
    fn diagnostic(&self, layers: &[LayerSpec], index: usize, derived_everywhere: bool) -> Finding {
        let growing = self.total_log2 > 0.0;
        let direction = if growing { "grows" } else { "shrinks" };
        let limit = if growing { "2^10" } else { "2^-10" };
        let total = self.total_log2.exp2();
        let total = if !self.total_log2.is_finite() {
            "more than f64 can hold".to_owned()
        } else if total == 0.0 || total.is_infinite() {
            format!("2^{:.1}", self.total_log2)
        } else {
            format!("{} (2^{:.1})", scientific(total), self.total_log2)
        };
        let layer = &layers[index];
        let block = matches!(blocks::marker(layer), Some(Marker::End | Marker::Start { .. }));
        let help = if block {
            "each residual block adds its branch's output to its input, so the second moment grows at every \
             block: scale each branch's last layer down (the derived branch scaling does, unless the branch's \
             last layer names its own init or the block says `scale = none`; `init = zeros` starts it at zero), \
             or normalize (a `layer_norm` or `batch_norm` at the start of each branch, or after each block)"
                .to_owned()
        } else if derived_everywhere {
            format!(
                "every layer already has its derived init, so this comes from `{}` itself at this depth: use \
                 fewer layers, an activation of the ReLU family, or normalisation and skip connections; or add \
                 `#[allow(signal_drift)]` if those correct it",
                layer.activation()
            )
        } else {
            format!(
                "the weight scale does not suit the depth: remove `init = …` to get the derived `{}`, add a \
                 normalization (`layer_norm`, `batch_norm`) that resets the scale, or add `#[allow(signal_drift)]` if the drift is deliberate",
                Init::derived(layer.activation()).describe(layer.activation(), layer.fans())
            )
        };
        Finding {
            lint: Lint::SignalDrift,
            level: Level::Warn,
            layer: index,
            part: Part::Layer,
            message: format!(
                "the {}' predicted second moment {direction} by a factor of {total} from {}; it passes \
                 {limit} at layer {} (of layers 0 to {}), where each {} multiplies it by {}",
                self.what,
                self.path,
                index,
                layers.len() - 1,
                if block { "residual block" } else { "layer" },
                scientific(self.factor)
            ),
            help,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::activation::Activation;
    use crate::rules::init::Init;
    use crate::rules::layer::Conv2dSpec;
    use crate::rules::levels::{Level, Lint};
    use crate::rules::lint::check;
    use crate::rules::lint::tests::{lints, stack};

    #[test]
    fn residual_stacks_drift_at_a_block_unless_their_branches_are_scaled() {
        use crate::rules::layer::LayerSpec;
        use crate::rules::network::NetworkSpec;
        // Unscaled He relu branches add their input's second moment and
        // twice the product of the two relu means (2/π of it): about 2.9
        // a block, so 2^10 is passed at the seventh block's end. The
        // derived scaling keeps 64 blocks under e.
        let stack = |start: LayerSpec| {
            let mut layers = vec![LayerSpec::dense(64, 64, Activation::Relu)];
            for _ in 0..64 {
                layers.extend([
                    start,
                    LayerSpec::dense(64, 64, Activation::Relu),
                    LayerSpec::dense(64, 64, Activation::Relu),
                    LayerSpec::residual_end(),
                ]);
            }
            layers.push(LayerSpec::dense(64, 10, Activation::Softmax));
            NetworkSpec::new(layers).unwrap()
        };
        let unscaled = stack(LayerSpec::residual_unscaled());
        let drift: Vec<_> = check(unscaled.layers())
            .into_iter()
            .filter(|finding| finding.lint == Lint::SignalDrift)
            .collect();
        assert_eq!(drift.len(), 2, "{drift:?}");
        // The seventh block's end: layer 1 + 4 · 7 - 1.
        assert_eq!(drift[0].layer, 28, "{}", drift[0].message);
        assert!(
            drift[0]
                .message
                .contains("each residual block multiplies it by 2.9"),
            "{}",
            drift[0].message
        );
        assert!(drift[0].help.contains("normalize"), "{}", drift[0].help);
        let scaled = stack(LayerSpec::residual());
        assert!(check(scaled.layers())
            .iter()
            .all(|finding| finding.lint != Lint::SignalDrift));
    }

    #[test]
    fn zero_started_branches_do_not_drift_wherever_the_block_sits() {
        use crate::rules::layer::{LayerSpec, NormSpec, Padding};
        use crate::rules::network::NetworkSpec;
        use crate::rules::shape::Shape;
        // A ReZero block last in the network: the skip carries the unit
        // gradient down, and the layer below measures nothing against it.
        let last = NetworkSpec::new(vec![
            LayerSpec::dense(64, 64, Activation::Tanh),
            LayerSpec::residual(),
            LayerSpec::dense(64, 64, Activation::Tanh),
            LayerSpec::dense(64, 64, Activation::Identity).with_weight(Init::zeros()),
            LayerSpec::residual_end(),
        ])
        .unwrap();
        assert!(last.lint().is_empty(), "{:?}", last.lint());
        // Sixteen blocks whose branches end in a batch normalization with
        // γ = 0 (Goyal et al.): each adds β = 0, nothing grows.
        let mut layers = vec![LayerSpec::input(Shape::image(8, 8, 8))];
        for _ in 0..16 {
            layers.extend([
                LayerSpec::residual(),
                LayerSpec::of(
                    Conv2dSpec::new(8, 8, Activation::Relu, [3, 3])
                        .with_padding(Padding::uniform(1))
                        .into(),
                ),
                LayerSpec::of(
                    Conv2dSpec::new(8, 8, Activation::Identity, [3, 3])
                        .with_padding(Padding::uniform(1))
                        .into(),
                )
                .without_bias(),
                LayerSpec::batch_norm(NormSpec::new(8).with_gamma(Init::zeros())),
                LayerSpec::residual_end(),
            ]);
        }
        layers.extend([
            LayerSpec::global_avg_pool2d(),
            LayerSpec::dense(8, 10, Activation::Softmax),
        ]);
        let zero_gamma = NetworkSpec::new(layers).unwrap();
        let report = crate::rules::signal::propagate(zero_gamma.layers(), 1.0);
        let ends = report.len() - 3;
        assert!((report[ends].forward_cumulative - report[1].forward_cumulative).abs() < 1e-12);
        assert!(zero_gamma.lint().is_empty(), "{:?}", zero_gamma.lint());
    }

    #[test]
    fn a_block_on_top_measures_its_branch_against_nothing() {
        use crate::rules::layer::LayerSpec;
        // As the network's top layer's factor is 1, so is the top layer of
        // a branch with no layer with weights above its block.
        let layers = [
            LayerSpec::dense(64, 64, Activation::Relu),
            LayerSpec::residual(),
            LayerSpec::dense(64, 64, Activation::Relu),
            LayerSpec::residual_end(),
        ];
        let report = crate::rules::signal::propagate(&layers, 1.0);
        assert_eq!(report[2].backward_factor, 1.0);
        assert!(check(&layers).is_empty());
    }

    #[test]
    fn a_shape_error_after_an_unreadable_width_is_not_reported_again() {
        // The width stands in as 1; the block's skip would be 1 feature.
        let error = "dense(784 -> 64x, relu), residual(dense(64 -> 64, relu)), dense(64 -> 10, softmax)"
            .parse::<crate::rules::network::NetworkSpec>()
            .unwrap_err();
        assert_eq!(error.errors().count(), 1, "{error}");
    }

    #[test]
    fn an_allowed_block_silences_what_it_causes() {
        use crate::rules::levels::Level;
        use crate::rules::network::NetworkSpec;
        // Twelve unscaled blocks drift; `#[allow(signal_drift)]` on each
        // block covers both reports, at a block's end and at a block's start.
        let block = "residual(dense(64 -> 64, relu), dense(64 -> 64, relu), scale = none)";
        let text = |attribute: &str| {
            let blocks = vec![format!("{attribute}{block}"); 12].join(", ");
            format!("dense(784 -> 64, relu), {blocks}, dense(64 -> 10, softmax)")
        };
        let drifting: NetworkSpec = text("").parse().unwrap();
        let found: Vec<_> = drifting
            .lint()
            .into_iter()
            .filter(|f| f.lint == Lint::SignalDrift)
            .collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().all(|finding| finding.level == Level::Warn));
        let allowed: NetworkSpec = text("#[allow(signal_drift)] ").parse().unwrap();
        assert!(allowed.lint().is_empty(), "{:?}", allowed.lint());
        // The same on a spec built at run time, the level set on the starts alone.
        let layers: Vec<_> = drifting
            .layers()
            .iter()
            .map(|layer| match layer.kind() {
                crate::rules::layer::LayerKind::Residual { .. } => {
                    layer.with_lint(Lint::SignalDrift, Level::Allow)
                }
                _ => *layer,
            })
            .collect();
        assert!(NetworkSpec::new(layers).unwrap().lint().is_empty());
    }

    #[test]
    fn a_batch_normalization_over_a_pooled_image_is_followed_back() {
        use crate::rules::layer::{LayerSpec, NormSpec};
        use crate::rules::shape::Shape;
        // The gradient keeps the image's plane through the normalization,
        // as the pooling below it reads it position by position.
        for gamma in [Init::ones(), Init::zeros()] {
            let layers = [
                LayerSpec::input(Shape::image(1, 8, 8)),
                LayerSpec::conv2d(1, 4, Activation::Relu, [3, 3]),
                LayerSpec::max_pool2d([2, 2], [2, 2]),
                LayerSpec::batch_norm(NormSpec::new(4).with_gamma(gamma)),
                LayerSpec::flatten(),
                LayerSpec::dense(36, 10, Activation::Softmax),
            ];
            assert!(check(&layers)
                .iter()
                .all(|finding| finding.lint != Lint::SignalDrift));
        }
    }

    #[test]
    fn a_normalization_starts_the_count_again() {
        use crate::rules::layer::{LayerSpec, NormSpec};
        // N(0, 1) on 256 relu inputs: ×128 a layer. Two then a norm: 2^14
        // before it, reported for that stretch alone; one layer on each
        // side of a norm (2^7 each) is no drift.
        let unit = || LayerSpec::dense(256, 256, Activation::Relu).with_weight(Init::Normal { std: 1.0 });
        let norm = || LayerSpec::layer_norm(NormSpec::new(256));
        let head = LayerSpec::dense(256, 10, Activation::Softmax);
        let two = [unit(), unit(), norm(), head];
        let found = check(&two);
        let forward = found
            .iter()
            .find(|finding| finding.message.starts_with("the activations'"))
            .expect("the forward drift");
        assert!(
            forward.message.contains("grows") && forward.message.contains("from layer 0 to layer 1"),
            "{}",
            forward.message
        );
        let drifts = |layers: &[LayerSpec]| {
            check(layers)
                .into_iter()
                .filter(|finding| finding.lint == Lint::SignalDrift)
                .count()
        };
        assert_eq!(drifts(&[unit(), norm(), unit(), norm(), head]), 0);
        // A zero γ starts the layer constant: left out, as a constant
        // layer is, so it is no vanishing signal.
        let zero_gamma = [
            LayerSpec::dense(784, 256, Activation::Relu),
            LayerSpec::layer_norm(NormSpec::new(256).with_gamma(Init::zeros())),
            head,
        ];
        assert_eq!(drifts(&zero_gamma), 0);
    }

    #[test]
    fn matched_schemes_are_silent_at_any_depth() {
        for depth in [1, 30, 300] {
            assert!(
                check(&stack(depth, Activation::Relu, Init::he_normal())).is_empty(),
                "relu {depth}"
            );
            assert!(
                check(&stack(depth, Activation::Tanh, Init::xavier_normal())).is_empty(),
                "tanh {depth}"
            );
        }
        // The moment-matched gain keeps the forward signal exactly; backward,
        // gelu's gradient grows by 1.06 per layer, past 2^10 only beyond 100.
        assert!(check(&stack(100, Activation::Gelu, Init::he_normal())).is_empty());
        // SELU's mean-field gradient factor E[selu'(z)²] is 1.07 at its fixed
        // point, so its gradients do grow with depth (Yang & Schoenholz 2017),
        // past 2^10 only beyond about 100 layers.
        assert!(check(&stack(30, Activation::Selu, Init::lecun_normal())).is_empty());
        let deep_selu = check(&stack(300, Activation::Selu, Init::lecun_normal()));
        assert_eq!(deep_selu.len(), 1);
        assert!(deep_selu[0]
            .message
            .contains("gradients' predicted second moment grows"));
        // Far past any practical depth, tanh's slow settling is still not drift.
        assert!(check(&stack(1500, Activation::Tanh, Init::xavier_normal())).is_empty());
    }

    #[test]
    fn badly_scaled_deep_relu_nets_drift() {
        // Each layer is also reported by init_scale; drift is reported once
        // each way for the network.
        for std in [1.0, 0.01] {
            let found = lints(&stack(30, Activation::Relu, Init::Normal { std }));
            let drift: Vec<_> = found
                .iter()
                .filter(|(lint, ..)| *lint == Lint::SignalDrift)
                .collect();
            assert_eq!(drift.len(), 2, "std {std}: {found:?}");
            assert!(drift.iter().all(|(_, level, _)| *level == Level::Warn));
            assert_eq!(found.len(), 32, "30 layers of init_scale and 2 of drift");
        }
        let diagnostics: Vec<_> = check(&stack(30, Activation::Relu, Init::Normal { std: 0.01 }))
            .into_iter()
            .filter(|finding| finding.lint == Lint::SignalDrift)
            .collect();
        // E[w²] fan_in / 2 = 1e-4 * 256 / 2 = 0.0128 per layer: 2^-10 is passed at layer 1 (0-based).
        assert_eq!(diagnostics[0].layer, 1);
        assert!(
            diagnostics[0]
                .message
                .contains("activations' predicted second moment shrinks"),
            "{}",
            diagnostics[0].message
        );
        assert!(
            diagnostics[0].message.contains("multiplies it by 0.0128"),
            "{}",
            diagnostics[0].message
        );
        assert!(diagnostics[1].message.contains("gradients'"));
    }

    #[test]
    fn a_signal_past_f64_s_range_is_drift_not_silence() {
        // std 1e200 on tanh: the pre-activation's variance overflows f64, and
        // the expectations over it are not numbers.
        let found: Vec<_> = check(&stack(30, Activation::Tanh, Init::Normal { std: 1e200 }))
            .into_iter()
            .filter(|finding| finding.lint == Lint::SignalDrift)
            .collect();
        assert!(!found.is_empty(), "drift must not fall silent");
    }

    #[test]
    fn deep_sigmoid_stacks_vanish_whatever_the_scale() {
        // E[sigmoid'(z)²] <= 1/16: the derived init cannot save 40 layers, and
        // the help says so instead of suggesting the init it already has.
        let found = check(&stack(40, Activation::Sigmoid, Init::xavier_normal()));
        assert_eq!(found.len(), 1);
        assert!(found[0]
            .message
            .contains("gradients' predicted second moment shrinks"));
        assert!(
            found[0].help.contains("comes from `sigmoid` itself"),
            "{}",
            found[0].help
        );
    }
}
