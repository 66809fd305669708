//! Reading a sharded checkpoint through its index,
//! `model.safetensors.index.json`: the index names the file of every
//! tensor, and the shards are read one at a time, so memory holds the
//! network and one shard's bytes.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use crate::rules::network::NetworkSpec;
use crate::runtime::checkpoint::{
    assemble, read, spec_tensors, tensor_name, CheckpointError, File, Metadata, SAMPLER_KEY, SEED_KEY,
    SPEC_KEY,
};
use crate::runtime::network::Network;

/// The suffix that marks a file as a sharded checkpoint's index.
pub const INDEX_SUFFIX: &str = ".safetensors.index.json";

/// Whether `path` names a sharded checkpoint's index.
pub(crate) fn is_index(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.ends_with(INDEX_SUFFIX))
}

/// The network of the sharded checkpoint whose index is at `path`: with
/// `spec`, its weights loaded into that spec; without, the spec and seed
/// from the index's metadata.
pub(crate) fn load(path: &Path, spec: Option<&NetworkSpec>) -> Result<Network, CheckpointError> {
    let (metadata, weight_map) = parse(&read(path)?, path)?;
    let metadata = Metadata::new(metadata, path);
    let (spec, origin) = match spec {
        Some(spec) => (spec.clone(), None),
        None => (metadata.spec()?, metadata.origin()?),
    };
    let needed: BTreeMap<String, Vec<usize>> = spec_tensors(&spec)
        .into_iter()
        .map(|(path, parameter)| (tensor_name(&path, parameter.name()), parameter.shape().to_vec()))
        .collect();
    if let Some(name) = needed.keys().find(|name| !weight_map.contains_key(*name)) {
        return Err(CheckpointError::MissingTensor {
            path: path.to_owned(),
            name: name.clone(),
        });
    }
    if let Some(name) = weight_map.keys().find(|name| !needed.contains_key(*name)) {
        return Err(CheckpointError::ExtraTensor {
            path: path.to_owned(),
            name: name.clone(),
        });
    }
    let mut by_shard: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (name, shard) in &weight_map {
        by_shard.entry(shard).or_default().push(name.clone());
    }
    let directory = path.parent().unwrap_or(Path::new(""));
    // A shard may hold a tensor the index places elsewhere; not one the
    // spec has no use for.
    let known: Vec<String> = needed.keys().cloned().collect();
    let mut loaded: HashMap<String, Vec<f32>> = HashMap::new();
    for (shard, names) in by_shard {
        let shard_path = shard_file(directory, shard, path)?;
        let bytes = read(&shard_path)?;
        let file = File::parse(&bytes, &shard_path)?;
        same_network(&metadata, &file, &shard_path)?;
        for name in &names {
            loaded.insert(name.clone(), file.values(name, &needed[name])?);
        }
        file.only(&known, true)?;
    }
    let (layers, _) = assemble(path, &spec, |name, _| {
        loaded.remove(name).ok_or_else(|| CheckpointError::MissingTensor {
            path: path.to_owned(),
            name: name.to_owned(),
        })
    })?;
    Ok(Network::from_parts(spec, layers, origin))
}

/// The shard file `name` in `directory`, the folder of the index at
/// `index`. A symbolic link is followed only to a file inside that folder
/// (and the file it resolves to is the one read): a set's files from
/// elsewhere could otherwise make netinit read any file the user can. A
/// link that leads nowhere is left for the read to report.
fn shard_file(directory: &Path, name: &str, index: &Path) -> Result<PathBuf, CheckpointError> {
    let shard = directory.join(name);
    let is_link = fs::symlink_metadata(&shard).is_ok_and(|metadata| metadata.file_type().is_symlink());
    if !is_link {
        return Ok(shard);
    }
    let folder = match directory.as_os_str().is_empty() {
        true => Path::new("."),
        false => directory,
    };
    let (Ok(target), Ok(folder)) = (shard.canonicalize(), folder.canonicalize()) else {
        return Ok(shard);
    };
    if target.starts_with(&folder) {
        return Ok(target);
    }
    Err(CheckpointError::Index {
        path: index.to_owned(),
        reason: format!(
            "the shard `{name}` is a symbolic link to `{}`, outside the index's folder; netinit reads a \
             set's shards from that folder only: copy the file into it",
            target.display()
        ),
    })
}

/// An error when the shard at `path` records another spec, seed or sampler
/// than the index, or records one the index has and it lacks (a shard
/// whose seed was stripped is from an unknown draw), or the other way
/// round. A key neither records (a set another library wrote) passes.
fn same_network(index: &Metadata, shard: &File, path: &Path) -> Result<(), CheckpointError> {
    for key in [SPEC_KEY, SEED_KEY, SAMPLER_KEY] {
        let (expected, found) = (index.get(key).ok(), shard.metadata.get(key).ok());
        if expected != found {
            return Err(CheckpointError::ShardMismatch {
                path: path.to_owned(),
                key,
                index: expected.map(str::to_owned),
                found: found.map(str::to_owned),
            });
        }
    }
    Ok(())
}

/// The set an index names, read before a sharded write replaces it.
pub(crate) struct Previous {
    metadata: HashMap<String, String>,
    weight_map: BTreeMap<String, String>,
}

/// The set the index at `path` names, if there is one that reads.
pub(crate) fn previous(path: &Path) -> Option<Previous> {
    let (metadata, weight_map) = parse(&read(path).ok()?, path).ok()?;
    Some(Previous { metadata, weight_map })
}

impl Previous {
    /// The shard files the set names.
    pub(crate) fn files(&self) -> impl Iterator<Item = &String> {
        self.weight_map
            .values()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
    }

    /// Whether the set names the shard file `file`.
    pub(crate) fn uses(&self, file: &str) -> bool {
        self.weight_map.values().any(|used| used == file)
    }

    /// Whether a new shard file `file` of `tensors`, written with
    /// `metadata`, is the set's file of that name bit for bit: the same
    /// spec, seed and sampler, and the same tensors in it.
    pub(crate) fn same_file(&self, metadata: &HashMap<String, String>, file: &str, tensors: &[&str]) -> bool {
        let same_draw = [SPEC_KEY, SEED_KEY, SAMPLER_KEY].iter().all(|key| {
            let old = self.metadata.get(*key);
            old.is_some() && old == metadata.get(*key)
        });
        let mut held: Vec<&str> = self
            .weight_map
            .iter()
            .filter(|(_, used)| *used == file)
            .map(|(tensor, _)| tensor.as_str())
            .collect();
        let mut wanted = tensors.to_vec();
        held.sort_unstable();
        wanted.sort_unstable();
        same_draw && held == wanted
    }
}

/// The index's string metadata (`total_size`, a number, is passed over) and
/// its weight map, tensor name to shard file name.
type Index = (HashMap<String, String>, BTreeMap<String, String>);

/// The index in `bytes`: a JSON object whose `weight_map` maps each tensor
/// to a file name in the index's folder, and whose `metadata` holds
/// netinit's keys as strings.
fn parse(bytes: &[u8], path: &Path) -> Result<Index, CheckpointError> {
    let format = |reason: String| CheckpointError::Index {
        path: path.to_owned(),
        reason,
    };
    let index: Value =
        serde_json::from_slice(bytes).map_err(|error| format(format!("not a JSON index: {error}")))?;
    let metadata = match index.get("metadata") {
        None => HashMap::new(),
        Some(Value::Object(metadata)) => {
            let mut strings = HashMap::new();
            for (key, value) in metadata {
                match value {
                    Value::String(value) => {
                        strings.insert(key.clone(), value.clone());
                    }
                    // netinit writes its own keys as strings; another
                    // type is a damaged index, not a key left out.
                    _ if key.starts_with("netinit.") => {
                        return Err(format(format!("the metadata's `{key}` is not a string: {value}")));
                    }
                    _ => {}
                }
            }
            strings
        }
        Some(other) => return Err(format(format!("`metadata` is not an object: {other}"))),
    };
    let Some(Value::Object(map)) = index.get("weight_map") else {
        return Err(format(
            "no `weight_map` object, which names each tensor's file".to_owned(),
        ));
    };
    let mut weight_map = BTreeMap::new();
    for (name, shard) in map {
        let shard = shard
            .as_str()
            .ok_or_else(|| format(format!("the file of `{name}` is not a string: {shard}")))?;
        // A shard is a file beside the index: one plain name, no folder,
        // root, drive prefix, `.` or `..`. Nothing else is read.
        let mut components = Path::new(shard).components();
        let plain = matches!(components.next(), Some(Component::Normal(_))) && components.next().is_none();
        if !plain || shard.contains(['/', '\\']) {
            return Err(format(format!(
                "the file of `{name}`, `{shard}`, is not a file name in the index's folder"
            )));
        }
        weight_map.insert(name.clone(), shard.to_owned());
    }
    Ok((metadata, weight_map))
}
