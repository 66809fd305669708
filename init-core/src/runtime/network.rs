//! A sampled network: its layers with their weights, and the forward pass.

use std::ops::Range;

use ndarray::{Array2, ArrayView2, Axis};

use crate::rules::activation::Activation;
use crate::rules::blocks;
use crate::rules::layer::{LayerKind, LayerSpec};
use crate::rules::network::NetworkSpec;
use crate::rules::validate::SpecError;
use crate::runtime::error::Error;
use crate::runtime::format::Origin;
use crate::runtime::generator::LayerStreams;
use crate::runtime::layers::batch_norm::Statistics;
use crate::runtime::layers::conv::{self, Geometry};
use crate::runtime::layers::dense::sample_block;
use crate::runtime::layers::pool::{self, Window};
use crate::runtime::layers::{activation, described, Layer};
use crate::runtime::scratch;

/// What one layer of the spec computes at run time.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Stage {
    /// A dense layer: the layer with parameters at this index.
    Dense(usize),
    /// A convolution: the layer with parameters at this index, and where
    /// its windows fall.
    Conv(usize, Geometry),
    /// A max pooling.
    MaxPool(Window),
    /// An average pooling, or a global one (one window per plane).
    AvgPool(Window),
    /// Nothing: `input(…)` and `flatten` leave the values as they are.
    Identity,
    /// An activation as a layer of its own.
    Activation(Activation),
    /// A layer normalization: the index of its layer with parameters.
    LayerNorm(usize),
    /// A batch normalization: the index of its layer with parameters, and
    /// the positions of each channel (1 for features).
    BatchNorm(usize, usize),
    /// A residual block's shortcut: the output of the stage at this index
    /// (the block's start, whose output is the block's input), again.
    Shortcut(usize),
    /// A residual block's end: the stage before's output plus the output
    /// of the stage at this index (the branch's last, or the block's start).
    Join(usize),
}

impl Stage {
    /// The index of the layer with parameters this stage runs, if any.
    pub(crate) fn layer(&self) -> Option<usize> {
        match *self {
            Stage::Dense(index)
            | Stage::Conv(index, _)
            | Stage::LayerNorm(index)
            | Stage::BatchNorm(index, _) => Some(index),
            _ => None,
        }
    }
}

/// The stages of a checked spec, one per layer.
fn stages(spec: &NetworkSpec) -> Vec<Stage> {
    let shapes = spec.output_shapes();
    let mut input = spec.input_shape();
    let mut next = 0;
    spec.layers()
        .iter()
        .zip(shapes)
        .enumerate()
        .map(|(index, (layer, output))| {
            let stage = match layer.kind() {
                LayerKind::Dense(_) => Stage::Dense(next),
                LayerKind::Conv2d(spec) => Stage::Conv(next, Geometry::of(spec, input, output)),
                LayerKind::MaxPool2d(spec) => Stage::MaxPool(Window::of(spec, input, output)),
                LayerKind::AvgPool2d(spec) => Stage::AvgPool(Window::of(spec, input, output)),
                LayerKind::GlobalAvgPool2d => Stage::AvgPool(Window::global(input)),
                LayerKind::Input(_) | LayerKind::Flatten | LayerKind::Residual { .. } => Stage::Identity,
                LayerKind::Shortcut | LayerKind::ResidualEnd => {
                    let block =
                        blocks::block_of(spec.layers(), index).expect("a checked network's blocks are whole");
                    match layer.kind() {
                        LayerKind::Shortcut => Stage::Shortcut(block.start),
                        _ if block.shortcut.is_some() => Stage::Join(block.branch_last()),
                        _ => Stage::Join(block.start),
                    }
                }
                LayerKind::Activation(activation) => Stage::Activation(*activation),
                LayerKind::LayerNorm(_) => Stage::LayerNorm(next),
                LayerKind::BatchNorm(_) => Stage::BatchNorm(next, input.plane().map_or(1, |[h, w]| h * w)),
            };
            next += usize::from(stage.layer().is_some());
            input = output;
            stage
        })
        .collect()
}

/// What one stage computed for a batch, as the backward pass needs it.
pub(crate) struct Computed {
    /// The pre-activation of a layer with parameters, where its
    /// activation's derivative needs it (see [`activation::needs_pre`]).
    pub(crate) pre: Option<Array2<f32>>,
    /// The output.
    pub(crate) out: Array2<f32>,
    /// Where each window's maximum was, for a max pooling.
    pub(crate) winners: Option<Vec<u32>>,
    /// The statistics a batch normalization used.
    pub(crate) statistics: Option<Statistics>,
}

impl Drop for Computed {
    /// The arrays go back to the thread's spares for the next batch.
    fn drop(&mut self) {
        for array in [self.pre.take(), Some(core::mem::take(&mut self.out))]
            .into_iter()
            .flatten()
        {
            scratch::recycle(array);
        }
        if let Some(winners) = self.winners.take() {
            scratch::recycle_indices(winners);
        }
    }
}

impl Computed {
    /// The output, leaving an empty array in its place.
    pub(crate) fn take_out(&mut self) -> Array2<f32> {
        core::mem::take(&mut self.out)
    }
}

/// What every stage computed for one batch.
pub(crate) struct Cache {
    pub(crate) stages: Vec<Computed>,
}

impl Cache {
    /// The last layer's pre-activations (the logits; its outputs for a
    /// layer without parameters) and outputs.
    pub(crate) fn top(&self) -> (&Array2<f32>, &Array2<f32>) {
        let last = self
            .stages
            .last()
            .expect("a checked network has at least one layer");
        (last.pre.as_ref().unwrap_or(&last.out), &last.out)
    }
}

/// A network sampled from a [`NetworkSpec`]: one [`Layer`] per layer with parameters.
/// Two networks are equal when their specs and weights are; the seed they
/// were first sampled from is a record, not part of what they compute.
#[derive(Clone, Debug)]
pub struct Network {
    spec: NetworkSpec,
    layers: Vec<Layer>,
    stages: Vec<Stage>,
    origin: Option<Origin>,
    mode: Mode,
}

/// Whether a network runs as in training or in evaluation, as PyTorch's
/// `model.train()` and `model.eval()`: a batch normalization normalises by
/// the batch's statistics in training, by its running ones in evaluation.
/// Other layers compute the same either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    /// Batch statistics; a [`Trainer`](crate::Trainer) step moves the running ones.
    #[default]
    Train,
    /// Running statistics.
    Eval,
}

impl PartialEq for Network {
    fn eq(&self, other: &Network) -> bool {
        self.spec == other.spec && self.layers == other.layers
    }
}

impl NetworkSpec {
    /// Sample every layer's weights and biases with its init, from `seed`.
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
            .filter_map(|(path, layer)| Layer::sample(layer, &LayerStreams::new(origin, path.as_ref()?)))
            .collect::<Result<Vec<Layer>, Error>>()?;
        Ok(Network::from_parts(self.clone(), layers, Some(origin)))
    }

    /// Rows `rows` of layer `layer`'s weights alone, bit-identical to the same
    /// rows of `self.init(origin)`: a tensor-parallel shard without sampling
    /// the rest (orthogonal init, which couples all rows, computes them all).
    ///
    /// ```
    /// use netinit::{Activation, LayerSpec, NetworkSpec};
    /// use netinit::ndarray::s;
    /// let spec = NetworkSpec::new(vec![LayerSpec::dense(784, 256, Activation::Relu)])?;
    /// let shard = spec.sample_rows(7, 0, 64..128)?;
    /// assert_eq!(shard, spec.init(7).layers()[0].weight().slice(s![64..128, ..]));
    /// # Ok::<(), netinit::Error>(())
    /// ```
    pub fn sample_rows(
        &self,
        origin: impl Into<Origin>,
        layer: usize,
        rows: Range<usize>,
    ) -> Result<Array2<f32>, Error> {
        let columns = 0..self.layers().get(layer).map_or(0, LayerSpec::weight_columns);
        self.sample_block(origin, layer, rows, columns)
    }

    /// The block `rows × columns` of layer `layer`'s weights (a
    /// convolution's as its `(out, in·kh·kw)` matrix) alone,
    /// bit-identical to the same block of `self.init(origin)`: a column
    /// shard of tensor parallelism, or any rectangle. In the counter format
    /// only the block is sampled; in the 0.1 format its whole rows are.
    ///
    /// ```
    /// use netinit::{Activation, LayerSpec, NetworkSpec};
    /// use netinit::ndarray::s;
    /// let spec = NetworkSpec::new(vec![LayerSpec::dense(784, 256, Activation::Relu)])?;
    /// let block = spec.sample_block(7, 0, 64..128, 392..784)?;
    /// assert_eq!(block, spec.init(7).layers()[0].weight().slice(s![64..128, 392..784]));
    /// # Ok::<(), netinit::Error>(())
    /// ```
    pub fn sample_block(
        &self,
        origin: impl Into<Origin>,
        layer: usize,
        rows: Range<usize>,
        columns: Range<usize>,
    ) -> Result<Array2<f32>, Error> {
        let layers = self.layers();
        let no_such_layer = SpecError::NoSuchLayer {
            index: layer,
            layers: layers.len(),
        };
        let paths = self.layer_paths();
        let (Some(spec), Some(Some(path))) = (layers.get(layer), paths.get(layer)) else {
            return Err(no_such_layer.into());
        };
        if rows.start > rows.end || rows.end > spec.weight_rows() {
            return Err(Error::RowRange {
                start: rows.start,
                end: rows.end,
                rows: spec.weight_rows(),
            });
        }
        if columns.start > columns.end || columns.end > spec.weight_columns() {
            return Err(Error::ColumnRange {
                start: columns.start,
                end: columns.end,
                columns: spec.weight_columns(),
            });
        }
        sample_block(spec, &LayerStreams::new(origin.into(), path), rows, columns)
    }
}

impl Network {
    /// A network from its spec and layers already checked to fit it (one
    /// per layer with parameters, in order).
    pub(crate) fn from_parts(spec: NetworkSpec, layers: Vec<Layer>, origin: Option<Origin>) -> Network {
        let stages = stages(&spec);
        Network {
            spec,
            layers,
            stages,
            origin,
            mode: Mode::Train,
        }
    }

    /// Whether the network runs as in training (the default, as PyTorch's)
    /// or in evaluation; see [`Mode`].
    ///
    /// ```
    /// use netinit::Mode;
    /// const NET: netinit::NetworkSpec = netinit::network![dense(4 -> 3, relu), batch_norm(3)];
    /// let mut network = NET.init(0);
    /// assert_eq!(network.mode(), Mode::Train);
    /// network.set_mode(Mode::Eval);
    /// assert_eq!(network.mode(), Mode::Eval);
    /// ```
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Run as in training or in evaluation from now on.
    pub fn set_mode(&mut self, mode: Mode) {
        self.mode = mode;
    }

    /// What each of the spec's layers computes, first to last.
    pub(crate) fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// The activation `stage` applies: its layer's, or its own for an
    /// activation layer; `None` for a stage without one.
    pub(crate) fn activation_of(&self, stage: &Stage) -> Option<Activation> {
        match *stage {
            Stage::Activation(activation) => Some(activation),
            _ => stage.layer().map(|layer| self.layers[layer].activation()),
        }
    }

    /// The seed the weights were first sampled from, if known (training
    /// changes the weights, not this).
    pub fn seed(&self) -> Option<u64> {
        self.origin.map(|origin| origin.seed)
    }

    /// The seed and sampler format the weights were first sampled with, if
    /// known.
    pub fn origin(&self) -> Option<Origin> {
        self.origin
    }

    /// The description this network was sampled from.
    pub fn spec(&self) -> &NetworkSpec {
        &self.spec
    }

    /// The layers, first to last.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The layers, to change their weights in place. A layer put in
    /// another's place must be what the description has there (kind,
    /// shapes, activation): running the network checks, and refuses one
    /// that is not with [`Error::LayerMismatch`].
    pub fn layers_mut(&mut self) -> &mut [Layer] {
        &mut self.layers
    }

    /// The width of the input: the values of one example, `C × H × W` for an image.
    pub fn inputs(&self) -> usize {
        self.spec.inputs()
    }

    /// The width of the output.
    pub fn outputs(&self) -> usize {
        self.spec.outputs()
    }

    /// The output for a batch of `n` rows of `inputs()` features: `(n, outputs())`.
    /// An image is a row of its `C × H × W` values in that order (see
    /// [`Network::forward_images`] for a 4-D batch).
    ///
    /// ```
    /// use netinit::{Activation, Error, LayerSpec, NetworkSpec};
    /// use netinit::ndarray::Array2;
    /// let spec = NetworkSpec::new(vec![
    ///     LayerSpec::dense(4, 8, Activation::Relu),
    ///     LayerSpec::dense(8, 3, Activation::Softmax),
    /// ])?;
    /// let network = spec.init(0);
    /// let probabilities = network.forward(Array2::ones((5, 4)).view())?;
    /// assert_eq!(probabilities.dim(), (5, 3));
    /// assert_eq!(
    ///     network.forward(Array2::ones((5, 7)).view()),
    ///     Err(Error::InputWidth { expected: 4, found: 7 })
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn forward(&self, input: ArrayView2<f32>) -> Result<Array2<f32>, Error> {
        self.check_input(input)?;
        self.check_batch(input, self.mode)?;
        // Layers read rows as slices: a transposed view is copied into order once.
        let input = input.as_standard_layout();
        let input = input.view();
        // The outputs a residual block reads again later, kept until then.
        let mut kept: Vec<Option<Array2<f32>>> = vec![None; self.stages.len()];
        let read_again = self.read_again();
        let mut activations: Option<Array2<f32>> = None;
        for (index, stage) in self.stages.iter().enumerate() {
            let previous = activations.as_ref().map_or(input, |previous| previous.view());
            let mut computed = match stage {
                Stage::Shortcut(start) | Stage::Join(start) => {
                    let other = kept[*start].take().expect("a block's start is kept for its end");
                    let computed = self.compute_block(stage, previous, other.view());
                    scratch::recycle(other);
                    computed
                }
                _ => self.compute(stage, previous, self.mode),
            };
            let out = computed.take_out();
            if read_again[index] {
                kept[index] = Some(scratch::copy(out.view()));
            }
            if let Some(previous) = activations.replace(out) {
                scratch::recycle(previous);
            }
        }
        Ok(activations.expect("a checked network has at least one layer"))
    }

    /// The output for a batch of images `(n, c, h, w)`, as PyTorch takes
    /// them: [`Network::forward`] on each image's values in that order.
    ///
    /// ```
    /// use netinit::ndarray::Array4;
    /// const CNN: netinit::NetworkSpec = netinit::network![
    ///     input(1, 8, 8),
    ///     conv2d(1 -> 4, relu, kernel = 3, padding = same),
    ///     global_avg_pool2d,
    ///     dense(4 -> 2, softmax),
    /// ];
    /// let network = CNN.init(0);
    /// let images = Array4::<f32>::ones((3, 1, 8, 8));
    /// assert_eq!(network.forward_images(images.view())?.dim(), (3, 2));
    /// # Ok::<(), netinit::Error>(())
    /// ```
    pub fn forward_images(&self, images: ndarray::ArrayView4<f32>) -> Result<Array2<f32>, Error> {
        let (batch, channels, height, width) = images.dim();
        let expected = self.spec.input_shape();
        let found = crate::rules::shape::Shape::image(channels, height, width);
        if expected != found {
            return Err(Error::InputShape { expected, found });
        }
        let rows = images.as_standard_layout();
        let rows = rows
            .view()
            .into_shape_with_order((batch, channels * height * width))
            .expect("a standard-layout image batch is its rows");
        self.forward(rows)
    }

    /// Every layer's output for a batch, first to last (one per layer of
    /// the spec): what the forward pass computes, kept for inspection.
    pub fn forward_all(&self, input: ArrayView2<f32>) -> Result<Vec<Array2<f32>>, Error> {
        Ok(self
            .forward_cached(input)?
            .stages
            .iter_mut()
            .map(Computed::take_out)
            .collect())
    }

    /// The forward pass keeping what every stage computed, as the backward
    /// pass needs it, in the network's mode.
    pub(crate) fn forward_cached(&self, input: ArrayView2<f32>) -> Result<Cache, Error> {
        self.forward_cached_in(input, self.mode)
    }

    /// [`Network::forward_cached`] in `mode`.
    pub(crate) fn forward_cached_in(&self, input: ArrayView2<f32>, mode: Mode) -> Result<Cache, Error> {
        self.check_input(input)?;
        self.check_batch(input, mode)?;
        let input = input.as_standard_layout();
        let input = input.view();
        let mut cache = Cache {
            stages: Vec::with_capacity(self.stages.len()),
        };
        for stage in &self.stages {
            let previous = cache.stages.last().map_or(input, |previous| previous.out.view());
            let computed = match stage {
                Stage::Shortcut(other) | Stage::Join(other) => {
                    self.compute_block(stage, previous, cache.stages[*other].out.view())
                }
                _ => self.compute(stage, previous, mode),
            };
            cache.stages.push(computed);
        }
        Ok(cache)
    }

    /// For each stage, whether a residual block reads its output again
    /// after the stage just above it: a block's start, a branch's last.
    fn read_again(&self) -> Vec<bool> {
        let mut read = vec![false; self.stages.len()];
        for stage in &self.stages {
            if let Stage::Shortcut(other) | Stage::Join(other) = stage {
                read[*other] = true;
            }
        }
        read
    }

    /// A residual block's shortcut (the block's input `other` again) or
    /// end (`previous + other`).
    fn compute_block(&self, stage: &Stage, previous: ArrayView2<f32>, other: ArrayView2<f32>) -> Computed {
        let out = match stage {
            Stage::Join(_) => {
                let mut sum = scratch::copy(previous);
                sum += &other;
                sum
            }
            _ => scratch::copy(other),
        };
        Computed {
            pre: None,
            out,
            winners: None,
            statistics: None,
        }
    }

    /// What `stage` computes in `mode` from a batch whose width is checked.
    fn compute(&self, stage: &Stage, input: ArrayView2<f32>, mode: Mode) -> Computed {
        let computed = |pre, out, winners| Computed {
            pre,
            out,
            winners,
            statistics: None,
        };
        match stage {
            Stage::Dense(index) | Stage::Conv(index, _) => {
                let layer = self.layers[*index].parameters();
                let pre = match stage {
                    Stage::Conv(_, geometry) => conv::forward(layer, input, geometry),
                    _ => layer.affine(input),
                };
                if activation::needs_pre(layer.activation()) {
                    let mut out = scratch::copy(pre.view());
                    activation::apply(layer.activation(), out.view_mut());
                    computed(Some(pre), out, None)
                } else {
                    // The output alone gives this activation's derivative.
                    let mut out = pre;
                    activation::apply(layer.activation(), out.view_mut());
                    computed(None, out, None)
                }
            }
            Stage::MaxPool(window) => {
                let (out, winners) = pool::max_forward(input, window);
                computed(None, out, Some(winners))
            }
            Stage::AvgPool(window) => computed(None, pool::average_forward(input, window), None),
            Stage::Identity => computed(None, scratch::copy(input), None),
            Stage::LayerNorm(index) => {
                let Layer::LayerNorm(norm) = &self.layers[*index] else {
                    unreachable!("a layer_norm stage runs a layer normalization")
                };
                let (out, normalized) = norm.forward(input);
                computed(Some(normalized), out, None)
            }
            Stage::BatchNorm(index, positions) => {
                let Layer::BatchNorm(norm) = &self.layers[*index] else {
                    unreachable!("a batch_norm stage runs a batch normalization")
                };
                let (out, normalized, statistics) = norm.forward(input, *positions, mode == Mode::Train);
                let mut done = computed(Some(normalized), out, None);
                done.statistics = Some(statistics);
                done
            }
            Stage::Activation(function) => {
                let mut out = scratch::copy(input);
                activation::apply(*function, out.view_mut());
                let pre = activation::needs_pre(*function).then(|| scratch::copy(input));
                computed(pre, out, None)
            }
            Stage::Shortcut(_) | Stage::Join(_) => {
                unreachable!("a residual block's markers are computed by `compute_block`")
            }
        }
    }

    /// Every layer is what the spec has in its place: `layers_mut` lets a
    /// layer of another kind or shape in, which no stage could run.
    fn check_layers(&self) -> Result<(), Error> {
        let specs = self
            .spec
            .layers()
            .iter()
            .filter(|layer| layer.kind().has_parameters());
        for (index, (layer, spec)) in self.layers.iter().zip(specs).enumerate() {
            if !layer.fits(spec) {
                return Err(Error::LayerMismatch {
                    layer: index,
                    expected: described(
                        spec.kind().name(),
                        &spec.weight_shape(),
                        spec.bias_count(),
                        spec.activation(),
                        spec.norm().map(|norm| norm.epsilon()),
                    ),
                    found: layer.describe(),
                });
            }
        }
        Ok(())
    }

    /// In training mode, a batch normalization needs two values per
    /// channel at least: a variance to normalise by.
    fn check_batch(&self, input: ArrayView2<f32>, mode: Mode) -> Result<(), Error> {
        let smallest = self
            .stages
            .iter()
            .filter_map(|stage| match stage {
                Stage::BatchNorm(_, positions) => Some(input.nrows() * positions),
                _ => None,
            })
            .min();
        match smallest {
            Some(found) if mode == Mode::Train && found < 2 => Err(Error::BatchTooSmall { found }),
            _ => Ok(()),
        }
    }

    fn check_input(&self, input: ArrayView2<f32>) -> Result<(), Error> {
        self.check_layers()?;
        let found = input.len_of(Axis(1));
        if found != self.inputs() {
            return Err(Error::InputWidth {
                expected: self.inputs(),
                found,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::activation::Activation;
    use crate::rules::init::Init;
    use crate::rules::layer::LayerSpec;
    use ndarray::s;

    fn spec(layers: Vec<LayerSpec>) -> NetworkSpec {
        NetworkSpec::new(layers).unwrap()
    }

    #[test]
    fn rows_alone_equal_the_slice_of_the_full_sample() {
        for init in [
            Init::he_normal(),
            Init::xavier_uniform(),
            Init::TruncatedNormal { std: 0.1 },
            Init::Orthogonal { gain: None },
        ] {
            let network = spec(vec![LayerSpec::dense(33, 50, Activation::Relu).with_weight(init)]);
            let full = network.init(5);
            for rows in [0..50, 0..1, 17..31, 49..50, 20..20] {
                let alone = network.sample_rows(5, 0, rows.clone()).unwrap();
                assert_eq!(alone, full.layers()[0].weight().slice(s![rows, ..]), "{init}");
            }
        }
    }

    #[test]
    fn changing_one_layer_leaves_the_others_bit_identical() {
        let before = spec(vec![
            LayerSpec::dense(20, 30, Activation::Relu),
            LayerSpec::dense(30, 40, Activation::Tanh),
            LayerSpec::dense(40, 5, Activation::Softmax),
        ]);
        let mut layers = before.layers().to_vec();
        layers[1] = LayerSpec::dense(30, 40, Activation::Gelu).with_weight(Init::he_uniform());
        let after = spec(layers);
        let (a, b) = (before.init(3), after.init(3));
        assert_eq!(a.layers()[0], b.layers()[0]);
        assert_eq!(a.layers()[2], b.layers()[2]);
        assert_ne!(a.layers()[1].weight(), b.layers()[1].weight());
    }

    #[test]
    fn distinct_rows_and_columns_count_symmetry() {
        let random = spec(vec![LayerSpec::dense(5, 4, Activation::Relu)]).init(0);
        assert_eq!(
            (
                random.layers()[0].distinct_rows(),
                random.layers()[0].distinct_columns()
            ),
            (4, 5)
        );
        let constant = spec(vec![
            LayerSpec::dense(5, 4, Activation::Relu).with_weight(Init::ones())
        ])
        .init(0);
        assert_eq!(
            (
                constant.layers()[0].distinct_rows(),
                constant.layers()[0].distinct_columns()
            ),
            (1, 1)
        );
    }

    #[test]
    fn bad_ranges_and_layers_are_errors() {
        let network = spec(vec![LayerSpec::dense(3, 4, Activation::Relu)]);
        assert_eq!(
            network.sample_rows(0, 1, 0..1),
            Err(Error::Spec(SpecError::NoSuchLayer { index: 1, layers: 1 }))
        );
        assert_eq!(
            network.sample_rows(0, 0, 2..5),
            Err(Error::RowRange {
                start: 2,
                end: 5,
                rows: 4
            })
        );
        #[allow(clippy::reversed_empty_ranges)]
        let backwards = 3..2;
        assert!(network.sample_rows(0, 0, backwards.clone()).is_err());
        assert_eq!(
            network.sample_block(0, 0, 0..4, 1..4),
            Err(Error::ColumnRange {
                start: 1,
                end: 4,
                columns: 3
            })
        );
        assert!(network.sample_block(0, 0, 0..4, backwards).is_err());
        let error = network.sample_block(0, 0, 0..1, 2..9).unwrap_err().to_string();
        assert_eq!(error, "columns 2..9 are out of range: the layer has columns 0..3");
    }

    #[test]
    fn a_layer_swapped_in_of_another_kind_or_shape_is_an_error_not_a_panic() {
        let mut network = spec(vec![
            LayerSpec::dense(4, 4, Activation::Relu),
            LayerSpec::layer_norm(crate::rules::layer::NormSpec::new(4)),
            LayerSpec::dense(4, 2, Activation::Softmax),
        ])
        .init(0);
        let input = ndarray::Array2::<f32>::ones((3, 4));
        let before = network.forward(input.view()).unwrap();
        // A normalization where a dense layer was, then a dense layer of
        // another activation: each refused, with what was expected.
        network.layers_mut().swap(0, 1);
        let error = network.forward(input.view()).unwrap_err();
        assert_eq!(
            error,
            Error::LayerMismatch {
                layer: 0,
                expected: "dense [4, 4], 4 biases, relu".into(),
                found: "layer_norm [4], 4 biases, identity, ε = 1e-5".into()
            }
        );
        network.layers_mut().swap(0, 1);
        let other = spec(vec![LayerSpec::dense(4, 4, Activation::Tanh)]).init(0);
        let original = core::mem::replace(&mut network.layers_mut()[0], other.layers()[0].clone());
        assert!(matches!(
            network.forward_all(input.view()),
            Err(Error::LayerMismatch { layer: 0, .. })
        ));
        network.layers_mut()[0] = original;
        assert_eq!(network.forward(input.view()).unwrap(), before);
    }

    #[test]
    fn the_forward_pass_composes_the_layers() {
        let network = spec(vec![
            LayerSpec::dense(3, 4, Activation::Relu).with_bias(Init::Constant { value: 0.5 }),
            LayerSpec::dense(4, 2, Activation::Softmax),
        ])
        .init(1);
        let input = ndarray::array![[1.0_f32, -2.0, 0.5], [0.0, 0.0, 0.0]];
        let outputs = network.forward_all(input.view()).unwrap();
        let layer = &network.layers()[0];
        let hidden = (input.dot(&layer.weight().t()) + 0.5).mapv(|x| x.max(0.0));
        assert_eq!(outputs[0], hidden);
        assert_eq!(outputs[1], network.forward(input.view()).unwrap());
        for row in outputs[1].rows() {
            assert!((row.sum() - 1.0).abs() < 1e-6);
        }
        // A zero row meets only the biases: 0.5 through relu.
        assert!(outputs[0].row(1).iter().all(|&h| h == 0.5));
    }
}
