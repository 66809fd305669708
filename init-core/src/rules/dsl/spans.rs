//! Where each part of a layer was written, for the diagnostics to point
//! at: its keyword, its widths, its inits and their scales, its options,
//! its lint attributes.

use proc_macro2::Span;

use crate::rules::levels::Lint;
use crate::rules::part::Part;

/// Where each part of a layer was written; a part not set is at the
/// fallback (the layer's keyword, or a dense layer's activation, which
/// stands for its derived init).
#[derive(Clone, Debug)]
pub struct LayerSpans {
    layer: Span,
    fallback: Span,
    parts: Vec<(Part, Span)>,
    /// Each lint named in the layer's attributes, where it was named.
    pub lints: Vec<(Lint, Span)>,
}

impl LayerSpans {
    /// Every part at `span`: a layer whose text could not be read, or
    /// before its parts are known.
    pub fn at(span: Span) -> LayerSpans {
        LayerSpans {
            layer: span,
            fallback: span,
            parts: Vec::new(),
            lints: Vec::new(),
        }
    }

    /// The layer at `layer`, any part not set at `fallback`.
    pub fn with_fallback(layer: Span, fallback: Span) -> LayerSpans {
        LayerSpans {
            fallback,
            ..LayerSpans::at(layer)
        }
    }

    /// Place `part` at `span`.
    pub fn set(&mut self, part: Part, span: Span) {
        match self.parts.iter_mut().find(|(set, _)| *set == part) {
            Some(entry) => entry.1 = span,
            None => self.parts.push((part, span)),
        }
    }

    /// Where `part` was written.
    pub fn of(&self, part: Part) -> Span {
        match part {
            Part::Network | Part::Layer => self.layer,
            Part::LintAttribute(lint) => self
                .lints
                .iter()
                .rev()
                .find(|(named, _)| *named == lint)
                .map_or(self.layer, |(_, span)| *span),
            part => self
                .parts
                .iter()
                .find(|(set, _)| *set == part)
                .map_or(self.fallback, |(_, span)| *span),
        }
    }
}
