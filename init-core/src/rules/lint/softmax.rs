//! `softmax_hidden`: softmax anywhere but the last layer.

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
