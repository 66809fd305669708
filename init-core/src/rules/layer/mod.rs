//! The layer kinds, listed once. A kind is a type with its rules in a
//! module here ([`Kind`](kind::Kind) and
//! [`Read`](crate::rules::dsl::syntax::Read), its `LayerSpec` constructor,
//! and the `const fn`s `with_init` and `without` that the builders call)
//! and its computation in `runtime/layers/`; the table below makes
//! [`LayerKind`] of them, and every dispatch over kinds, here and in the
//! run time, is generated from it. Adding a kind is those two modules, a
//! line in the table, its `mod` lines and its type in [`public`], and its
//! keyword in `rules/keywords.rs` (the book's chapter on the layout lists
//! the rest: UI cases, docs); the compiler names anything else it must fill
//! in.
//!
//! A residual block is not a kind: its start, shortcut and end are
//! markers in the flat list of layers (see `rules/blocks.rs`), which every
//! pass over a network handles itself.

mod activation;
mod affine;
mod attention;
mod batch_norm;
mod conv2d;
mod dense;
pub(crate) mod embedding;
mod flatten;
mod input;
pub(crate) mod kind;
mod layer_norm;
mod marker;
mod mean_tokens;
mod norm;
mod patches;
mod pool;
mod position_embedding;
mod rms_norm;
mod spec;
mod window;

use proc_macro2::TokenStream;
use quote::quote;

use crate::rules::activation::Activation;
use crate::rules::dsl::ast;
use crate::rules::dsl::options::OptionSpec;
use crate::rules::dsl::syntax::{Form, Modelled, Read, Reader};
use crate::rules::init::Init;
use crate::rules::keywords;
use crate::rules::tokens;

pub(crate) use marker::Marker;
pub use public::*;

/// What the crate exports of the layers: each kind's spec and its options'
/// types, [`LayerKind`] and [`LayerSpec`] (the crate's `layers` module is
/// this list).
pub mod public {
    pub use super::affine::AffineSpec;
    pub use super::attention::{AttentionSpec, PROJECTIONS};
    pub use super::batch_norm::BatchNormSpec;
    pub use super::conv2d::{Conv2dSpec, Padding};
    pub use super::embedding::EmbeddingSpec;
    pub use super::flatten::FlattenSpec;
    pub use super::input::InputSpec;
    pub use super::layer_norm::LayerNormSpec;
    pub use super::mean_tokens::MeanTokensSpec;
    pub use super::norm::{NormSpec, DEFAULT_EPSILON};
    pub use super::patches::PatchesSpec;
    pub use super::pool::{AvgPool2dSpec, GlobalAvgPool2dSpec, MaxPool2dSpec, PoolSpec};
    pub use super::position_embedding::PositionEmbeddingSpec;
    pub use super::rms_norm::RmsNormSpec;
    pub use super::spec::LayerSpec;
    pub use super::LayerKind;
}

use kind::Kind;

/// The table: each kind's variant of [`LayerKind`], its type, and its doc.
/// The run time generates its own dispatch from the same list
/// (`each_kind!(its_macro)` hands the list to `its_macro!`).
macro_rules! each_kind {
    ($callback:ident) => {
        $callback! {
            /// `input(C, H, W)`, `input(N)` or `input(tokens = T)`: the shape of
            /// the network's input.
            Input(InputSpec),
            /// `dense(IN -> OUT, ACTIVATION, …)`: an affine map and an activation.
            Dense(AffineSpec),
            /// `conv2d(IN -> OUT, ACTIVATION, kernel = K, …)`: a convolution and an activation.
            Conv2d(Conv2dSpec),
            /// `max_pool2d(K [, stride = S])`: the largest value of each window.
            MaxPool2d(MaxPool2dSpec),
            /// `avg_pool2d(K [, stride = S])`: the mean of each window.
            AvgPool2d(AvgPool2dSpec),
            /// `global_avg_pool2d`: the mean of each channel, one feature per channel.
            GlobalAvgPool2d(GlobalAvgPool2dSpec),
            /// `flatten`: an image's values as features, in `(C, H, W)` order.
            Flatten(FlattenSpec),
            /// `relu`, `tanh`, `leaky_relu(0.1)`, …: an activation as a layer of its
            /// own, value by value, the shape unchanged.
            Activation(Activation),
            /// `layer_norm(N)`: each example's `N` features normalised, then
            /// scaled by `γ` and shifted by `β`.
            LayerNorm(LayerNormSpec),
            /// `batch_norm(C)`: each channel (or feature) normalised over the
            /// batch (and the image's positions) in training, by its running
            /// statistics in evaluation, then scaled by `γ` and shifted by `β`.
            BatchNorm(BatchNormSpec),
            /// `rms_norm(D)`: each example's (or token's) `D` features divided
            /// by their root mean square, then scaled by `γ`.
            RmsNorm(RmsNormSpec),
            /// `embedding(V -> D)`: each token id replaced by its row of a
            /// `(V, D)` table.
            Embedding(EmbeddingSpec),
            /// `position_embedding(T -> D)`: a learned `(T, D)` table added to
            /// a sequence, row `t` to token `t`.
            PositionEmbedding(PositionEmbeddingSpec),
            /// `patches(P)`: an image cut into `P × P` patches, one token each.
            Patches(PatchesSpec),
            /// `mean_tokens`: a sequence's tokens pooled into their mean.
            MeanTokens(MeanTokensSpec),
            /// `attention(D, heads = H)`: multi-head self-attention over a
            /// sequence's tokens.
            Attention(AttentionSpec),
        }
    };
}
#[cfg(feature = "runtime")]
pub(crate) use each_kind;

/// How a kind is read from the DSL: its [`Read`] constants and its reader.
pub(crate) struct Syntax {
    /// The keywords it is written with.
    pub(crate) keywords: &'static [&'static str],
    /// Whether its keywords are listed as layer kinds in messages.
    pub(crate) listed: bool,
    /// What its parentheses hold.
    pub(crate) form: Form,
    /// How it is written, for the messages.
    pub(crate) example: &'static str,
    /// The options it takes.
    pub(crate) options: &'static [OptionSpec],
    /// Its reader, into a [`LayerKind`].
    pub(crate) model: fn(&ast::Layer, &mut Reader) -> Option<Modelled<LayerKind>>,
}

/// A layer as the passes over a network take it: a kind, or one of a
/// residual block's markers.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Node<'a> {
    /// A layer of a kind.
    Layer(&'a dyn Kind),
    /// A residual block's marker.
    Marker(Marker),
}

macro_rules! define_kinds {
    ($( $(#[$doc:meta])* $variant:ident($kind:ty), )*) => {
        /// What a layer computes, with the fields of its kind; or a
        /// residual block's marker.
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub enum LayerKind {
            $( $(#[$doc])* $variant($kind), )*
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
            /// The layer's kind as its rules, or the marker it is.
            pub(crate) fn node(&self) -> Node<'_> {
                match self {
                    $( LayerKind::$variant(kind) => Node::Layer(kind), )*
                    LayerKind::Residual { scaled } => Node::Marker(Marker::Start { scaled: *scaled }),
                    LayerKind::Shortcut => Node::Marker(Marker::Shortcut),
                    LayerKind::ResidualEnd => Node::Marker(Marker::End),
                }
            }

            /// The same kind with its tensor `parameter` (as PyTorch names it)
            /// drawn from `init`; unchanged without such a tensor. Each kind's
            /// type has this as a `const fn` of its own.
            pub(crate) const fn with_init(self, parameter: &str, init: Init) -> LayerKind {
                match self {
                    $( LayerKind::$variant(kind) => LayerKind::$variant(kind.with_init(parameter, init)), )*
                    LayerKind::Residual { .. } | LayerKind::Shortcut | LayerKind::ResidualEnd => self,
                }
            }

            /// The same kind without its tensor `parameter` where that is
            /// optional (`bias = none`); unchanged otherwise.
            pub(crate) const fn without(self, parameter: &str) -> LayerKind {
                match self {
                    $( LayerKind::$variant(kind) => LayerKind::$variant(kind.without(parameter)), )*
                    LayerKind::Residual { .. } | LayerKind::Shortcut | LayerKind::ResidualEnd => self,
                }
            }

            /// Whether the kind marks a residual block's structure (its start, its
            /// shortcut or its end) rather than computing on its own.
            pub const fn is_block_marker(&self) -> bool {
                match self {
                    $( LayerKind::$variant(_) => false, )*
                    LayerKind::Residual { .. } | LayerKind::Shortcut | LayerKind::ResidualEnd => true,
                }
            }

            /// A constant expression that builds this kind, for the macro's expansion.
            pub(crate) fn tokens(&self) -> TokenStream {
                let private = tokens::private();
                match self {
                    $( LayerKind::$variant(kind) => {
                        let kind = Kind::tokens(kind);
                        quote!(#private::LayerKind::$variant(#kind))
                    } )*
                    LayerKind::Residual { scaled } => quote!(#private::LayerKind::Residual { scaled: #scaled }),
                    LayerKind::Shortcut => quote!(#private::LayerKind::Shortcut),
                    LayerKind::ResidualEnd => quote!(#private::LayerKind::ResidualEnd),
                }
            }
        }

        /// How each kind is read, in the table's order.
        pub(crate) const SYNTAX: &[Syntax] = &[
            $( Syntax {
                keywords: <$kind as Read>::KEYWORDS,
                listed: <$kind as Read>::LISTED,
                form: <$kind as Read>::FORM,
                example: <$kind as Read>::EXAMPLE,
                options: <$kind as Read>::OPTIONS,
                model: |layer, reader| Some(<$kind as Read>::model(layer, reader)?.map(LayerKind::$variant)),
            }, )*
        ];

        $(
            impl From<$kind> for LayerKind {
                fn from(kind: $kind) -> LayerKind {
                    LayerKind::$variant(kind)
                }
            }
        )*
    };
}

each_kind!(define_kinds);

impl LayerKind {
    /// The kind's rules; `None` for a residual block's marker.
    pub(crate) fn rules(&self) -> Option<&dyn Kind> {
        match self.node() {
            Node::Layer(kind) => Some(kind),
            Node::Marker(_) => None,
        }
    }

    /// The keyword the DSL writes it with (`residual` for a block's start
    /// and end, `shortcut` for its shortcut).
    pub fn name(&self) -> &'static str {
        match self.node() {
            Node::Layer(kind) => kind.keyword(),
            Node::Marker(Marker::Start { .. } | Marker::End) => keywords::RESIDUAL,
            Node::Marker(Marker::Shortcut) => keywords::SHORTCUT,
        }
    }

    /// Whether the kind has parameters (and so a [`LayerPath`](crate::rules::path::LayerPath)).
    pub fn has_parameters(&self) -> bool {
        self.rules().is_some_and(|kind| !kind.parameters().is_empty())
    }
}

/// The syntax of the kind written `keyword`, if one is.
pub(crate) fn syntax(keyword: &str) -> Option<&'static Syntax> {
    SYNTAX.iter().find(|syntax| syntax.keywords.contains(&keyword))
}

/// The layer kinds as messages list them: the table's listed keywords,
/// then `residual`.
pub(crate) fn listed_kinds() -> Vec<&'static str> {
    SYNTAX
        .iter()
        .filter(|syntax| syntax.listed)
        .flat_map(|syntax| syntax.keywords.iter().copied())
        .chain([keywords::RESIDUAL])
        .collect()
}

/// Every option key some kind takes, each once.
pub(crate) fn options_anywhere() -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = Vec::new();
    for option in SYNTAX.iter().flat_map(|syntax| syntax.options) {
        if !keys.contains(&option.key) {
            keys.push(option.key);
        }
    }
    keys
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
