//! Networks larger than memory, written in Hugging Face's sharded layout:
//! `model-00001-of-00003.safetensors`, … and `model.safetensors.index.json`
//! (`{"metadata": {"total_size": …}, "weight_map": {tensor: file}}`).
//!
//! Tensors go to shards in the order of the layers, a new shard starting
//! where the next tensor would pass the shard size (a tensor larger than
//! the size has a shard of its own). Each shard is sampled on its own and
//! streamed: its header is written first, then each tensor a block of rows
//! at a time, sampled while the block before is written, so memory holds a
//! few blocks, not the shard; any one shard can be written alone,
//! bit-identical to the same tensors of the whole file.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use serde_json::{json, Map, Value};

use crate::rules::init::Draw;
use crate::rules::layer::LayerSpec;
use crate::rules::network::NetworkSpec;
use crate::rules::path::LayerPath;
use crate::runtime::checkpoint::{
    atomic, tensor_name, CheckpointError, SAMPLER_FORMAT, SAMPLER_KEY, SEED_KEY, SPEC_KEY, VERSION_KEY,
};
use crate::runtime::generator::LayerStreams;
use crate::runtime::layers::dense::{sample_bias, sample_rows};

/// How many bytes of weights one block holds while it is written.
const BLOCK_BYTES: usize = 8 << 20;

/// One tensor of a sharded checkpoint: which layer's, which of its tensors.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardedTensor {
    /// Its name, `layers.3.weight`.
    pub name: String,
    /// Its shape.
    pub shape: Vec<usize>,
    layer: usize,
    path: LayerPath,
    weight: bool,
}

impl ShardedTensor {
    /// Its size in bytes (f32).
    pub fn bytes(&self) -> u64 {
        self.shape.iter().product::<usize>() as u64 * 4
    }
}

/// Which tensors go in which shard.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardPlan {
    /// The shards, first to last, each its tensors in order.
    pub shards: Vec<Vec<ShardedTensor>>,
}

impl ShardPlan {
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

impl NetworkSpec {
    /// The shards of at most `shard_bytes` bytes of tensor data each (a
    /// tensor larger than that alone in its shard) that hold this network.
    pub fn shard_plan(&self, shard_bytes: u64) -> ShardPlan {
        let mut shards: Vec<Vec<ShardedTensor>> = Vec::new();
        let mut filled = 0;
        for (layer, (path, spec)) in self.layer_paths().into_iter().zip(self.layers()).enumerate() {
            let Some(path) = path else { continue };
            for (weight, shape) in [
                (true, vec![spec.outputs(), spec.inputs()]),
                (false, vec![spec.outputs()]),
            ] {
                let tensor = ShardedTensor {
                    name: tensor_name(&path, if weight { "weight" } else { "bias" }),
                    shape,
                    layer,
                    path: path.clone(),
                    weight,
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
        }
        ShardPlan { shards }
    }

    /// Sample shard `index` of `plan` from `seed` and write it to `path`,
    /// atomically, streaming; `progress` is told each block's bytes.
    pub fn write_shard(
        &self,
        seed: u64,
        plan: &ShardPlan,
        index: usize,
        path: &Path,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), CheckpointError> {
        let tensors = plan.shards.get(index).map(Vec::as_slice).unwrap_or_default();
        let header = header(self, seed, tensors).map_err(|error| CheckpointError::format(path, &error))?;
        atomic::write_with(path, |file| {
            let mut file = BufWriter::with_capacity(1 << 20, file);
            file.write_all(&(header.len() as u64).to_le_bytes())?;
            file.write_all(&header)?;
            // Sampling (on rayon's threads) and writing overlap: blocks pass
            // through a channel of two, so memory holds at most three.
            std::thread::scope(|scope| {
                let (sender, receiver) = mpsc::sync_channel::<Vec<u8>>(2);
                scope.spawn(move || {
                    for tensor in tensors {
                        let layer = &self.layers()[tensor.layer];
                        // A closed channel means the writer failed: stop.
                        if sample_blocks(layer, seed, tensor, &mut |block| sender.send(block).is_ok())
                            .is_err()
                        {
                            return;
                        }
                    }
                });
                for block in receiver {
                    file.write_all(&block)?;
                    progress(block.len() as u64);
                }
                file.flush()
            })
        })
    }

    /// Write every shard of at most `shard_bytes` beside `output`
    /// (`dir/model.safetensors` gives `dir/model-00001-of-0000N.safetensors`,
    /// …) and the index `dir/model.safetensors.index.json`; with `only`,
    /// shard `only` (from 0) and the index alone. Returns the files written.
    pub fn write_sharded(
        &self,
        seed: u64,
        output: &Path,
        shard_bytes: u64,
        only: Option<usize>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Vec<PathBuf>, CheckpointError> {
        let plan = self.shard_plan(shard_bytes);
        let directory = output.parent().unwrap_or(Path::new(""));
        let stem = output
            .file_name()
            .map(|name| name.to_string_lossy().trim_end_matches(".safetensors").to_owned())
            .unwrap_or_else(|| "model".to_owned());
        let mut written = Vec::new();
        for index in 0..plan.shards.len() {
            if only.is_some_and(|only| only != index) {
                continue;
            }
            let path = directory.join(plan.file_name(&stem, index));
            self.write_shard(seed, &plan, index, &path, progress)?;
            written.push(path);
        }
        let index_path = directory.join(format!("{stem}.safetensors.index.json"));
        let index = index_json(self, seed, &plan, &stem)
            .map_err(|error| CheckpointError::format(&index_path, &error))?;
        atomic::write(&index_path, index.as_bytes())?;
        written.push(index_path);
        Ok(written)
    }
}

/// The metadata every shard carries, as a single file's does.
fn metadata(spec: &NetworkSpec, seed: u64) -> Map<String, Value> {
    let mut metadata = Map::new();
    for (key, value) in [
        ("format", "pt".to_owned()),
        (SPEC_KEY, spec.to_string()),
        (SEED_KEY, seed.to_string()),
        (SAMPLER_KEY, SAMPLER_FORMAT.to_owned()),
        (VERSION_KEY, env!("CARGO_PKG_VERSION").to_owned()),
    ] {
        metadata.insert(key.to_owned(), Value::String(value));
    }
    metadata
}

/// A shard's JSON header, padded with spaces to a multiple of 8 bytes as
/// safetensors pads it, so the data that follows is aligned.
fn header(spec: &NetworkSpec, seed: u64, tensors: &[ShardedTensor]) -> serde_json::Result<Vec<u8>> {
    let mut header = Map::new();
    header.insert("__metadata__".to_owned(), Value::Object(metadata(spec, seed)));
    let mut offset = 0;
    for tensor in tensors {
        let end = offset + tensor.bytes();
        header.insert(
            tensor.name.clone(),
            json!({"dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, end]}),
        );
        offset = end;
    }
    let mut bytes = serde_json::to_vec(&header)?;
    bytes.resize(bytes.len().div_ceil(8) * 8, b' ');
    Ok(bytes)
}

/// `model.safetensors.index.json`: where each tensor is, and the total size.
fn index_json(spec: &NetworkSpec, seed: u64, plan: &ShardPlan, stem: &str) -> serde_json::Result<String> {
    let mut metadata = metadata(spec, seed);
    metadata.insert("total_size".to_owned(), json!(plan.total_bytes()));
    let mut weight_map = Map::new();
    for (index, shard) in plan.shards.iter().enumerate() {
        for tensor in shard {
            weight_map.insert(tensor.name.clone(), Value::String(plan.file_name(stem, index)));
        }
    }
    let index = json!({"metadata": metadata, "weight_map": weight_map});
    serde_json::to_string_pretty(&index)
}

/// Sample one tensor a block of rows at a time (an orthogonal weight,
/// whose rows depend on each other, in one block) and hand each block's
/// bytes to `deliver`; `Err` when `deliver` refuses one.
fn sample_blocks(
    layer: &LayerSpec,
    seed: u64,
    tensor: &ShardedTensor,
    deliver: &mut dyn FnMut(Vec<u8>) -> bool,
) -> Result<(), ()> {
    let streams = LayerStreams::new(seed, &tensor.path);
    if !tensor.weight {
        let bias = sample_bias(layer, &streams);
        return deliver(le_bytes(bias.iter())).then_some(()).ok_or(());
    }
    let rows = layer.outputs();
    let block = match layer.weight_draw() {
        Draw::Orthogonal { .. } => rows,
        _ => (BLOCK_BYTES / (4 * layer.inputs().max(1))).max(1),
    };
    let mut start = 0;
    while start < rows {
        let end = (start + block).min(rows);
        let values = sample_rows(layer, &streams, start..end);
        if !deliver(le_bytes(values.iter())) {
            return Err(());
        }
        start = end;
    }
    Ok(())
}

fn le_bytes<'a>(values: impl Iterator<Item = &'a f32>) -> Vec<u8> {
    values.flat_map(|value| value.to_le_bytes()).collect()
}
