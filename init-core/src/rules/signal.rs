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

use crate::rules::activation::Activation;
use crate::rules::layer::LayerSpec;

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
    /// `E[h²]` of the layer's output.
    pub activation_second_moment: f64,
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
/// `input_second_moment` through the layers, forward and back.
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
    let weights = weight_second_moments(layers);
    let mut signals = Vec::with_capacity(layers.len());
    let mut second_moment = input_second_moment;
    for (layer, &weight) in layers.iter().zip(&weights) {
        let included = !layer.weight_is_constant();
        let activation = layer.activation();
        let signal = if let (Some(affine), true) = (layer.affine(), included) {
            let (variance, output) = affine.forward_moments(weight, second_moment);
            LayerSignal {
                included,
                preactivation_variance: variance,
                activation,
                activation_second_moment: output,
                forward_factor: output / second_moment,
                forward_cumulative: output / input_second_moment,
                backward_factor: 1.0,
                backward_cumulative: 1.0,
            }
        } else {
            LayerSignal {
                included,
                preactivation_variance: second_moment,
                activation,
                activation_second_moment: second_moment,
                forward_factor: 1.0,
                forward_cumulative: second_moment / input_second_moment,
                backward_factor: 1.0,
                backward_cumulative: 1.0,
            }
        };
        second_moment = signal.activation_second_moment;
        signals.push(signal);
    }

    // Backward, relative to the last layer's pre-activation gradient: passing
    // back through layer l+1's weights multiplies the squared norm by
    // fan_in(l+1) · E[w²(l+1)], and through layer l's activation by E[φ'(z_l)²].
    let mut cumulative = 1.0;
    let mut through_weights_above: Option<f64> = None;
    for index in (0..layers.len()).rev() {
        let layer = &layers[index];
        let signal = &mut signals[index];
        let factor = match through_weights_above {
            Some(weights) if signal.included && layer.affine().is_some() => {
                weights
                    * layer
                        .activation()
                        .derivative_second_moment(signal.preactivation_variance)
            }
            _ => 1.0,
        };
        cumulative *= factor;
        signal.backward_factor = factor;
        signal.backward_cumulative = cumulative;
        // A left-out layer passes the gradient on as it found it.
        if let (Some(affine), true) = (layer.affine(), signal.included) {
            through_weights_above = Some(affine.backward_through_weights(weights[index]));
        }
    }
    signals
}

/// `E[w²]` of every layer's weights. Deep stacks repeat a few layer shapes,
/// and a moment-matched gain costs a root search, so equal layers share one.
fn weight_second_moments(layers: &[LayerSpec]) -> Vec<f64> {
    let mut seen: Vec<(&LayerSpec, f64)> = Vec::new();
    layers
        .iter()
        .map(|layer| {
            if let Some(&(_, moment)) = seen.iter().find(|(other, _)| *other == layer) {
                return moment;
            }
            let moment = layer.weight().second_moment(layer.activation(), layer.fans());
            seen.push((layer, moment));
            moment
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::activation::Activation;
    use crate::rules::init::Init;

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
    fn constant_layers_are_left_out() {
        let mut layers = stack(4, 64, Activation::Relu, Init::he_normal());
        layers[3] = layers[3].with_weight(Init::zeros()).allow_constant_init();
        let report = propagate(&layers, 1.0);
        assert!(!report[3].included);
        assert!((report[0].backward_cumulative - 1.0).abs() < 1e-12);
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
