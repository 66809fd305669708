//! Rendering of DSL diagnostics in rustc's manner: a `error:`/`warning:`
//! title, the `--> path:line:column` origin, the source line with carets
//! under the span, and the help and notes as `= help:` / `= note:` footers.

use std::ops::Range;

use annotate_snippets::{normalize_untrusted_str, AnnotationKind, Group, Level, Renderer, Snippet};
use netinit::dsl::{Diagnostic, Severity};

/// Renders `diagnostic`, found in `text` (the contents of `path`), as one
/// rustc-style report; `styled` adds ANSI colours. Never panics, whatever
/// the diagnostic's byte range says.
pub fn render(diagnostic: &Diagnostic, path: &str, text: &str, styled: bool) -> String {
    let span = annotation_span(&diagnostic.location.bytes, text);
    // Only the lines the span is on, and of a long line only the part
    // around the span: annotate-snippets reads all of the source it is
    // given, so a file of ten thousand diagnostics would be read ten
    // thousand times.
    let reach = char_boundary_at_or_before(text, span.start.saturating_sub(CONTEXT))
        ..char_boundary_at_or_after(text, span.end.saturating_add(CONTEXT));
    let (window, whole_start) = lines_around(text, &span, &reach);
    let start = diagnostic.location.start;
    let snippet = Snippet::source(&text[window.clone()])
        .line_start(start.line)
        .path(path)
        .annotation(AnnotationKind::Primary.span(span.start - window.start..span.end - window.start));
    // Help and notes may quote the user's text; keep control characters
    // out of the terminal.
    let help = diagnostic
        .help
        .iter()
        .map(|help| Level::HELP.message(normalize_untrusted_str(help)));
    let notes = diagnostic
        .notes
        .iter()
        .map(|note| Level::NOTE.message(normalize_untrusted_str(note)));
    let title = level(diagnostic.severity).primary_title(diagnostic.message.as_str());
    let report = [Group::with_title(title)
        .element(snippet)
        .elements(help.chain(notes))];
    let rendered = renderer(styled).render(&report);
    // Where the line is cut, the snippet counts its columns from the cut:
    // the origin's column is put back to the one the library computed.
    match whole_start {
        true => rendered,
        false => {
            let path = normalize_untrusted_str(path);
            let cut_column = text[window.start..span.start].chars().count() + 1;
            rendered.replacen(
                &format!("{path}:{}:{cut_column}", start.line),
                &format!("{path}:{}:{}", start.line, start.column),
                1,
            )
        }
    }
}

/// How much of a long line around a span the rendering keeps on each
/// side, in bytes: far more than a terminal's width, which
/// annotate-snippets trims to.
const CONTEXT: usize = 512;

/// The part of the lines `span` is on that lies within `reach` (without
/// the last line's break), and whether it starts where the first line
/// does. Line breaks are looked for within `reach` only, so a diagnostic
/// costs no more than its window, however long its line.
fn lines_around(text: &str, span: &Range<usize>, reach: &Range<usize>) -> (Range<usize>, bool) {
    let before = text[reach.start..span.start].rfind('\n');
    let start = before.map_or(reach.start, |newline| reach.start + newline + 1);
    let end = text[span.end..reach.end]
        .find('\n')
        .map_or(reach.end, |newline| span.end + newline);
    (start..end, before.is_some() || reach.start == 0)
}

/// Renders a message that points at no source, such as a file's closing
/// summary (`error: could not check …`) or an unreadable file.
pub fn render_message(severity: Severity, message: &str, styled: bool) -> String {
    let report = [Group::with_title(level(severity).primary_title(message))];
    renderer(styled).render(&report)
}

/// The renderer for a terminal (`styled`: colours) or for anything else.
fn renderer(styled: bool) -> Renderer {
    if styled {
        Renderer::styled()
    } else {
        Renderer::plain()
    }
}

/// The title level matching a diagnostic's severity.
fn level<'a>(severity: Severity) -> Level<'a> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    }
}

/// The byte range to underline: `bytes` clamped to `text` and to character
/// boundaries, since annotate-snippets panics on a range past the end or
/// inside a character.
fn annotation_span(bytes: &Range<usize>, text: &str) -> Range<usize> {
    let start = char_boundary_at_or_before(text, bytes.start);
    let end = char_boundary_at_or_before(text, bytes.end).max(start);
    start..end
}

/// The smallest character boundary of `text` not before `index`.
fn char_boundary_at_or_after(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    // Terminates: the text's length is always a boundary.
    while !text.is_char_boundary(index) {
        index += 1;
    }
    index
}

/// The largest character boundary of `text` not after `index`.
fn char_boundary_at_or_before(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    // Terminates: 0 is always a boundary.
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;
    use netinit::dsl::{LineColumn, Location};

    const TWO_LINES: &str = "dense(784 -> 256, relu),\ndense(256 -> 10, sofmax),\n";

    /// A hand-built error over `bytes` of `text`, with the line and column
    /// the library would compute.
    fn error_at(text: &str, bytes: Range<usize>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            lint: None,
            message: "unknown activation `sofmax`; did you mean `softmax`?".to_owned(),
            help: Some("the activations netinit knows: `relu`, `softmax`, …".to_owned()),
            notes: vec!["a note about the layer".to_owned()],
            location: Location {
                start: line_column(text, bytes.start),
                end: line_column(text, bytes.end),
                bytes,
            },
        }
    }

    /// The 1-based line and character column of byte `offset` in `text`.
    fn line_column(text: &str, offset: usize) -> LineColumn {
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        LineColumn {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }

    /// The rendered line that contains `needle`.
    fn line_with<'a>(rendered: &'a str, needle: &str) -> &'a str {
        rendered
            .lines()
            .find(|line| line.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{rendered}"))
    }

    #[test]
    fn renders_origin_source_line_caret_and_footers() {
        let start = TWO_LINES.find("sofmax").unwrap();
        let diagnostic = error_at(TWO_LINES, start..start + "sofmax".len());
        let rendered = render(&diagnostic, "net.net", TWO_LINES, false);

        assert!(
            rendered.starts_with("error: unknown activation `sofmax`"),
            "{rendered}"
        );
        assert!(rendered.contains("--> net.net:2:18"), "{rendered}");
        let source_line = line_with(&rendered, "dense(256 -> 10, sofmax),");
        let caret_line = line_with(&rendered, "^^^^^^");
        assert_eq!(caret_line.find('^'), source_line.find("sofmax"), "{rendered}");
        assert!(!rendered.contains("^^^^^^^"), "{rendered}");
        assert!(
            rendered.contains("= help: the activations netinit knows: `relu`, `softmax`, …"),
            "{rendered}"
        );
        assert!(rendered.contains("= note: a note about the layer"), "{rendered}");
    }

    #[test]
    fn renders_a_warning_title() {
        let mut diagnostic = error_at(TWO_LINES, 0..5);
        diagnostic.severity = Severity::Warning;
        let rendered = render(&diagnostic, "net.net", TWO_LINES, false);
        assert!(rendered.starts_with("warning: unknown activation"), "{rendered}");
        assert!(rendered.contains("--> net.net:1:1"), "{rendered}");
    }

    #[test]
    fn renders_an_empty_span_at_the_end_of_the_text() {
        let text = "dense(784 -> 256, relu),\ndense(256 -> 10";
        let diagnostic = error_at(text, text.len()..text.len());
        let rendered = render(&diagnostic, "net.net", text, false);

        assert!(rendered.contains("--> net.net:2:16"), "{rendered}");
        let source_line = line_with(&rendered, "dense(256 -> 10");
        let caret_line = line_with(&rendered, "^");
        let end_of_source = source_line.find("10").map(|column| column + 2);
        assert_eq!(caret_line.find('^'), end_of_source, "{rendered}");
    }

    #[test]
    fn out_of_range_and_mid_character_spans_do_not_panic() {
        let text = "dense(4 -> 2, rélu),";
        let inside_e_acute = text.find('é').unwrap() + 1;
        for (start, end) in [(500, 900), (3, 1), (inside_e_acute, inside_e_acute + 2)] {
            let mut diagnostic = error_at(text, 0..0);
            diagnostic.location.bytes = start..end;
            let rendered = render(&diagnostic, "net.net", text, false);
            assert!(rendered.contains("net.net:1:"), "{rendered}");
        }
    }

    #[test]
    fn a_span_far_along_a_long_line_keeps_its_column() {
        // Only a window of the line around the span is rendered (see
        // `CONTEXT`); the origin still gives the column in the whole line.
        let text = format!(
            "{}dense(256 -> 10, sofmax),\nnext",
            "dense(4 -> 4, relu), ".repeat(500)
        );
        let start = text.find("sofmax").unwrap();
        let diagnostic = error_at(&text, start..start + "sofmax".len());
        let rendered = render(&diagnostic, "net.net", &text, false);
        let column = text[..start].chars().count() + 1;
        assert!(
            rendered.contains(&format!("--> net.net:1:{column}")),
            "{rendered}"
        );
        let source_line = line_with(&rendered, "sofmax),");
        let caret_line = line_with(&rendered, "^^^^^^");
        assert_eq!(caret_line.find('^'), source_line.find("sofmax"), "{rendered}");
        assert!(!rendered.contains("next"), "{rendered}");
    }

    #[test]
    fn renders_an_empty_file() {
        let rendered = render(&error_at("", 0..0), "empty.net", "", false);
        assert!(rendered.contains("--> empty.net:1:1"), "{rendered}");
    }

    #[test]
    fn renders_a_message_without_source() {
        let rendered = render_message(Severity::Error, "could not check `net.net`", false);
        assert_eq!(rendered.trim_end(), "error: could not check `net.net`");
    }
}
