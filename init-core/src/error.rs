//! The run-time errors: what was expected, and what was found.

use core::fmt;

use crate::spec::SpecError;

/// A run-time error of netinit. Nothing in the library panics on user input;
/// every mistake comes back as one of these.
#[derive(Clone, Debug, PartialEq)]
pub enum Error {
    /// A batch's rows have the wrong number of features.
    InputWidth {
        /// The network's input width.
        expected: usize,
        /// The batch's column count.
        found: usize,
    },
    /// A layer index past the last layer.
    LayerIndex {
        /// The index asked for.
        index: usize,
        /// How many layers there are.
        layers: usize,
    },
    /// A row range that is empty-ended backwards or past the last row.
    RowRange {
        /// The first row asked for.
        start: usize,
        /// One past the last row asked for.
        end: usize,
        /// How many rows there are.
        rows: usize,
    },
    /// A variance-scaling or orthogonal init on a tensor with fewer than two
    /// dimensions, whose fans are undefined.
    FansUndefined {
        /// The tensor's number of dimensions.
        dimensions: usize,
    },
    /// A std, bound or gain that is negative or not finite.
    InvalidScale {
        /// What the number is (`std`, `bound`, `gain`, `constant`).
        what: &'static str,
        /// The number.
        value: f64,
    },
    /// A network description that does not hold together.
    Spec(SpecError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InputWidth { expected, found } => write!(
                f,
                "the input has {found} features per row, but the network's first layer takes {expected}"
            ),
            Error::LayerIndex { index, layers } => {
                write!(f, "layer index {index} is out of range: the network has {layers} layers (0..{layers})")
            }
            Error::RowRange { start, end, rows } => {
                write!(f, "rows {start}..{end} are out of range: the layer has rows 0..{rows}")
            }
            Error::FansUndefined { dimensions } => write!(
                f,
                "fans need a tensor of at least 2 dimensions (out, in, …); found {dimensions}: use an init with \
                 an explicit scale, such as normal(std = 0.01)"
            ),
            Error::InvalidScale { what, value } => {
                write!(f, "the {what} must be a finite number and not negative; found {value}")
            }
            Error::Spec(error) => write!(f, "invalid network: {error}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Spec(error) => Some(error),
            _ => None,
        }
    }
}

impl From<SpecError> for Error {
    fn from(error: SpecError) -> Error {
        Error::Spec(error)
    }
}
