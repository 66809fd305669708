//! A network description: its layers in order and the lint levels set on
//! the whole network.

use std::borrow::Cow;

use crate::rules::blocks;
use crate::rules::init::Init;
use crate::rules::layer::{LayerKind, LayerSpec};
use crate::rules::levels::{Level, Lint, LintLevels};
use crate::rules::path::LayerPath;
use crate::rules::signal::scale_branches;
use crate::rules::validate::{validate, SpecError};

/// A network description: its layers in order.
///
/// Built by `network!` at compile time (a constant) or by [`NetworkSpec::new`]
/// at run time; either way every [`validate`] check has passed.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkSpec {
    layers: Cow<'static, [LayerSpec]>,
    lints: LintLevels,
}

impl NetworkSpec {
    /// A network from layers built at run time; the first mistake found is
    /// the error ([`validate`] lists them all).
    ///
    /// ```
    /// use netinit::{Activation, LayerSpec, NetworkSpec, SpecError};
    /// let spec = NetworkSpec::new(vec![
    ///     LayerSpec::dense(784, 256, Activation::Relu),
    ///     LayerSpec::dense(256, 10, Activation::Softmax),
    /// ])?;
    /// assert_eq!(spec.parameter_count(), 203_530);
    ///
    /// let broken = NetworkSpec::new(vec![
    ///     LayerSpec::dense(784, 256, Activation::Relu),
    ///     LayerSpec::dense(128, 10, Activation::Softmax),
    /// ]);
    /// assert_eq!(broken, Err(SpecError::ShapeMismatch { layer: 1, expected: 256, found: 128 }));
    /// # Ok::<(), SpecError>(())
    /// ```
    pub fn new(layers: Vec<LayerSpec>) -> Result<NetworkSpec, SpecError> {
        NetworkSpec::with_lints(layers, LintLevels::NONE)
    }

    /// A network from layers and the lint levels set on the whole network
    /// (`#![deny(init_mismatch)]` in the DSL); the first mistake found is the error.
    pub fn with_lints(layers: Vec<LayerSpec>, lints: LintLevels) -> Result<NetworkSpec, SpecError> {
        match validate(&layers, &lints).into_iter().next() {
            Some(error) => Err(error),
            None => Ok(NetworkSpec::from_parts(layers, lints)),
        }
    }

    /// A network from parts the DSL reader has checked (it reports its own
    /// errors, with spans), with the derived branch scaling set.
    pub(crate) fn from_parts(layers: Vec<LayerSpec>, lints: LintLevels) -> NetworkSpec {
        NetworkSpec {
            layers: Cow::Owned(scale_branches(&layers)),
            lints,
        }
    }

    /// A network the `network!` macro has already validated at compile
    /// time. Not for direct use: it skips the checks.
    #[doc(hidden)]
    pub const fn from_checked(layers: &'static [LayerSpec], lints: LintLevels) -> NetworkSpec {
        NetworkSpec {
            layers: Cow::Borrowed(layers),
            lints,
        }
    }

    /// The lint levels set on the whole network.
    pub fn lint_levels(&self) -> LintLevels {
        self.lints
    }

    /// The same network with `lint` set to `level` on the whole network,
    /// as `#![deny(lint)]` does in the DSL (replacing the level set there
    /// before). A `forbid` that a layer's own attribute would lower is a
    /// [`SpecError::LintForbidden`].
    pub fn with_network_lint(&self, lint: Lint, level: Level) -> Result<NetworkSpec, SpecError> {
        NetworkSpec::with_lints(self.layers.to_vec(), self.lints.with(lint, level))
    }

    /// The level `lint` has at layer `index`: `forbid` on the network, else
    /// the layer's own level (at a residual block's end, else its start's:
    /// `#[allow(…)] residual(…)` covers the block's findings), else the
    /// network's, else the lint's default.
    pub fn level(&self, lint: Lint, index: usize) -> Level {
        let network = self.lints.get(lint);
        if network == Some(Level::Forbid) {
            return Level::Forbid;
        }
        let own = |at: usize| {
            self.layers
                .get(at)
                .and_then(|layer| layer.lint_levels().get(lint))
        };
        let start = match self.layers.get(index).map(LayerSpec::kind) {
            Some(LayerKind::ResidualEnd) => blocks::block_of(&self.layers, index).map(|block| block.start),
            _ => None,
        };
        own(index)
            .or_else(|| start.and_then(own))
            .or(network)
            .unwrap_or(lint.default_level())
    }

    /// The layers, first to last.
    pub fn layers(&self) -> &[LayerSpec] {
        &self.layers
    }

    /// Each layer's path, `None` for a layer without parameters: the
    /// layers with parameters are numbered from 0 in order.
    pub fn layer_paths(&self) -> Vec<Option<LayerPath>> {
        let mut next = 0;
        self.layers
            .iter()
            .map(|layer| {
                layer.kind().has_parameters().then(|| {
                    next += 1;
                    LayerPath::top(next - 1)
                })
            })
            .collect()
    }

    /// The width of the input: the values of one example (`C × H × W` for
    /// an image; see [`NetworkSpec::input_shape`]).
    pub fn inputs(&self) -> usize {
        self.input_shape().size().unwrap_or(0)
    }

    /// The width of the output: the values the last layer gives per example.
    pub fn outputs(&self) -> usize {
        self.output_shapes()
            .last()
            .and_then(|shape| shape.size())
            .unwrap_or(0)
    }

    /// All weights and biases.
    pub fn parameter_count(&self) -> usize {
        self.layers.iter().filter_map(LayerSpec::parameter_count).sum()
    }

    /// The same network with every layer's weight init replaced: the
    /// run-time way to reproduce a bad init on purpose (the macro keeps
    /// refusing a constant one at compile time). A constant init marks the
    /// layers as meant to be so (see [`LayerSpec::allow_constant_init`]).
    pub fn with_weight_init(&self, init: Init) -> Result<NetworkSpec, SpecError> {
        NetworkSpec::with_lints(
            self.layers
                .iter()
                .map(|layer| match layer.with_weight(init).weight_is_constant() {
                    true => layer.with_weight(init).allow_constant_init(),
                    false => layer.with_weight(init),
                })
                .collect(),
            self.lints,
        )
    }

    /// The same network with layer `index` (0-based) replaced: the run-time
    /// way to try another init (the macro keeps refusing a constant one at
    /// compile time).
    pub fn with_layer(&self, index: usize, layer: LayerSpec) -> Result<NetworkSpec, SpecError> {
        let mut layers = self.layers.to_vec();
        let count = layers.len();
        let slot = layers
            .get_mut(index)
            .ok_or(SpecError::NoSuchLayer { index, layers: count })?;
        *slot = layer;
        NetworkSpec::with_lints(layers, self.lints)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::activation::Activation;
    use crate::rules::layer::tests::card;

    #[test]
    fn the_parameter_count_adds_weights_and_biases() {
        assert_eq!(
            NetworkSpec::new(card()).unwrap().parameter_count(),
            784 * 256 + 256 + 256 * 10 + 10
        );
    }

    #[test]
    fn replacing_a_layer_checks_the_index_and_the_shapes() {
        let spec = NetworkSpec::new(card()).unwrap();
        let wider = LayerSpec::dense(784, 512, Activation::Relu);
        assert_eq!(
            spec.with_layer(2, wider),
            Err(SpecError::NoSuchLayer { index: 2, layers: 2 })
        );
        assert_eq!(
            spec.with_layer(0, wider),
            Err(SpecError::ShapeMismatch {
                layer: 1,
                expected: 512,
                found: 256
            })
        );
        let zeros = card()[1].with_weight(Init::zeros());
        assert_eq!(spec.with_layer(1, zeros).unwrap().layers()[1], zeros);
    }
}
