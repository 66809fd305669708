//! How the error messages write counts and shapes.

use crate::rules::shape::Shape;

/// `1 channel`, `3 channels`.
pub(crate) fn counted(count: usize, noun: &str) -> String {
    match count {
        1 => format!("1 {noun}"),
        _ => format!("{count} {noun}s"),
    }
}

/// `256 features`, `16 × 28 × 28`, `a sequence of 16 tokens × 64`, `64 token ids`.
pub(crate) fn described(shape: Shape) -> String {
    match shape {
        Shape::Features(features) => counted(features, "feature"),
        Shape::Sequence { .. } => format!("a sequence of {shape}"),
        other => other.to_string(),
    }
}

/// How many values a shape holds, as a message writes it.
pub(crate) fn size(shape: Shape) -> String {
    shape
        .size()
        .map_or_else(|| "more than fits in usize".into(), |size| size.to_string())
}
