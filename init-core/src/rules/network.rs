//! A network description: its layers in order and the lint levels set on
//! the whole network. Every method a description has in the rules is here
//! (the run time's, sampling and checkpoints, are in `runtime/spec.rs`),
//! each handing off to the module whose job it is.

use core::fmt;
use core::str::FromStr;
use std::borrow::Cow;

use crate::rules::dsl::text::{self, one_error};
use crate::rules::dsl::{print, Diagnostic, ParseError};
use crate::rules::error::{SpecError, StructureError};
use crate::rules::flow;
use crate::rules::init::Init;
use crate::rules::layer::LayerSpec;
use crate::rules::levels::{Level, Lint, LintLevels};
use crate::rules::lint::{self, Finding};
use crate::rules::path::LayerPath;
use crate::rules::pytorch;
use crate::rules::shape::Shape;
use crate::rules::signal::scale_branches;
use crate::rules::summary::Summary;
use crate::rules::validate::validate;

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
    /// use netinit::{Activation, ChainError, LayerSpec, NetworkSpec, SpecError};
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
    /// let mismatch = ChainError::ShapeMismatch { layer: 1, expected: 256, found: 128 };
    /// assert_eq!(broken, Err(SpecError::Chain(mismatch)));
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
            None => Ok(NetworkSpec {
                layers: Cow::Owned(scale_branches(&layers)),
                lints,
            }),
        }
    }

    /// A network the DSL's reader has checked, its branch scaling set.
    fn read(checked: crate::rules::dsl::Checked) -> NetworkSpec {
        NetworkSpec {
            layers: Cow::Owned(checked.layers),
            lints: checked.lints,
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

    /// The network written in `text`, in the grammar of `network![…]`
    /// (what goes between the brackets, comments allowed), with its
    /// warnings; or every diagnostic, errors and warnings, with line and
    /// column. The messages are the compiler's for the same network.
    ///
    /// ```
    /// use netinit::dsl::Severity;
    /// use netinit::NetworkSpec;
    ///
    /// let (spec, warnings) = NetworkSpec::from_dsl("dense(784 -> 256, relu), dense(256 -> 10, softmax)")?;
    /// assert_eq!(spec.parameter_count(), 203_530);
    /// assert!(warnings.is_empty());
    ///
    /// let error = NetworkSpec::from_dsl("dense(784 -> 256, rleu),\ndense(128 -> 10, softmax)").unwrap_err();
    /// let messages: Vec<&str> = error.diagnostics.iter().map(|d| d.message.as_str()).collect();
    /// assert_eq!(messages, [
    ///     "unknown activation `rleu`; did you mean `relu`?",
    ///     "layer 1 takes 128 inputs, but layer 0 before it gives 256 outputs",
    /// ]);
    /// assert_eq!(error.diagnostics[1].location.start.line, 2);
    /// assert_eq!(error.diagnostics[1].severity, Severity::Error);
    /// # Ok::<(), netinit::dsl::ParseError>(())
    /// ```
    pub fn from_dsl(text: &str) -> Result<(NetworkSpec, Vec<Diagnostic>), ParseError> {
        text::network(text).map(|(checked, warnings)| (NetworkSpec::read(checked), warnings))
    }

    /// The network written in `text` if it holds together, its lints
    /// aside: what a checkpoint's spec must be, since `NetworkSpec::new`
    /// accepts networks that the lints refuse (a constant init reproduced
    /// on purpose).
    pub(crate) fn read_structure(text: &str) -> Result<NetworkSpec, ParseError> {
        text::structure(text).map(NetworkSpec::read)
    }

    /// The lint levels set on the whole network.
    pub fn lint_levels(&self) -> LintLevels {
        self.lints
    }

    /// The same network with `lint` set to `level` on the whole network,
    /// as `#![deny(lint)]` does in the DSL (replacing the level set there
    /// before). A `forbid` that a layer's own attribute would lower is a
    /// [`StructureError::LintForbidden`](crate::StructureError::LintForbidden).
    pub fn with_network_lint(&self, lint: Lint, level: Level) -> Result<NetworkSpec, SpecError> {
        NetworkSpec::with_lints(self.layers.to_vec(), self.lints.with(lint, level))
    }

    /// The level `lint` has at layer `index`: `forbid` on the network, else
    /// the layer's own level (at a residual block's end, else its start's:
    /// `#[allow(…)] residual(…)` covers the block's findings), else the
    /// network's, else the lint's default.
    pub fn level(&self, lint: Lint, index: usize) -> Level {
        lint::level(&self.layers, &self.lints, lint, index)
    }

    /// The lint findings for this network at the levels its attributes set
    /// (a layer's own level, else the network's, else the lint's default;
    /// `forbid` on the network cannot be lowered), leaving out those at
    /// [`Level::Allow`]. The `network!` macro reports the same findings.
    ///
    /// ```
    /// use netinit::{Activation, Init, LayerSpec, Level, Lint, NetworkSpec};
    /// let deep = NetworkSpec::new(vec![
    ///     LayerSpec::dense(256, 256, Activation::Relu).with_weight(Init::Normal { std: 1.0 });
    ///     30
    /// ])?;
    /// let deep = deep.with_network_lint(Lint::InitScale, Level::Allow)?;
    /// let lints: Vec<Lint> = deep.lint().iter().map(|d| d.lint).collect();
    /// assert_eq!(lints, [Lint::SignalDrift, Lint::SignalDrift]);
    ///
    /// let quiet = deep.with_network_lint(Lint::SignalDrift, Level::Allow)?;
    /// assert!(quiet.lint().is_empty());
    /// # Ok::<(), netinit::SpecError>(())
    /// ```
    pub fn lint(&self) -> Vec<Finding> {
        lint::findings(&self.layers, &self.lints)
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

    /// The shape of one example at the network's input: what `input(…)`
    /// declares, else the first dense layer's width as features.
    ///
    /// ```
    /// use netinit::Shape;
    /// const CNN: netinit::NetworkSpec = netinit::network![
    ///     input(1, 28, 28),
    ///     conv2d(1 -> 8, relu, kernel = 3, padding = 1),
    ///     max_pool2d(2),
    ///     flatten,
    ///     dense(1568 -> 10, softmax),
    /// ];
    /// assert_eq!(CNN.input_shape(), Shape::image(1, 28, 28));
    /// assert_eq!(CNN.output_shapes()[2], Shape::image(8, 14, 14));
    /// assert_eq!(CNN.inputs(), 784);
    /// ```
    pub fn input_shape(&self) -> Shape {
        flow::input_shape(self.layers()).unwrap_or(Shape::Features(0))
    }

    /// The shape the network gives: its last layer's.
    pub fn output_shape(&self) -> Shape {
        self.output_shapes().last().copied().unwrap_or(Shape::Features(0))
    }

    /// The shape each layer gives, first to last (a checked network's
    /// shapes are all known).
    pub fn output_shapes(&self) -> Vec<Shape> {
        flow::shapes(self.layers())
            .into_iter()
            .map(|shape| shape.unwrap_or(Shape::Features(0)))
            .collect()
    }

    /// The width of the input: the values of one example (`C × H × W` for
    /// an image; see [`NetworkSpec::input_shape`]).
    pub fn inputs(&self) -> usize {
        self.input_shape().size().unwrap_or(0)
    }

    /// The width of one row of the output: the values the last layer
    /// gives per example, or per token for a sequence (see
    /// [`NetworkSpec::rows_per_example`]).
    pub fn outputs(&self) -> usize {
        let last = self.output_shapes().last().copied();
        match last {
            Some(Shape::Sequence { features, .. }) => features,
            other => other.and_then(|shape| shape.size()).unwrap_or(0),
        }
    }

    /// The rows of the output one example gives: its tokens where the
    /// last layer gives a sequence (a language model's head, one
    /// distribution per token, each with its own target), else 1.
    pub fn rows_per_example(&self) -> usize {
        match self.output_shapes().last() {
            Some(Shape::Sequence { tokens, .. }) => (*tokens).max(1),
            _ => 1,
        }
    }

    /// All trained parameters (buffers, such as a batch normalization's
    /// running statistics, are state, not parameters).
    pub fn parameter_count(&self) -> usize {
        self.layers.iter().filter_map(LayerSpec::parameter_count).sum()
    }

    /// A table of the layers with their shapes, activations, tensors with
    /// their resolved inits, and parameter counts, like Keras'
    /// `model.summary()`; `Display` prints it.
    ///
    /// ```
    /// const MNIST: netinit::NetworkSpec =
    ///     netinit::network![dense(784 -> 256, relu), dense(256 -> 10, softmax)];
    /// let table = MNIST.summary().to_string();
    /// assert!(table.contains("he_normal fan_in std=0.0505"));
    /// assert!(table.ends_with("Total params: 203,530"));
    /// ```
    pub fn summary(&self) -> Summary<'_> {
        Summary::new(
            self.layers(),
            self.layer_paths(),
            self.input_shape(),
            self.output_shapes(),
            self.parameter_count(),
        )
    }

    /// The Python source of a PyTorch module for this network, named
    /// `class_name`, whose `state_dict` matches [`Network::save`](crate::Network::save)'s file.
    /// As PyTorch's modules do, its `forward` returns logits where the last
    /// layer ends in softmax (what `nn.CrossEntropyLoss` takes), and its
    /// method `probabilities` applies that softmax: what
    /// [`Network::forward`](crate::Network::forward) gives.
    ///
    /// ```
    /// const MNIST: netinit::NetworkSpec =
    ///     netinit::network![dense(784 -> 256, relu), dense(256 -> 10, softmax)];
    /// let module = MNIST.to_pytorch("Mnist");
    /// assert!(module.contains("class Mnist(nn.Module):"));
    /// assert!(module.contains("nn.Linear(784, 256),"));
    /// assert!(module.contains("x = self.layers[1](x)\n        return x"));
    /// assert!(module.contains("return torch.softmax(self(x), dim=-1)"));
    /// ```
    pub fn to_pytorch(&self, class_name: &str) -> String {
        pytorch::module(
            self.layers(),
            &self.layer_paths(),
            &self.output_shapes(),
            &self.to_string(),
            class_name,
        )
    }

    /// The same network with every layer's weight init replaced: the
    /// run-time way to reproduce a bad init on purpose (the macro keeps
    /// refusing a constant one at compile time). A constant init marks the
    /// layers as meant to be so (see [`LayerSpec::allow_constant_init`]).
    pub fn with_weight_init(&self, init: Init) -> Result<NetworkSpec, SpecError> {
        NetworkSpec::with_lints(
            self.layers
                .iter()
                .map(|layer| {
                    let replaced = layer.with_weight(init);
                    match replaced.weights().is_some_and(|weights| weights.is_constant()) {
                        true => replaced.allow_constant_init(),
                        false => replaced,
                    }
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
            .ok_or(SpecError::Structure(StructureError::NoSuchLayer {
                index,
                layers: count,
            }))?;
        *slot = layer;
        NetworkSpec::with_lints(layers, self.lints)
    }
}

impl fmt::Display for NetworkSpec {
    /// The network's DSL text: its lint attributes (`#![deny(…)]`), then
    /// one layer per line. For every network whose lints raise no error
    /// (every network `network!` accepts) it parses back to an equal spec;
    /// [`NetworkSpec::summary`] is the table.
    ///
    /// ```
    /// const MNIST: netinit::NetworkSpec = netinit::network![
    ///     #![deny(init_mismatch)]
    ///     dense(784 -> 256, relu),
    ///     dense(256 -> 10, softmax, init = xavier_uniform),
    /// ];
    /// let text = MNIST.to_string();
    /// assert_eq!(
    ///     text,
    ///     "#![deny(init_mismatch)]\ndense(784 -> 256, relu),\ndense(256 -> 10, softmax, init = xavier_uniform)"
    /// );
    /// assert_eq!(text.parse::<netinit::NetworkSpec>()?, MNIST);
    /// # Ok::<(), netinit::dsl::ParseError>(())
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        print::write_network(f, self.layers(), &self.lints)
    }
}

impl FromStr for NetworkSpec {
    type Err = ParseError;

    /// [`NetworkSpec::from_dsl`] without the warnings (they are also in
    /// [`NetworkSpec::lint`]).
    fn from_str(text: &str) -> Result<NetworkSpec, ParseError> {
        NetworkSpec::from_dsl(text).map(|(spec, _)| spec)
    }
}

impl FromStr for LayerSpec {
    type Err = ParseError;

    /// One layer, with its lint attributes: `dense(784 -> 256, relu)`. A
    /// layer alone is checked as [`NetworkSpec::new`] checks it, without the
    /// lints, which judge a layer in its network: `dense(8 -> 2, identity,
    /// init = zeros)` reads, though `network!` refuses it by default.
    ///
    /// ```
    /// use netinit::{Activation, LayerSpec};
    /// let layer: LayerSpec = "dense(784 -> 256, relu)".parse()?;
    /// assert_eq!(layer, LayerSpec::dense(784, 256, Activation::Relu));
    /// # Ok::<(), netinit::dsl::ParseError>(())
    /// ```
    fn from_str(text: &str) -> Result<LayerSpec, ParseError> {
        let spec = NetworkSpec::read_structure(text)?;
        match (spec.layers(), spec.lint_levels().is_empty()) {
            ([layer], true) => Ok(*layer),
            _ => Err(one_error(
                text,
                "expected one layer, such as `dense(784 -> 256, relu)`",
                "parse a `NetworkSpec` for several layers or for lint levels of the whole network",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::activation::Activation;
    use crate::rules::error::ChainError;
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
            Err(SpecError::Structure(StructureError::NoSuchLayer {
                index: 2,
                layers: 2
            }))
        );
        assert_eq!(
            spec.with_layer(0, wider),
            Err(SpecError::Chain(ChainError::ShapeMismatch {
                layer: 1,
                expected: 512,
                found: 256
            }))
        );
        let zeros = card()[1].with_weight(Init::zeros());
        assert_eq!(spec.with_layer(1, zeros).unwrap().layers()[1], zeros);
    }
}
