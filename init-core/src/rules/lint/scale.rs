//! ## `init_scale` — warning
//!
//! `init_scale`: a weight init whose variance is at most half, or at least
//! twice, the one matched to the activation. One such layer already
//! halves or doubles the signal (`normal(std = 1.0)` on `relu` with 784
//! inputs multiplies its second moment by 392), which `signal_drift`,
//! judging the whole network, reports only once it compounds with depth.
//! `orthogonal` with `gain = 1.0` on relu (×0.5) is reported; a layer that
//! `init_mismatch` reports is not reported again.
//!
//! ```text
//! error: use of deprecated unit struct `NET::init_scale`: `normal(std = 1)` gives these weights 392 times the variance of the init matched to `relu`: a signal of unit second moment going in comes out at 392 (the matched init gives 1.00), so it grows at this layer alone
//!        help: remove `init = …` to get the derived `he_normal fan_in std=0.0505`, or add `#[allow(init_scale)]` to this layer if the scale is deliberate
//!        note: `#[warn(init_scale)]` is on by default; `#[allow(init_scale)]` on the layer or network silences it
//!  --> tests/ui/fail/init_scale.rs:7:49
//!   |
//! 7 |     dense(784 -> 256, relu, init = normal(std = 1.0)),
//!   |                                                 ^^^
//!   |
//! note: the lint level is defined here
//!  --> tests/ui/fail/init_scale.rs:4:9
//!   |
//! 4 | #![deny(warnings)]
//!   |         ^^^^^^^^
//!   = note: `#[deny(deprecated)]` implied by `#[deny(warnings)]`
//! ```
//!
//! **Fixing it.** Remove `init = …` to get the derived init, or add
//! `#[allow(init_scale)]` to the layer (or the network) if the scale is
//! deliberate.

use crate::rules::init::Init;
use crate::rules::layer::LayerSpec;
use crate::rules::levels::{Level, Lint};
use crate::rules::lint::{scientific, Finding};
use crate::rules::part::Part;

/// How far from the matched variance an init may be before it is reported:
/// a factor of 2 either way, the gap between He and Xavier on relu.
pub const SCALE_LIMIT: f64 = 2.0;

pub(crate) fn init_scale(index: usize, layer: &LayerSpec) -> Option<Finding> {
    let weight = layer.weight();
    if crate::rules::lint::constant_weights(layer) {
        return None;
    }
    let (activation, fans) = (layer.activation(), layer.fans());
    let matched = Init::derived(activation);
    let ratio = weight.second_moment(activation, fans) / matched.second_moment(activation, fans);
    // A scale that is not a number is the checks' to report, not this lint's.
    if !ratio.is_finite() || (ratio > 1.0 / SCALE_LIMIT && ratio < SCALE_LIMIT) {
        return None;
    }
    // The mean-field factor on a unit second moment going in: the
    // pre-activation's variance is fan_in · E[w²].
    let out =
        |init: Init| activation.second_moment(fans.fan_in as f64 * init.second_moment(activation, fans));
    let direction = if ratio > 1.0 { "grows" } else { "shrinks" };
    Some(Finding {
        lint: Lint::InitScale,
        level: Level::Warn,
        layer: index,
        part: Part::WeightScale,
        message: format!(
            "`{weight}` gives these weights {} times the variance of the init matched to `{activation}`: a signal \
             of unit second moment going in comes out at {} (the matched init gives {}), so it {direction} at this \
             layer alone",
            scientific(ratio),
            scientific(out(weight)),
            scientific(out(matched)),
        ),
        help: format!(
            "remove `init = …` to get the derived `{}`, or add `#[allow(init_scale)]` to this layer if the scale \
             is deliberate",
            matched.describe(activation, fans)
        ),
    })
}

#[cfg(test)]
mod tests {
    use crate::rules::activation::Activation;
    use crate::rules::init::Init;
    use crate::rules::layer::LayerSpec;
    use crate::rules::levels::Lint;
    use crate::rules::lint::check;

    #[test]
    fn a_single_badly_scaled_relu_layer_is_reported_with_its_factor() {
        let layers = [
            LayerSpec::dense(784, 256, Activation::Relu).with_weight(Init::Normal { std: 1.0 }),
            LayerSpec::dense(256, 10, Activation::Softmax),
        ];
        let found = check(&layers);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].lint, Lint::InitScale);
        // 784 inputs of unit variance weights: 784 / 2 = 392 after relu.
        assert!(
            found[0].message.contains("comes out at 392"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn orthogonal_with_unit_gain_on_relu_halves_and_is_reported() {
        let layer = [
            LayerSpec::dense(256, 256, Activation::Relu).with_weight(Init::Orthogonal { gain: Some(1.0) })
        ];
        let found = check(&layer);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.contains("0.500 times the variance"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn matched_inits_and_mismatched_families_are_not_reported_as_scale() {
        let he = [LayerSpec::dense(256, 256, Activation::Relu).with_weight(Init::he_uniform())];
        assert!(check(&he).is_empty());
        let truncated =
            [LayerSpec::dense(256, 256, Activation::Tanh).with_weight(Init::TruncatedNormal { std: 0.07 })];
        assert!(
            check(&truncated).is_empty(),
            "within a factor of 2 of Xavier's 0.0625"
        );
        let xavier_on_relu =
            [LayerSpec::dense(256, 256, Activation::Relu).with_weight(Init::xavier_normal())];
        let found = check(&xavier_on_relu);
        assert_eq!(
            found.iter().map(|f| f.lint).collect::<Vec<_>>(),
            [Lint::InitMismatch]
        );
    }
}
