//! The DSL: what goes between the brackets of `network![…]`, read the same
//! way by the macro at compile time and by [`NetworkSpec::from_dsl`],
//! `str::parse` and the `netinit` command line at run time, with the same
//! diagnostics word for word.
//!
//! The reader works on `proc_macro2` tokens: in the macro they carry the
//! compiler's spans; at run time the text is tokenized by `proc_macro2`
//! itself, whose spans (with `span-locations`) give line and column.
//! Read, model, check, one file each: the first knows the syntax, the
//! second gives names their meaning, the third runs the spec's validation
//! and lints and places each finding at its token.

mod ast;
mod check;
mod init_call;
mod model;
mod print;
mod read;
mod report;
mod text;

use core::fmt;
use core::ops::Range;

use proc_macro2::TokenStream;

use crate::rules::levels::Lint;
use crate::rules::network::NetworkSpec;

#[doc(hidden)]
pub use ast::Item;
#[doc(hidden)]
pub use report::Report;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The network is refused (the macro does not compile).
    Error,
    /// The network is accepted; something is likely wrong.
    Warning,
}

/// A position in the text: line and column, both counted from 1 (columns
/// in characters), as rustc prints them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineColumn {
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1, in characters.
    pub column: usize,
}

/// Where a diagnostic points in the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The first character of the offending tokens.
    pub start: LineColumn,
    /// Just past the last one.
    pub end: LineColumn,
    /// The same, as byte offsets into the text.
    pub bytes: Range<usize>,
}

/// One finding in a DSL text: its message, help and notes are those the
/// compiler prints for the same network in `network![…]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// An error or a warning.
    pub severity: Severity,
    /// The lint that found it, if a lint did.
    pub lint: Option<Lint>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// Why it is reported at this level, and other context.
    pub notes: Vec<String>,
    /// The offending tokens.
    pub location: Location,
}

impl fmt::Display for Diagnostic {
    /// `error: message` with the line and column, then the help and notes:
    /// plain text for logs; the `netinit` command line renders the source.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let LineColumn { line, column } = self.location.start;
        write!(f, "{severity}: {}\n --> {line}:{column}", self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  = help: {help}")?;
        }
        for note in &self.notes {
            write!(f, "\n  = note: {note}")?;
        }
        Ok(())
    }
}

/// Why a DSL text is not a network: every diagnostic, errors and warnings,
/// in the order the compiler reports them.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    /// Every finding; at least one is an error.
    pub diagnostics: Vec<Diagnostic>,
}

impl ParseError {
    /// The errors alone.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.severity == Severity::Error)
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, diagnostic) in self.errors().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

/// What the reader made of an invocation, for the `network!` macro.
#[doc(hidden)]
pub struct Reading {
    /// Whether the tokens are the item form (`pub struct Name { … }`).
    pub item_form: bool,
    /// The item form's struct, when its outline could be read.
    pub item: Option<Item>,
    /// The network, when it holds together (its lints may still refuse it).
    pub spec: Option<NetworkSpec>,
    /// Every finding, in order.
    pub reports: Vec<Report>,
}

impl Reading {
    /// Whether any finding is an error: the network is refused.
    pub fn refused(&self) -> bool {
        self.reports
            .iter()
            .any(|report| report.severity == Severity::Error)
    }
}

/// Read an invocation's tokens: the macro's entry point.
#[doc(hidden)]
pub fn read_tokens(tokens: TokenStream) -> Reading {
    let mut reports = report::Reports::default();
    let item_form = read::looks_like_item(&tokens);
    let Some(invocation) = read::invocation(tokens, item_form, &mut reports) else {
        return Reading {
            item_form,
            item: None,
            spec: None,
            reports: reports.into_vec(),
        };
    };
    let model = model::model(invocation, &mut reports);
    let spec = check::check(&model, &mut reports);
    Reading {
        item_form,
        item: model.item,
        spec,
        reports: reports.into_vec(),
    }
}
