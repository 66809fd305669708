//! ## `f32_overflow` — error (deny by default)
//!
//! `f32_overflow`: the signal analysis predicts a layer's values so large
//! that the forward pass leaves f32's range. Finite weights can compute
//! infinite values: four layers drawn from `N(0, 10^20)`, a `uniform(bound =
//! 3.4e38)`, a normalization whose `gamma` is 3e38. Each of these samples and
//! saves without complaint, and the first forward pass gives infinities and
//! then NaN, so training stops at its first step. `signal_drift` only warns,
//! since a drift that stays within f32 trains, if badly. This lint is an
//! error at the first layer where a value three times the predicted root
//! mean square, for inputs of second moment 1, passes f32's largest value
//! (3.4e38), before or after the activation.
//!
//! Four identity layers drawn from `N(0, 10^20)` (the fourth passes it):
//!
//! ```text
//! error: with inputs of second moment 1, this layer's values are predicted at a root mean square of 4.1e43; values three times that pass f32's largest (3.4e38), so the forward pass gives infinities, then NaN
//!        help: the weights' scale is far too large: remove `init = …` to get the derived `xavier_normal fan_avg std=0.1250`, or add `#[allow(f32_overflow)]` if the inputs are that much smaller than 1
//!        note: `#[deny(f32_overflow)]` is on by default
//!   --> tests/ui/fail/f32_overflow.rs:10:5
//!    |
//! 10 |     dense(64 -> 64, identity, init = normal(std = 1e10)),
//!    |     ^^^^^
//! ```

use crate::rules::init::Init;
use crate::rules::layer::LayerSpec;
use crate::rules::levels::{Level, Lint};
use crate::rules::lint::{scientific, Finding};
use crate::rules::part::Part;
use crate::rules::signal::LayerSignal;

/// `(3 · f32::MAX)²`'s inverse share: a second moment above
/// `(f32::MAX / 3)²` puts values three root mean squares out past f32.
fn overflows(second_moment: f64) -> bool {
    let limit = f64::from(f32::MAX) / 3.0;
    second_moment.is_nan() || second_moment > limit * limit
}

/// The first layer whose predicted values, before or after its activation,
/// leave f32's range: `report` is the analysis of `layers` from inputs of
/// second moment 1.
pub(crate) fn f32_overflow(layers: &[LayerSpec], report: &[LayerSignal]) -> Option<Finding> {
    // The output first: where the activation keeps the values (identity,
    // a normalization), what passes f32 is the layer's output.
    let (index, moment, before) = report.iter().enumerate().find_map(|(index, signal)| {
        if !signal.included {
            None
        } else if overflows(signal.activation_second_moment) {
            Some((index, signal.activation_second_moment, false))
        } else {
            overflows(signal.preactivation_variance).then_some((index, signal.preactivation_variance, true))
        }
    })?;
    let layer = &layers[index];
    let place = match before {
        true => format!(" before its `{}`", layer.activation()),
        false => String::new(),
    };
    let written_here = layer
        .parameters()
        .iter()
        .any(|parameter| parameter.trained() && !parameter.is_derived());
    let help = match layer.weights() {
        Some(weights) if !weights.is_derived() => format!(
            "the weights' scale is far too large: remove `init = …` to get the derived `{}`, or add \
             `#[allow(f32_overflow)]` if the inputs are that much smaller than 1",
            Init::derived(layer.activation()).describe(layer.activation(), layer.fans())
        ),
        _ if written_here => {
            "this layer's written init is far too large: leave it out for the derived one, or add \
                              `#[allow(f32_overflow)]` if the inputs are that much smaller than 1"
                .to_owned()
        }
        _ => "a scale written before this layer is far too large: write one near 1 (or leave it out for the \
              derived one), or add `#[allow(f32_overflow)]` if the inputs are that much smaller than 1"
            .to_owned(),
    };
    Some(Finding {
        lint: Lint::F32Overflow,
        level: Level::Deny,
        layer: index,
        part: Part::Layer,
        message: format!(
            "with inputs of second moment 1, this layer's values are predicted at a root mean square of {}{place}; \
             values three times that pass f32's largest (3.4e38), so the forward pass gives infinities, then NaN",
            scientific(moment.sqrt())
        ),
        help,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::activation::Activation;
    use crate::rules::layer::NormSpec;
    use crate::rules::signal::propagate;

    fn first(layers: &[LayerSpec]) -> Option<usize> {
        f32_overflow(layers, &propagate(layers, 1.0)).map(|finding| finding.layer)
    }

    #[test]
    fn finite_weights_whose_products_pass_f32_are_found_where_they_do() {
        // N(0, 10^20) on 64 inputs: each layer multiplies the second moment
        // by 64 · 10^20, so the fourth layer's passes (3.4e38 / 3)² ≈ 1.3e76.
        let huge = LayerSpec::dense(64, 64, Activation::Identity).with_weight(Init::Normal { std: 1e10 });
        assert_eq!(first(&[huge; 4]), Some(3));
        assert_eq!(first(&[huge; 3]), None);
        // One layer whose weights are near f32's largest.
        let edge = LayerSpec::dense(8, 8, Activation::Relu).with_weight(Init::Uniform { bound: 3.4e38 });
        assert_eq!(first(&[edge]), Some(0));
        // A normalization's γ of 3e38: its output is γ times unit values.
        let gamma = LayerSpec::layer_norm(NormSpec::new(8).with_gamma(Init::Constant { value: 3e38 }));
        assert_eq!(first(&[LayerSpec::dense(8, 8, Activation::Relu), gamma]), Some(1));
        // Thirty relu layers from N(0, 1) drift by 2^205 and stay within
        // f32: signal_drift's, not this lint's.
        let unit = LayerSpec::dense(256, 256, Activation::Relu).with_weight(Init::Normal { std: 1.0 });
        assert_eq!(first(&[unit; 30]), None);
    }
}
