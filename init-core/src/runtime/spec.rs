//! What the run time adds to a [`NetworkSpec`]: sampling its network, or
//! any block of any of its tensors alone, and its checkpoints (loaded into
//! it, or written as they are sampled; the work is in `checkpoint/`).

use std::ops::Range;
use std::path::{Path, PathBuf};

use ndarray::Array2;

use crate::rules::error::{SpecError, StructureError};
use crate::rules::network::NetworkSpec;
use crate::runtime::checkpoint::{self, CheckpointError, ShardPlan};
use crate::runtime::error::Error;
use crate::runtime::format::Origin;
use crate::runtime::generator::LayerStreams;
use crate::runtime::layers::Layer;
use crate::runtime::network::Network;
use crate::runtime::sampler;

impl NetworkSpec {
    /// Sample every tensor of every layer with its init, from `seed`.
    ///
    /// The same seed gives bit-identical weights on every platform and for
    /// any number of threads; each layer has its own streams, so changing
    /// one layer leaves the others as they were (see the `generator` docs).
    /// One exception: an orthogonal layer in the counter format is the Q of
    /// a QR whose matrix kernels follow the processor's vector instructions,
    /// so processors of different families (AVX2, AVX-512, NEON) may differ
    /// in its last bits; its bits never depend on the thread count.
    ///
    /// ```
    /// use netinit::{Activation, LayerSpec, NetworkSpec};
    /// let spec = NetworkSpec::new(vec![LayerSpec::dense(784, 256, Activation::Relu)])?;
    /// let network = spec.init(42);
    /// assert_eq!(network.layers()[0].weight().dim(), (256, 784));
    /// assert_eq!(network, spec.init(42));
    /// # Ok::<(), netinit::SpecError>(())
    /// ```
    ///
    /// # Panics
    ///
    /// When the system will not give the memory the weights need, with the
    /// message [`NetworkSpec::try_init`] returns as an error (never an
    /// abort). The spec's checks bound the size to what can be addressed,
    /// not to what this machine has.
    pub fn init(&self, origin: impl Into<Origin>) -> Network {
        self.try_init(origin).unwrap_or_else(|error| panic!("{error}"))
    }

    /// [`NetworkSpec::init`], with an allocation the system refuses as an
    /// [`Error::Allocation`] instead of a panic.
    pub fn try_init(&self, origin: impl Into<Origin>) -> Result<Network, Error> {
        let origin = origin.into();
        let layers = self
            .layer_paths()
            .iter()
            .zip(self.layers())
            .filter_map(|(path, layer)| {
                Some(Layer::sample(layer, &LayerStreams::new(origin, path.as_ref()?)))
            })
            .collect::<Result<Vec<Layer>, Error>>()?;
        Ok(Network::from_parts(self.clone(), layers, Some(origin)))
    }

    /// Rows `rows` of tensor `tensor` of layer `layer` alone (its matrix's
    /// rows: a convolution's output channels), bit-identical to the same
    /// rows of `self.init(origin)`: a tensor-parallel shard without sampling
    /// the rest (orthogonal init, which couples all rows, computes them all).
    ///
    /// ```
    /// use netinit::{Activation, LayerSpec, NetworkSpec};
    /// use netinit::ndarray::s;
    /// let spec = NetworkSpec::new(vec![LayerSpec::dense(784, 256, Activation::Relu)])?;
    /// let shard = spec.sample_rows(7, 0, "weight", 64..128)?;
    /// assert_eq!(shard, spec.init(7).layers()[0].weight().slice(s![64..128, ..]));
    /// # Ok::<(), netinit::Error>(())
    /// ```
    pub fn sample_rows(
        &self,
        origin: impl Into<Origin>,
        layer: usize,
        tensor: &str,
        rows: Range<usize>,
    ) -> Result<Array2<f32>, Error> {
        let columns = self
            .layers()
            .get(layer)
            .and_then(|spec| spec.parameter(tensor))
            .map_or(0, |parameter| parameter.matrix_shape()[1]);
        self.sample_block(origin, layer, tensor, rows, 0..columns)
    }

    /// The block `rows × columns` of tensor `tensor` of layer `layer` (a
    /// convolution's weights as their `(out, in·kh·kw)` matrix, a vector
    /// as one row) alone, bit-identical to the same block of
    /// `self.init(origin)`: a column shard of tensor parallelism, or any
    /// rectangle. In the counter format only the block is sampled; in the
    /// 0.1 format its whole rows are.
    ///
    /// ```
    /// use netinit::{Activation, LayerSpec, NetworkSpec};
    /// use netinit::ndarray::s;
    /// let spec = NetworkSpec::new(vec![LayerSpec::dense(784, 256, Activation::Relu)])?;
    /// let block = spec.sample_block(7, 0, "weight", 64..128, 392..784)?;
    /// assert_eq!(block, spec.init(7).layers()[0].weight().slice(s![64..128, 392..784]));
    /// # Ok::<(), netinit::Error>(())
    /// ```
    pub fn sample_block(
        &self,
        origin: impl Into<Origin>,
        layer: usize,
        tensor: &str,
        rows: Range<usize>,
        columns: Range<usize>,
    ) -> Result<Array2<f32>, Error> {
        let layers = self.layers();
        let Some(spec) = layers.get(layer) else {
            let layers = layers.len();
            return Err(SpecError::Structure(StructureError::NoSuchLayer { index: layer, layers }).into());
        };
        // A layer without parameters has no path, and no tensor to name.
        let path = self.layer_paths().swap_remove(layer);
        let (Some(path), Some(parameter)) = (path, spec.parameter(tensor)) else {
            return Err(Error::NoSuchTensor {
                layer,
                name: tensor.to_owned(),
                names: spec
                    .parameters()
                    .iter()
                    .map(|parameter| parameter.name())
                    .collect(),
            });
        };
        let [all_rows, all_columns] = parameter.matrix_shape();
        if rows.start > rows.end || rows.end > all_rows {
            return Err(Error::RowRange {
                start: rows.start,
                end: rows.end,
                rows: all_rows,
            });
        }
        if columns.start > columns.end || columns.end > all_columns {
            return Err(Error::ColumnRange {
                start: columns.start,
                end: columns.end,
                columns: all_columns,
            });
        }
        sampler::sample_block(
            &parameter,
            &LayerStreams::new(origin.into(), &path),
            rows,
            columns,
        )
    }

    /// The weights of a safetensors file loaded into this spec: a typed
    /// error names the tensor that is missing, extra, of another dtype or
    /// shape, or not finite. The file's own spec text, if any, is not read.
    /// A path ending in `.safetensors.index.json` reads a sharded set.
    pub fn load_weights(&self, path: impl AsRef<Path>) -> Result<Network, CheckpointError> {
        checkpoint::load_weights(self, path.as_ref())
    }

    /// The shards of at most `shard_bytes` bytes of tensor data each (a
    /// tensor larger than that alone in its shard) that hold this network.
    pub fn shard_plan(&self, shard_bytes: u64) -> ShardPlan {
        checkpoint::shard_plan(self, shard_bytes)
    }

    /// Sample the network from `origin` straight into one safetensors file
    /// at `path`, as [`Network::save`] would write `self.init(origin)`,
    /// without holding the network in memory; `progress` is told the bytes
    /// written as they are.
    pub fn write_initial(
        &self,
        origin: impl Into<Origin>,
        path: &Path,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), CheckpointError> {
        checkpoint::write_initial(self, origin.into(), path, progress)
    }

    /// Write every shard of at most `shard_bytes` beside `output`
    /// (`dir/model.safetensors` gives `dir/model-00001-of-0000N.safetensors`,
    /// …), then the index `dir/model.safetensors.index.json`; with `only`,
    /// shard `only` (from 0) alone and the index. The index is written last:
    /// until it is replaced, a set written there before still loads (see
    /// the book's checkpoint chapter), and afterwards that set's shard files
    /// the new one does not use are removed. Returns the files written.
    pub fn write_sharded(
        &self,
        origin: impl Into<Origin>,
        output: &Path,
        shard_bytes: u64,
        only: Option<usize>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Vec<PathBuf>, CheckpointError> {
        checkpoint::write_sharded(self, origin.into(), output, shard_bytes, only, progress)
    }
}
