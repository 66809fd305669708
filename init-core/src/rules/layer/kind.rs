//! What a layer kind tells every pass over a network. Each kind implements
//! [`Kind`] once, in its own module; the table in `layer/mod.rs` hands a
//! layer to the passes as `&dyn Kind`. The trait has no default methods:
//! a new kind fills in every one, and the compiler names any it misses.

use core::fmt;

use proc_macro2::TokenStream;

use crate::rules::activation::Activation;
use crate::rules::error::{ChainError, Sort, SpecError};
use crate::rules::parameter::ParameterSpec;
use crate::rules::pytorch::python::{Export, Python};
use crate::rules::shape::Shape;
use crate::rules::signal::step::{SignalAt, Stepped};
use crate::rules::signal::values::Values;

/// A layer kind's rules: its keyword and tensors, its checks, the shape it
/// gives, its step of the signal analysis, and how it is written in the
/// DSL, in PyTorch and in the macro's expansion.
pub trait Kind: fmt::Debug {
    /// The keyword the DSL writes it with (an activation layer: its activation's name).
    fn keyword(&self) -> &'static str;

    /// Its tensors in order, as PyTorch's `state_dict` has them; empty for
    /// a layer without parameters. (The branch scaling is the layer's to
    /// apply, see [`LayerSpec::parameters`](crate::LayerSpec::parameters).)
    fn parameters(&self) -> Vec<ParameterSpec>;

    /// The activation it applies to its output: a dense layer's or a
    /// convolution's, an activation layer's own; the identity for the rest.
    fn activation(&self) -> Activation;

    /// What the passes over a network ask of every kind alike.
    fn properties(&self) -> Properties;

    /// The shape a network that starts with it takes, where its own sizes
    /// say it (`input(…)`, a dense layer's input width, a normalization's
    /// features).
    fn implied_input(&self) -> Option<Shape>;

    /// The mistakes in its own sizes (widths, window, features), as layer
    /// `layer`: reported before how it chains to the layer before.
    fn size_errors(&self, layer: usize, errors: &mut Vec<SpecError>);

    /// The mistakes in its activation, its options and its tensors' inits
    /// (`parameters`, which [`ParameterSpec::init_errors`] checks), as
    /// layer `layer`, in the order they are reported: after how it chains.
    fn init_errors(&self, layer: usize, parameters: &[ParameterSpec], errors: &mut Vec<SpecError>);

    /// The shape it gives for what it is `given` (`None` where an earlier
    /// mistake left it unknown), or the mistake in how it chains to the
    /// layer before.
    fn output(&self, given: &Given) -> Result<Option<Shape>, SpecError>;

    /// What it does with an input that is `value` for every example and
    /// position: the check that a constant layer passes a gradient follows
    /// such a value up the network.
    fn constant_input(&self, value: f64) -> ConstantInput;

    /// Its step of the mean-field analysis (see `rules::signal`).
    fn signal(&self, input: &Values, at: &SignalAt) -> Stepped;

    /// The DSL text that gives it back (its lint attributes aside).
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;

    /// Its PyTorch module (if it has parameters) and its step of `forward`.
    fn pytorch(&self, at: &Export) -> Python;

    /// A constant expression that builds it, for the macro's expansion.
    fn tokens(&self) -> TokenStream;
}

/// What the passes over a network ask of every kind alike, as one value: a
/// kind names the properties it has on [`Properties::NONE`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Properties {
    /// Whether it needs to be told its input's shape when it comes first
    /// (a convolution, a pooling, an activation): it has no width of its
    /// own that says it.
    pub(crate) needs_input: bool,
    /// Whether the features it gives are a width it writes itself
    /// (`dense(… -> OUT)`): a dense layer after it that takes another width
    /// is told of this layer's outputs, rather than of the features
    /// something else gives. (A convolution writes `-> OUT` too, but gives
    /// an image.)
    pub(crate) writes_outputs: bool,
    /// Whether it passes its input on unchanged but for its shape
    /// (`flatten`): an activation after it belongs to the layer before.
    pub(crate) reshapes_only: bool,
    /// Whether the shape it gives follows from its own sizes, whatever it
    /// is given (`input(…)`, a dense layer's width, a layer normalization's
    /// features): a mistake before it says nothing about the layers after.
    pub(crate) fixes_output: bool,
    /// Whether it normalizes what it is given (`layer_norm`, `batch_norm`):
    /// the signal's scale starts again after it, whatever came before.
    pub(crate) normalizes: bool,
    /// Whether it applies a function to each value alone (an activation
    /// layer): the shape it gives is the one it is given, and messages
    /// about that shape name the layer before it.
    pub(crate) element_wise: bool,
    /// Whether it adds a tensor of its own to what the layer before gives
    /// (a position table): the derived inits of the two share the second
    /// moment of their sum.
    pub(crate) adds_to_previous: bool,
}

impl Properties {
    /// None of them: a kind with all its properties false.
    pub(crate) const NONE: Properties = Properties {
        needs_input: false,
        writes_outputs: false,
        reshapes_only: false,
        fixes_output: false,
        normalizes: false,
        element_wise: false,
        adds_to_previous: false,
    };
}

/// What a layer is given, as the shape check sees it.
#[derive(Clone, Copy, Debug)]
pub struct Given {
    /// The layer's index.
    pub layer: usize,
    /// The shape it is given; `None` where an earlier mistake left it unknown.
    pub shape: Option<Shape>,
    /// The keyword of the layer that made that shape (activations keep the
    /// shape they are given, so they are passed over): `input` for the
    /// network's input.
    pub previous: &'static str,
    /// Whether that layer writes its output width itself (see [`Properties::writes_outputs`]).
    pub previous_writes_outputs: bool,
    /// Where that layer is `flatten`, the image it flattened.
    pub flattened: Option<Shape>,
}

impl Given {
    /// The error for a layer of `kind` that takes `takes` and is given `shape`.
    pub(crate) fn wrong_sort(&self, kind: &'static str, takes: Sort, shape: Shape) -> SpecError {
        SpecError::Chain(ChainError::WrongSort {
            layer: self.layer,
            kind,
            takes,
            given: shape,
            previous: self.previous,
        })
    }

    /// The sequence it is given as `(tokens, features)`, the error for
    /// another shape where a layer of `kind` takes a sequence, `None` when
    /// unknown.
    pub(crate) fn sequence(&self, kind: &'static str) -> Result<Option<(usize, usize)>, SpecError> {
        match self.shape {
            Some(Shape::Sequence { tokens, features }) => Ok(Some((tokens, features))),
            Some(other) => Err(self.wrong_sort(kind, Sort::Sequence, other)),
            None => Ok(None),
        }
    }
}

/// What a layer does with an input that is one value for every example.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ConstantInput {
    /// It gives another such value (a pooling, `flatten`, an activation
    /// where its derivative is not 0).
    Gives(f64),
    /// Its derivative there is 0 (relu of a negative value): no gradient
    /// passes it.
    Stops,
    /// What it gives is no longer one value (weights, a normalization).
    Ends,
}
