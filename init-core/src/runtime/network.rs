//! A sampled network: its layers with their tensors, the stages its spec
//! runs as, and the forward pass. Each layer's kind computes its own stage
//! ([`Compute`]); a residual block's markers are the walk's: a block's
//! input kept, and added to its branch's output at its end.

use ndarray::{Array2, ArrayView2, Axis};

use crate::rules::blocks;
use crate::rules::layer::{LayerSpec, Marker, Node};
use crate::rules::network::NetworkSpec;
use crate::rules::shape::Shape;
use crate::runtime::error::Error;
use crate::runtime::format::Origin;
use crate::runtime::layers::rows::{into_token_rows, token_rows};
use crate::runtime::layers::{compute, described, Compute, Computed, Io, Layer};
use crate::runtime::mode::Mode;
use crate::runtime::scratch;

/// What one layer of the spec computes at run time. (One stage per layer,
/// built once: the markers' stages being smaller than a kind's costs
/// nothing worth a box.)
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Stage {
    /// A layer of a kind: the shapes it takes and gives, and the index of
    /// its layer with parameters, if it has any.
    Kind {
        /// The layer as the spec has it.
        spec: LayerSpec,
        /// Its shapes.
        io: Io,
        /// Its index among the layers with parameters.
        layer: Option<usize>,
    },
    /// A residual block's start: its input, passed on.
    Open,
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
            Stage::Kind { layer, .. } => layer,
            Stage::Open | Stage::Shortcut(_) | Stage::Join(_) => None,
        }
    }

    /// What the stage's kind computes, with its shapes; `None` for a
    /// block's marker.
    pub(crate) fn kind(&self) -> Option<(&dyn Compute, Io)> {
        match self {
            Stage::Kind { spec, io, .. } => compute(spec.kind()).map(|kind| (kind, *io)),
            Stage::Open | Stage::Shortcut(_) | Stage::Join(_) => None,
        }
    }
}

/// The stages of a checked spec, one per layer.
fn stages(spec: &NetworkSpec) -> Vec<Stage> {
    let shapes = spec.output_shapes();
    let mut input = spec.input_shape();
    let mut next = 0;
    let layers = spec.layers();
    layers
        .iter()
        .zip(shapes)
        .enumerate()
        .map(|(index, (layer, output))| {
            let io = Io { input, output };
            input = output;
            let block = || blocks::block_of(layers, index).expect("a checked network's blocks are whole");
            match layer.kind().node() {
                Node::Layer(_) => {
                    let parameters = layer.kind().has_parameters();
                    next += usize::from(parameters);
                    Stage::Kind {
                        spec: *layer,
                        io,
                        layer: parameters.then(|| next - 1),
                    }
                }
                Node::Marker(Marker::Start { .. }) => Stage::Open,
                Node::Marker(Marker::Shortcut) => Stage::Shortcut(block().start),
                Node::Marker(Marker::End) => {
                    let block = block();
                    match block.shortcut {
                        Some(_) => Stage::Join(block.branch_last()),
                        None => Stage::Join(block.start),
                    }
                }
            }
        })
        .collect()
}

/// What every stage computed for one batch.
pub(crate) struct Cache {
    pub(crate) stages: Vec<Computed>,
}

impl Cache {
    /// The last layer's pre-activations (the logits; its outputs for a
    /// layer without parameters) and outputs, one row per prediction: one
    /// per token where the network gives a sequence of `output`.
    pub(crate) fn top(&self, output: Shape) -> (ArrayView2<'_, f32>, ArrayView2<'_, f32>) {
        let last = self
            .stages
            .last()
            .expect("a checked network has at least one layer");
        let logits = last.pre.as_ref().unwrap_or(&last.out);
        (
            token_rows(logits.view(), output),
            token_rows(last.out.view(), output),
        )
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

impl PartialEq for Network {
    fn eq(&self, other: &Network) -> bool {
        self.spec == other.spec && self.layers == other.layers
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

    /// The width of one row of the output: the values per example, or per
    /// token where the network gives a sequence (one row per token).
    pub fn outputs(&self) -> usize {
        self.spec.outputs()
    }

    /// The output for a batch of `n` rows of `inputs()` features: `(n, outputs())`.
    /// An image is a row of its `C × H × W` values in that order (see
    /// [`Network::forward_images`] for a 4-D batch); a sequence, of its
    /// `T × D` values token by token; token ids, of its `T` ids (see
    /// [`Network::forward_tokens`]). A network that gives a sequence (a
    /// language model's head) gives one row per token, `(n·T, outputs())`,
    /// the rows of an example together.
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
                    let computed = compute_block(stage, previous, other.view());
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
        let out = activations.expect("a checked network has at least one layer");
        Ok(into_token_rows(out, self.output_shape()))
    }

    /// The output for a batch of token ids, `(n, T)`, each row an example's
    /// `T` ids: [`Network::forward`] on the ids as values. An id at or past
    /// the embedding's vocabulary is an [`Error::TokenId`] naming its row
    /// and position; a row of another length, an [`Error::InputWidth`].
    ///
    /// ```
    /// use netinit::ndarray::array;
    /// const LM: netinit::NetworkSpec = netinit::network![
    ///     input(tokens = 4),
    ///     embedding(10 -> 8),
    ///     attention(8, heads = 2, mask = causal),
    ///     dense(8 -> 10, softmax),
    /// ];
    /// let network = LM.init(0);
    /// let ids = array![[1_u32, 2, 3, 4], [9, 0, 0, 1]];
    /// // One distribution per token: (2 examples × 4 tokens, 10).
    /// assert_eq!(network.forward_tokens(ids.view())?.dim(), (8, 10));
    /// assert!(network.forward_tokens(array![[1_u32, 2, 3, 10]].view()).is_err());
    /// # Ok::<(), netinit::Error>(())
    /// ```
    pub fn forward_tokens(&self, ids: ArrayView2<u32>) -> Result<Array2<f32>, Error> {
        match self.forward(ids_as_values(ids).view()) {
            // An id past 2^24 travels as 2^24: the error names it as given.
            Err(Error::TokenId {
                row,
                position,
                vocabulary,
                ..
            }) => Err(Error::TokenId {
                row,
                position,
                found: f64::from(ids[(row, position)]),
                vocabulary,
            }),
            other => other,
        }
    }

    /// The shape the network gives.
    pub(crate) fn output_shape(&self) -> Shape {
        self.spec.output_shape()
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
                    compute_block(stage, previous, cache.stages[*other].out.view())
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

    /// The tensors of the layer `stage` runs (none for a layer without parameters).
    pub(crate) fn tensors_of(&self, stage: &Stage) -> &[crate::runtime::layers::Tensor] {
        stage.layer().map_or(&[], |layer| self.layers[layer].tensors())
    }

    /// What `stage` computes in `mode` from a batch whose width is checked
    /// (a block's start passes its input on).
    fn compute(&self, stage: &Stage, input: ArrayView2<f32>, mode: Mode) -> Computed {
        match stage.kind() {
            Some((kind, io)) => kind.forward(self.tensors_of(stage), input, io, mode),
            None => Computed::new(None, scratch::copy(input)),
        }
    }

    /// Every layer is what the spec has in its place: `layers_mut` lets a
    /// layer of another kind or shape in, which no stage could run.
    fn check_layers(&self) -> Result<(), Error> {
        for stage in &self.stages {
            let Stage::Kind {
                spec,
                layer: Some(index),
                ..
            } = stage
            else {
                continue;
            };
            // `layers_mut` changes layers, never their number.
            let layer = &self.layers[*index];
            if !layer.fits(spec) {
                let declared = spec.parameters();
                return Err(Error::LayerMismatch {
                    layer: *index,
                    expected: described(
                        spec,
                        declared
                            .iter()
                            .map(|tensor| (tensor.name(), tensor.shape().to_vec())),
                    ),
                    found: layer.describe(),
                });
            }
        }
        Ok(())
    }

    /// Every layer can compute a batch of this many rows in `mode` (a
    /// batch normalization in training needs two values per channel).
    fn check_batch(&self, input: ArrayView2<f32>, mode: Mode) -> Result<(), Error> {
        for (kind, io) in self.stages.iter().filter_map(Stage::kind) {
            kind.check_batch(input, io, mode)?;
        }
        Ok(())
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

/// Token ids as the values a batch holds: exact below 2^24; an id at or
/// past 2^24 is past any vocabulary netinit takes, and travels clamped to
/// 2^24, which the embedding reports (`forward_tokens` names the id given).
pub(crate) fn ids_as_values(ids: ArrayView2<u32>) -> Array2<f32> {
    ids.mapv(|id| id.min(1 << 24) as f32)
}

/// A residual block's shortcut (the block's input `other` again) or end
/// (`previous + other`).
fn compute_block(stage: &Stage, previous: ArrayView2<f32>, other: ArrayView2<f32>) -> Computed {
    let out = match stage {
        Stage::Join(_) => {
            let mut sum = scratch::copy(previous);
            sum += &other;
            sum
        }
        _ => scratch::copy(other),
    };
    Computed::new(None, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::activation::Activation;
    use crate::rules::error::{SpecError, StructureError};
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
                let alone = network.sample_rows(5, 0, "weight", rows.clone()).unwrap();
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
            network.sample_rows(0, 1, "weight", 0..1),
            Err(Error::Spec(SpecError::Structure(StructureError::NoSuchLayer {
                index: 1,
                layers: 1
            })))
        );
        assert_eq!(
            network.sample_rows(0, 0, "weight", 2..5),
            Err(Error::RowRange {
                start: 2,
                end: 5,
                rows: 4
            })
        );
        assert_eq!(
            network.sample_rows(0, 0, "gamma", 0..1).unwrap_err().to_string(),
            "layer 0 has no tensor `gamma`; its tensors are `weight`, `bias`"
        );
        #[allow(clippy::reversed_empty_ranges)]
        let backwards = 3..2;
        assert!(network.sample_rows(0, 0, "weight", backwards.clone()).is_err());
        assert_eq!(
            network.sample_block(0, 0, "weight", 0..4, 1..4),
            Err(Error::ColumnRange {
                start: 1,
                end: 4,
                columns: 3
            })
        );
        assert!(network.sample_block(0, 0, "weight", 0..4, backwards).is_err());
        let error = network
            .sample_block(0, 0, "weight", 0..1, 2..9)
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "columns 2..9 are out of range: the tensor has columns 0..3"
        );
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
                expected: "dense(4 -> 4, relu) with weight [4, 4], bias [4]".into(),
                found: "layer_norm(4) with weight [4], bias [4]".into()
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
