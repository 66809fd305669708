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

use std::collections::HashMap;
use std::path::Path;

use ndarray::{Array1, Array2};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use crate::rules::network::NetworkSpec;
use crate::rules::path::LayerPath;
use crate::runtime::layers::dense::Dense;
use crate::runtime::network::Network;

pub use error::CheckpointError;

/// The metadata key of the spec's DSL text.
pub const SPEC_KEY: &str = "netinit.spec";
/// The metadata key of the seed the weights were sampled from.
pub const SEED_KEY: &str = "netinit.seed";
/// The metadata key of the sampler's format.
pub const SAMPLER_KEY: &str = "netinit.sampler";
/// The metadata key of the netinit version that wrote the file.
pub const VERSION_KEY: &str = "netinit.version";
/// The sampler's format, as [`SAMPLER_KEY`] records it: ChaCha8 streams
/// per layer path and row, Doornik's ziggurat with `libm`.
pub const SAMPLER_FORMAT: &str = "chacha8-rows-ziggurat-1";

/// The name of a layer's tensor in a checkpoint: `layers.3.weight`, as
/// PyTorch names a `ModuleList`'s parameters.
pub fn tensor_name(path: &LayerPath, tensor: &str) -> String {
    format!("layers.{path}.{tensor}")
}

impl Network {
    /// Write the weights and biases to a safetensors file at `path`,
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
        let path = path.as_ref();
        let bytes = self
            .to_safetensors()
            .map_err(|error| CheckpointError::format(path, &error))?;
        atomic::write(path, &bytes)
    }

    /// Read a network written by [`Network::save`]: its spec comes from the
    /// file's metadata.
    pub fn load(path: impl AsRef<Path>) -> Result<Network, CheckpointError> {
        let path = path.as_ref();
        let bytes = read(path)?;
        let tensors =
            SafeTensors::deserialize(&bytes).map_err(|error| CheckpointError::format(path, &error))?;
        let (_, header) =
            SafeTensors::read_metadata(&bytes).map_err(|error| CheckpointError::format(path, &error))?;
        let metadata = header.metadata().clone().unwrap_or_default();
        let text = metadata
            .get(SPEC_KEY)
            .ok_or_else(|| CheckpointError::NotNetinit {
                path: path.to_owned(),
                missing: SPEC_KEY,
            })?;
        let spec = NetworkSpec::read_structure(text).map_err(|error| CheckpointError::Spec {
            path: path.to_owned(),
            error,
        })?;
        let seed = metadata.get(SEED_KEY).and_then(|seed| seed.parse().ok());
        fit(&spec, &tensors, path, seed)
    }

    /// The file's bytes: tensors named by path, metadata with the spec.
    fn to_safetensors(&self) -> Result<Vec<u8>, safetensors::SafeTensorError> {
        let buffers: Vec<(String, Vec<usize>, Vec<u8>)> = self
            .spec()
            .layer_paths()
            .into_iter()
            .flatten()
            .zip(self.layers())
            .flat_map(|(path, layer)| {
                [
                    (
                        tensor_name(&path, "weight"),
                        layer.weight().shape().to_vec(),
                        le_bytes(layer.weight().iter()),
                    ),
                    (
                        tensor_name(&path, "bias"),
                        layer.bias().shape().to_vec(),
                        le_bytes(layer.bias().iter()),
                    ),
                ]
            })
            .collect();
        let views = buffers
            .iter()
            .map(|(name, shape, data)| Ok((name.as_str(), TensorView::new(Dtype::F32, shape.clone(), data)?)))
            .collect::<Result<Vec<_>, safetensors::SafeTensorError>>()?;
        let mut metadata = HashMap::from([
            ("format".to_owned(), "pt".to_owned()),
            (SPEC_KEY.to_owned(), self.spec().to_string()),
            (SAMPLER_KEY.to_owned(), SAMPLER_FORMAT.to_owned()),
            (VERSION_KEY.to_owned(), env!("CARGO_PKG_VERSION").to_owned()),
        ]);
        if let Some(seed) = self.seed() {
            metadata.insert(SEED_KEY.to_owned(), seed.to_string());
        }
        safetensors::serialize(views, Some(metadata))
    }
}

impl NetworkSpec {
    /// The weights of a safetensors file loaded into this spec: a typed
    /// error names the tensor that is missing, extra, of another dtype or
    /// shape, or not finite. The file's own spec text, if any, is not read.
    pub fn load_weights(&self, path: impl AsRef<Path>) -> Result<Network, CheckpointError> {
        let path = path.as_ref();
        let bytes = read(path)?;
        let tensors =
            SafeTensors::deserialize(&bytes).map_err(|error| CheckpointError::format(path, &error))?;
        fit(self, &tensors, path, None)
    }
}

/// The whole file; its size bounds what is allocated.
fn read(path: &Path) -> Result<Vec<u8>, CheckpointError> {
    std::fs::read(path).map_err(|source| CheckpointError::Io {
        path: path.to_owned(),
        action: "read",
        source,
    })
}

/// `values` as f32 little-endian bytes.
fn le_bytes<'a>(values: impl Iterator<Item = &'a f32>) -> Vec<u8> {
    values.flat_map(|value| value.to_le_bytes()).collect()
}

/// The network `spec` describes, with the tensors of `file`: every tensor
/// present, of the right dtype and shape, finite, and none left over.
fn fit(
    spec: &NetworkSpec,
    file: &SafeTensors,
    path: &Path,
    seed: Option<u64>,
) -> Result<Network, CheckpointError> {
    let mut expected = Vec::new();
    let mut layers = Vec::new();
    for (layer_path, layer) in spec.layer_paths().into_iter().zip(spec.layers()) {
        let Some(layer_path) = layer_path else { continue };
        let weight_name = tensor_name(&layer_path, "weight");
        let bias_name = tensor_name(&layer_path, "bias");
        let weight = read_tensor(file, path, &weight_name, &[layer.outputs(), layer.inputs()])?;
        let bias = read_tensor(file, path, &bias_name, &[layer.outputs()])?;
        let weight = Array2::from_shape_vec((layer.outputs(), layer.inputs()), weight)
            .map_err(|error| CheckpointError::format(path, &error))?;
        layers.push(Dense::from_parts(weight, Array1::from(bias), layer.activation()));
        expected.extend([weight_name, bias_name]);
    }
    let mut names = file.names();
    names.sort_unstable();
    if let Some(extra) = names
        .into_iter()
        .find(|name| !expected.iter().any(|known| known == name))
    {
        return Err(CheckpointError::ExtraTensor {
            path: path.to_owned(),
            name: extra.to_owned(),
        });
    }
    Ok(Network::from_parts(spec.clone(), layers, seed))
}

/// The values of tensor `name`, which must be f32, of `shape` and finite.
fn read_tensor(
    file: &SafeTensors,
    path: &Path,
    name: &str,
    shape: &[usize],
) -> Result<Vec<f32>, CheckpointError> {
    let view = file.tensor(name).map_err(|_| CheckpointError::MissingTensor {
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
