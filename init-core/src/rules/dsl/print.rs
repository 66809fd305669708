//! Specs as DSL text: `Display` of a layer, and a network's text, are what
//! one would write in `network![…]` to get them back (see the round-trip
//! tests). Each kind writes itself ([`Kind::write`](crate::rules::layer::kind::Kind::write));
//! here are the lint attributes and a residual block's markers around its
//! layers.

use core::fmt;

use crate::rules::blocks;
use crate::rules::keywords;
use crate::rules::layer::{LayerSpec, Marker, Node};
use crate::rules::levels::{Level, LintLevels};

impl fmt::Display for LayerSpec {
    /// `#[allow(constant_init)] dense(784 -> 256, relu, init = …, bias = …)`:
    /// each kind writes only what differs from its defaults. A block's
    /// attributes are written on its start (the reader gives them to its
    /// end too); a shortcut takes none. A block's markers are the text
    /// around its layers.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind().node() {
            Node::Layer(kind) => {
                write_lint_attributes(f, &self.lint_levels(), "#[", "] ")?;
                kind.write(f)
            }
            Node::Marker(Marker::Start { .. }) => {
                write_lint_attributes(f, &self.lint_levels(), "#[", "] ")?;
                write!(f, "{}(", keywords::RESIDUAL)
            }
            Node::Marker(Marker::Shortcut) => write!(f, "{} = (", keywords::SHORTCUT),
            Node::Marker(Marker::End) => f.write_str(")"),
        }
    }
}

/// The network's DSL text: its lint attributes (`#![deny(…)]`), then one
/// layer per line (a residual block's layers on its line).
pub(crate) fn write_network(
    f: &mut fmt::Formatter<'_>,
    layers: &[LayerSpec],
    lints: &LintLevels,
) -> fmt::Result {
    write_lint_attributes(f, lints, "#![", "]\n")?;
    let depths = blocks::depths(layers);
    // Whether the next layer opens a list (the network's or a block's).
    let mut opening = true;
    for (index, layer) in layers.iter().enumerate() {
        if blocks::marker(layer) == Some(Marker::End) {
            let block = blocks::block_of(layers, index);
            if block.is_some_and(|block| block.shortcut.is_some()) {
                f.write_str(")")?;
            }
            let start = block.and_then(|block| blocks::marker(&layers[block.start]));
            if start == Some(Marker::Start { scaled: false }) {
                write!(f, ", {} = {}", keywords::SCALE, keywords::NONE)?;
            }
            f.write_str(")")?;
            opening = false;
            continue;
        }
        if !opening {
            f.write_str(if depths[index] == 0 { ",\n" } else { ", " })?;
        }
        write!(f, "{layer}")?;
        opening = layer.kind().is_block_marker();
    }
    Ok(())
}

/// One attribute per level that is set, naming its lints:
/// `#[allow(constant_init, signal_drift)] `.
fn write_lint_attributes(
    f: &mut fmt::Formatter<'_>,
    lints: &LintLevels,
    open: &str,
    close: &str,
) -> fmt::Result {
    for level in [Level::Allow, Level::Warn, Level::Deny, Level::Forbid] {
        let named: Vec<&str> = lints
            .iter()
            .filter(|(_, set)| *set == level)
            .map(|(lint, _)| lint.name())
            .collect();
        if !named.is_empty() {
            write!(f, "{open}{}({}){close}", level.name(), named.join(", "))?;
        }
    }
    Ok(())
}
