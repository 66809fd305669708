//! What can go wrong reading or writing a checkpoint: each error names the
//! file, and says what was expected and what was found.

use core::fmt;
use std::io;
use std::path::PathBuf;

use crate::rules::dsl::ParseError;

/// A checkpoint that cannot be written, read, or fitted to its spec.
#[derive(Debug)]
pub enum CheckpointError {
    /// The file system refused.
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done: `read`, `write`, `rename`, …
        action: &'static str,
        /// Why.
        source: io::Error,
    },
    /// Not a safetensors file: truncated, a corrupt header, a header that
    /// claims more bytes than the file has, offsets that do not add up.
    Format {
        /// The file.
        path: PathBuf,
        /// What the safetensors reader found wrong.
        reason: String,
    },
    /// A safetensors file without netinit's metadata, read with
    /// `Network::load` (use `NetworkSpec::load_weights` to give the spec).
    NotNetinit {
        /// The file.
        path: PathBuf,
        /// The metadata key that is missing.
        missing: &'static str,
    },
    /// A metadata value that does not read as what it records.
    Metadata {
        /// The file.
        path: PathBuf,
        /// The key.
        key: &'static str,
        /// The value found.
        found: String,
    },
    /// The spec text in the file's metadata is not a network.
    Spec {
        /// The file.
        path: PathBuf,
        /// Every diagnostic of the text.
        error: ParseError,
    },
    /// A tensor the spec needs is not in the file.
    MissingTensor {
        /// The file.
        path: PathBuf,
        /// The tensor's name, `layers.0.weight`.
        name: String,
    },
    /// A tensor in the file that the spec has no use for.
    ExtraTensor {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
    },
    /// A tensor that is not f32.
    Dtype {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
        /// Its dtype.
        found: String,
    },
    /// A tensor whose shape is not the one the spec gives it.
    Shape {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
        /// The shape the spec gives it.
        expected: Vec<usize>,
        /// The shape in the file.
        found: Vec<usize>,
    },
    /// A sharded checkpoint's index that is not one: not JSON, no weight
    /// map, a shard named outside the index's folder.
    Index {
        /// The index.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A shard that records another network or seed than its index: shards
    /// written apart, from different specs or seeds, do not make one network.
    ShardMismatch {
        /// The shard.
        path: PathBuf,
        /// The metadata key that differs.
        key: &'static str,
        /// The index's value; `None` where the index records none.
        index: Option<String>,
        /// The shard's value; `None` where the shard records none.
        found: Option<String>,
    },
    /// A shard asked for past the last one.
    NoSuchShard {
        /// The shard asked for (from 0).
        index: usize,
        /// How many shards the network fills.
        shards: usize,
    },
    /// A tensor with a NaN or infinite value.
    NonFinite {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
    },
    /// A negative value in a tensor whose values cannot be (a batch
    /// normalization's running variance, Adam's second moment).
    Negative {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
    },
}

impl CheckpointError {
    /// A [`CheckpointError::Format`] from whatever the reader reported.
    pub(crate) fn format(path: &std::path::Path, reason: &dyn fmt::Debug) -> CheckpointError {
        CheckpointError::Format {
            path: path.to_owned(),
            reason: format!("{reason:?}"),
        }
    }
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckpointError::Io { path, action, source } => {
                write!(f, "{}: cannot {action} the checkpoint: {source}", path.display())
            }
            CheckpointError::Format { path, reason } => {
                write!(
                    f,
                    "{}: not a readable safetensors file ({reason})",
                    path.display()
                )
            }
            CheckpointError::Index { path, reason } => {
                write!(
                    f,
                    "{}: not a readable sharded checkpoint index: {reason}",
                    path.display()
                )
            }
            CheckpointError::ShardMismatch {
                path,
                key,
                index,
                found,
            } => {
                let said = |value: &Option<String>| match value {
                    Some(value) => format!("`{value}`"),
                    None => "nothing".to_owned(),
                };
                write!(
                    f,
                    "{}: the shard's `{key}` is {}, but its index says {}: shards written from different \
                     specs or seeds do not make one network; write them again with the same ones",
                    path.display(),
                    said(found),
                    said(index)
                )
            }
            CheckpointError::NotNetinit { path, missing } => write!(
                f,
                "{}: the file's metadata has no `{missing}`, so it does not say which network it holds; load \
                 it into a spec with `NetworkSpec::load_weights`",
                path.display()
            ),
            CheckpointError::Metadata { path, key, found } => {
                write!(
                    f,
                    "{}: the metadata's `{key}` is `{found}`, which does not read as one",
                    path.display()
                )
            }
            CheckpointError::Spec { path, error } => {
                write!(
                    f,
                    "{}: the network in the file's metadata does not read:\n{error}",
                    path.display()
                )
            }
            CheckpointError::MissingTensor { path, name } => {
                write!(
                    f,
                    "{}: the network needs tensor `{name}`, which the file lacks",
                    path.display()
                )
            }
            CheckpointError::ExtraTensor { path, name } => write!(
                f,
                "{}: the file holds tensor `{name}`, which the network has no place for",
                path.display()
            ),
            CheckpointError::Dtype { path, name, found } => {
                write!(
                    f,
                    "{}: tensor `{name}` is {found}; netinit's weights are F32",
                    path.display()
                )
            }
            CheckpointError::Shape {
                path,
                name,
                expected,
                found,
            } => write!(
                f,
                "{}: tensor `{name}` has shape {found:?}, but the network gives it {expected:?}",
                path.display()
            ),
            CheckpointError::NoSuchShard { index, shards } => write!(
                f,
                "there is no shard {}: the network fills {shards} shard{} of that size",
                index + 1,
                if *shards == 1 { "" } else { "s" }
            ),
            CheckpointError::Negative { path, name } => write!(
                f,
                "{}: tensor `{name}` holds a negative value, where its values (a variance) are 0 or more",
                path.display()
            ),
            CheckpointError::NonFinite { path, name } => {
                write!(
                    f,
                    "{}: tensor `{name}` holds a NaN or infinite value",
                    path.display()
                )
            }
        }
    }
}

impl std::error::Error for CheckpointError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CheckpointError::Io { source, .. } => Some(source),
            CheckpointError::Spec { error, .. } => Some(error),
            _ => None,
        }
    }
}
