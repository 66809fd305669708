//! ## `init_mismatch` — warning
//!
//! `init_mismatch`: an explicit init family that does not match the
//! activation, with the variance factor it predicts. He's gain is the one that
//! keeps a relu layer's output second moment equal to its input's, Xavier's
//! keeps tanh's, sigmoid's, softmax's and the identity's level, and LeCun's
//! selu's ([The derived scheme](derived-scheme.md)); another family moves the
//! signal at every layer. So the lint reports Xavier or LeCun on the ReLU
//! family, He on tanh, sigmoid, softmax or identity, and anything but LeCun on
//! selu, each with the predicted variance factor per layer: Xavier on relu
//! halves the second moment at every layer, He on tanh doubles it until tanh
//! saturates. Measured over 30 layers in [the depth
//! study](studies.md#the-scale-must-fit-the-activation-or-the-signal-drifts-with-depth),
//! Xavier on relu takes the activations' std from 0.34 to 1.07e-5. He on selu
//! draws the same variance as LeCun, but is reported all the same, so that the
//! intent survives a change of activation or of framework.
//!
//! ```text
//! error: use of deprecated unit struct `NET::init_mismatch`: Xavier init does not match `relu`, which wants He: the predicted variance factor is ×0.50 per layer here (it halves the signal at every layer)
//!        help: remove `init = …` to get the derived `he_normal fan_in std=0.0884`, or add `#[allow(init_mismatch)]` to this layer if the scale is deliberate
//!        note: `#[warn(init_mismatch)]` is on by default; `#[allow(init_mismatch)]` on the layer or network silences it
//!  --> tests/ui/fail/init_mismatch.rs:5:36
//!   |
//! 5 |     dense(256 -> 256, relu, init = xavier_normal),
//!   |                                    ^^^^^^^^^^^^^
//!   |
//! note: the lint level is defined here
//!  --> tests/ui/fail/init_mismatch.rs:2:9
//!   |
//! 2 | #![deny(warnings)]
//!   |         ^^^^^^^^
//!   = note: `#[deny(deprecated)]` implied by `#[deny(warnings)]`
//!
//! error: use of deprecated unit struct `NET::init_mismatch`: He init does not match `tanh`, which wants Xavier: the predicted variance factor is ×2.00 per layer here (it doubles the signal at every layer until `tanh` saturates)
//!        help: remove `init = …` to get the derived `xavier_normal fan_avg std=0.0625`, or add `#[allow(init_mismatch)]` to this layer if the scale is deliberate
//!        note: `#[warn(init_mismatch)]` is on by default; `#[allow(init_mismatch)]` on the layer or network silences it
//!  --> tests/ui/fail/init_mismatch.rs:6:36
//!   |
//! 6 |     dense(256 -> 256, tanh, init = he_uniform),
//!   |                                    ^^^^^^^^^^
//!
//! error: use of deprecated unit struct `NET::init_mismatch`: He init does not match `selu`, which wants LeCun: He draws the same variance here only because its gain for `selu` happens to equal LeCun's; name the scheme that fits so the intent survives a change of activation or of framework
//!        help: remove `init = …` to get the derived `lecun_normal fan_in std=0.0625`, or add `#[allow(init_mismatch)]` to this layer if the scale is deliberate
//!        note: `#[warn(init_mismatch)]` is on by default; `#[allow(init_mismatch)]` on the layer or network silences it
//!  --> tests/ui/fail/init_mismatch.rs:7:35
//!   |
//! 7 |     dense(256 -> 10, selu, init = he_normal),
//!   |                                   ^^^^^^^^^
//! ```
//!
//! **Fixing it.** Remove `init = …` to get the derived init, or add
//! `#[allow(init_mismatch)]` to the layer (or the network) if the scale is
//! deliberate. `#[deny(init_mismatch)]` inside the macro makes it an error:
//!
//! ```text
//! error: LeCun init does not match `relu`, which wants He: the predicted variance factor is ×0.50 per layer here (it halves the signal at every layer)
//!        help: remove `init = …` to get the derived `he_normal fan_in std=0.0505`, or add `#[allow(init_mismatch)]` to this layer if the scale is deliberate
//!        note: `#[deny(init_mismatch)]` is set on this network or layer
//!  --> tests/ui/fail/init_mismatch_denied.rs:4:36
//!   |
//! 4 |     dense(784 -> 256, relu, init = lecun_uniform),
//!   |                                    ^^^^^^^^^^^^^
//! ```

use crate::rules::activation::Activation;
use crate::rules::fans::Fans;
use crate::rules::init::{Family, Init};
use crate::rules::layer::LayerSpec;
use crate::rules::levels::{Level, Lint};
use crate::rules::lint::Finding;
use crate::rules::part::Part;

pub(crate) fn init_mismatch(index: usize, layer: &LayerSpec) -> Option<Finding> {
    let family = layer.weight().family()?;
    let activation = layer.activation();
    let matched = Family::matched_to(activation);
    let mismatched = match matched {
        Family::He | Family::LeCun => family != matched,
        Family::Xavier => family == Family::He,
    };
    if !mismatched {
        return None;
    }
    let chosen = layer.weight();
    let derived = Init::derived(activation);
    let variance_ratio =
        |fans: Fans| chosen.second_moment(activation, fans) / derived.second_moment(activation, fans);
    let here = variance_ratio(layer.fans());
    let square = variance_ratio(Fans::dense(layer.fans().fan_in, layer.fans().fan_in));
    let effect = if (here - 1.0).abs() < 1e-9 && (square - 1.0).abs() < 1e-9 {
        format!(
            "{} draws the same variance here only because its gain for `{activation}` happens to equal {}'s; \
             name the scheme that fits so the intent survives a change of activation or of framework",
            family.author(),
            matched.author()
        )
    } else if (here - square).abs() <= 0.005 * square {
        format!(
            "the predicted variance factor is ×{here:.2} per layer here ({})",
            per_layer_effect(square, activation)
        )
    } else {
        // Fans that differ move the factor away from what it is where they
        // are equal, which is what compounds through a deep stack.
        let fans = layer.fans();
        format!(
            "the predicted variance factor is ×{here:.2} at this layer, whose fan-in and fan-out differ ({} and \
             {}); between layers of equal width, {}",
            fans.fan_in,
            fans.fan_out,
            per_layer_effect(square, activation)
        )
    };
    Some(Finding {
        lint: Lint::InitMismatch,
        level: Level::Warn,
        layer: index,
        part: Part::Weight,
        message: format!(
            "{} init does not match `{activation}`, which wants {}: {effect}",
            family.author(),
            matched.author(),
        ),
        help: format!(
            "remove `init = …` to get the derived `{}`, or add `#[allow(init_mismatch)]` to this layer if \
             the scale is deliberate",
            derived.describe(activation, layer.fans())
        ),
    })
}

fn per_layer_effect(factor: f64, activation: Activation) -> String {
    let saturation = if activation.is_bounded() {
        format!(" until `{activation}` saturates")
    } else {
        String::new()
    };
    if (factor - 0.5).abs() < 0.01 {
        "it halves the signal at every layer".into()
    } else if (factor - 2.0).abs() < 0.02 {
        format!("it doubles the signal at every layer{saturation}")
    } else if (factor - 1.0).abs() < 0.01 {
        "right between layers of equal width, wrong wherever the width changes".into()
    } else {
        format!("×{factor:.2} at every layer of equal width{saturation}")
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::activation::Activation;
    use crate::rules::init::Init;
    use crate::rules::layer::LayerSpec;
    use crate::rules::levels::Lint;
    use crate::rules::lint::check;

    #[test]
    fn mismatches_name_the_variance_factor() {
        let xavier_relu =
            check(&[LayerSpec::dense(256, 256, Activation::Relu).with_weight(Init::xavier_normal())]);
        assert_eq!(xavier_relu[0].lint, Lint::InitMismatch);
        assert!(
            xavier_relu[0].message.contains("×0.50 per layer"),
            "{}",
            xavier_relu[0].message
        );
        assert!(xavier_relu[0].message.contains("halves the signal"));
        let he_tanh = check(&[LayerSpec::dense(256, 256, Activation::Tanh).with_weight(Init::he_normal())]);
        assert!(he_tanh[0]
            .message
            .contains("doubles the signal at every layer until `tanh` saturates"));
        let xavier_selu =
            check(&[LayerSpec::dense(256, 256, Activation::Selu).with_weight(Init::xavier_normal())]);
        assert_eq!(xavier_selu[0].lint, Lint::InitMismatch);
        // LeCun on tanh is the classic choice for tanh: no warning.
        assert!(
            check(&[LayerSpec::dense(256, 256, Activation::Tanh).with_weight(Init::lecun_normal())])
                .is_empty()
        );
    }
}
