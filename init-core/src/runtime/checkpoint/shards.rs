//! Networks larger than memory, written as they are sampled: in one file,
//! or in Hugging Face's sharded layout (`model-00001-of-00003.safetensors`,
//! … and `model.safetensors.index.json`, `{"metadata": {"total_size": …},
//! "weight_map": {tensor: file}}`).
//!
//! Tensors go to shards in the order of the layers, a new shard starting
//! where the next tensor would pass the shard size (a tensor larger than
//! the size has a shard of its own). Each shard is sampled on its own and
//! streamed, a block of rows sampled while the block before is written, so
//! memory holds a few blocks, not the shard (an orthogonal weight, whose
//! rows depend on each other, is one block); any one shard can be written
//! alone, bit-identical to the same tensors of the whole network.

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use crate::rules::init::Draw;
use crate::rules::network::NetworkSpec;
use crate::rules::parameter::ParameterSpec;
use crate::rules::path::LayerPath;
use crate::runtime::checkpoint::atomic::{self, Staged};
use crate::runtime::checkpoint::stream::{self, tensor_bytes, Planned};
use crate::runtime::checkpoint::{index, metadata, spec_tensors, tensor_name, CheckpointError, INDEX_SUFFIX};
use crate::runtime::format::Origin;
use crate::runtime::generator::LayerStreams;
use crate::runtime::sampler;

/// How many bytes of weights one block holds while it is written.
const BLOCK_BYTES: usize = 8 << 20;

/// One tensor of a checkpoint written as it is sampled.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardedTensor {
    name: String,
    shape: Vec<usize>,
    path: LayerPath,
    parameter: ParameterSpec,
}

impl ShardedTensor {
    /// Its name, `layers.3.weight`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Its size in bytes (f32).
    pub fn bytes(&self) -> u64 {
        tensor_bytes(&self.shape)
    }
}

/// Which tensors go in which shard.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardPlan {
    shards: Vec<Vec<ShardedTensor>>,
}

impl ShardPlan {
    /// The shards, first to last, each its tensors in order.
    pub fn shards(&self) -> &[Vec<ShardedTensor>] {
        &self.shards
    }

    /// The file name of shard `index` (from 0) for outputs named `stem`:
    /// `model-00001-of-00003.safetensors`.
    pub fn file_name(&self, stem: &str, index: usize) -> String {
        format!("{stem}-{:05}-of-{:05}.safetensors", index + 1, self.shards.len())
    }

    /// The bytes of tensor data in all shards.
    pub fn total_bytes(&self) -> u64 {
        self.shards.iter().flatten().map(ShardedTensor::bytes).sum()
    }
}

/// The plan of shards of at most `shard_bytes` each ([`NetworkSpec::shard_plan`]).
pub(crate) fn shard_plan(spec: &NetworkSpec, shard_bytes: u64) -> ShardPlan {
    let mut shards: Vec<Vec<ShardedTensor>> = Vec::new();
    let mut filled = 0;
    for (path, parameter) in spec_tensors(spec) {
        let tensor = ShardedTensor {
            name: tensor_name(&path, parameter.name()),
            shape: parameter.shape().to_vec(),
            path,
            parameter,
        };
        let bytes = tensor.bytes();
        match shards.last_mut() {
            Some(shard) if filled + bytes <= shard_bytes => {
                filled += bytes;
                shard.push(tensor);
            }
            _ => {
                filled = bytes;
                shards.push(vec![tensor]);
            }
        }
    }
    ShardPlan { shards }
}

/// [`NetworkSpec::write_initial`]: the network sampled into one file.
pub(crate) fn write_initial(
    spec: &NetworkSpec,
    origin: Origin,
    path: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<(), CheckpointError> {
    let plan = shard_plan(spec, u64::MAX);
    let tensors = plan.shards.first().map(Vec::as_slice).unwrap_or_default();
    write_tensors(spec, origin, tensors, path, progress)
}

/// [`NetworkSpec::write_sharded`]: the network sampled into shards and their index.
pub(crate) fn write_sharded(
    spec: &NetworkSpec,
    origin: Origin,
    output: &Path,
    shard_bytes: u64,
    only: Option<usize>,
    progress: &mut dyn FnMut(u64),
) -> Result<Vec<PathBuf>, CheckpointError> {
    let plan = shard_plan(spec, shard_bytes);
    if let Some(index) = only.filter(|&index| index >= plan.shards.len()) {
        return Err(CheckpointError::NoSuchShard {
            index,
            shards: plan.shards.len(),
        });
    }
    let directory = output.parent().unwrap_or(Path::new(""));
    let name = output.file_name().map(|name| name.to_string_lossy().into_owned());
    let stem = name
        .as_deref()
        .map_or("model", |name| name.strip_suffix(".safetensors").unwrap_or(name));
    let index_path = directory.join(format!("{stem}{INDEX_SUFFIX}"));
    let index = index_json(spec, origin, &plan, stem)
        .map_err(|error| CheckpointError::format(&index_path, &error))?;
    let old = index::previous(&index_path);
    let writing: Vec<usize> = (0..plan.shards.len())
        .filter(|&index| only.is_none_or(|only| only == index))
        .collect();
    let paths: Vec<PathBuf> = writing
        .iter()
        .map(|&index| directory.join(plan.file_name(stem, index)))
        .collect();
    // The index is the commit point: until it is replaced, the set it
    // names must still load. New shards under names the old set does not
    // use, or of the same draw (bit-identical to the old ones), go in place
    // one by one; shards of another draw under the old set's names are
    // written aside first, and put in place only once all are written.
    let new_metadata = metadata(spec, Some(origin));
    let collide = old.as_ref().is_some_and(|old| {
        writing.iter().any(|&index| {
            let names: Vec<&str> = plan.shards[index]
                .iter()
                .map(|tensor| tensor.name.as_str())
                .collect();
            old.uses(&plan.file_name(stem, index))
                && !old.same_file(&new_metadata, &plan.file_name(stem, index), &names)
        })
    });
    if collide {
        let mut staged = Vec::with_capacity(writing.len());
        for (&index, path) in writing.iter().zip(&paths) {
            staged.push(stage_tensors(spec, origin, &plan.shards[index], path, progress)?);
        }
        if let Err(source) = std::fs::remove_file(&index_path) {
            if source.kind() != std::io::ErrorKind::NotFound {
                return Err(CheckpointError::Io {
                    path: index_path,
                    action: "remove the old index of",
                    source,
                });
            }
        }
        staged.into_iter().try_for_each(Staged::commit)?;
    } else {
        for (&index, path) in writing.iter().zip(&paths) {
            write_tensors(spec, origin, &plan.shards[index], path, progress)?;
        }
    }
    atomic::write(&index_path, index.as_bytes())?;
    // The old set's files the new one does not use, once the new index is
    // in place; only a whole write knows the whole new set.
    if let (Some(old), None) = (&old, only) {
        let kept: Vec<String> = (0..plan.shards.len())
            .map(|index| plan.file_name(stem, index))
            .collect();
        for file in old
            .files()
            .filter(|file| !kept.contains(file) && is_shard_name(file, stem))
        {
            let _ = std::fs::remove_file(directory.join(file));
        }
    }
    let mut written = paths;
    written.push(index_path);
    Ok(written)
}

/// Whether `file` is named as a shard of `stem` is:
/// `{stem}-NNNNN-of-NNNNN.safetensors`. Only such files of an old set are
/// removed, whatever its index names.
fn is_shard_name(file: &str, stem: &str) -> bool {
    let Some(numbers) = file
        .strip_prefix(stem)
        .and_then(|rest| rest.strip_prefix('-'))
        .and_then(|rest| rest.strip_suffix(".safetensors"))
    else {
        return false;
    };
    let digits = |text: &str| text.len() == 5 && text.bytes().all(|byte| byte.is_ascii_digit());
    numbers
        .split_once("-of-")
        .is_some_and(|(index, count)| digits(index) && digits(count))
}

/// [`write_tensors`], staged beside `path` (see [`Staged`]).
fn stage_tensors(
    spec: &NetworkSpec,
    origin: Origin,
    tensors: &[ShardedTensor],
    path: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<Staged, CheckpointError> {
    let planned: Vec<Planned> = tensors
        .iter()
        .map(|tensor| (tensor.name.clone(), tensor.shape.clone()))
        .collect();
    let metadata = metadata(spec, Some(origin));
    stream::stage(
        path,
        &metadata,
        &planned,
        |deliver| {
            for tensor in tensors {
                if sample_blocks(origin, tensor, deliver).is_err() {
                    return;
                }
            }
        },
        progress,
    )
}

/// Sample `tensors` (of `spec`'s plan) from `origin` into a file at `path`.
fn write_tensors(
    spec: &NetworkSpec,
    origin: Origin,
    tensors: &[ShardedTensor],
    path: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<(), CheckpointError> {
    stage_tensors(spec, origin, tensors, path, progress)?.commit()
}

/// `model.safetensors.index.json`: where each tensor is, and the total size.
fn index_json(
    spec: &NetworkSpec,
    origin: Origin,
    plan: &ShardPlan,
    stem: &str,
) -> serde_json::Result<String> {
    let mut metadata: Map<String, Value> = metadata(spec, Some(origin))
        .into_iter()
        .map(|(key, value)| (key, Value::String(value)))
        .collect();
    metadata.insert("total_size".to_owned(), json!(plan.total_bytes()));
    let mut weight_map = Map::new();
    for (index, shard) in plan.shards.iter().enumerate() {
        for tensor in shard {
            weight_map.insert(tensor.name.clone(), Value::String(plan.file_name(stem, index)));
        }
    }
    serde_json::to_string_pretty(&json!({"metadata": metadata, "weight_map": weight_map}))
}

/// Sample one tensor a block of rows at a time (an orthogonal weight in one
/// block, a vector whole) and hand each block's bytes to `deliver`; `Err`
/// when it refuses one.
fn sample_blocks(
    origin: Origin,
    tensor: &ShardedTensor,
    deliver: &mut dyn FnMut(Vec<u8>) -> bool,
) -> Result<(), ()> {
    let streams = LayerStreams::new(origin, &tensor.path);
    let parameter = &tensor.parameter;
    let [rows, columns] = parameter.matrix_shape();
    // An allocation the system refuses stops the stream short; the writer
    // then finds fewer bytes than the header promised and keeps the old file.
    let block = match parameter.draw() {
        Draw::Orthogonal { .. } => rows,
        _ => (BLOCK_BYTES / (4 * columns.max(1))).max(1),
    };
    let mut start = 0;
    while start < rows {
        let end = (start + block).min(rows);
        let values = sampler::sample_block(parameter, &streams, start..end, 0..columns).map_err(|_| ())?;
        if !deliver(stream::le_bytes(values.iter()).ok_or(())?) {
            return Err(());
        }
        start = end;
    }
    Ok(())
}
