//! What a layer kind tells the DSL's reader: the keywords it is written
//! with, the shape of what its parentheses hold, and how it makes itself
//! from what was read ([`Read`]); and what it hands back, the kind with
//! the spans of its parts ([`Modelled`]).

use crate::rules::dsl::ast;
use crate::rules::dsl::options::OptionSpec;
use crate::rules::dsl::report::Reports;
use crate::rules::dsl::spans::LayerSpans;

/// How a kind is read from the DSL. Implemented by each kind beside its
/// [`Kind`](crate::rules::layer::kind::Kind) rules; the table lists them.
pub trait Read: Sized {
    /// The keywords it is written with (an activation layer: every
    /// activation's name).
    const KEYWORDS: &'static [&'static str];
    /// Whether its keywords are listed as layer kinds in messages (the
    /// activations are listed apart).
    const LISTED: bool;
    /// What its parentheses hold.
    const FORM: Form;
    /// How it is written, for the messages: `` `dense(IN -> OUT, ACTIVATION)` ``.
    const EXAMPLE: &'static str;
    /// The options it takes.
    const OPTIONS: &'static [OptionSpec];

    /// The kind `layer` writes, with the spans of its parts; every mistake
    /// is reported to `reader`. `None` where the layer cannot be read at
    /// all: the reader puts its stand-in in the layer's place.
    fn model(layer: &ast::Layer, reader: &mut Reader) -> Option<Modelled<Self>>;
}

/// What a kind's parentheses hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// `IN -> OUT, ACTIVATION, OPTION…`: dense and conv2d.
    Widths,
    /// `N, …, OPTION…`: `input(C, H, W)`, `max_pool2d(K, stride = S)`, `layer_norm(N)`.
    Sizes,
    /// `IN -> OUT, OPTION…` without an activation: `embedding(V -> D)`.
    Map,
    /// No parentheses: `flatten`.
    Bare,
    /// A call, `relu` or `leaky_relu(0.1)`: an activation layer.
    Call,
}

/// Where a kind reports while it reads itself.
pub struct Reader<'a> {
    /// The findings.
    pub reports: &'a mut Reports,
    /// Every option key some kind takes, so that a key another kind takes
    /// is told apart from an unknown one.
    pub options_anywhere: &'a [&'static str],
}

/// A kind as read, with where its parts were written.
pub struct Modelled<K> {
    /// The kind.
    pub kind: K,
    /// Where its parts were written.
    pub spans: LayerSpans,
    /// Whether every name in it was understood: lints only run on what the
    /// user actually wrote.
    pub complete: bool,
    /// Whether its input's shape is as written (not a stand-in for a size
    /// that could not be read).
    pub inputs_known: bool,
    /// Whether its output's shape is as written.
    pub outputs_known: bool,
}

impl<K> Modelled<K> {
    /// A kind whose sizes are all known, placed at `spans`.
    pub fn known(kind: K, spans: LayerSpans) -> Modelled<K> {
        Modelled {
            kind,
            spans,
            complete: true,
            inputs_known: true,
            outputs_known: true,
        }
    }

    /// A kind read with a mistake (reported): a stand-in whose sizes are
    /// not known, placed at `spans`.
    pub fn unknown(kind: K, spans: LayerSpans) -> Modelled<K> {
        Modelled {
            kind,
            spans,
            complete: false,
            inputs_known: false,
            outputs_known: false,
        }
    }

    /// The same, with its kind mapped (into the table's `LayerKind`).
    pub fn map<T>(self, into: impl FnOnce(K) -> T) -> Modelled<T> {
        Modelled {
            kind: into(self.kind),
            spans: self.spans,
            complete: self.complete,
            inputs_known: self.inputs_known,
            outputs_known: self.outputs_known,
        }
    }
}
