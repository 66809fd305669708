//! Static signal propagation: the mean-field second moments of the
//! activations (forward) and of the gradients (backward), layer by layer,
//! predicted from the spec alone.
//!
//! Each pre-activation is treated as a Gaussian whose variance follows from
//! the previous layer: `Var(z) = fan_in · E[w²] · E[h²] + E[b²]`, then
//! `E[h²] = E[φ(z)²]`. Backward, the squared norm of the gradient with
//! respect to a layer's pre-activation is the next layer's times
//! `fan_in · E[w²] · E[φ'(z)²]`. Using the norm (summed over a layer's units)
//! rather than the per-unit moment means that changing widths do not count as
//! drift: with fan_in scaling the width ratios telescope (He et al. 2015).
//! Softmax is taken as the identity on its logits: it belongs on the last
//! layer, where the loss gradient is taken with respect to the logits.
//!
//! Images are followed position by position: a
//! convolution's zero padding leaves fewer taps at the borders, which the
//! same recursion counts exactly, and pooling depends on how neighbouring
//! values are correlated, which is followed too. A plane past
//! 65,536 positions (256 × 256) is followed
//! as its mean, its windows counting their taps on average: every layer's
//! step then costs at most as much as on that plane, whatever the
//! declared sizes.

mod backward;
mod branch;
mod forward;
mod input;
pub(crate) mod pairs;
pub(crate) mod step;
pub(crate) mod values;
pub(crate) mod windows;

use std::collections::HashMap;

use crate::rules::activation::Activation;
use crate::rules::flow;
use crate::rules::layer::LayerSpec;
use crate::rules::limits::MAX_PLANE;
use crate::rules::parameter::ParameterSpec;
use crate::rules::shape::Shape;

pub use branch::scale_branches;
pub use input::{InputStatistics, StatisticsMismatch, IMAGE_NEIGHBOUR_CORRELATION};

/// The predicted signal at one layer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerSignal {
    /// Whether the layer took part: layers with a constant weight init are
    /// left out (their output is meant to start at a fixed value).
    pub included: bool,
    /// `Var(z)` of the pre-activation.
    pub preactivation_variance: f64,
    /// The layer's activation, for the moments computed on demand.
    pub activation: Activation,
    /// `E[h²]` of the layer's output: the mean over the weights' draw.
    pub activation_second_moment: f64,
    /// `E[h²]` of the layer's output in a typical network: the mean over
    /// the draw is pulled up by rare networks, as each layer multiplies the
    /// signal by a factor `f` that varies between draws. Over the layers so
    /// far, `E[log f] ≈ -Var(f)/2` with `Var(f) = (E[φ⁴]/E[φ²]² - 1)/n`,
    /// `n` the layer's outputs (a convolution's channels, whose weights
    /// every position shares): 5/n for relu (Hanin and Rolnick 2018).
    pub typical_second_moment: f64,
    /// `E[h²]` here over `E[h²]` of the layer's input.
    pub forward_factor: f64,
    /// `E[h²]` here over `E[x²]` of the network's input.
    pub forward_cumulative: f64,
    /// The gradient's squared norm at this layer's pre-activation over the
    /// one at the next layer's (1 at the last layer).
    pub backward_factor: f64,
    /// The gradient's squared norm at this layer's pre-activation over the
    /// one at the last layer's.
    pub backward_cumulative: f64,
    /// `E[δ²]` of the gradient with respect to one of this layer's outputs
    /// over `E[δ²]` at one of the last layer's pre-activations: where the
    /// gradient stands at any layer, a residual block's end included
    /// (compare [`Network::backward_all`](crate::Network::backward_all)).
    pub output_gradient: f64,
    /// In a sequence, `E[h_i · h_j] / E[h²]` of two distinct tokens of the
    /// layer's output: their mean cosine similarity, 1 when every token
    /// carries the same vector (see `rank_collapse`).
    pub token_similarity: f64,
}

impl LayerSignal {
    /// `E[h]` of the layer's output (0 for a left-out layer). Computed on
    /// demand: the lints need only second moments.
    pub fn activation_mean(&self) -> f64 {
        if self.included {
            self.activation.mean(self.preactivation_variance)
        } else {
            0.0
        }
    }

    /// The predicted standard deviation of the layer's output units.
    pub fn activation_std(&self) -> f64 {
        (self.activation_second_moment - self.activation_mean().powi(2))
            .max(0.0)
            .sqrt()
    }
}

/// Propagate an input whose features have second moment
/// `input_second_moment` through the layers, forward and back. An image
/// input is taken as uniform over its positions, with neighbouring pixels
/// correlated as [`IMAGE_NEIGHBOUR_CORRELATION`] says.
///
/// ```
/// use netinit::{signal, Activation, LayerSpec};
/// // Thirty relu layers with He init: the signal neither grows nor shrinks.
/// let layers = vec![LayerSpec::dense(256, 256, Activation::Relu); 30];
/// let report = signal::propagate(&layers, 1.0);
/// let last = report.last().unwrap();
/// assert!((last.forward_cumulative - 1.0).abs() < 1e-9);
/// assert!((report[0].backward_cumulative - 1.0).abs() < 1e-9);
/// ```
pub fn propagate(layers: &[LayerSpec], input_second_moment: f64) -> Vec<LayerSignal> {
    both_ways(layers, &default_statistics(layers, input_second_moment))
}

/// The analysis forward, then back.
fn both_ways(layers: &[LayerSpec], input: &InputStatistics) -> Vec<LayerSignal> {
    let (mut signals, steps) = forward::forward(layers, &analysed(layers), input);
    backward::backward(&steps, &mut signals);
    signals
}

/// The statistics [`propagate`] assumes for an input of second moment
/// `input_second_moment`.
pub(crate) fn default_statistics(layers: &[LayerSpec], input_second_moment: f64) -> InputStatistics {
    match flow::input_shape(layers) {
        // A plane too large to follow is refused by validation; here it is
        // taken as features, so a spec with that error is still analysed.
        Some(Shape::Image { height, width, .. })
            if height.checked_mul(width).is_some_and(|plane| plane <= MAX_PLANE) =>
        {
            InputStatistics {
                // One value for a plane followed as its mean (see `MAX_FOLLOWED`).
                second_moments: vec![input_second_moment; values::positions(Some([height, width]))],
                plane: Some([height, width]),
                mean_ratio: 0.0,
                neighbour_correlation: IMAGE_NEIGHBOUR_CORRELATION,
                token_similarity: 0.0,
            }
        }
        _ => InputStatistics::features(input_second_moment),
    }
}

/// [`propagate`] from measured input statistics: each position's second
/// moment and how neighbouring pixels are correlated (see
/// [`InputStatistics::measure`]); an error when they do not describe the
/// network's input.
pub fn propagate_from(
    layers: &[LayerSpec],
    input: &InputStatistics,
) -> Result<Vec<LayerSignal>, StatisticsMismatch> {
    input::fits(layers, input)?;
    Ok(both_ways(layers, input))
}

/// A layer's tensors, with the branch scaling, and `E[v²]` of each.
pub(crate) struct Analysed {
    pub(crate) parameters: Vec<ParameterSpec>,
    pub(crate) moments: Vec<f64>,
}

/// Layers' tensors and their second moments. Deep stacks repeat a few
/// layers, and a moment-matched gain costs a root search, so equal layers
/// (but for the branch scaling, a factor on the moment) share one,
/// looked up by their text in a hash map: the cost stays linear in the
/// layers however many distinct ones there are.
#[derive(Default)]
pub(crate) struct Moments {
    known: HashMap<String, Vec<f64>>,
}

impl Moments {
    /// `layer`'s tensors and their second moments.
    pub(crate) fn of(&mut self, layer: &LayerSpec) -> Analysed {
        let parameters = layer.parameters();
        let unscaled = layer.with_branch_scale(1.0);
        let moments = self.known.entry(format!("{unscaled:?}")).or_insert_with(|| {
            unscaled
                .parameters()
                .iter()
                .map(ParameterSpec::second_moment)
                .collect()
        });
        let moments = parameters
            .iter()
            .zip(moments.iter())
            .map(|(parameter, &moment)| moment * parameter.branch_scale() * parameter.branch_scale())
            .collect();
        Analysed { parameters, moments }
    }
}

/// Every layer's tensors and their second moments.
fn analysed(layers: &[LayerSpec]) -> Vec<Analysed> {
    let mut moments = Moments::default();
    layers.iter().map(|layer| moments.of(layer)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::init::Init;
    use crate::rules::layer::Conv2dSpec;

    fn stack(depth: usize, width: usize, activation: Activation, init: Init) -> Vec<LayerSpec> {
        vec![LayerSpec::dense(width, width, activation).with_weight(init); depth]
    }

    #[test]
    fn he_on_relu_is_stationary_both_ways() {
        let report = propagate(&stack(30, 256, Activation::Relu, Init::he_normal()), 1.0);
        for layer in &report {
            assert!((layer.forward_factor - 1.0).abs() < 1e-12);
            assert!((layer.backward_cumulative - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn xavier_on_relu_halves_per_layer() {
        let report = propagate(&stack(30, 256, Activation::Relu, Init::xavier_normal()), 1.0);
        assert!((report[29].forward_cumulative - 0.5_f64.powi(30)).abs() < 1e-20);
        assert!((report[0].backward_cumulative - 0.5_f64.powi(29)).abs() < 1e-20);
    }

    #[test]
    fn unit_normal_on_relu_explodes_by_the_width() {
        // E[w²] = 1, fan_in 256: each layer multiplies by 256 / 2 = 128.
        let report = propagate(&stack(3, 256, Activation::Relu, Init::Normal { std: 1.0 }), 1.0);
        assert!((report[2].forward_cumulative - 128.0_f64.powi(3)).abs() < 1e-3);
    }

    #[test]
    fn width_changes_are_not_drift() {
        // He on relu through 784 -> 1024 -> 64 -> 512 -> 10: the gradient norm
        // stays at 1 per layer however the widths change.
        let widths = [784, 1024, 64, 512, 10];
        let layers: Vec<LayerSpec> = widths
            .windows(2)
            .map(|pair| LayerSpec::dense(pair[0], pair[1], Activation::Relu))
            .collect();
        for layer in propagate(&layers, 1.0) {
            assert!((layer.forward_cumulative - 1.0).abs() < 1e-12);
            assert!((layer.backward_cumulative - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn an_activation_layer_after_an_identity_layer_is_that_layer_s_activation() {
        // Validation refuses this spelling (it would derive the init for the
        // identity), but the analysis of an activation layer on Gaussian
        // values must give what the fused layer gives: exactly, both ways.
        for activation in [
            Activation::Relu,
            Activation::Tanh,
            Activation::Gelu,
            Activation::Elu(1.0),
        ] {
            // The derived std for the activation, named outright: derived
            // for the identity layer, it would be the identity's.
            let init = Init::Normal {
                std: LayerSpec::dense(64, 64, activation).weight_std(),
            };
            let fused = propagate(&stack(4, 64, activation, init), 1.0);
            let apart: Vec<LayerSpec> = (0..4)
                .flat_map(|_| {
                    [
                        LayerSpec::dense(64, 64, Activation::Identity).with_weight(init),
                        LayerSpec::activation_layer(activation),
                    ]
                })
                .collect();
            let apart = propagate(&apart, 1.0);
            // The activation layer's output is the fused layer's; the
            // identity layer's pre-activation gradient is the fused layer's.
            for (layer, fused) in fused.iter().enumerate() {
                let (affine, activated) = (&apart[2 * layer], &apart[2 * layer + 1]);
                let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(1.0);
                let (forward, backward) = (
                    (activated.forward_cumulative, fused.forward_cumulative),
                    (affine.backward_cumulative, fused.backward_cumulative),
                );
                assert!(close(forward.0, forward.1), "{activation} {layer}: {forward:?}");
                assert!(
                    close(backward.0, backward.1),
                    "{activation} {layer}: {backward:?}"
                );
            }
        }
    }

    #[test]
    fn a_layer_normalization_resets_the_second_moment() {
        use crate::rules::layer::NormSpec;
        // N(0, 1) on 256 relu inputs multiplies the second moment by 128 a
        // layer; a normalization after each brings it back to about γ² = 1/4
        // (σ² ≫ ε), so nothing drifts, and the gradient is divided by as much.
        let layers: Vec<LayerSpec> = (0..20)
            .flat_map(|_| {
                [
                    LayerSpec::dense(256, 256, Activation::Relu).with_weight(Init::Normal { std: 1.0 }),
                    LayerSpec::layer_norm(NormSpec::new(256).with_gamma(Init::Constant { value: 0.5 })),
                ]
            })
            .collect();
        let report = propagate(&layers, 1.0);
        for (index, layer) in report.iter().enumerate().filter(|(index, _)| index % 2 == 1) {
            let second = layer.forward_cumulative;
            assert!((second - 0.25).abs() < 1e-3 * 0.25, "{index}: {second}");
        }
        assert!(crate::rules::lint::check(&layers)
            .iter()
            .all(|finding| finding.lint != crate::rules::levels::Lint::SignalDrift));
    }

    #[test]
    fn a_batch_normalization_resets_each_channel_and_keeps_the_plane() {
        use crate::rules::layer::{NormSpec, Padding};
        use crate::rules::shape::Shape;
        // N(0, 1) on 3 × 3 × 8 = 72 taps multiplies the second moment by
        // about 72 (less at the border); a batch normalization with γ = 0.5
        // brings it to 1/4 whatever it was.
        let layers = [
            LayerSpec::input(Shape::image(8, 6, 6)),
            LayerSpec::of(
                Conv2dSpec::new(8, 8, Activation::Identity, [3, 3])
                    .with_padding(Padding::uniform(1))
                    .into(),
            )
            .with_weight(Init::Normal { std: 1.0 })
            .without_bias(),
            LayerSpec::batch_norm(NormSpec::new(8).with_gamma(Init::Constant { value: 0.5 })),
            LayerSpec::activation_layer(Activation::Relu),
        ];
        let report = propagate(&layers, 1.0);
        assert!(
            report[1].forward_cumulative > 30.0,
            "{}",
            report[1].forward_cumulative
        );
        assert!(
            (report[2].forward_cumulative - 0.25).abs() < 1e-3,
            "{}",
            report[2].forward_cumulative
        );
        assert!(
            (report[3].forward_cumulative - 0.125).abs() < 1e-3,
            "{}",
            report[3].forward_cumulative
        );
    }

    #[test]
    fn constant_layers_are_left_out() {
        let mut layers = stack(4, 64, Activation::Relu, Init::he_normal());
        layers[3] = layers[3].with_weight(Init::zeros()).allow_constant_init();
        let report = propagate(&layers, 1.0);
        assert!(!report[3].included);
        assert!((report[0].backward_cumulative - 1.0).abs() < 1e-12);
    }

    #[test]
    fn zero_padding_loses_the_border_taps_exactly() {
        use crate::rules::layer::Padding;
        use crate::rules::shape::Shape;
        // Identity, 3 × 3, padding 1 on 7 × 7: each axis keeps (2·2 + 5·3)
        // of 7·3 taps, so the mean second moment is (19/21)² of a layer
        // without borders, which is what no padding gives on the interior.
        let layers = vec![
            LayerSpec::input(Shape::image(4, 7, 7)),
            LayerSpec::of(
                Conv2dSpec::new(4, 4, Activation::Identity, [3, 3])
                    .with_padding(Padding::uniform(1))
                    .into(),
            )
            .with_weight(Init::lecun_normal()),
        ];
        let report = propagate(&layers, 1.0);
        let kept = (19.0_f64 / 21.0).powi(2);
        assert!(
            (report[1].forward_factor - kept).abs() < 1e-12,
            "{}",
            report[1].forward_factor
        );
        let valid = vec![
            LayerSpec::input(Shape::image(4, 7, 7)),
            LayerSpec::conv2d(4, 4, Activation::Identity, [3, 3]).with_weight(Init::lecun_normal()),
        ];
        assert!((propagate(&valid, 1.0)[1].forward_factor - 1.0).abs() < 1e-12);
    }

    #[test]
    fn max_pooling_raises_the_second_moment_less_when_neighbours_agree() {
        use crate::rules::shape::Shape;
        let pooled = |correlation: f64| {
            let layers = vec![
                LayerSpec::input(Shape::image(8, 8, 8)),
                LayerSpec::conv2d(8, 8, Activation::Relu, [1, 1]),
                LayerSpec::max_pool2d([2, 2], [2, 2]),
            ];
            let input = InputStatistics::uniform_image([8, 8], 1.0, correlation);
            propagate_from(&layers, &input).unwrap()[2].forward_factor
        };
        // Four independent relu values: E[max(relu)²] / E[relu²] = E[max of
        // 4 normals, clipped at 0, squared] / (1/2) = 3.0876 (an independent
        // integration in Python to 1e-9); identical neighbours: 1.
        let independent = pooled(0.0);
        assert!((independent - 3.0876).abs() < 1e-3, "{independent}");
        assert!((pooled(1.0) - 1.0).abs() < 1e-3);
        assert!(pooled(0.9) < pooled(0.5) && pooled(0.5) < independent);
        let layers = [LayerSpec::input(Shape::image(1, 8, 8))];
        let error = propagate_from(&layers, &InputStatistics::features(1.0)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the statistics describe features, but the network's input is 1 × 8 × 8"
        );
        assert!(propagate_from(&layers, &InputStatistics::uniform_image([4, 8], 1.0, 0.5)).is_err());
        assert!(InputStatistics::measure(&[], Shape::image(1, 0, 3))
            .second_moments
            .is_empty());
        // A plane too large to follow holds nothing, and is refused, not allocated.
        let huge = InputStatistics::uniform_image([1 << 40, 1 << 40], 1.0, 0.5);
        assert!(huge.second_moments.is_empty());
        let measured = InputStatistics::measure(&[1.0; 4], Shape::image(1, usize::MAX, 2));
        assert!(measured.second_moments.is_empty());
        assert!(propagate_from(&layers, &huge).is_err());
    }

    #[test]
    fn tanh_with_xavier_settles_slowly() {
        // Var shrinks like 1/depth toward tanh's fixed point at 0: slowly.
        let report = propagate(&stack(200, 128, Activation::Tanh, Init::xavier_normal()), 1.0);
        let last = report[199];
        assert!(last.forward_cumulative < 0.05 && last.forward_cumulative > 1e-3);
        assert!((last.forward_factor - 1.0).abs() < 0.01);
    }
}
