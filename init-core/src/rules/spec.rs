//! The description of a network: its layers, their shapes, activations and
//! inits, and the checks every description must pass.

use core::fmt;
use std::borrow::Cow;

use crate::rules::activation::Activation;
use crate::rules::fans::Fans;
use crate::rules::init::{Draw, Init};
use crate::rules::lint::{Level, Lint, LintLevels};

/// Which part of a layer a diagnostic is about (the macro points there).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The network as a whole.
    Network,
    /// The layer as a whole (its kind keyword).
    Layer,
    /// The input width.
    Inputs,
    /// The output width.
    Outputs,
    /// The activation.
    Activation,
    /// The activation's parameter (`leaky_relu(α)`, `elu(α)`).
    ActivationParameter,
    /// The weight init.
    Weight,
    /// The weight init's scale: its std, bound, gain or constant.
    WeightScale,
    /// The bias init.
    Bias,
    /// The bias init's scale.
    BiasScale,
    /// The attribute that sets a lint's level on the layer.
    LintAttribute(Lint),
}

/// One dense layer: `dense(inputs -> outputs, activation)` with its inits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerSpec {
    inputs: usize,
    outputs: usize,
    activation: Activation,
    weight: Init,
    bias: Init,
    lints: LintLevels,
}

impl LayerSpec {
    /// A dense layer with the init derived from its activation and zero biases.
    ///
    /// ```
    /// use netinit::{Activation, Init, LayerSpec};
    /// let layer = LayerSpec::dense(784, 256, Activation::Relu);
    /// assert_eq!(layer.weight(), Init::he_normal());
    /// assert_eq!(layer.bias(), Init::zeros());
    /// ```
    pub const fn dense(inputs: usize, outputs: usize, activation: Activation) -> LayerSpec {
        LayerSpec {
            inputs,
            outputs,
            activation,
            weight: Init::derived(activation),
            bias: Init::zeros(),
            lints: LintLevels::NONE,
        }
    }

    /// The same layer with another weight init.
    pub const fn with_weight(self, weight: Init) -> LayerSpec {
        LayerSpec { weight, ..self }
    }

    /// The same layer with another bias init.
    pub const fn with_bias(self, bias: Init) -> LayerSpec {
        LayerSpec { bias, ..self }
    }

    /// The same layer, marked as meant to start constant (a zero-initialised
    /// output head or residual branch): `constant_init` is not reported for
    /// it and the signal analysis leaves it out.
    pub const fn allow_constant_init(self) -> LayerSpec {
        self.with_lint(Lint::ConstantInit, Level::Allow)
    }

    /// The same layer with `lint` set to `level` on it, as
    /// `#[allow(lint)]` and its kin do in the DSL.
    pub const fn with_lint(self, lint: Lint, level: Level) -> LayerSpec {
        LayerSpec {
            lints: self.lints.with(lint, level),
            ..self
        }
    }

    /// The lint levels set on this layer.
    pub const fn lints(&self) -> LintLevels {
        self.lints
    }

    /// The input width.
    pub const fn inputs(&self) -> usize {
        self.inputs
    }

    /// The output width.
    pub const fn outputs(&self) -> usize {
        self.outputs
    }

    /// The activation after the affine map.
    pub const fn activation(&self) -> Activation {
        self.activation
    }

    /// The weight init.
    pub const fn weight(&self) -> Init {
        self.weight
    }

    /// The bias init.
    pub const fn bias(&self) -> Init {
        self.bias
    }

    /// Whether a constant weight init is intended: `constant_init` is set
    /// to `allow` or `warn` on this layer (see [`LayerSpec::allow_constant_init`]).
    pub const fn constant_init_allowed(&self) -> bool {
        matches!(
            self.lints.get(Lint::ConstantInit),
            Some(Level::Allow | Level::Warn)
        )
    }

    /// The fans of the `(out, in)` weight matrix.
    pub const fn fans(&self) -> Fans {
        Fans::dense(self.inputs, self.outputs)
    }

    /// What the weights are drawn from, with the scale resolved.
    pub fn weight_draw(&self) -> Draw {
        self.weight.draw(self.activation, self.fans())
    }

    /// What the biases are drawn from, with the scale resolved.
    pub fn bias_draw(&self) -> Draw {
        self.bias.draw(self.activation, self.fans())
    }

    /// The standard deviation of the weights.
    pub fn weight_std(&self) -> f64 {
        self.weight.std(self.activation, self.fans())
    }

    /// Weights plus biases, `None` if that overflows `usize`.
    pub const fn parameter_count(&self) -> Option<usize> {
        match self.inputs.checked_mul(self.outputs) {
            Some(weights) => weights.checked_add(self.outputs),
            None => None,
        }
    }
}

/// A mistake in a network description that makes it unusable.
#[derive(Clone, Debug, PartialEq)]
pub enum SpecError {
    /// The network has no layers.
    Empty,
    /// A width is 0.
    ZeroWidth {
        /// The layer (0-based).
        layer: usize,
        /// [`Part::Inputs`] or [`Part::Outputs`].
        part: Part,
    },
    /// A layer's input width differs from the previous layer's output width.
    ShapeMismatch {
        /// The layer (0-based) whose input is wrong.
        layer: usize,
        /// The previous layer's output width.
        expected: usize,
        /// This layer's input width.
        found: usize,
    },
    /// A layer's parameter count, or the network's, is larger than the
    /// largest allocation (`isize::MAX`).
    TooManyParameters {
        /// The layer (0-based) where the count overflows.
        layer: usize,
        /// The layer's input width.
        inputs: usize,
        /// The layer's output width.
        outputs: usize,
    },
    /// A std, bound, gain or constant is negative, infinite or NaN.
    InvalidScale {
        /// The layer (0-based).
        layer: usize,
        /// [`Part::WeightScale`] or [`Part::BiasScale`].
        part: Part,
        /// What the number is (`std`, `bound`, `gain`, `constant`).
        what: &'static str,
        /// The number found.
        value: f64,
    },
    /// `leaky_relu(α)` or `elu(α)` with α negative, infinite or NaN.
    InvalidActivationParameter {
        /// The layer (0-based).
        layer: usize,
        /// The α found.
        value: f64,
    },
    /// `orthogonal` asked for a bias, which is a vector.
    OrthogonalBias {
        /// The layer (0-based).
        layer: usize,
    },
    /// A bias init with a gain, fan mode or distribution of its own, which
    /// the DSL cannot write (`dist`, `mode` and `gain` adjust the weights).
    AdjustedBias {
        /// The layer (0-based).
        layer: usize,
    },
    /// A layer sets a lint below the `forbid` the network sets for it,
    /// which no attribute may lower (rustc's rule for `forbid`).
    LintForbidden {
        /// The layer (0-based).
        layer: usize,
        /// The lint.
        lint: Lint,
        /// The lower level the layer sets.
        level: Level,
    },
    /// A layer index past the last layer (in [`NetworkSpec::with_layer`]).
    NoSuchLayer {
        /// The index asked for.
        index: usize,
        /// How many layers there are.
        layers: usize,
    },
}

impl SpecError {
    /// The layer (0-based) the error is about, if any.
    pub fn layer(&self) -> Option<usize> {
        match *self {
            SpecError::Empty | SpecError::NoSuchLayer { .. } => None,
            SpecError::ZeroWidth { layer, .. }
            | SpecError::ShapeMismatch { layer, .. }
            | SpecError::TooManyParameters { layer, .. }
            | SpecError::InvalidScale { layer, .. }
            | SpecError::InvalidActivationParameter { layer, .. }
            | SpecError::OrthogonalBias { layer }
            | SpecError::AdjustedBias { layer }
            | SpecError::LintForbidden { layer, .. } => Some(layer),
        }
    }

    /// The part of the layer the error is about.
    pub fn part(&self) -> Part {
        match *self {
            SpecError::Empty | SpecError::NoSuchLayer { .. } => Part::Network,
            SpecError::ZeroWidth { part, .. } | SpecError::InvalidScale { part, .. } => part,
            SpecError::ShapeMismatch { .. } => Part::Inputs,
            SpecError::TooManyParameters { .. } => Part::Layer,
            SpecError::InvalidActivationParameter { .. } => Part::ActivationParameter,
            SpecError::OrthogonalBias { .. } | SpecError::AdjustedBias { .. } => Part::Bias,
            SpecError::LintForbidden { lint, .. } => Part::LintAttribute(lint),
        }
    }

    /// What is wrong, without saying where.
    pub fn message(&self) -> String {
        match *self {
            SpecError::Empty => "a network needs at least one layer".into(),
            SpecError::ZeroWidth { part, .. } => {
                let side = if part == Part::Inputs { "input" } else { "output" };
                format!("a layer's {side} width must be at least 1; found 0")
            }
            SpecError::ShapeMismatch { layer, expected, found } => format!(
                "layer {} takes {found} inputs, but the layer before it (layer {layer}) gives {expected} outputs",
                layer + 1
            ),
            SpecError::TooManyParameters { inputs, outputs, .. } => format!(
                "{inputs} × {outputs} weights plus {outputs} biases bring the parameter count past the \
                 largest allocation (isize::MAX elements): the network cannot be stored"
            ),
            SpecError::InvalidScale { what, value, .. } => {
                Init::invalid_scale_message(what, value)
            }
            SpecError::InvalidActivationParameter { value, .. } => {
                Init::invalid_scale_message("activation's α", value)
            }
            SpecError::OrthogonalBias { .. } => "`orthogonal` needs a matrix, and a bias is a vector".into(),
            SpecError::AdjustedBias { .. } => "a bias init cannot have a gain, fan mode or distribution of its \
                own: `dist`, `mode` and `gain` adjust the weights"
                .into(),
            SpecError::LintForbidden { lint, level, .. } => format!(
                "`#[{}({lint})]` cannot lower `forbid({lint})`, which the network sets: a forbidden lint stays \
                 an error everywhere",
                level.name()
            ),
            SpecError::NoSuchLayer { index, layers } => {
                format!("there is no layer {index}: the network has layers 0..{layers}")
            }
        }
    }

    /// How to fix it.
    pub fn help(&self) -> String {
        match *self {
            SpecError::Empty => "declare at least one layer, e.g. `dense(784 -> 10, softmax)`".into(),
            SpecError::ZeroWidth { part, .. } => {
                if part == Part::Inputs {
                    "write the width of the data, or of the previous layer's output".into()
                } else {
                    "a layer with no outputs computes nothing; write its width".into()
                }
            }
            SpecError::ShapeMismatch { expected, found, .. } => {
                format!("write `{expected} -> …` here, or make the previous layer `… -> {found}`")
            }
            SpecError::TooManyParameters { .. } => "use narrower layers".into(),
            SpecError::InvalidScale { what, .. } => match what {
                "constant" => "write a finite value, e.g. `constant(0.1)`".into(),
                "gain" => "a gain multiplies the std: write a positive number such as `gain = 1.0`".into(),
                "bound" => "a bound is a size: write a positive number such as `bound = 0.05`".into(),
                _ => "a std is a size: write a positive number such as `std = 0.01`".into(),
            },
            SpecError::InvalidActivationParameter { .. } => {
                "write a small positive α, e.g. `leaky_relu(0.01)` or `elu(1.0)`".into()
            }
            SpecError::OrthogonalBias { .. } => {
                "use `bias = zeros` (the default) or a distribution such as `bias = normal(std = 0.01)`"
                    .into()
            }
            SpecError::AdjustedBias { .. } => {
                "use a plain scheme such as `bias = he_uniform`, or a written scale such as \
                 `bias = uniform(bound = 0.05)`"
                    .into()
            }
            SpecError::LintForbidden { lint, .. } => {
                format!(
                    "remove this attribute, or set the network's `{lint}` to `deny`, which a layer may lower"
                )
            }
            SpecError::NoSuchLayer { layers, .. } => format!("give an index below {layers}"),
        }
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.layer() {
            Some(layer) => write!(f, "layer {}: {}; {}", layer + 1, self.message(), self.help()),
            None => write!(f, "{}; {}", self.message(), self.help()),
        }
    }
}

impl std::error::Error for SpecError {}

/// Every mistake in these layers under the network's lint levels, in order
/// (empty when they are usable).
///
/// The `network!` macro runs this at compile time; [`NetworkSpec::new`] at
/// run time.
pub fn validate(layers: &[LayerSpec], network_lints: &LintLevels) -> Vec<SpecError> {
    let mut errors = Vec::new();
    if layers.is_empty() {
        errors.push(SpecError::Empty);
    }
    let mut total: Option<usize> = Some(0);
    for (index, layer) in layers.iter().enumerate() {
        if layer.inputs == 0 {
            errors.push(SpecError::ZeroWidth {
                layer: index,
                part: Part::Inputs,
            });
        }
        if layer.outputs == 0 {
            errors.push(SpecError::ZeroWidth {
                layer: index,
                part: Part::Outputs,
            });
        }
        if let Some(previous) = index.checked_sub(1).map(|previous| &layers[previous]) {
            if previous.outputs != layer.inputs && previous.outputs != 0 && layer.inputs != 0 {
                errors.push(SpecError::ShapeMismatch {
                    layer: index,
                    expected: previous.outputs,
                    found: layer.inputs,
                });
            }
        }
        let count = layer
            .parameter_count()
            .filter(|&count| count <= isize::MAX as usize);
        let running = total.and_then(|sum| count.and_then(|count| sum.checked_add(count)));
        if running.is_none() && total.is_some() {
            errors.push(SpecError::TooManyParameters {
                layer: index,
                inputs: layer.inputs,
                outputs: layer.outputs,
            });
        }
        total = running;
        if let Some(alpha) = layer.activation.parameter() {
            if !alpha.is_finite() || alpha < 0.0 {
                errors.push(SpecError::InvalidActivationParameter {
                    layer: index,
                    value: alpha,
                });
            }
        }
        if let Some((what, value)) = layer.weight.invalid_scale() {
            errors.push(SpecError::InvalidScale {
                layer: index,
                part: Part::WeightScale,
                what,
                value,
            });
        }
        if let Some((what, value)) = layer.bias.invalid_scale() {
            errors.push(SpecError::InvalidScale {
                layer: index,
                part: Part::BiasScale,
                what,
                value,
            });
        }
        match layer.bias {
            Init::Orthogonal { .. } => errors.push(SpecError::OrthogonalBias { layer: index }),
            Init::Scaled(scaling) if !scaling.is_plain() => {
                errors.push(SpecError::AdjustedBias { layer: index })
            }
            _ => {}
        }
        for (lint, level) in layer.lints.iter() {
            if network_lints.get(lint) == Some(Level::Forbid) && level != Level::Forbid {
                errors.push(SpecError::LintForbidden {
                    layer: index,
                    lint,
                    level,
                });
            }
        }
    }
    errors
}

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
            None => Ok(NetworkSpec {
                layers: Cow::Owned(layers),
                lints,
            }),
        }
    }

    /// A network from parts the DSL reader has checked (it reports its own
    /// errors, with spans).
    pub(crate) fn from_parts(layers: Vec<LayerSpec>, lints: LintLevels) -> NetworkSpec {
        NetworkSpec {
            layers: Cow::Owned(layers),
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
    pub fn lints(&self) -> LintLevels {
        self.lints
    }

    /// The same network with `lint` set to `level` on the whole network,
    /// as `#![deny(lint)]` does in the DSL. A `forbid` that a layer's own
    /// attribute would lower is a [`SpecError::LintForbidden`].
    pub fn with_network_lint(&self, lint: Lint, level: Level) -> Result<NetworkSpec, SpecError> {
        NetworkSpec::with_lints(self.layers.to_vec(), self.lints.with(lint, level))
    }

    /// The level `lint` has at layer `index`: `forbid` on the network, else
    /// the layer's own level, else the network's, else the lint's default.
    pub fn level(&self, lint: Lint, index: usize) -> Level {
        let network = self.lints.get(lint);
        if network == Some(Level::Forbid) {
            return Level::Forbid;
        }
        self.layers
            .get(index)
            .and_then(|layer| layer.lints.get(lint))
            .or(network)
            .unwrap_or(lint.default_level())
    }

    /// The layers, first to last.
    pub fn layers(&self) -> &[LayerSpec] {
        &self.layers
    }

    /// The width of the input.
    pub fn inputs(&self) -> usize {
        self.layers.first().map_or(0, LayerSpec::inputs)
    }

    /// The width of the output.
    pub fn outputs(&self) -> usize {
        self.layers.last().map_or(0, LayerSpec::outputs)
    }

    /// All weights and biases.
    pub fn parameter_count(&self) -> usize {
        self.layers.iter().filter_map(LayerSpec::parameter_count).sum()
    }

    /// The same network with every layer's weight init replaced: the
    /// run-time way to reproduce a bad init on purpose (the macro keeps
    /// refusing a constant one at compile time). The layers are marked as
    /// meant to be so (see [`LayerSpec::allow_constant_init`]).
    pub fn with_weight_init(&self, init: Init) -> Result<NetworkSpec, SpecError> {
        NetworkSpec::with_lints(
            self.layers
                .iter()
                .map(|layer| layer.with_weight(init).allow_constant_init())
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

/// A summary table of a network in the manner of Keras' `model.summary()`:
/// see [`NetworkSpec::summary`].
#[derive(Clone, Copy, Debug)]
pub struct Summary<'a> {
    spec: &'a NetworkSpec,
}

impl NetworkSpec {
    /// A table of the layers with their shapes, activations, resolved inits
    /// and parameter counts, like Keras' `model.summary()`; `Display` prints it.
    ///
    /// ```
    /// const MNIST: netinit::NetworkSpec =
    ///     netinit::network![dense(784 -> 256, relu), dense(256 -> 10, softmax)];
    /// let table = MNIST.summary().to_string();
    /// assert!(table.contains("he_normal fan_in std=0.0505"));
    /// assert!(table.ends_with("Total params: 203,530"));
    /// ```
    pub fn summary(&self) -> Summary<'_> {
        Summary { spec: self }
    }
}

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let spec = self.spec;
        let header = [
            "Layer",
            "Shape",
            "Activation",
            "Weight init",
            "Bias init",
            "Params",
        ];
        let rows: Vec<[String; 6]> = spec
            .layers
            .iter()
            .enumerate()
            .map(|(index, layer)| {
                [
                    format!("{index} dense"),
                    format!("{} -> {}", layer.inputs, layer.outputs),
                    layer.activation.to_string(),
                    layer.weight.describe(layer.activation, layer.fans()),
                    layer.bias.describe(layer.activation, layer.fans()),
                    group_digits(layer.parameter_count().unwrap_or(usize::MAX)),
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let line = |f: &mut fmt::Formatter<'_>, cells: [&str; 6]| -> fmt::Result {
            for (column, cell) in cells.iter().enumerate() {
                if column == 5 {
                    writeln!(f, "{cell:>width$}", width = widths[column])?;
                } else {
                    write!(f, "{cell:<width$}  ", width = widths[column])?;
                }
            }
            Ok(())
        };
        let rule = "=".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1));
        line(f, header)?;
        writeln!(f, "{rule}")?;
        for row in &rows {
            line(f, [&row[0], &row[1], &row[2], &row[3], &row[4], &row[5]])?;
        }
        writeln!(f, "{rule}")?;
        write!(f, "Total params: {}", group_digits(spec.parameter_count()))
    }
}

/// `203530` as `203,530`.
fn group_digits(value: usize) -> String {
    let digits = value.to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> Vec<LayerSpec> {
        vec![
            LayerSpec::dense(784, 256, Activation::Relu),
            LayerSpec::dense(256, 10, Activation::Softmax),
        ]
    }

    #[test]
    fn the_card_network_is_valid() {
        assert!(validate(&card(), &LintLevels::NONE).is_empty());
        assert_eq!(
            NetworkSpec::new(card()).unwrap().parameter_count(),
            784 * 256 + 256 + 256 * 10 + 10
        );
    }

    #[test]
    fn every_mistake_is_reported() {
        let layers = vec![
            LayerSpec::dense(0, 256, Activation::LeakyRelu(f64::NAN)),
            LayerSpec::dense(100, 10, Activation::Softmax)
                .with_weight(Init::Normal { std: -1.0 })
                .with_bias(Init::Orthogonal { gain: None }),
        ];
        let errors = validate(&layers, &LintLevels::NONE);
        assert_eq!(errors.len(), 5, "{errors:?}");
        assert_eq!(
            errors[0],
            SpecError::ZeroWidth {
                layer: 0,
                part: Part::Inputs
            }
        );
        assert!(matches!(
            errors[1],
            SpecError::InvalidActivationParameter { layer: 0, .. }
        ));
        assert_eq!(
            errors[2],
            SpecError::ShapeMismatch {
                layer: 1,
                expected: 256,
                found: 100
            }
        );
        assert_eq!(
            errors[3],
            SpecError::InvalidScale {
                layer: 1,
                part: Part::WeightScale,
                what: "std",
                value: -1.0
            }
        );
        assert_eq!(errors[4], SpecError::OrthogonalBias { layer: 1 });
        assert_eq!(validate(&[], &LintLevels::NONE), vec![SpecError::Empty]);
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

    #[test]
    fn overflowing_parameter_counts_are_refused() {
        let layers = [LayerSpec::dense(usize::MAX / 2, 4, Activation::Relu)];
        assert_eq!(
            validate(&layers, &LintLevels::NONE),
            vec![SpecError::TooManyParameters {
                layer: 0,
                inputs: usize::MAX / 2,
                outputs: 4
            }]
        );
    }

    #[test]
    fn the_summary_names_every_layer_and_the_total() {
        let summary = NetworkSpec::new(card()).unwrap().summary().to_string();
        assert!(summary.contains("0 dense  784 -> 256"), "{summary}");
        assert!(summary.contains("he_normal fan_in std=0.0505"), "{summary}");
        assert!(summary.contains("xavier_normal fan_avg std=0.0867"), "{summary}");
        assert!(summary.contains("200,960"), "{summary}");
        assert!(summary.ends_with("Total params: 203,530"), "{summary}");
    }
}
