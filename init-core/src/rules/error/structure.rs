//! How a network is arranged: layers at all, `input(…)` first, a residual
//! block's markers in order, lint levels that respect `forbid`.

use crate::rules::error::Diagnosis;
use crate::rules::levels::{Level, Lint};
use crate::rules::part::Part;

/// A mistake in how a network is arranged.
#[derive(Clone, Debug, PartialEq)]
pub enum StructureError {
    /// The network has no layers.
    Empty,
    /// A layer index past the last layer (in [`NetworkSpec::with_layer`](crate::NetworkSpec::with_layer)).
    NoSuchLayer {
        /// The index asked for.
        index: usize,
        /// How many layers there are.
        layers: usize,
    },
    /// A convolution, pooling or activation layer with no `input(…)`
    /// before it to give the shape of its input.
    MissingInput {
        /// The layer (0-based).
        layer: usize,
    },
    /// `input(…)` anywhere but first.
    MisplacedInput {
        /// The layer (0-based).
        layer: usize,
    },
    /// A residual block's marker where no block can have it (a network
    /// built at run time): a `shortcut` outside a block or after the
    /// block's shortcut, an end with no block open, a block never ended.
    MisplacedMarker {
        /// The marker (0-based).
        layer: usize,
        /// `residual`, `shortcut` or `end`.
        marker: &'static str,
    },
    /// A residual block's branch, or its shortcut, with no layer.
    EmptyBranch {
        /// The block's `residual` marker, or its `shortcut`.
        layer: usize,
        /// `branch` or `shortcut`.
        part: &'static str,
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
}

impl StructureError {
    /// The layer (0-based) the error is about, if any.
    pub fn layer(&self) -> Option<usize> {
        match *self {
            StructureError::Empty | StructureError::NoSuchLayer { .. } => None,
            StructureError::MissingInput { layer }
            | StructureError::MisplacedInput { layer }
            | StructureError::MisplacedMarker { layer, .. }
            | StructureError::EmptyBranch { layer, .. }
            | StructureError::LintForbidden { layer, .. } => Some(layer),
        }
    }

    /// What the diagnostic says.
    pub fn diagnosis(&self) -> Diagnosis {
        match *self {
            StructureError::Empty => Diagnosis::new(
                Part::Network,
                "a network needs at least one layer",
                "declare at least one layer, e.g. `dense(784 -> 10, softmax)`",
            ),
            StructureError::NoSuchLayer { index, layers } => Diagnosis::new(
                Part::Network,
                format!("there is no layer {index}: the network has layers 0..{layers}"),
                format!("give an index below {layers}"),
            ),
            StructureError::MissingInput { .. } => Diagnosis::new(
                Part::Layer,
                "a convolution, pooling or activation layer needs the shape of its input, and no `input(…)` \
                 before it gives it",
                "start the network with the shape of its input, e.g. `input(1, 28, 28)` for one-channel \
                 28 × 28 images or `input(784)` for 784 features",
            ),
            StructureError::MisplacedInput { layer } => Diagnosis::new(
                Part::Layer,
                format!(
                    "`input(…)` declares the shape of the network's input, so it comes first; here it is layer \
                     {layer}"
                ),
                "move `input(…)` to the start of the network",
            ),
            StructureError::MisplacedMarker { marker, .. } => Diagnosis::new(
                Part::Layer,
                match marker {
                    "shortcut" => {
                        "a residual block's `shortcut` marker where no block's branch is open: outside any block, \
                         or after the block's shortcut"
                    }
                    "end" => "a residual block's end where no block is open",
                    _ => "a residual block that is never ended",
                },
                "write a block as `LayerSpec::residual()`, its branch's layers, optionally \
                 `LayerSpec::shortcut()` and the shortcut's layers, then `LayerSpec::residual_end()`",
            ),
            StructureError::EmptyBranch { part: "shortcut", .. } => Diagnosis::new(
                Part::Layer,
                "this shortcut holds no layer: the block's input is added as it is without one",
                "remove the empty shortcut",
            ),
            StructureError::EmptyBranch { .. } => Diagnosis::new(
                Part::Layer,
                "a residual block's branch needs at least one layer: the block adds the branch's output to its \
                 input",
                "write the branch's layers, as in `residual(dense(256 -> 256, relu), dense(256 -> 256, identity))`",
            ),
            StructureError::LintForbidden { lint, level, .. } => Diagnosis::new(
                Part::LintAttribute(lint),
                format!(
                    "`#[{}({lint})]` cannot lower `forbid({lint})`, which the network sets: a forbidden lint stays \
                     an error everywhere",
                    level.name()
                ),
                format!("remove this attribute, or set the network's `{lint}` to `deny`, which a layer may lower"),
            ),
        }
    }
}
