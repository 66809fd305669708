//! The mistakes that make a network description unusable, by area: how
//! the network is arranged ([`StructureError`]), a layer's own sizes
//! ([`SizeError`]), how a layer's shape chains to the one before
//! ([`ChainError`]), and its inits, activation and options
//! ([`InitError`]). Each area's file has its variants with what each
//! diagnostic says, its part, message and help, beside it.

mod chain;
mod init;
mod size;
mod structure;
pub(crate) mod words;

use core::fmt;

use crate::rules::part::Part;

pub use chain::{ChainError, Sort};
pub use init::InitError;
pub use size::SizeError;
pub use structure::StructureError;

/// A mistake in a network description that makes it unusable. A `layer`
/// field is the layer's index in [`NetworkSpec::layers`](crate::NetworkSpec::layers),
/// which messages name as its path (the same number while every layer has
/// parameters).
#[derive(Clone, Debug, PartialEq)]
pub enum SpecError {
    /// How the network is arranged: empty, `input(…)` missing or misplaced,
    /// a residual block's markers out of order, a lint level set below `forbid`.
    Structure(StructureError),
    /// A layer's own sizes: a width, kernel or stride of 0, too many parameters.
    Size(SizeError),
    /// How a layer's shape chains to the layer before.
    Chain(ChainError),
    /// A layer's inits, scales, activation parameter or `ε`.
    Init(InitError),
}

/// What a diagnostic says: the part of the layer it points at, what is
/// wrong, and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnosis {
    /// Where it points.
    pub part: Part,
    /// What is wrong, without saying where.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

impl Diagnosis {
    /// What a diagnostic at `part` says.
    pub(crate) fn new(part: Part, message: impl Into<String>, help: impl Into<String>) -> Diagnosis {
        Diagnosis {
            part,
            message: message.into(),
            help: help.into(),
        }
    }
}

impl SpecError {
    /// The layer (0-based) the error is about, if any.
    pub fn layer(&self) -> Option<usize> {
        match self {
            SpecError::Structure(error) => error.layer(),
            SpecError::Size(error) => Some(error.layer()),
            SpecError::Chain(error) => Some(error.layer()),
            SpecError::Init(error) => Some(error.layer()),
        }
    }

    /// What the diagnostic says: its part, message and help.
    pub fn diagnosis(&self) -> Diagnosis {
        match self {
            SpecError::Structure(error) => error.diagnosis(),
            SpecError::Size(error) => error.diagnosis(),
            SpecError::Chain(error) => error.diagnosis(),
            SpecError::Init(error) => error.diagnosis(),
        }
    }

    /// The part of the layer the error is about.
    pub fn part(&self) -> Part {
        self.diagnosis().part
    }

    /// What is wrong, without saying where.
    pub fn message(&self) -> String {
        self.diagnosis().message
    }

    /// How to fix it.
    pub fn help(&self) -> String {
        self.diagnosis().help
    }
}

impl From<StructureError> for SpecError {
    fn from(error: StructureError) -> SpecError {
        SpecError::Structure(error)
    }
}

impl From<SizeError> for SpecError {
    fn from(error: SizeError) -> SpecError {
        SpecError::Size(error)
    }
}

impl From<ChainError> for SpecError {
    fn from(error: ChainError) -> SpecError {
        SpecError::Chain(error)
    }
}

impl From<InitError> for SpecError {
    fn from(error: InitError) -> SpecError {
        SpecError::Init(error)
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Diagnosis { message, help, .. } = self.diagnosis();
        match self.layer() {
            Some(layer) => write!(f, "layer {layer}: {message}; {help}"),
            None => write!(f, "{message}; {help}"),
        }
    }
}

impl std::error::Error for SpecError {}
