//! What the DSL's reader reports at run time: each finding with its
//! message, help and notes (the compiler's, word for word) and where it
//! points in the text.

use core::fmt;
use core::ops::Range;

use crate::rules::levels::Lint;

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
