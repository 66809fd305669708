//! How deep a text's groups nest, measured before anything reads it: the
//! reader follows a `residual(…)` into its branch by recursion, and syn's
//! token buffer recurses once per group, so a text nested thousands deep
//! would overflow the stack and abort the process, which no error can
//! report. This walk keeps its own stack.

use proc_macro2::{Span, TokenStream, TokenTree};

use crate::rules::dsl::report::Report;
use crate::rules::dsl::Severity;
use crate::rules::limits::MAX_NESTING;

/// An error at the first group that opens deeper than [`MAX_NESTING`],
/// or `None` when every group is within it.
pub(crate) fn too_deep(tokens: &TokenStream) -> Option<Report> {
    let mut open = vec![tokens.clone().into_iter()];
    while let Some(inner) = open.last_mut() {
        match inner.next() {
            Some(TokenTree::Group(group)) => {
                if open.len() > MAX_NESTING {
                    return Some(error(group.span_open()));
                }
                open.push(group.stream().into_iter());
            }
            Some(_) => {}
            None => {
                open.pop();
            }
        }
    }
    None
}

fn error(span: Span) -> Report {
    Report {
        severity: Severity::Error,
        lint: None,
        message: format!(
            "this group opens {} levels deep, and netinit reads groups (`( )`, `[ ]`, `{{ }}`) at most \
             {MAX_NESTING} deep",
            MAX_NESTING + 1
        ),
        help: Some(
            "a residual block inside another takes one level, a layer's arguments and an init's one more \
         each: write blocks one after another instead of one inside the next, and close the \
         parentheses that were left open"
                .into(),
        ),
        notes: Vec::new(),
        span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> TokenStream {
        let text = format!("{}x{}", "(".repeat(depth), ")".repeat(depth));
        text.parse().unwrap()
    }

    #[test]
    fn nesting_up_to_the_limit_passes_and_one_more_is_an_error() {
        assert!(too_deep(&nested(MAX_NESTING)).is_none());
        let report = too_deep(&nested(MAX_NESTING + 1)).unwrap();
        assert!(
            report.message.contains(&format!("at most {MAX_NESTING} deep")),
            "{}",
            report.message
        );
        // Far deeper than any stack would take, without recursion.
        assert!(too_deep(&nested(100_000)).is_some());
    }
}
