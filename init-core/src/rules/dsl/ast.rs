//! The invocation as written: every name and number with its span, before
//! any meaning is given to it (that is `model.rs`'s job).

use proc_macro2::Span;
use syn::{Attribute, Ident, Visibility};

use crate::rules::layer::Marker;

/// A name the user wrote.
pub struct Name {
    pub text: String,
    pub span: Span,
}

impl Name {
    pub fn from_ident(ident: &Ident) -> Name {
        Name {
            text: ident.to_string(),
            span: ident.span(),
        }
    }
}

/// A number the user wrote, with its sign.
#[derive(Clone, Copy)]
pub struct Number {
    pub value: f64,
    pub span: Span,
}

/// A layer width: `None` when the literal was not a usable whole number
/// (the error is already recorded).
pub struct Width {
    pub value: Option<u64>,
    pub span: Span,
}

/// `name` or `name(args)`: an activation, an init, a distribution or a mode.
pub struct Call {
    pub name: Name,
    pub args: Vec<Arg>,
    /// The span of the parentheses, when there are any.
    pub parens: Option<Span>,
}

/// One argument of a [`Call`]: `0.1` or `std = 0.1`.
pub enum Arg {
    Positional(Number),
    Named { key: Name, value: Number },
}

/// `key = value` after the activation.
pub struct LayerOption {
    pub key: Name,
    pub value: OptionValue,
}

/// The value of an option: a call (`he_uniform`, `normal(std = 0.1)`,
/// `fan_out`, `same`), a number (`gain = 1.2`) or a pair of numbers
/// (`kernel = (3, 5)`).
pub enum OptionValue {
    Call(Call),
    Number(Number),
    Tuple(Vec<Number>, Span),
}

impl OptionValue {
    pub fn span(&self) -> Span {
        match self {
            OptionValue::Call(call) => call.name.span,
            OptionValue::Number(number) => number.span,
            OptionValue::Tuple(_, span) => *span,
        }
    }
}

/// `#[level(lint, …)]`.
pub struct LintAttr {
    pub level: Name,
    pub lints: Vec<Name>,
}

/// `kind(…)` with its attributes.
pub struct Layer {
    pub attrs: Vec<LintAttr>,
    pub kind: Name,
    pub body: Body,
}

/// What a layer's parentheses hold, by the shape of its kind's grammar.
pub enum Body {
    /// `IN -> OUT, ACTIVATION, OPTION…`: dense and conv2d.
    Affine {
        inputs: Width,
        outputs: Width,
        activation: Call,
        options: Vec<LayerOption>,
    },
    /// `IN -> OUT, OPTION…` without an activation: `embedding(V -> D)`.
    Map {
        inputs: Width,
        outputs: Width,
        options: Vec<LayerOption>,
    },
    /// `N, …, OPTION…`: `input(C, H, W)`, `max_pool2d(K, stride = S)`.
    Sizes {
        sizes: Vec<Width>,
        options: Vec<LayerOption>,
        /// The parentheses, where a missing size is reported.
        parens: Span,
    },
    /// No parentheses: `flatten`, `global_avg_pool2d`.
    Bare,
    /// An activation as a layer of its own: `relu`, `leaky_relu(0.1)`;
    /// also any other name written alone, reported as an unknown layer.
    Activation(Call),
    /// A name that is no layer kind, with parentheses (`linear(784 -> 10,
    /// softmax)`, `maxpool2d(2)`): its arguments are passed over, so the
    /// name is reported once, with the kind it may have meant.
    Unknown,
    /// One of a residual block's markers: `residual(…)` is read into its
    /// start, its branch's layers, its shortcut's marker and layers, and
    /// its end, in that order.
    Marker(Marker),
}

/// A layer as read, or the span of one that could not be read.
pub enum LayerSlot {
    Read(Box<Layer>),
    Unreadable(Span),
}

/// The item form's struct: `#[attrs] vis struct Name { … }`.
pub struct Item {
    /// Attributes passed on to the struct (doc comments, derives, rustc lints).
    pub attrs: Vec<Attribute>,
    /// The struct's visibility.
    pub vis: Visibility,
    /// The struct's name.
    pub name: Ident,
}

/// A whole invocation, in either form.
pub struct Invocation {
    /// Present in the item form.
    pub item: Option<Item>,
    /// Lint attributes that apply to the whole network.
    pub attrs: Vec<LintAttr>,
    /// The layers in order; one that could not be read keeps its place (its
    /// error is recorded), so the shapes around it are not misjudged.
    pub layers: Vec<LayerSlot>,
    /// Where an empty network is reported.
    pub body_span: Span,
}
