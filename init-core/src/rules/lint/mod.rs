//! # The lint catalogue
//!
//! netinit's lints judge how a network starts: whether its weights break
//! symmetry, whether each layer's scale fits its activation, and whether the
//! signal keeps its size through the depth of the network. Each finding points
//! at the token at fault, says what is wrong in terms of symmetry and variance,
//! and says how to fix it, and all findings of one invocation are reported
//! together, with any [errors](errors.md) of shapes, names, options and
//! numbers.
//!
//! | lint | default level | what it reports |
//! |---|---|---|
//! | [`constant_init`](#constant_init--error-deny-by-default) | deny | weights that start constant, so the layer's neurons start identical |
//! | [`init_mismatch`](#init_mismatch--warning) | warn | an init family, written out, that does not match the activation |
//! | [`init_scale`](#init_scale--warning) | warn | a weight variance at most half, or at least twice, the one matched to the activation |
//! | [`signal_drift`](#signal_drift--warning) | warn | activations or gradients predicted to grow or shrink by more than 2^10 across the network |
//! | [`softmax_hidden`](#softmax_hidden--warning) | warn | softmax anywhere but the last layer |
//! | [`f32_overflow`](#f32_overflow--error-deny-by-default) | deny | a forward pass predicted to leave f32's range |
//! | [`rank_collapse`](#rank_collapse--warning) | warn | the tokens of a sequence predicted to become nearly the same vector |
//!
//! The outputs below are the compiler's, copied from the `tests/ui/fail/*.stderr`
//! files that the test suite checks.
//!
//! ## Levels
//!
//! The levels are rustc's: `allow`, `warn`, `deny` and `forbid`. Lint
//! attributes go on a layer (`#[allow(constant_init)] dense(…)`) or on the
//! whole network: `#![deny(init_mismatch)]` first inside `network![…]`, or
//! `#[deny(init_mismatch)]` on the item form's struct. A layer's level wins
//! over the network's, except that nothing lowers `forbid`, as in rustc
//! (`tests/ui/fail/lint_forbidden.rs`):
//!
//! ```text
//! error: `#[allow(init_mismatch)]` cannot lower `forbid(init_mismatch)`, which the network sets: a forbidden lint stays an error everywhere
//!        help: remove this attribute, or set the network's `init_mismatch` to `deny`, which a layer may lower
//!  --> tests/ui/fail/lint_forbidden.rs:5:13
//!   |
//! 5 |     #[allow(init_mismatch)]
//!   |             ^^^^^^^^^^^^^
//! ```
//!
//! A text read at run time and a `.net` file take the same attributes, and
//! the spec keeps them (`spec.lints()`, `layer.lints()`), so `spec.lint()`
//! reports at the levels they set.
//!
//! ## Warnings on stable Rust
//!
//! A proc macro on stable Rust has no warning of its own to give, so netinit's
//! warnings come through a deprecated item used at the token at fault. rustc
//! prints them as ``warning: use of deprecated unit struct `NET::init_mismatch`: …``,
//! `NET` being the network's name; `#![deny(warnings)]` or
//! `#![deny(deprecated)]` makes them errors, and `#[allow(deprecated)]` on an
//! enclosing item (the crate, a module, a function) silences them
//! (`tests/ui/pass/allow_deprecated.rs`). rustc ignores `#[allow(deprecated)]`
//! on the macro invocation itself: write the lint's own name inside the macro,
//! `#[allow(init_mismatch)]`. A lint that an attribute inside the macro sets to
//! `deny` is a plain error, without the deprecation wording.
//!
//! ## In the code
//!
//! `check` finds the lints for a list of layers at their default levels, one
//! lint a file; `NetworkSpec::lint` and the DSL's checker then apply the levels
//! the attributes set. `NetworkSpec::lint` gives the findings as values at run
//! time, with the same analysis the macro runs.

mod collapse;
mod constant;
mod drift;
mod mismatch;
mod overflow;
mod scale;
mod softmax;

use core::fmt;

use crate::rules::activation::Activation;
use crate::rules::blocks;
use crate::rules::flow;
use crate::rules::init::Draw;
use crate::rules::keywords;
use crate::rules::layer::{LayerSpec, Marker};
use crate::rules::levels::{Level, Lint, LintLevels};
use crate::rules::parameter::Role;
use crate::rules::part::Part;
use crate::rules::shape::Shape;
use crate::rules::signal::propagate;

pub use collapse::COLLAPSE_LIMIT;
pub use drift::{DRIFT_LIMIT_LOG2, SETTLING_LOG2};

/// One finding of a lint.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// Which lint found it.
    pub lint: Lint,
    /// Its level: found by the checks, the lint's default, or [`Level::Forbid`]
    /// where no attribute may lower it; from [`NetworkSpec::lint`](crate::NetworkSpec::lint), the
    /// level the spec's attributes resolve to.
    pub level: Level,
    /// The layer (0-based).
    pub layer: usize,
    /// The part of the layer it is about.
    pub part: Part,
    /// What is wrong, in terms of symmetry and variance.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = if self.level >= Level::Deny {
            "error"
        } else {
            "warning"
        };
        write!(
            f,
            "{level}[{}] layer {}: {}; {}",
            self.lint, self.layer, self.message, self.help
        )
    }
}

/// Every lint finding for these layers, at default levels, in layer order
/// (constant init, mismatch, softmax), then drift.
///
/// `constant_init` is reported for every constant layer (callers apply
/// allows); two adjacent constant layers (the lower with constant biases)
/// and a layer that passes no gradient are reported at [`Level::Forbid`].
pub fn check(layers: &[LayerSpec]) -> Vec<Finding> {
    let mut found = Vec::new();
    // Only layers with weights are linted; those without (pooling,
    // flatten) keep two constant layers' units tied as they found them, so
    // neighbours are counted across them.
    let weighted: Vec<usize> = (0..layers.len())
        .filter(|&index| layers[index].weights().is_some())
        .collect();
    let nesting = blocks::Nesting::of(layers);
    for (index, layer) in layers.iter().enumerate() {
        found.extend(constant::constant_table(index, layer));
    }
    for (position, &index) in weighted.iter().enumerate() {
        let layer = &layers[index];
        let projections = layer
            .parameters()
            .iter()
            .filter(|parameter| parameter.role() == Role::Weights)
            .count();
        if constant_weights(layer) && projections > 1 {
            found.push(constant::tied_projections(index, layer));
        } else if constant_weights(layer) {
            // The hard cases say what happens instead; the general message
            // (the neurons are pulled apart) would contradict them.
            let tied_with = |lower: &LayerSpec, upper: &LayerSpec| {
                constant_weights(lower) && bias_draw(lower).is_constant_in_f32() && constant_weights(upper)
            };
            // Neighbours only within one sequence: a block's end adds the
            // skip between them, and a shortcut runs beside the branch.
            let adjacent = |lower: usize, upper: usize| {
                !layers[lower + 1..upper]
                    .iter()
                    .any(|between| between.kind().is_block_marker())
            };
            let below = position
                .checked_sub(1)
                .map(|position| weighted[position])
                .filter(|&below| adjacent(below, index));
            let above = weighted
                .get(position + 1)
                .copied()
                .filter(|&above| adjacent(index, above));
            let tied_below = below.is_some_and(|below| tied_with(&layers[below], layer));
            let tied_above = above.is_some_and(|above| tied_with(layer, &layers[above]));
            let no_gradient = constant::no_gradient(index, layer);
            let no_gradient_after = constant::no_gradient_after(index, layers);
            // A residual branch that starts at zero (ReZero, zero-γ) is a
            // choice: the skip carries the signal, and the layer's distinct
            // inputs pull its rows apart at the first step.
            let zero_branch = nesting.ends_a_branch(index);
            if !tied_below
                && !tied_above
                && !zero_branch
                && no_gradient.is_none()
                && no_gradient_after.is_none()
            {
                // The output head's wording only for the last weighted layer.
                let last = weighted.get(position + 1).is_none();
                found.push(constant::constant_init(index, layer, last));
            }
            if let (Some(below), true) = (below, tied_below) {
                found.push(constant::adjacent_constant(below, index, &layers[below], layer));
            }
            found.extend(no_gradient);
            found.extend(no_gradient_after);
        }
        // A layer whose family does not match is not also told its scale.
        match mismatch::init_mismatch(index, layer) {
            Some(finding) => found.push(finding),
            None => found.extend(scale::init_scale(index, layer)),
        }
        if layer.activation() == Activation::Softmax && index + 1 < layers.len() {
            found.push(softmax::softmax_hidden(index, outputs(layer)));
        }
    }
    // Softmax as a layer of its own, on the features it is given.
    for ((index, layer), shape) in layers.iter().enumerate().zip(flow::shapes(layers)) {
        // On an image, or after a mistake, validation has the say.
        let alone = layer
            .kind()
            .rules()
            .is_some_and(|kind| kind.properties().element_wise);
        let hidden = alone && layer.activation() == Activation::Softmax && index + 1 < layers.len();
        if let (true, Some(Shape::Features(width))) = (hidden, shape) {
            found.push(softmax::softmax_hidden(index, width));
        }
    }
    // In layer order, as the weighted layers' findings are (a stable sort).
    found.sort_by_key(|finding| finding.layer);
    let report = propagate(layers, 1.0);
    found.extend(drift::signal_drift(layers, &report));
    found.extend(overflow::f32_overflow(layers, &report));
    found.extend(collapse::rank_collapse(layers, &report, &flow::shapes(layers)));
    found
}

/// The lint findings for these layers at the levels the attributes set
/// (see [`level`]), leaving out those at [`Level::Allow`].
pub(crate) fn findings(layers: &[LayerSpec], network: &LintLevels) -> Vec<Finding> {
    check(layers)
        .into_iter()
        .filter_map(|mut finding| {
            if finding.level != Level::Forbid {
                finding.level = level(layers, network, finding.lint, finding.layer);
            }
            (finding.level != Level::Allow).then_some(finding)
        })
        .collect()
}

/// The level `lint` has at layer `index`: `forbid` on the network, else
/// the layer's own level (at a residual block's end, else its start's:
/// `#[allow(…)] residual(…)` covers the block's findings), else the
/// network's, else the lint's default.
pub(crate) fn level(layers: &[LayerSpec], network: &LintLevels, lint: Lint, index: usize) -> Level {
    let set = network.get(lint);
    if set == Some(Level::Forbid) {
        return Level::Forbid;
    }
    let own = |at: usize| layers.get(at).and_then(|layer| layer.lint_levels().get(lint));
    let start = match layers.get(index).and_then(blocks::marker) {
        Some(Marker::End) => blocks::block_of(layers, index).map(|block| block.start),
        _ => None,
    };
    own(index)
        .or_else(|| start.and_then(own))
        .or(set)
        .unwrap_or(lint.default_level())
}

/// Whether the layer's weights that mix units start constant (false for a
/// layer without them).
pub(crate) fn constant_weights(layer: &LayerSpec) -> bool {
    layer.weights().is_some_and(|weights| weights.is_constant())
}

/// What the layer's weights are drawn from, the branch scaling included;
/// `None` for a layer without weights that mix units.
pub(crate) fn weight_draw(layer: &LayerSpec) -> Option<Draw> {
    layer.weights().map(|weights| weights.draw())
}

/// What the layer's biases are drawn from: zeros for a layer without them.
pub(crate) fn bias_draw(layer: &LayerSpec) -> Draw {
    layer
        .parameter(keywords::BIAS)
        .map_or(Draw::Constant { value: 0.0 }, |bias| bias.draw())
}

/// The units the layer's weights give (outputs, or output channels).
pub(crate) fn outputs(layer: &LayerSpec) -> usize {
    layer.weights().map_or(0, |weights| weights.matrix_shape()[0])
}

/// Three significant digits, in scientific notation when very large or
/// small: `128`, `0.0128`, `7.6e61`.
pub(crate) fn scientific(value: f64) -> String {
    let magnitude = value.abs();
    if value == 0.0 || !value.is_finite() {
        format!("{value}")
    } else if !(1e-3..1e4).contains(&magnitude) {
        format!("{value:.1e}")
    } else {
        let decimals = (2 - magnitude.log10().floor() as i32).max(0) as usize;
        format!("{value:.decimals$}")
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::rules::init::Init;

    pub(crate) fn lints(layers: &[LayerSpec]) -> Vec<(Lint, Level, usize)> {
        check(layers).iter().map(|d| (d.lint, d.level, d.layer)).collect()
    }

    pub(crate) fn stack(depth: usize, activation: Activation, init: Init) -> Vec<LayerSpec> {
        vec![LayerSpec::dense(256, 256, activation).with_weight(init); depth]
    }

    #[test]
    fn the_card_network_is_silent() {
        let card = [
            LayerSpec::dense(784, 256, Activation::Relu),
            LayerSpec::dense(256, 10, Activation::Softmax),
        ];
        assert!(check(&card).is_empty());
    }
}
