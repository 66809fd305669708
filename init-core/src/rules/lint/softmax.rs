//! ## `softmax_hidden` — warning
//!
//! `softmax_hidden`: softmax anywhere but the last layer. Softmax squeezes a
//! layer's outputs into one distribution that sums to 1, so on a hidden layer
//! of N outputs each is about 1/N of what the next layer expects, and the
//! gradients through it are damped the same way: the signal shrinks as a
//! badly scaled init would shrink it. It applies to a `softmax` written as a
//! layer of its own below the top too ([Activation
//! layers](activation-layers.md)).
//!
//! ```text
//! error: use of deprecated unit struct `NET::softmax_hidden`: softmax on a hidden layer squeezes its 256 outputs into one distribution that sums to 1: each is about 1/256 of what the next layer expects, and gradients through it are damped the same way
//!        help: use softmax only on the last layer; hidden layers want `relu` (He init) or `tanh` (Xavier init)
//!        note: `#[warn(softmax_hidden)]` is on by default; `#[allow(softmax_hidden)]` on the layer or network silences it
//!  --> tests/ui/fail/softmax_hidden.rs:5:23
//!   |
//! 5 |     dense(784 -> 256, softmax),
//!   |                       ^^^^^^^
//!   |
//! note: the lint level is defined here
//!  --> tests/ui/fail/softmax_hidden.rs:2:9
//!   |
//! 2 | #![deny(warnings)]
//!   |         ^^^^^^^^
//!   = note: `#[deny(deprecated)]` implied by `#[deny(warnings)]`
//! ```
//!
//! **Fixing it.** Use softmax only on the last layer; hidden layers want
//! `relu` (He init) or `tanh` (Xavier init). Add `#[allow(softmax_hidden)]` to
//! the layer (or the network) if it is meant.

use crate::rules::levels::{Level, Lint};
use crate::rules::lint::Finding;
use crate::rules::part::Part;

/// The finding for softmax on layer `index`, a hidden layer of `outputs` values.
pub(crate) fn softmax_hidden(index: usize, outputs: usize) -> Finding {
    Finding {
        lint: Lint::SoftmaxHidden,
        level: Level::Warn,
        layer: index,
        part: Part::Activation,
        message: format!(
            "softmax on a hidden layer squeezes its {} outputs into one distribution that sums to 1: each \
             is about 1/{} of what the next layer expects, and gradients through it are damped the same way",
            outputs, outputs
        ),
        help:
            "use softmax only on the last layer; hidden layers want `relu` (He init) or `tanh` (Xavier init)"
                .into(),
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::activation::Activation;
    use crate::rules::layer::LayerSpec;
    use crate::rules::levels::{Level, Lint};
    use crate::rules::lint::tests::lints;

    #[test]
    fn softmax_is_for_the_last_layer() {
        let layers = [
            LayerSpec::dense(10, 10, Activation::Softmax),
            LayerSpec::dense(10, 10, Activation::Softmax),
        ];
        assert_eq!(lints(&layers), [(Lint::SoftmaxHidden, Level::Warn, 0)]);
    }
}
