//! One layer of a network description: its kind, the lint levels its
//! attributes set, and the factor the derived branch scaling puts on it.

use proc_macro2::TokenStream;
use quote::quote;

use crate::rules::activation::Activation;
use crate::rules::fans::Fans;
use crate::rules::init::Init;
use crate::rules::keywords;
use crate::rules::layer::LayerKind;
use crate::rules::levels::{Level, Lint, LintLevels};
use crate::rules::parameter::{trained_count, ParameterSpec, Role};
use crate::rules::tokens;

/// One layer: its kind, the lint levels its attributes set, and the factor
/// the derived branch scaling puts on its weights.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerSpec {
    kind: LayerKind,
    lints: LintLevels,
    branch_scale: f64,
}

impl LayerSpec {
    /// A layer of `kind`, with no lint level set on it.
    ///
    /// ```
    /// use netinit::{Activation, Conv2dSpec, LayerSpec, Padding};
    /// let conv = Conv2dSpec::new(3, 16, Activation::Relu, [3, 3]).with_padding(Padding::Same);
    /// let layer = LayerSpec::of(conv.into());
    /// assert_eq!(layer.to_string(), "conv2d(3 -> 16, relu, kernel = 3, padding = same)");
    /// ```
    pub const fn of(kind: LayerKind) -> LayerSpec {
        LayerSpec {
            kind,
            lints: LintLevels::NONE,
            branch_scale: 1.0,
        }
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
        LayerSpec::of(LayerKind::Residual { scaled: true })
    }

    /// `residual(…, scale = none)`: a residual block whose branch keeps
    /// the inits it names, unscaled.
    pub const fn residual_unscaled() -> LayerSpec {
        LayerSpec::of(LayerKind::Residual { scaled: false })
    }

    /// `shortcut = …`: ends a residual block's branch; the layers after it,
    /// up to [`LayerSpec::residual_end`], map the block's input to the
    /// branch's output shape.
    pub const fn shortcut() -> LayerSpec {
        LayerSpec::of(LayerKind::Shortcut)
    }

    /// Ends a residual block: its output is the branch's plus the
    /// shortcut's (or the block's input).
    pub const fn residual_end() -> LayerSpec {
        LayerSpec::of(LayerKind::ResidualEnd)
    }

    /// What the layer computes.
    pub const fn kind(&self) -> &LayerKind {
        &self.kind
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

    /// The layer's tensors, as PyTorch's `state_dict` names them, with the
    /// derived branch scaling on the one it multiplies; empty for a layer
    /// without parameters.
    ///
    /// ```
    /// use netinit::{Activation, LayerSpec, Role};
    /// let names: Vec<&str> = LayerSpec::dense(4, 2, Activation::Relu)
    ///     .without_bias()
    ///     .parameters()
    ///     .iter()
    ///     .map(|parameter| parameter.name())
    ///     .collect();
    /// assert_eq!(names, ["weight"]);
    /// ```
    pub fn parameters(&self) -> Vec<ParameterSpec> {
        let mut parameters = self.kind.rules().map_or_else(Vec::new, |kind| kind.parameters());
        for parameter in &mut parameters {
            if parameter.is_branch_scaled() {
                *parameter = parameter.with_scale(self.branch_scale);
            }
        }
        parameters
    }

    /// The tensor PyTorch names `name`, if the layer has one.
    pub fn parameter(&self, name: &str) -> Option<ParameterSpec> {
        self.parameters()
            .into_iter()
            .find(|parameter| parameter.name() == name)
    }

    /// The layer's weights that mix units (a dense layer's or a
    /// convolution's), which the symmetry and variance lints judge; `None`
    /// for a layer without them.
    pub fn weights(&self) -> Option<ParameterSpec> {
        self.parameters()
            .into_iter()
            .find(|parameter| parameter.role() == Role::Weights)
    }

    /// The same layer with its tensor `weight` (a normalization's `γ`)
    /// drawn from `weight` (a layer without one is unchanged).
    pub const fn with_weight(self, weight: Init) -> LayerSpec {
        self.with_init(keywords::WEIGHT, weight)
    }

    /// The same layer with its tensor `bias` (a normalization's `β`) drawn
    /// from `bias`, a dense layer or convolution given biases if it had
    /// none (a layer without them is unchanged).
    pub const fn with_bias(self, bias: Init) -> LayerSpec {
        self.with_init(keywords::BIAS, bias)
    }

    /// The same layer without biases, `bias = none` (a layer whose biases
    /// are not optional is unchanged).
    ///
    /// ```
    /// use netinit::{Activation, Init, LayerSpec};
    /// // The builders are `const fn`s: a layer can be a constant.
    /// const HIDDEN: LayerSpec =
    ///     LayerSpec::dense(256, 128, Activation::Relu).with_weight(Init::he_uniform()).without_bias();
    /// assert!(HIDDEN.parameter("bias").is_none());
    /// assert_eq!(HIDDEN.weight(), Init::he_uniform());
    /// assert_eq!(HIDDEN.parameter_count(), Some(256 * 128));
    /// ```
    pub const fn without_bias(self) -> LayerSpec {
        LayerSpec {
            kind: self.kind.without(keywords::BIAS),
            ..self
        }
    }

    /// The same layer with its tensor `parameter` drawn from `init` (a
    /// layer without such a tensor is unchanged).
    pub(crate) const fn with_init(self, parameter: &str, init: Init) -> LayerSpec {
        LayerSpec {
            kind: self.kind.with_init(parameter, init),
            ..self
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

    /// The activation the layer applies to its output (a dense layer's or a
    /// convolution's, an activation layer's own); the identity for the rest.
    pub fn activation(&self) -> Activation {
        self.kind
            .rules()
            .map_or(Activation::Identity, |kind| kind.activation())
    }

    /// The init of the weights that mix units (attention's: its four
    /// projections'), else of the tensor `weight` (a normalization's `γ`,
    /// an embedding's table); zeros for a layer without one.
    pub fn weight(&self) -> Init {
        self.weights()
            .or_else(|| self.parameter(keywords::WEIGHT))
            .map_or(Init::zeros(), |parameter| parameter.init())
    }

    /// The init of the tensor `bias` (a normalization's `β`); zeros for a
    /// layer without one.
    pub fn bias(&self) -> Init {
        self.parameter(keywords::BIAS)
            .map_or(Init::zeros(), |parameter| parameter.init())
    }

    /// The fans of the weights, counting a convolution's receptive field
    /// (`(1, 1)` for a layer without weights that mix units).
    pub fn fans(&self) -> Fans {
        self.weights().map_or(Fans::dense(1, 1), |weights| weights.fans())
    }

    /// The standard deviation of the weights, with the branch scaling (0
    /// for a layer without weights that mix units).
    pub fn weight_std(&self) -> f64 {
        self.weights().map_or(0.0, |weights| weights.std())
    }

    /// The values of its trained tensors (a buffer is state, not a
    /// parameter), `None` if that overflows `usize`; `Some(0)` for a layer
    /// without parameters.
    pub fn parameter_count(&self) -> Option<usize> {
        trained_count(&self.parameters())
    }

    /// A constant expression that builds this layer, its branch scaling and
    /// lint levels included, for the macro's expansion.
    pub(crate) fn tokens(&self) -> TokenStream {
        let private = tokens::private();
        let kind = self.kind.tokens();
        let scale = match self.branch_scale {
            1.0 => quote!(),
            scale => {
                let scale = tokens::bits(scale);
                quote!(.with_branch_scale(#scale))
            }
        };
        let levels = self.lints.iter().map(|(lint, level)| {
            let (lint, level) = (tokens::lint(lint), tokens::level(level));
            quote!(.with_lint(#lint, #level))
        });
        quote!(#private::LayerSpec::of(#kind) #scale #(#levels)*)
    }
}

impl From<LayerKind> for LayerSpec {
    fn from(kind: LayerKind) -> LayerSpec {
        LayerSpec::of(kind)
    }
}
