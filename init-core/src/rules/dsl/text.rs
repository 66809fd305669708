//! DSL text at run time: tokenized by `proc_macro2`, read as the macro
//! reads its tokens, each span turned into a line and column.
//!
//! `proc_macro2` keeps the text of every tokenized string in a table local
//! to the thread, for as long as the thread lives. Each text is therefore
//! read on a short-lived thread of its own: a program that parses many
//! specs does not grow that table, and its own `proc_macro2` spans, if it
//! has any, are left alone.

use core::str::FromStr;

use proc_macro2::TokenStream;

use crate::rules::activation::Activation;
use crate::rules::dsl::options::init_alone;
use crate::rules::dsl::report::{Report, Reports};
use crate::rules::dsl::values::activation_alone;
use crate::rules::dsl::{
    depth, read, read_tokens, Checked, Diagnostic, LineColumn, Location, ParseError, Severity,
};
use crate::rules::init::Init;
use crate::rules::layer;

/// The network written in `text` with its warnings, or every diagnostic
/// (see [`NetworkSpec::from_dsl`](crate::NetworkSpec::from_dsl)).
pub(crate) fn network(text: &str) -> Result<(Checked, Vec<Diagnostic>), ParseError> {
    on_own_thread(text, |tokens| {
        let end = end_of_tokens(&tokens);
        let reading = read_tokens(tokens);
        let refused = reading.refused();
        let diagnostics = locate(reading.reports, text, end);
        match reading.network {
            Some(network) if !refused => Ok((network, diagnostics)),
            _ => Err(ParseError { diagnostics }),
        }
    })
}

/// The network written in `text` if it holds together, its lints aside:
/// what a checkpoint's spec must be, since `NetworkSpec::new` accepts
/// networks that the lints refuse (a constant init reproduced on purpose).
pub(crate) fn structure(text: &str) -> Result<Checked, ParseError> {
    on_own_thread(text, |tokens| {
        let end = end_of_tokens(&tokens);
        let reading = read_tokens(tokens);
        let structural: Vec<Report> = reading
            .reports
            .into_iter()
            .filter(|report| report.severity == Severity::Error && report.lint.is_none())
            .collect();
        match reading.network {
            Some(network) if structural.is_empty() => Ok(network),
            _ => Err(ParseError {
                diagnostics: locate(structural, text, end),
            }),
        }
    })
}

impl FromStr for Activation {
    type Err = ParseError;

    /// An activation as the DSL writes it: `relu`, `leaky_relu(0.01)`.
    ///
    /// ```
    /// use netinit::Activation;
    /// assert_eq!("leaky_relu(0.2)".parse::<Activation>()?, Activation::LeakyRelu(0.2));
    /// assert!("rleu".parse::<Activation>().unwrap_err().to_string().contains("did you mean `relu`?"));
    /// # Ok::<(), netinit::dsl::ParseError>(())
    /// ```
    fn from_str(text: &str) -> Result<Activation, ParseError> {
        read_fragment(text, |tokens, reports| match read::activation(tokens) {
            Ok(call) => activation_alone(&call, reports),
            Err(error) => {
                reports.syntax(error);
                None
            }
        })
    }
}

impl FromStr for Init {
    type Err = ParseError;

    /// An init as the DSL writes it, with the options that adjust it:
    /// `he_normal`, `he_uniform, mode = fan_out, gain = 1.2`,
    /// `normal(std = 0.01)`, `constant(0.5)`.
    ///
    /// ```
    /// use netinit::Init;
    /// assert_eq!("normal(std = 0.01)".parse::<Init>()?, Init::Normal { std: 0.01 });
    /// let he = "he_normal, gain = 1.5".parse::<Init>()?;
    /// assert_eq!(he.to_string(), "he_normal, gain = 1.5");
    /// let error = "he_norml".parse::<Init>().unwrap_err();
    /// assert!(error.to_string().contains("did you mean `he_normal`?"));
    /// # Ok::<(), netinit::dsl::ParseError>(())
    /// ```
    fn from_str(text: &str) -> Result<Init, ParseError> {
        read_fragment(text, |tokens, reports| match read::init(tokens) {
            Ok((value, options)) => init_alone(&value, &options, &layer::options_anywhere(), reports),
            Err(error) => {
                reports.syntax(error);
                None
            }
        })
    }
}

/// Read a fragment of the DSL with `read`, which records what it finds.
fn read_fragment<T: Send>(
    text: &str,
    read: impl FnOnce(TokenStream, &mut Reports) -> Option<T> + Send,
) -> Result<T, ParseError> {
    on_own_thread(text, |tokens| {
        let end = end_of_tokens(&tokens);
        let mut reports = Reports::default();
        let value = read(tokens, &mut reports);
        let failed = reports.has_errors();
        match value {
            Some(value) if !failed => Ok(value),
            _ => Err(ParseError {
                diagnostics: locate(reports.into_vec(), text, end),
            }),
        }
    })
}

/// Tokenize `text` and hand the tokens to `work`, on a thread of its own
/// (see the module docs); a text that is not made of Rust tokens is an
/// error at the place the tokenizer stopped.
fn on_own_thread<T: Send>(
    text: &str,
    work: impl FnOnce(TokenStream) -> Result<T, ParseError> + Send,
) -> Result<T, ParseError> {
    let run = || match text.parse::<TokenStream>() {
        Ok(tokens) => match depth::too_deep(&tokens) {
            Some(report) => Err(ParseError {
                diagnostics: locate(vec![report], text, text.len()),
            }),
            None => work(tokens),
        },
        Err(error) => Err(ParseError {
            diagnostics: locate(
                vec![Report {
                    severity: Severity::Error,
                    lint: None,
                    message: "this text cannot be read as tokens: a delimiter is not closed, or a \
                              character here has no meaning in the DSL"
                        .into(),
                    help: Some(
                        "the DSL is written in Rust's tokens: `->` for the arrow, balanced `( )`, `[ ]` \
                         and `{ }`, and `//` or `/* */` comments"
                            .into(),
                    ),
                    notes: Vec::new(),
                    span: error.span(),
                }],
                text,
                text.len(),
            ),
        }),
    };
    std::thread::scope(
        |scope| match std::thread::Builder::new().spawn_scoped(scope, run) {
            Ok(thread) => thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(error) => Err(one_error(
                text,
                &format!("the text is read on a thread of its own, and the system refused one: {error}"),
                "free some of the process's threads or memory and try again",
            )),
        },
    )
}

/// One error about the whole text.
pub(crate) fn one_error(text: &str, message: &str, help: &str) -> ParseError {
    ParseError {
        diagnostics: vec![Diagnostic {
            severity: Severity::Error,
            lint: None,
            message: message.into(),
            help: Some(help.into()),
            notes: Vec::new(),
            location: Location {
                start: LineColumn { line: 1, column: 1 },
                end: positions(text, vec![text.len()])[0].1,
                bytes: 0..text.len(),
            },
        }],
    }
}

/// Just after the last token: where the reader stopped short when it
/// reports the end of the input.
fn end_of_tokens(tokens: &TokenStream) -> usize {
    tokens
        .clone()
        .into_iter()
        .last()
        .map_or(0, |token| token.span().byte_range().end)
}

/// The reports with their spans turned into locations in `text`; a span
/// with no source (syn's "unexpected end of input" at the top level) is
/// placed at `end`. Must run on the thread that tokenized `text`. One
/// pass over the text finds every line and column, however many reports
/// there are.
fn locate(reports: Vec<Report>, text: &str, end: usize) -> Vec<Diagnostic> {
    let ranges: Vec<core::ops::Range<usize>> = reports
        .iter()
        .map(|report| {
            let bytes = match report.span.source_text() {
                Some(_) => report.span.byte_range(),
                None => end..end,
            };
            bytes.start.min(text.len())..bytes.end.min(text.len())
        })
        .collect();
    let positions = positions(
        text,
        ranges.iter().flat_map(|bytes| [bytes.start, bytes.end]).collect(),
    );
    let position = |offset: usize| {
        let at = positions.partition_point(|&(known, _)| known < offset);
        positions[at].1
    };
    reports
        .into_iter()
        .zip(ranges)
        .map(|(report, bytes)| Diagnostic {
            location: Location {
                start: position(bytes.start),
                end: position(bytes.end),
                bytes,
            },
            severity: report.severity,
            lint: report.lint,
            message: report.message,
            help: report.help,
            notes: report.notes,
        })
        .collect()
}

/// The line and column (both from 1, columns in characters: those that
/// start before the offset) of each byte offset in `offsets`, sorted by
/// offset, in one pass over `text`.
fn positions(text: &str, mut offsets: Vec<usize>) -> Vec<(usize, LineColumn)> {
    offsets.sort_unstable();
    offsets.dedup();
    let mut found = Vec::with_capacity(offsets.len());
    let mut pending = offsets.into_iter().peekable();
    let (mut line, mut column) = (1, 1);
    for (index, character) in text.char_indices() {
        while let Some(offset) = pending.next_if(|&offset| offset <= index) {
            found.push((offset, LineColumn { line, column }));
        }
        if character == '\n' {
            (line, column) = (line + 1, 1);
        } else {
            column += 1;
        }
    }
    found.extend(pending.map(|offset| (offset, LineColumn { line, column })));
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::network::NetworkSpec;

    #[test]
    fn positions_count_lines_and_characters_from_one() {
        let text = "ab\nγδ x";
        let found = positions(text, vec![7, 0, 3, 3, 9, 11]);
        let at = |line, column| LineColumn { line, column };
        // γ and δ are two bytes each: byte 7 is the third character; the
        // text's end (byte 9) and past it are after its last character.
        assert_eq!(
            found,
            [
                (0, at(1, 1)),
                (3, at(2, 1)),
                (7, at(2, 3)),
                (9, at(2, 5)),
                (11, at(2, 5))
            ]
        );
    }

    #[test]
    fn a_stray_character_is_located() {
        let error = "dense(784 → 256, relu)".parse::<NetworkSpec>().unwrap_err();
        let diagnostic = &error.diagnostics[0];
        assert!(diagnostic
            .message
            .starts_with("this text cannot be read as tokens"));
        assert_eq!(diagnostic.location.start, LineColumn { line: 1, column: 11 });
    }

    #[test]
    fn the_end_of_the_input_is_just_after_the_last_token() {
        // Blank lines and a comment after the last token do not move it.
        let item = NetworkSpec::from_dsl("pub struct Net\n\n// no layers\n").unwrap_err();
        assert!(item.diagnostics[0].message.starts_with("unexpected end of input"));
        assert_eq!(
            item.diagnostics[0].location.start,
            LineColumn { line: 1, column: 15 }
        );
        let empty = NetworkSpec::from_dsl("// nothing\n").unwrap_err();
        assert_eq!(
            empty.diagnostics[0].location.start,
            LineColumn { line: 1, column: 1 }
        );
    }
}
