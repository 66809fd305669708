//! What the reader finds, collected so that every mistake of one invocation
//! is reported at once.

use proc_macro2::Span;

use crate::rules::dsl::Severity;
use crate::rules::levels::Lint;
use crate::rules::suggest;

/// One finding at a span: what is wrong, how to fix it, and notes.
#[derive(Clone, Debug)]
pub struct Report {
    /// An error stops the network from compiling; a warning does not.
    pub severity: Severity,
    /// The lint that found it, if a lint did.
    pub lint: Option<Lint>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// Why it is reported at this level, and other context.
    pub notes: Vec<String>,
    /// Where: the offending tokens.
    pub span: Span,
}

impl Report {
    /// The message with its help and notes on the lines below, as the
    /// compiler shows it: `message\nhelp: …\nnote: …`.
    pub fn text(&self) -> String {
        let mut text = self.message.clone();
        if let Some(help) = &self.help {
            text.push_str("\nhelp: ");
            text.push_str(help);
        }
        for note in &self.notes {
            text.push_str("\nnote: ");
            text.push_str(note);
        }
        text
    }
}

/// The findings so far. Reading and checking go on after an error.
#[derive(Default)]
pub struct Reports {
    reports: Vec<Report>,
}

impl Reports {
    /// Record an error at `span`: what is wrong, then how to fix it.
    pub fn at(&mut self, span: Span, message: impl Into<String>, help: impl Into<String>) {
        self.push(Report {
            severity: Severity::Error,
            lint: None,
            message: message.into(),
            help: Some(help.into()),
            notes: Vec::new(),
            span,
        });
    }

    /// Record a syntax error from syn (each of its messages).
    pub fn syntax(&mut self, error: syn::Error) {
        for error in error {
            self.push(Report {
                severity: Severity::Error,
                lint: None,
                message: error.to_string(),
                help: None,
                notes: Vec::new(),
                span: error.span(),
            });
        }
    }

    /// Record a finding built elsewhere.
    pub fn push(&mut self, report: Report) {
        self.reports.push(report);
    }

    /// Whether an error has been recorded.
    pub fn has_errors(&self) -> bool {
        self.reports
            .iter()
            .any(|report| report.severity == Severity::Error)
    }

    /// The findings, in the order they were found.
    pub fn into_vec(self) -> Vec<Report> {
        self.reports
    }
}

/// `unknown activation `rleu`; did you mean `relu`?`, with the valid names
/// as the help.
pub fn unknown_name(reports: &mut Reports, what: &str, found: &str, span: Span, valid: &[&str]) {
    let (message, help) = suggest::unknown(what, found, valid);
    reports.at(span, message, help);
}
