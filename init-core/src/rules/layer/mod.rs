//! A layer of a network description: its kind, whose own rules live in a
//! module per kind, and the lint levels set on it. Adding a kind means a
//! variant of [`LayerKind`] and its module here, in the DSL's reader and
//! printer, in the shape flow, in the signal analysis and in the run
//! time's layers.

mod affine;
mod conv;
mod norm;
mod pool;

use crate::rules::activation::{Activation, MAX_ALPHA};
use crate::rules::error::SpecError;
use crate::rules::fans::Fans;
use crate::rules::init::{Draw, Init};
use crate::rules::keywords;
use crate::rules::levels::{Level, Lint, LintLevels};
use crate::rules::shape::Shape;

pub use affine::AffineSpec;
pub use conv::{Conv2dSpec, Padding};
pub use norm::{NormSpec, DEFAULT_EPSILON, MIN_EPSILON};
pub use pool::PoolSpec;

/// What a layer computes, with the fields of its kind.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LayerKind {
    /// `input(C, H, W)` or `input(N)`: the shape of the network's input.
    Input(Shape),
    /// `dense(IN -> OUT, ACTIVATION, …)`: an affine map and an activation.
    Dense(AffineSpec),
    /// `conv2d(IN -> OUT, ACTIVATION, kernel = K, …)`: a convolution and an activation.
    Conv2d(Conv2dSpec),
    /// `max_pool2d(K [, stride = S])`: the largest value of each window.
    MaxPool2d(PoolSpec),
    /// `avg_pool2d(K [, stride = S])`: the mean of each window.
    AvgPool2d(PoolSpec),
    /// `global_avg_pool2d`: the mean of each channel, one feature per channel.
    GlobalAvgPool2d,
    /// `flatten`: an image's values as features, in `(C, H, W)` order.
    Flatten,
    /// `relu`, `tanh`, `leaky_relu(0.1)`, …: an activation as a layer of its
    /// own, value by value, the shape unchanged.
    Activation(Activation),
    /// `layer_norm(N)`: each example's `N` features normalised, then
    /// scaled by `γ` and shifted by `β`.
    LayerNorm(NormSpec),
    /// `batch_norm(C)`: each channel (or feature) normalised over the
    /// batch (and the image's positions) in training, by its running
    /// statistics in evaluation, then scaled by `γ` and shifted by `β`.
    BatchNorm(NormSpec),
    /// `residual(…)` opens a residual block: the layers after it, up to
    /// its [`Shortcut`](LayerKind::Shortcut) or its
    /// [`ResidualEnd`](LayerKind::ResidualEnd), are its branch. It passes
    /// its input on unchanged. `scaled`: whether the branch's last layer
    /// gets the derived branch scaling (`scale = none` turns it off).
    Residual {
        /// Whether the derived branch scaling applies.
        scaled: bool,
    },
    /// `shortcut = …` in a residual block: the layers after it, up to the
    /// block's end, map the block's input to the branch's output shape. It
    /// gives the block's input.
    Shortcut,
    /// The end of a residual block: the branch's output plus the
    /// shortcut's (or the block's input, without one).
    ResidualEnd,
}

impl LayerKind {
    /// The kind's keyword in the DSL.
    pub const fn name(&self) -> &'static str {
        match self {
            LayerKind::Input(_) => keywords::INPUT,
            LayerKind::Dense(_) => keywords::DENSE,
            LayerKind::Conv2d(_) => keywords::CONV2D,
            LayerKind::MaxPool2d(_) => keywords::MAX_POOL2D,
            LayerKind::AvgPool2d(_) => keywords::AVG_POOL2D,
            LayerKind::GlobalAvgPool2d => keywords::GLOBAL_AVG_POOL2D,
            LayerKind::Flatten => keywords::FLATTEN,
            LayerKind::Activation(activation) => activation.name(),
            LayerKind::LayerNorm(_) => keywords::LAYER_NORM,
            LayerKind::BatchNorm(_) => keywords::BATCH_NORM,
            LayerKind::Residual { .. } | LayerKind::ResidualEnd => keywords::RESIDUAL,
            LayerKind::Shortcut => keywords::SHORTCUT,
        }
    }

    /// Whether the kind has parameters (and so a [`LayerPath`](crate::rules::path::LayerPath)).
    pub const fn has_parameters(&self) -> bool {
        matches!(
            self,
            LayerKind::Dense(_) | LayerKind::Conv2d(_) | LayerKind::LayerNorm(_) | LayerKind::BatchNorm(_)
        )
    }

    /// Whether the kind marks a residual block's structure (its start, its
    /// shortcut or its end) rather than computing on its own.
    pub const fn is_block_marker(&self) -> bool {
        matches!(
            self,
            LayerKind::Residual { .. } | LayerKind::Shortcut | LayerKind::ResidualEnd
        )
    }

    /// Whether the kind works on images (and so needs `input(C, H, W)` before it).
    pub const fn is_spatial(&self) -> bool {
        matches!(
            self,
            LayerKind::Conv2d(_)
                | LayerKind::MaxPool2d(_)
                | LayerKind::AvgPool2d(_)
                | LayerKind::GlobalAvgPool2d
        )
    }
}

/// One layer: its kind, the lint levels its attributes set, and the factor
/// the derived branch scaling puts on its weights.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerSpec {
    kind: LayerKind,
    lints: LintLevels,
    branch_scale: f64,
}

/// What a layer without weights answers for its weighted fields.
const NO_WEIGHTS: AffineSpec = AffineSpec::new(0, 0, Activation::Identity).with_weight(Init::zeros());

impl LayerSpec {
    const fn of_kind(kind: LayerKind) -> LayerSpec {
        LayerSpec {
            kind,
            lints: LintLevels::NONE,
            branch_scale: 1.0,
        }
    }

    /// A dense layer with the init derived from its activation and zero biases.
    ///
    /// ```
    /// use netinit::{Activation, Init, LayerSpec};
    /// let layer = LayerSpec::dense(784, 256, Activation::Relu);
    /// assert_eq!(layer.weight(), Init::he_normal());
    /// assert_eq!(layer.bias(), Init::zeros());
    /// ```
    pub const fn dense(inputs: usize, outputs: usize, activation: Activation) -> LayerSpec {
        LayerSpec::of_kind(LayerKind::Dense(AffineSpec::new(inputs, outputs, activation)))
    }

    /// A convolution with a `[height, width]` kernel, stride 1 and no
    /// padding (see [`LayerSpec::with_stride`] and [`LayerSpec::with_padding`]),
    /// the init derived from its activation with fans counting the
    /// receptive field, and zero biases.
    ///
    /// ```
    /// use netinit::{Activation, Fans, LayerSpec, Padding};
    /// let layer = LayerSpec::conv2d(32, 64, Activation::Relu, [3, 3]).with_padding(Padding::uniform(1));
    /// assert_eq!(layer.fans(), Fans { fan_in: 32 * 9, fan_out: 64 * 9 });
    /// assert_eq!(layer.parameter_count(), Some(64 * 32 * 9 + 64));
    /// ```
    pub const fn conv2d(
        inputs: usize,
        outputs: usize,
        activation: Activation,
        kernel: [usize; 2],
    ) -> LayerSpec {
        LayerSpec::of_kind(LayerKind::Conv2d(Conv2dSpec::new(
            inputs, outputs, activation, kernel,
        )))
    }

    /// The input's shape: `input(C, H, W)` or `input(N)`, the first layer of a network.
    pub const fn input(shape: Shape) -> LayerSpec {
        LayerSpec::of_kind(LayerKind::Input(shape))
    }

    /// `max_pool2d`: the largest value of each `[height, width]` window, moved by `stride`.
    pub const fn max_pool2d(kernel: [usize; 2], stride: [usize; 2]) -> LayerSpec {
        LayerSpec::of_kind(LayerKind::MaxPool2d(PoolSpec::new(kernel, stride)))
    }

    /// `avg_pool2d`: the mean of each `[height, width]` window, moved by `stride`.
    pub const fn avg_pool2d(kernel: [usize; 2], stride: [usize; 2]) -> LayerSpec {
        LayerSpec::of_kind(LayerKind::AvgPool2d(PoolSpec::new(kernel, stride)))
    }

    /// `global_avg_pool2d`: each channel's mean.
    pub const fn global_avg_pool2d() -> LayerSpec {
        LayerSpec::of_kind(LayerKind::GlobalAvgPool2d)
    }

    /// `flatten`: an image's values as features.
    pub const fn flatten() -> LayerSpec {
        LayerSpec::of_kind(LayerKind::Flatten)
    }

    /// `layer_norm(N)` with `γ` ones, `β` zeros and `ε` 1e-5 (see
    /// [`NormSpec`] for the others).
    ///
    /// ```
    /// use netinit::{Activation, LayerSpec, NetworkSpec, NormSpec};
    /// let spec = NetworkSpec::new(vec![
    ///     LayerSpec::dense(784, 256, Activation::Relu),
    ///     LayerSpec::layer_norm(NormSpec::new(256)),
    ///     LayerSpec::dense(256, 10, Activation::Softmax),
    /// ])?;
    /// assert_eq!(spec.layers()[1].parameter_count(), Some(512));
    /// # Ok::<(), netinit::SpecError>(())
    /// ```
    pub const fn layer_norm(norm: NormSpec) -> LayerSpec {
        LayerSpec::of_kind(LayerKind::LayerNorm(norm))
    }

    /// `batch_norm(C)` over `C` channels of an image (or `C` features)
    /// with `γ` ones, `β` zeros and `ε` 1e-5; its running statistics start
    /// at mean 0 and variance 1, as PyTorch's.
    ///
    /// ```
    /// use netinit::{Activation, LayerSpec, NetworkSpec, NormSpec, Shape};
    /// let spec = NetworkSpec::new(vec![
    ///     LayerSpec::input(Shape::image(1, 28, 28)),
    ///     LayerSpec::conv2d(1, 8, Activation::Identity, [3, 3]).without_bias(),
    ///     LayerSpec::batch_norm(NormSpec::new(8)),
    ///     LayerSpec::activation_layer(Activation::Relu),
    /// ])?;
    /// assert_eq!(spec.output_shapes()[2], Shape::image(8, 26, 26));
    /// # Ok::<(), netinit::SpecError>(())
    /// ```
    pub const fn batch_norm(norm: NormSpec) -> LayerSpec {
        LayerSpec::of_kind(LayerKind::BatchNorm(norm))
    }

    /// An activation as a layer of its own (`relu` after a block, as in
    /// the original ResNet): applied value by value, the shape unchanged.
    ///
    /// ```
    /// use netinit::{Activation, LayerSpec, NetworkSpec, Shape};
    /// let spec = NetworkSpec::new(vec![
    ///     LayerSpec::input(Shape::image(1, 28, 28)),
    ///     LayerSpec::max_pool2d([2, 2], [2, 2]),
    ///     LayerSpec::activation_layer(Activation::Relu),
    ///     LayerSpec::flatten(),
    ///     LayerSpec::dense(196, 10, Activation::Softmax),
    /// ])?;
    /// assert_eq!(spec.output_shapes()[2], Shape::image(1, 14, 14));
    /// # Ok::<(), netinit::SpecError>(())
    /// ```
    pub const fn activation_layer(activation: Activation) -> LayerSpec {
        LayerSpec::of_kind(LayerKind::Activation(activation))
    }

    /// `residual(…)`: opens a residual block whose output is its input
    /// plus its branch's output (the layers up to [`LayerSpec::shortcut`]
    /// or [`LayerSpec::residual_end`]). The branch's last layer with
    /// parameters gets the derived branch scaling, unless its init is not
    /// the derived one (see [`LayerSpec::residual_unscaled`]).
    ///
    /// ```
    /// use netinit::{Activation, LayerSpec, NetworkSpec, Shape};
    /// let spec = NetworkSpec::new(vec![
    ///     LayerSpec::dense(784, 256, Activation::Relu),
    ///     LayerSpec::residual(),
    ///     LayerSpec::dense(256, 1024, Activation::Relu),
    ///     LayerSpec::dense(1024, 256, Activation::Identity),
    ///     LayerSpec::residual_end(),
    ///     LayerSpec::dense(256, 10, Activation::Softmax),
    /// ])?;
    /// assert_eq!(spec.output_shapes()[4], Shape::Features(256));
    /// // One block: the branch adds as much as the block takes in.
    /// assert!(spec.layers()[3].branch_scale() < 1.0);
    /// # Ok::<(), netinit::SpecError>(())
    /// ```
    pub const fn residual() -> LayerSpec {
        LayerSpec::of_kind(LayerKind::Residual { scaled: true })
    }

    /// `residual(…, scale = none)`: a residual block whose branch keeps
    /// the inits it names, unscaled.
    pub const fn residual_unscaled() -> LayerSpec {
        LayerSpec::of_kind(LayerKind::Residual { scaled: false })
    }

    /// `shortcut = …`: ends a residual block's branch; the layers after it,
    /// up to [`LayerSpec::residual_end`], map the block's input to the
    /// branch's output shape.
    pub const fn shortcut() -> LayerSpec {
        LayerSpec::of_kind(LayerKind::Shortcut)
    }

    /// Ends a residual block: its output is the branch's plus the
    /// shortcut's (or the block's input).
    pub const fn residual_end() -> LayerSpec {
        LayerSpec::of_kind(LayerKind::ResidualEnd)
    }

    /// The factor the derived branch scaling puts on the weights (a
    /// normalization's `γ`): 1 but for the last layer with parameters of a
    /// residual block's branch (see [`LayerSpec::residual`]).
    pub const fn branch_scale(&self) -> f64 {
        self.branch_scale
    }

    /// The same layer with its weights (`γ`) multiplied by `scale`: what
    /// the derived branch scaling sets. Not for direct use: a network's
    /// checks set it again from the analysis.
    #[doc(hidden)]
    pub const fn with_branch_scale(self, branch_scale: f64) -> LayerSpec {
        LayerSpec { branch_scale, ..self }
    }

    /// What the layer computes.
    pub const fn kind(&self) -> &LayerKind {
        &self.kind
    }

    /// The weighted fields of a dense or conv2d layer; `None` for a layer without weights.
    pub const fn affine(&self) -> Option<&AffineSpec> {
        match &self.kind {
            LayerKind::Dense(affine) => Some(affine),
            LayerKind::Conv2d(conv) => Some(conv.affine()),
            _ => None,
        }
    }

    /// The fields of a normalization (`layer_norm` or `batch_norm`);
    /// `None` for other kinds.
    pub const fn norm(&self) -> Option<&NormSpec> {
        match &self.kind {
            LayerKind::LayerNorm(norm) | LayerKind::BatchNorm(norm) => Some(norm),
            _ => None,
        }
    }

    /// The same normalization with `norm` as its fields.
    const fn with_norm(self, norm: NormSpec) -> LayerSpec {
        let kind = match self.kind {
            LayerKind::BatchNorm(_) => LayerKind::BatchNorm(norm),
            _ => LayerKind::LayerNorm(norm),
        };
        LayerSpec { kind, ..self }
    }

    /// The weighted fields, or those of no weights at all (widths 0, zeros)
    /// for a layer without them.
    const fn affine_or_none(&self) -> &AffineSpec {
        match self.affine() {
            Some(affine) => affine,
            None => &NO_WEIGHTS,
        }
    }

    /// The same layer with `affine` as its weighted core; a layer without
    /// weights is returned as it is.
    const fn map_affine(self, affine: AffineSpec) -> LayerSpec {
        let kind = match self.kind {
            LayerKind::Dense(_) => LayerKind::Dense(affine),
            LayerKind::Conv2d(conv) => LayerKind::Conv2d(conv.with_affine(affine)),
            other => other,
        };
        LayerSpec { kind, ..self }
    }

    /// The same layer with another weight init, a normalization's with
    /// another `γ` init (a layer without parameters is unchanged).
    pub const fn with_weight(self, weight: Init) -> LayerSpec {
        match self.norm() {
            Some(norm) => self.with_norm(norm.with_gamma(weight)),
            None => self.map_affine(self.affine_or_none().with_weight(weight)),
        }
    }

    /// The same layer with another bias init, a normalization's with
    /// another `β` init (a layer without parameters is unchanged).
    pub const fn with_bias(self, bias: Init) -> LayerSpec {
        match self.norm() {
            Some(norm) => self.with_norm(norm.with_beta(bias)),
            None => self.map_affine(self.affine_or_none().with_bias(bias)),
        }
    }

    /// The same layer without biases, `bias = none` (a layer without weights is unchanged).
    ///
    /// ```
    /// use netinit::{Activation, LayerSpec};
    /// let layer = LayerSpec::dense(256, 128, Activation::Relu).without_bias();
    /// assert!(!layer.has_bias());
    /// assert_eq!(layer.parameter_count(), Some(256 * 128));
    /// ```
    pub const fn without_bias(self) -> LayerSpec {
        self.map_affine(self.affine_or_none().without_bias())
    }

    /// Whether the layer has biases (a normalization's `β`): false with
    /// `bias = none` and for a layer without parameters.
    pub const fn has_bias(&self) -> bool {
        match (self.affine(), self.norm()) {
            (Some(affine), _) => affine.has_bias(),
            (None, norm) => norm.is_some(),
        }
    }

    /// How many biases the layer has: its outputs (output channels, a
    /// normalization's features), or 0.
    pub const fn bias_count(&self) -> usize {
        match (self.affine(), self.norm()) {
            (Some(affine), _) => affine.bias_count(),
            (None, Some(norm)) => norm.features(),
            (None, None) => 0,
        }
    }

    /// The same convolution with another stride `[height, width]` (other kinds are unchanged).
    pub const fn with_stride(self, stride: [usize; 2]) -> LayerSpec {
        match self.kind {
            LayerKind::Conv2d(conv) => LayerSpec {
                kind: LayerKind::Conv2d(conv.with_stride(stride)),
                ..self
            },
            _ => self,
        }
    }

    /// The same convolution with another padding (other kinds are unchanged).
    pub const fn with_padding(self, padding: Padding) -> LayerSpec {
        match self.kind {
            LayerKind::Conv2d(conv) => LayerSpec {
                kind: LayerKind::Conv2d(conv.with_padding(padding)),
                ..self
            },
            _ => self,
        }
    }

    /// The same layer, marked as meant to start constant (a zero-initialised
    /// output head or residual branch): `#[allow(constant_init)]` on it, so
    /// `constant_init` is not reported for it. (The signal analysis leaves
    /// out every constant layer, marked or not.)
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
    pub const fn lint_levels(&self) -> LintLevels {
        self.lints
    }

    /// Whether this layer's own attributes lower `constant_init` to `allow`
    /// or `warn` (see [`LayerSpec::allow_constant_init`]; the network's
    /// level is [`NetworkSpec::level`](crate::NetworkSpec::level)'s business).
    pub const fn constant_init_allowed(&self) -> bool {
        matches!(
            self.lints.get(Lint::ConstantInit),
            Some(Level::Allow | Level::Warn)
        )
    }

    /// The input width of a dense layer, the input channels of a
    /// convolution, a normalization's features; 0 for a layer without
    /// parameters.
    pub const fn inputs(&self) -> usize {
        match self.norm() {
            Some(norm) => norm.features(),
            None => self.affine_or_none().inputs(),
        }
    }

    /// The output width of a dense layer, the output channels of a
    /// convolution, a normalization's features; 0 for a layer without
    /// parameters.
    pub const fn outputs(&self) -> usize {
        match self.norm() {
            Some(norm) => norm.features(),
            None => self.affine_or_none().outputs(),
        }
    }

    /// The activation after the affine map (identity for a layer without weights).
    pub const fn activation(&self) -> Activation {
        self.affine_or_none().activation()
    }

    /// The weight init: a normalization's `γ`'s (zeros for a layer
    /// without parameters).
    pub const fn weight(&self) -> Init {
        match self.norm() {
            Some(norm) => norm.gamma(),
            None => self.affine_or_none().weight(),
        }
    }

    /// The bias init: a normalization's `β`'s (zeros for a layer without
    /// parameters or biases).
    pub const fn bias(&self) -> Init {
        match self.norm() {
            Some(norm) => norm.beta(),
            None => self.affine_or_none().bias(),
        }
    }

    /// The fans of the weight tensor, counting a convolution's receptive field.
    pub const fn fans(&self) -> Fans {
        self.affine_or_none().fans()
    }

    /// The shape of the weight tensor: `[out, in]` for dense, `[out, in,
    /// kh, kw]` for a convolution, `[N]` for a normalization's `γ`, as
    /// PyTorch stores them; empty for a layer without parameters.
    pub fn weight_shape(&self) -> Vec<usize> {
        match &self.kind {
            LayerKind::LayerNorm(norm) | LayerKind::BatchNorm(norm) => vec![norm.features()],
            LayerKind::Dense(dense) => vec![dense.outputs(), dense.inputs()],
            LayerKind::Conv2d(conv) => {
                let [height, width] = conv.kernel();
                vec![conv.affine().outputs(), conv.affine().inputs(), height, width]
            }
            _ => Vec::new(),
        }
    }

    /// The columns of the weight matrix: `in` for dense, `in × kh × kw`
    /// for a convolution (its tensor's last three dimensions as one), `N`
    /// for a normalization's `γ`; 0 for a layer without parameters.
    pub const fn weight_columns(&self) -> usize {
        match self.norm() {
            Some(norm) => norm.features(),
            None => self.affine_or_none().row_width(),
        }
    }

    /// The rows of the weight matrix: the outputs (output channels), 1 for
    /// a normalization's `γ` (a row of `N`); 0 for a layer without parameters.
    pub const fn weight_rows(&self) -> usize {
        match self.norm() {
            Some(_) => 1,
            None => self.affine_or_none().outputs(),
        }
    }

    /// What the weights (a normalization's `γ`) are drawn from, with the scale resolved.
    pub fn weight_draw(&self) -> Draw {
        let draw = match self.norm() {
            Some(norm) => norm.gamma().draw(Activation::Identity, Fans::dense(1, 1)),
            None => self.affine_or_none().weight_draw(),
        };
        draw.scaled(self.branch_scale)
    }

    /// `E[w²]` of one weight (of `γ` for a normalization), with the branch
    /// scaling.
    pub fn weight_second_moment(&self) -> f64 {
        let moment = match self.norm() {
            Some(norm) => norm
                .gamma()
                .second_moment(Activation::Identity, Fans::dense(1, 1)),
            None => self.weight().second_moment(self.activation(), self.fans()),
        };
        moment * self.branch_scale * self.branch_scale
    }

    /// What the biases (a normalization's `β`) are drawn from, with the scale resolved.
    pub fn bias_draw(&self) -> Draw {
        match self.norm() {
            Some(norm) => norm.beta().draw(Activation::Identity, Fans::dense(1, 1)),
            None => self.affine_or_none().bias_draw(),
        }
    }

    /// Whether the weights start constant as the f32 they become: a
    /// constant init, or a scale that rounds them all to zero (see
    /// [`Draw::is_constant_in_f32`]). False for a layer without weights.
    pub fn weight_is_constant(&self) -> bool {
        self.affine().is_some() && (self.weight().is_constant() || self.weight_draw().is_constant_in_f32())
    }

    /// The standard deviation of the weights.
    pub fn weight_std(&self) -> f64 {
        self.weight().std(self.activation(), self.fans()) * self.branch_scale
    }

    /// Weights plus biases (a normalization's `γ` and `β`), `None` if that
    /// overflows `usize`; `Some(0)` for a layer without parameters.
    pub const fn parameter_count(&self) -> Option<usize> {
        match (self.affine(), self.norm()) {
            (Some(affine), _) => affine.parameter_count(),
            (None, Some(norm)) => norm.parameter_count(),
            (None, None) => Some(0),
        }
    }

    /// The mistakes in the layer's own sizes: widths, channels, kernel or
    /// stride of zero, an input shape with a zero in it, `same` padding
    /// where it cannot keep the size.
    pub(crate) fn shape_errors(&self, index: usize, errors: &mut Vec<SpecError>) {
        if let Some(affine) = self.affine() {
            affine.shape_errors(index, errors);
        }
        match &self.kind {
            LayerKind::Conv2d(conv) => conv.geometry_errors(index, errors),
            LayerKind::LayerNorm(norm) => norm.shape_errors(index, errors, true),
            LayerKind::BatchNorm(norm) => norm.shape_errors(index, errors, false),
            LayerKind::MaxPool2d(pool) | LayerKind::AvgPool2d(pool) => pool.geometry_errors(index, errors),
            LayerKind::Input(shape) if shape.is_empty() => errors.push(SpecError::ZeroWidth {
                layer: index,
                part: crate::rules::part::Part::Inputs,
            }),
            _ => {}
        }
    }

    /// The mistakes in the layer's activation and inits.
    pub(crate) fn init_errors(&self, index: usize, errors: &mut Vec<SpecError>) {
        if let Some(affine) = self.affine() {
            affine.init_errors(index, errors);
        }
        if let LayerKind::Activation(activation) = self.kind {
            activation_errors(activation, index, errors);
        }
        if let Some(norm) = self.norm() {
            norm.init_errors(index, errors);
        }
        if let LayerKind::Conv2d(conv) = &self.kind {
            if conv.affine().activation() == Activation::Softmax {
                errors.push(SpecError::SoftmaxOnImage { layer: index });
            }
        }
    }
}

/// The mistake in an activation's α, if any: it must be finite, at least
/// 0 and at most [`MAX_ALPHA`].
pub(crate) fn activation_errors(activation: Activation, index: usize, errors: &mut Vec<SpecError>) {
    if let Some(alpha) = activation.parameter() {
        if !alpha.is_finite() || !(0.0..=MAX_ALPHA).contains(&alpha) {
            errors.push(SpecError::InvalidActivationParameter {
                layer: index,
                value: alpha,
            });
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The design card's layers, for the rules' tests.
    pub(crate) fn card() -> Vec<LayerSpec> {
        vec![
            LayerSpec::dense(784, 256, Activation::Relu),
            LayerSpec::dense(256, 10, Activation::Softmax),
        ]
    }
}
