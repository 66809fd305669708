//! Checkpoints: a network's weights in a safetensors file, the format
//! PyTorch (`safetensors.torch.load_file`), candle (`VarBuilder`) and burn
//! read.
//!
//! Tensors are f32, little-endian, laid out as PyTorch lays them out
//! (`(out, in)` for a dense weight) and named by the layer's path:
//! `layers.0.weight`, `layers.0.bias`, … The file's metadata holds the
//! spec's DSL text, so a checkpoint loads with nothing else, and the seed,
//! the sampler's format and netinit's version. Files are written atomically
//! (see [`atomic`]): a crash leaves the old file or the new one, never half
//! of either.

pub mod atomic;
mod error;
mod index;
mod shards;
mod stream;
mod training;

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::Path;

use ndarray::{Array2, ArrayViewD};
use safetensors::tensor::{Dtype, SafeTensors};

use crate::rules::network::NetworkSpec;
use crate::rules::parameter::ParameterSpec;
use crate::rules::path::LayerPath;
use crate::runtime::files;
use crate::runtime::format::{Origin, SamplerFormat};
use crate::runtime::layers::{Layer, Tensor};
use crate::runtime::mode::Mode;
use crate::runtime::network::Network;

pub use error::CheckpointError;
pub use index::INDEX_SUFFIX;
pub(crate) use shards::{shard_plan, write_initial, write_sharded};
pub use shards::{ShardPlan, ShardedTensor};

/// The metadata key of the spec's DSL text.
pub const SPEC_KEY: &str = "netinit.spec";
/// The metadata key of the seed the weights were sampled from.
pub const SEED_KEY: &str = "netinit.seed";
/// The metadata key of the sampler's format ([`SamplerFormat::name`](crate::SamplerFormat::name)).
pub const SAMPLER_KEY: &str = "netinit.sampler";
/// The metadata key of the netinit version that wrote the file.
pub const VERSION_KEY: &str = "netinit.version";
/// The prefix of a trainer's optimizer tensors (`optimizer.layers.0.weight.first`).
pub const OPTIMIZER_PREFIX: &str = "optimizer.";
/// The metadata key of the network's [`Mode`], `train` or `eval`: a saved
/// network, or a trainer's, loads in the mode it was saved in (a file
/// without it, from before it or another library, loads in `train`).
pub const MODE_KEY: &str = "netinit.mode";

/// The name of a layer's tensor in a checkpoint: `layers.3.weight`, as
/// PyTorch names a `ModuleList`'s parameters.
pub fn tensor_name(path: &LayerPath, tensor: &str) -> String {
    format!("layers.{path}.{tensor}")
}

/// Every tensor of `spec`'s layers, in the order a file holds them, with its
/// layer's path.
pub(crate) fn spec_tensors(spec: &NetworkSpec) -> Vec<(LayerPath, ParameterSpec)> {
    spec.layer_paths()
        .into_iter()
        .zip(spec.layers())
        .filter_map(|(path, layer)| Some((path?, layer)))
        .flat_map(|(path, layer)| {
            let parameters = layer.parameters();
            parameters
                .into_iter()
                .map(move |parameter| (path.clone(), parameter))
        })
        .collect()
}

impl Network {
    /// Write every tensor (weights, biases, a normalization's `γ`, `β` and
    /// running statistics) to a safetensors file at `path`,
    /// atomically: on any error the file that was there is left intact.
    ///
    /// ```
    /// const MNIST: netinit::NetworkSpec =
    ///     netinit::network![dense(784 -> 256, relu), dense(256 -> 10, softmax)];
    /// let path = std::env::temp_dir().join(format!("netinit-doc-{}.safetensors", std::process::id()));
    /// MNIST.init(42).save(&path)?;
    /// let loaded = netinit::Network::load(&path)?;
    /// assert_eq!(loaded, MNIST.init(42));
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
        let mut metadata = metadata(self.spec(), self.origin());
        // Only evaluation is written: a network in training mode saves the
        // very file `NetworkSpec::write_initial` streams.
        if self.mode() == Mode::Eval {
            metadata.insert(MODE_KEY.to_owned(), mode_value(self.mode()).to_owned());
        }
        write(path.as_ref(), &network_tensors(self), &metadata)
    }

    /// Read a network written by [`Network::save`]: its spec comes from the
    /// file's metadata, and it is in the [`Mode`] it was saved in
    /// ([`MODE_KEY`]; `Mode::Train` where the file does not say). A path
    /// ending in `.safetensors.index.json` reads the sharded set that
    /// `netinit init --shard-size` writes, one shard at a time.
    pub fn load(path: impl AsRef<Path>) -> Result<Network, CheckpointError> {
        let path = path.as_ref();
        if index::is_index(path) {
            return index::load(path, None);
        }
        let bytes = read(path)?;
        let file = File::parse(&bytes, path)?;
        let spec = file.metadata.spec()?;
        let (layers, names) = file.layers(&spec)?;
        file.only(&names, true)?;
        let mut network = Network::from_parts(spec, layers, file.metadata.origin()?);
        network.set_mode(file.metadata.mode()?);
        Ok(network)
    }
}

/// [`NetworkSpec::load_weights`]: the weights of the file at `path` in `spec`.
pub(crate) fn load_weights(spec: &NetworkSpec, path: &Path) -> Result<Network, CheckpointError> {
    if index::is_index(path) {
        return index::load(path, Some(spec));
    }
    let bytes = read(path)?;
    let file = File::parse(&bytes, path)?;
    let (layers, names) = file.layers(spec)?;
    file.only(&names, true)?;
    let mut network = Network::from_parts(spec.clone(), layers, None);
    network.set_mode(file.metadata.mode()?);
    Ok(network)
}

/// How [`MODE_KEY`] writes `mode`.
pub(crate) fn mode_value(mode: Mode) -> &'static str {
    match mode {
        Mode::Train => "train",
        Mode::Eval => "eval",
    }
}

/// How many values one block of an in-memory tensor holds while written.
const BLOCK_VALUES: usize = 2 << 20;

/// The network's tensors, named by layer path, as views in PyTorch's shapes.
pub(crate) fn network_tensors(network: &Network) -> Vec<(String, ArrayViewD<'_, f32>)> {
    network
        .spec()
        .layer_paths()
        .into_iter()
        .flatten()
        .zip(network.layers())
        .flat_map(|(path, layer)| {
            layer.tensors().iter().map(move |tensor| {
                // A convolution's `(out, in·kh·kw)` matrix is its `(out, in, kh, kw)` tensor.
                let values = tensor
                    .values()
                    .view()
                    .into_shape_with_order(ndarray::IxDyn(tensor.spec().shape()))
                    .expect("a tensor's matrix holds its values in standard layout");
                (tensor_name(&path, tensor.name()), values)
            })
        })
        .collect()
}

/// The metadata that makes a file loadable alone: the spec's DSL text, the
/// seed the weights were first sampled from, the sampler's format and
/// netinit's version.
pub(crate) fn metadata(spec: &NetworkSpec, origin: Option<Origin>) -> HashMap<String, String> {
    let mut metadata = HashMap::from([
        ("format".to_owned(), "pt".to_owned()),
        (SPEC_KEY.to_owned(), spec.to_string()),
        (VERSION_KEY.to_owned(), env!("CARGO_PKG_VERSION").to_owned()),
    ]);
    if let Some(origin) = origin {
        metadata.insert(SEED_KEY.to_owned(), origin.seed.to_string());
        metadata.insert(SAMPLER_KEY.to_owned(), origin.format.name().to_owned());
    }
    metadata
}

/// Write in-memory `tensors` with `metadata` to `path` atomically,
/// streaming them a block at a time.
pub(crate) fn write(
    path: &Path,
    tensors: &[(String, ArrayViewD<f32>)],
    metadata: &HashMap<String, String>,
) -> Result<(), CheckpointError> {
    let planned: Vec<stream::Planned> = tensors
        .iter()
        .map(|(name, values)| (name.clone(), values.shape().to_vec()))
        .collect();
    stream::write(
        path,
        metadata,
        &planned,
        |deliver| {
            for (_, values) in tensors {
                // Arrays in memory are in standard layout; a view that is
                // not is copied into order first.
                let owned;
                let values = match values.as_slice() {
                    Some(values) => values,
                    None => {
                        owned = values.iter().copied().collect::<Vec<f32>>();
                        &owned
                    }
                };
                for block in values.chunks(BLOCK_VALUES) {
                    // A refused buffer ends the stream short, and the
                    // writer keeps the old file.
                    let delivered = stream::le_bytes(block.iter()).is_some_and(&mut *deliver);
                    if !delivered {
                        return;
                    }
                }
            }
        },
        &mut |_| {},
    )
}

/// The whole file, which must be a regular file: its size bounds what is
/// allocated (a device such as `/dev/zero` would never end).
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, CheckpointError> {
    let io = |source| CheckpointError::Io {
        path: path.to_owned(),
        action: "read",
        source,
    };
    let (file, length) = files::open_regular(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(length).read_to_end(&mut bytes).map_err(io)?;
    Ok(bytes)
}

/// The layers `spec` describes, each tensor's values from `values(name,
/// shape)`, and the tensors' names; `path` is the checkpoint's, for errors.
pub(crate) fn assemble(
    path: &Path,
    spec: &NetworkSpec,
    mut values: impl FnMut(&str, &[usize]) -> Result<Vec<f32>, CheckpointError>,
) -> Result<(Vec<Layer>, Vec<String>), CheckpointError> {
    let mut names = Vec::new();
    let mut layers = Vec::new();
    for (layer_path, layer) in spec.layer_paths().into_iter().zip(spec.layers()) {
        let Some(layer_path) = layer_path else { continue };
        let mut tensors = Vec::new();
        for parameter in layer.parameters() {
            let name = tensor_name(&layer_path, parameter.name());
            let [rows, columns] = parameter.matrix_shape();
            let read = values(&name, parameter.shape())?;
            if parameter.is_nonnegative() && read.iter().any(|&value| value < 0.0) {
                return Err(CheckpointError::Negative {
                    path: path.to_owned(),
                    name,
                });
            }
            let matrix = Array2::from_shape_vec((rows, columns), read)
                .map_err(|error| CheckpointError::format(path, &error))?;
            tensors.push(Tensor::new(parameter, matrix));
            names.push(name);
        }
        layers.push(Layer::from_tensors(layer, tensors));
    }
    Ok((layers, names))
}

/// A file's netinit metadata, read with the file's path for its errors.
pub(crate) struct Metadata<'a> {
    values: HashMap<String, String>,
    path: &'a Path,
}

impl<'a> Metadata<'a> {
    /// The `values` of the file at `path`.
    pub(crate) fn new(values: HashMap<String, String>, path: &'a Path) -> Metadata<'a> {
        Metadata { values, path }
    }

    /// The value for `key`.
    pub(crate) fn get(&self, key: &'static str) -> Result<&str, CheckpointError> {
        self.values
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| CheckpointError::NotNetinit {
                path: self.path.to_owned(),
                missing: key,
            })
    }

    /// The value for `key`, parsed.
    pub(crate) fn parsed<T: core::str::FromStr>(&self, key: &'static str) -> Result<T, CheckpointError> {
        let text = self.get(key)?;
        text.parse().map_err(|_| self.bad_value(key, text))
    }

    /// The error for a value that does not read.
    pub(crate) fn bad_value(&self, key: &'static str, found: &str) -> CheckpointError {
        CheckpointError::Metadata {
            path: self.path.to_owned(),
            key,
            found: found.to_owned(),
        }
    }

    /// The spec the metadata holds.
    pub(crate) fn spec(&self) -> Result<NetworkSpec, CheckpointError> {
        NetworkSpec::read_structure(self.get(SPEC_KEY)?).map_err(|error| CheckpointError::Spec {
            path: self.path.to_owned(),
            error,
        })
    }

    /// The mode the metadata records ([`MODE_KEY`]), `Mode::Train` where
    /// it records none.
    pub(crate) fn mode(&self) -> Result<Mode, CheckpointError> {
        match self.values.get(MODE_KEY).map(String::as_str) {
            None | Some("train") => Ok(Mode::Train),
            Some("eval") => Ok(Mode::Eval),
            Some(other) => Err(self.bad_value(MODE_KEY, other)),
        }
    }

    /// The seed and sampler format the metadata records, if any. A seed
    /// without a format (or with one this version does not know) is not
    /// an origin this version could sample again, so it is dropped.
    pub(crate) fn origin(&self) -> Result<Option<Origin>, CheckpointError> {
        let seed: Option<u64> = match self.values.get(SEED_KEY) {
            Some(_) => Some(self.parsed(SEED_KEY)?),
            None => None,
        };
        let format = self
            .values
            .get(SAMPLER_KEY)
            .and_then(|name| SamplerFormat::from_name(name));
        Ok(seed.zip(format).map(|(seed, format)| Origin::new(seed, format)))
    }
}

/// A safetensors file read into memory, with its metadata.
pub(crate) struct File<'a> {
    tensors: SafeTensors<'a>,
    /// Its netinit metadata.
    pub(crate) metadata: Metadata<'a>,
    path: &'a Path,
}

impl<'a> File<'a> {
    /// The file in `bytes`, checked as safetensors checks it.
    pub(crate) fn parse(bytes: &'a [u8], path: &'a Path) -> Result<File<'a>, CheckpointError> {
        let tensors =
            SafeTensors::deserialize(bytes).map_err(|error| CheckpointError::format(path, &error))?;
        let (_, header) =
            SafeTensors::read_metadata(bytes).map_err(|error| CheckpointError::format(path, &error))?;
        Ok(File {
            tensors,
            metadata: Metadata::new(header.metadata().clone().unwrap_or_default(), path),
            path,
        })
    }

    /// The layers `spec` describes, from their tensors, and those tensors' names.
    pub(crate) fn layers(&self, spec: &NetworkSpec) -> Result<(Vec<Layer>, Vec<String>), CheckpointError> {
        assemble(self.path, spec, |name, shape| self.values(name, shape))
    }

    /// The `(rows, columns)` tensor `name`.
    pub(crate) fn matrix(
        &self,
        name: &str,
        rows: usize,
        columns: usize,
    ) -> Result<Array2<f32>, CheckpointError> {
        let values = self.values(name, &[rows, columns])?;
        Array2::from_shape_vec((rows, columns), values)
            .map_err(|error| CheckpointError::format(self.path, &error))
    }

    /// The values of tensor `name`, which must be f32, of `shape` and finite.
    pub(crate) fn values(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, CheckpointError> {
        let path = self.path;
        let view = self
            .tensors
            .tensor(name)
            .map_err(|_| CheckpointError::MissingTensor {
                path: path.to_owned(),
                name: name.to_owned(),
            })?;
        if view.dtype() != Dtype::F32 {
            return Err(CheckpointError::Dtype {
                path: path.to_owned(),
                name: name.to_owned(),
                found: format!("{:?}", view.dtype()),
            });
        }
        if view.shape() != shape {
            return Err(CheckpointError::Shape {
                path: path.to_owned(),
                name: name.to_owned(),
                expected: shape.to_vec(),
                found: view.shape().to_vec(),
            });
        }
        let values: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|bytes| f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
            .collect();
        if values.iter().any(|value| !value.is_finite()) {
            return Err(CheckpointError::NonFinite {
                path: path.to_owned(),
                name: name.to_owned(),
            });
        }
        Ok(values)
    }

    /// An error for the first tensor (in name order) not among `expected`.
    /// With `network_only`, a trainer's optimizer state (`optimizer.…`) is
    /// passed over: it is no network's concern.
    pub(crate) fn only(&self, expected: &[String], network_only: bool) -> Result<(), CheckpointError> {
        let mut names = self.tensors.names();
        names.sort_unstable();
        let expected: HashSet<&str> = expected.iter().map(String::as_str).collect();
        let passed_over = |name: &str| network_only && name.starts_with(OPTIMIZER_PREFIX);
        match names
            .into_iter()
            .find(|name| !expected.contains(name) && !passed_over(name))
        {
            Some(extra) => Err(CheckpointError::ExtraTensor {
                path: self.path.to_owned(),
                name: extra.to_owned(),
            }),
            None => Ok(()),
        }
    }
}
