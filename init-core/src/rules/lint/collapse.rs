//! ## `rank_collapse` — warning
//!
//! `rank_collapse`: the analysis predicts that two tokens of a sequence
//! become nearly the same vector, their mean cosine similarity past 0.99, at
//! some layer. Attention averages the tokens' values; without residual
//! connections every attention layer pulls the tokens together, and a
//! deep stack of them makes every token carry nearly the same vector (Dong
//! et al. 2021; Noci et al. 2022): attention can then no longer tell the
//! tokens apart, its gradients with respect to the queries and keys vanish,
//! and the network trains as one token. The lint names the first layer
//! where the prediction passes 0.99, and the similarity there.
//!
//! The analysis follows each token's second moment and the similarity of
//! two tokens through every layer kind, and starts from the input's: for
//! token ids, the share of pairs that hold the same id (`1/V` for
//! independent ids, or measured on a batch with
//! `InputStatistics::measure`); `examples/transformer_depth.rs` measures
//! it against sampled networks through 48 blocks
//! ([Transformers](transformers.md)).
//!
//! ```text
//! error: use of deprecated unit struct `NoSkips::SPEC::rank_collapse`: the analysis predicts that two tokens' vectors reach a mean cosine similarity of 1.000 here (0.004 where the sequence starts): every token carries nearly the same vector, so attention can no longer tell them apart and the network trains as if on one token (rank collapse)
//!        help: put each attention layer in a residual block with its own normalization, `residual(layer_norm(D), attention(D, heads = H))`, and keep the derived branch scaling
//!        note: `#[warn(rank_collapse)]` is on by default; `#[allow(rank_collapse)]` on the layer or network silences it
//!   --> tests/ui/fail/rank_collapse.rs:11:35
//!    |
//! 11 |         attention(64, heads = 4), attention(64, heads = 4), attention(64, heads = 4), attention(64, heads = 4),
//!    |                                   ^^^^^^^^^
//! ```
//!
//! **Fixing it.** Put each attention layer in a residual block
//! (`residual(layer_norm(D), attention(D, heads = H))`: pre-norm), and keep
//! the derived branch scaling, which makes each block add a share of the
//! signal rather than replace it.

use crate::rules::blocks;
use crate::rules::layer::{LayerSpec, Marker};
use crate::rules::levels::{Level, Lint};
use crate::rules::lint::Finding;
use crate::rules::part::Part;
use crate::rules::shape::Shape;
use crate::rules::signal::LayerSignal;

/// The similarity past which every token carries nearly the same vector.
pub const COLLAPSE_LIMIT: f64 = 0.99;

/// The first layer of the network's main path giving a sequence whose
/// predicted token similarity passes [`COLLAPSE_LIMIT`]; `report` is the
/// analysis of `layers`, and `shapes` the shape each gives. A layer inside
/// a residual block's branch is not on the main path (its output is added
/// to the skip: attention's own output is nearly one vector when its
/// weights are near uniform, and that is no collapse); a block's end is.
pub(crate) fn rank_collapse(
    layers: &[LayerSpec],
    report: &[LayerSignal],
    shapes: &[Option<Shape>],
) -> Option<Finding> {
    let depths = blocks::depths(layers);
    let sequence = |index: usize| matches!(shapes.get(index), Some(Some(Shape::Sequence { .. })));
    let main_path = |index: usize| {
        depths[index] == 0 && !matches!(blocks::marker(&layers[index]), Some(Marker::Start { .. }))
    };
    let start = (0..report.len()).find(|&index| sequence(index))?;
    // A sequence that starts as one vector (a constant table) is
    // `constant_init`'s to report; this lint is about the layers after.
    if report[start].token_similarity > COLLAPSE_LIMIT {
        return None;
    }
    let index = (start..report.len()).find(|&index| {
        sequence(index) && main_path(index) && report[index].token_similarity > COLLAPSE_LIMIT
    })?;
    Some(Finding {
        lint: Lint::RankCollapse,
        level: Level::Warn,
        layer: index,
        part: Part::Layer,
        message: format!(
            "the analysis predicts that two tokens' vectors reach a mean cosine similarity of {:.3} here ({:.3} where \
             the sequence starts): every token carries nearly the same vector, so attention can no longer tell them apart \
             and the network trains as if on one token (rank collapse)",
            report[index].token_similarity, report[start].token_similarity
        ),
        help: "put each attention layer in a residual block with its own normalization, `residual(layer_norm(D), \
               attention(D, heads = H))`, and keep the derived branch scaling"
            .into(),
    })
}
