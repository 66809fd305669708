//! Errors reading data files: each names the file and what was wrong.

use std::fmt;
use std::path::PathBuf;

/// A data file that is missing, unreadable, truncated or corrupt.
#[derive(Debug)]
pub enum DataError {
    /// The file or folder does not exist.
    Missing {
        /// The path looked for.
        path: PathBuf,
        /// What to do about it.
        hint: String,
    },
    /// Reading failed for another reason (permissions, a device error).
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The gzip stream is damaged.
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What the decompressor reported.
        reason: String,
    },
    /// The data the header declares does not fit in memory.
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The bytes of data the header declares.
        bytes: u64,
    },
    /// The file ends before its header says it should.
    Truncated {
        /// The file.
        path: PathBuf,
        /// Bytes the header promises (header included).
        expected: u64,
        /// Bytes found.
        found: u64,
    },
    /// The first four bytes are not the IDX magic number for this kind of file.
    BadMagic {
        /// The file.
        path: PathBuf,
        /// The magic number expected.
        expected: u32,
        /// The number found.
        found: u32,
    },
    /// The images are not of the size expected.
    Dimensions {
        /// The file.
        path: PathBuf,
        /// Expected rows × columns.
        expected: (u32, u32),
        /// Found rows × columns.
        found: (u32, u32),
    },
    /// The file has more bytes than its header accounts for.
    TrailingBytes {
        /// The file.
        path: PathBuf,
        /// Bytes the header promises.
        expected: u64,
        /// Bytes found; a lower bound when `counting_stopped`.
        found: u64,
        /// Counting stopped past 1 GiB more than the header's size,
        /// without reading the rest (a gzip bomb would never end).
        counting_stopped: bool,
    },
    /// An images file and its labels file disagree on the count.
    CountMismatch {
        /// The images file.
        images: PathBuf,
        /// Its count.
        image_count: usize,
        /// The labels file.
        labels: PathBuf,
        /// Its count.
        label_count: usize,
    },
    /// A label outside `0..classes`.
    LabelOutOfRange {
        /// The file.
        path: PathBuf,
        /// The position of the label.
        index: usize,
        /// The label found.
        label: u8,
        /// How many classes there are.
        classes: usize,
    },
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::Missing { path, hint } => write!(f, "{}: not found; {hint}", path.display()),
            DataError::Io { path, source } => write!(f, "{}: cannot read: {source}", path.display()),
            DataError::Corrupt { path, reason } => {
                write!(f, "{}: the gzip data is corrupt ({reason})", path.display())
            }
            DataError::Truncated {
                path,
                expected,
                found,
            } => write!(
                f,
                "{}: truncated: its header promises {expected} bytes, the file has {found}",
                path.display()
            ),
            DataError::BadMagic {
                path,
                expected,
                found,
            } => write!(
                f,
                "{}: not an IDX file of this kind: magic number {found:#010x}, expected {expected:#010x}",
                path.display()
            ),
            DataError::Dimensions {
                path,
                expected,
                found,
            } => write!(
                f,
                "{}: images are {}×{}, expected {}×{}",
                path.display(),
                found.0,
                found.1,
                expected.0,
                expected.1
            ),
            DataError::TooLarge { path, bytes } => write!(
                f,
                "{}: the header declares {bytes} bytes of data, more than the system would allocate",
                path.display()
            ),
            DataError::TrailingBytes {
                path,
                expected,
                found,
                counting_stopped,
            } => write!(
                f,
                "{}: {}{found} bytes where the header accounts for {expected}: the file is corrupt",
                path.display(),
                if *counting_stopped { "at least " } else { "" }
            ),
            DataError::CountMismatch {
                images,
                image_count,
                labels,
                label_count,
            } => write!(
                f,
                "{} has {image_count} images but {} has {label_count} labels",
                images.display(),
                labels.display()
            ),
            DataError::LabelOutOfRange {
                path,
                index,
                label,
                classes,
            } => write!(
                f,
                "{}: label {index} is {label}, outside the {classes} classes 0..{classes}",
                path.display()
            ),
        }
    }
}

impl std::error::Error for DataError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DataError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
