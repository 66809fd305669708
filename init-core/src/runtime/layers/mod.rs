//! The sampled layers and what each kind computes: a [`Layer`] holds the
//! tensors its kind declares, by name; each kind's module here implements
//! [`Compute`], its forward and backward passes side by side, for the same
//! type that holds its rules. The dispatch is generated from the kinds'
//! table (`rules/layer/mod.rs`).

pub mod activation;
mod attention;
mod batch_norm;
mod conv2d;
mod dense;
mod embedding;
mod flatten;
mod gelu;
mod input;
mod layer_norm;
mod mean_tokens;
mod patches;
pub(crate) mod pool;
mod position_embedding;
mod rms_norm;
pub(crate) mod rows;

use std::any::Any;

use ndarray::{Array2, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};

use crate::rules::activation::Activation;
use crate::rules::keywords;
use crate::rules::layer::{each_kind, LayerKind, LayerSpec};
use crate::rules::parameter::ParameterSpec;
use crate::rules::shape::Shape;
use crate::runtime::error::Error;
use crate::runtime::generator::LayerStreams;
use crate::runtime::mode::Mode;
use crate::runtime::sampler;
use crate::runtime::scratch;

/// A sampled layer with parameters: what it was sampled from, and its
/// tensors in the order its kind declares them (as PyTorch's `state_dict`
/// lists them: `weight`, `bias`, then any buffers).
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    spec: LayerSpec,
    tensors: Vec<Tensor>,
}

/// One of a layer's tensors: its declaration and its values, held as the
/// `[rows, columns]` matrix its declaration says (a convolution's `(out,
/// in, kh, kw)` weights as `(out, in·kh·kw)`, a vector as one row).
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    spec: ParameterSpec,
    values: Array2<f32>,
}

impl Tensor {
    /// A tensor of these values, whose shape is already checked against `spec`.
    pub(crate) fn new(spec: ParameterSpec, values: Array2<f32>) -> Tensor {
        Tensor { spec, values }
    }

    /// Its declaration: name, shapes, init, role.
    pub fn spec(&self) -> &ParameterSpec {
        &self.spec
    }

    /// Its name, as PyTorch's `state_dict` has it.
    pub fn name(&self) -> &'static str {
        self.spec.name()
    }

    /// Its values as the matrix they are held in.
    pub fn values(&self) -> &Array2<f32> {
        &self.values
    }

    /// Its values, to change in place (their shape cannot change).
    pub fn values_mut(&mut self) -> ArrayViewMut2<'_, f32> {
        self.values.view_mut()
    }
}

impl Layer {
    /// The layer `spec` describes, its tensors sampled from `streams`; an
    /// allocation the system refuses is an error.
    pub(crate) fn sample(spec: &LayerSpec, streams: &LayerStreams) -> Result<Layer, Error> {
        let tensors = spec
            .parameters()
            .into_iter()
            .map(|parameter| Ok(Tensor::new(parameter, sampler::sample(&parameter, streams)?)))
            .collect::<Result<Vec<Tensor>, Error>>()?;
        Ok(Layer { spec: *spec, tensors })
    }

    /// The layer `spec` describes with these tensors, in its order, their
    /// shapes checked by the caller.
    pub(crate) fn from_tensors(spec: &LayerSpec, tensors: Vec<Tensor>) -> Layer {
        Layer { spec: *spec, tensors }
    }

    /// What the layer was sampled from (or built for).
    pub fn spec(&self) -> &LayerSpec {
        &self.spec
    }

    /// Its tensors, in its kind's order.
    pub fn tensors(&self) -> &[Tensor] {
        &self.tensors
    }

    /// Its tensors, to change their values in place.
    pub fn tensors_mut(&mut self) -> &mut [Tensor] {
        &mut self.tensors
    }

    /// The tensors training changes (a buffer is state, not a parameter),
    /// in its kind's order: the ones gradients and optimizer moments are for.
    pub(crate) fn trained(&self) -> impl Iterator<Item = &Tensor> {
        self.tensors.iter().filter(|tensor| tensor.spec().trained())
    }

    /// [`Layer::trained`], to change.
    pub(crate) fn trained_mut(&mut self) -> impl Iterator<Item = &mut Tensor> {
        self.tensors.iter_mut().filter(|tensor| tensor.spec().trained())
    }

    /// The tensor PyTorch names `name`, if the layer has one.
    ///
    /// ```
    /// const NET: netinit::NetworkSpec = netinit::network![dense(4 -> 3, relu), batch_norm(3)];
    /// let network = NET.init(0);
    /// let running = network.layers()[1].tensor("running_var").unwrap();
    /// assert!(running.values().iter().all(|&variance| variance == 1.0));
    /// ```
    pub fn tensor(&self, name: &str) -> Option<&Tensor> {
        self.tensors.iter().find(|tensor| tensor.name() == name)
    }

    /// The tensor named `name`, to change.
    fn tensor_mut(&mut self, name: &str) -> Option<&mut Tensor> {
        self.tensors.iter_mut().find(|tensor| tensor.name() == name)
    }

    /// The tensor PyTorch names `weight` as a matrix: `(out, in)` for a
    /// dense layer, `(out, in·kh·kw)` for a convolution (its `(out, in,
    /// kh, kw)` tensor as stored; see [`Layer::weight_shape`]), `(1, N)`
    /// for a normalization's `γ`; empty for a layer without one.
    pub fn weight(&self) -> ArrayView2<'_, f32> {
        self.tensor(keywords::WEIGHT).map_or_else(
            || ArrayView2::from_shape((0, 0), &[]).expect("an empty view"),
            |tensor| tensor.values.view(),
        )
    }

    /// The weights, to change in place (their shape cannot change).
    pub fn weight_mut(&mut self) -> ArrayViewMut2<'_, f32> {
        match self.tensor_mut(keywords::WEIGHT) {
            Some(tensor) => tensor.values.view_mut(),
            None => ArrayViewMut2::from_shape((0, 0), &mut []).expect("an empty view"),
        }
    }

    /// The weight tensor's shape as PyTorch has it: `[out, in]`, `[out, in,
    /// kh, kw]`, or `[N]` for a normalization's `γ`; empty for a layer
    /// without one.
    pub fn weight_shape(&self) -> Vec<usize> {
        self.tensor(keywords::WEIGHT)
            .map_or_else(Vec::new, |tensor| tensor.spec.shape().to_vec())
    }

    /// The tensor PyTorch names `bias`: one value per output (output
    /// channel, a normalization's `β` per feature); empty for a layer
    /// without biases (`bias = none`).
    pub fn bias(&self) -> ArrayView1<'_, f32> {
        match self.tensor(keywords::BIAS) {
            Some(tensor) => tensor.values.row(0),
            None => ArrayView1::from(&[]),
        }
    }

    /// The biases, to change in place.
    pub fn bias_mut(&mut self) -> ArrayViewMut1<'_, f32> {
        match self.tensor_mut(keywords::BIAS) {
            Some(tensor) => tensor.values.row_mut(0),
            None => ArrayViewMut1::from(&mut []),
        }
    }

    /// The activation it applies to its output.
    pub fn activation(&self) -> Activation {
        self.spec.activation()
    }

    /// How many different rows the weight matrix has, compared by value
    /// (`-0.0` is `0.0`): one per output neuron (a convolution's filter)
    /// when symmetry is broken, 1 when every neuron is the same.
    pub fn distinct_rows(&self) -> usize {
        distinct(
            self.weight()
                .rows()
                .into_iter()
                .map(|row| row.iter().map(value_bits).collect()),
        )
    }

    /// How many different columns the weight matrix has: 1 when every input
    /// neuron is weighted the same, so the neurons below are interchangeable.
    pub fn distinct_columns(&self) -> usize {
        distinct(
            self.weight()
                .columns()
                .into_iter()
                .map(|column| column.iter().map(value_bits).collect()),
        )
    }

    /// Whether this layer computes what `spec` describes: the same kind and
    /// settings, and tensors of the same names and shapes (the inits it was
    /// drawn from aside). A layer put in another's place through
    /// [`Network::layers_mut`](crate::Network::layers_mut) may not.
    pub(crate) fn fits(&self, spec: &LayerSpec) -> bool {
        let declared = spec.parameters();
        // What the two compute, compared without what they were drawn from.
        let mine = declared.iter().fold(self.spec, |mine, tensor| {
            mine.with_init(tensor.name(), tensor.init())
        });
        mine.kind() == spec.kind()
            && self.tensors.len() == declared.len()
            && self.tensors.iter().zip(&declared).all(|(tensor, declared)| {
                tensor.name() == declared.name() && tensor.values.dim() == declared_dim(declared)
            })
    }

    /// The layer as a mismatch names it: its DSL text and its tensors' shapes.
    pub(crate) fn describe(&self) -> String {
        described(
            &self.spec,
            self.tensors
                .iter()
                .map(|tensor| (tensor.name(), tensor.spec.shape().to_vec())),
        )
    }
}

/// `dense(4 -> 4, relu) with weight [4, 4], bias [4]`: a layer as a
/// mismatch names it.
pub(crate) fn described(
    spec: &LayerSpec,
    tensors: impl Iterator<Item = (&'static str, Vec<usize>)>,
) -> String {
    let tensors: Vec<String> = tensors.map(|(name, shape)| format!("{name} {shape:?}")).collect();
    format!("{} with {}", spec.with_branch_scale(1.0), tensors.join(", "))
}

/// The `(rows, columns)` a declared tensor is held in.
fn declared_dim(parameter: &ParameterSpec) -> (usize, usize) {
    let [rows, columns] = parameter.matrix_shape();
    (rows, columns)
}

/// The bits of a weight's value: `-0.0` and `0.0` are one value.
fn value_bits(weight: &f32) -> u32 {
    (weight + 0.0).to_bits()
}

fn distinct(vectors: impl Iterator<Item = Vec<u32>>) -> usize {
    let mut vectors: Vec<Vec<u32>> = vectors.collect();
    vectors.sort_unstable();
    vectors.dedup();
    vectors.len()
}

/// What a layer kind computes at run time: its forward pass on a batch,
/// its backward pass beside it, and what a training step does to its
/// buffers. Implemented once per kind, in the kind's module here; the
/// trait has no default methods, so a new kind fills in every one.
pub(crate) trait Compute {
    /// The output for a batch whose width is checked (rows of the values
    /// of `io.input`), in `mode`, with what the backward pass needs.
    fn forward(&self, tensors: &[Tensor], input: ArrayView2<f32>, io: Io, mode: Mode) -> Computed;

    /// The backward pass: `delta`, the gradient with respect to the
    /// output, becomes the one with respect to the pre-activation (where
    /// the kind has an activation, unless `back.fused_top`); the trained
    /// tensors' gradients are pushed to `gradients` in their order, when it
    /// is given; the gradient with respect to the input is returned when
    /// `back.below` asks for it.
    fn backward(
        &self,
        tensors: &[Tensor],
        computed: &Computed,
        back: Back<'_>,
        delta: &mut Array2<f32>,
        gradients: Option<&mut Vec<Array2<f32>>>,
    ) -> Option<Array2<f32>>;

    /// After a training step from `current`, the buffers of `next` (whose
    /// trained tensors are already stepped) moved as the forward pass that
    /// `computed` keeps says (a batch normalization's running statistics);
    /// `false` when a value came out not finite.
    fn step_buffers(&self, current: &[Tensor], next: &mut [Tensor], computed: &Computed) -> bool;

    /// Whether the network's input `batch` is one it can compute in
    /// `mode`: a batch normalization in training needs two values per
    /// channel; an embedding right after the input reads its values as
    /// token ids.
    fn check_batch(&self, batch: ArrayView2<f32>, io: Io, mode: Mode) -> Result<(), Error>;
}

/// The shapes a layer takes and gives in its network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Io {
    /// What it takes.
    pub(crate) input: Shape,
    /// What it gives.
    pub(crate) output: Shape,
}

/// What a backward pass gives a layer besides the gradient.
#[derive(Clone, Copy)]
pub(crate) struct Back<'a> {
    /// The layer's input in the forward pass.
    pub(crate) input: ArrayView2<'a, f32>,
    /// The shapes it takes and gives.
    pub(crate) io: Io,
    /// Whether the gradient given is already with respect to the
    /// pre-activation (the top layer under a cross-entropy fused with its softmax).
    pub(crate) fused_top: bool,
    /// Whether the gradient with respect to the input is needed.
    pub(crate) below: bool,
}

/// What one layer computed for a batch, as the backward pass needs it.
pub(crate) struct Computed {
    /// The pre-activation of a layer with an activation, where its
    /// derivative needs it (see [`activation::needs_pre`]), or what else
    /// the kind keeps in its place (a normalization's `x̂`).
    pub(crate) pre: Option<Array2<f32>>,
    /// The output.
    pub(crate) out: Array2<f32>,
    /// Anything else the kind keeps for its backward pass or its buffers
    /// (a max pooling's winners, a batch normalization's statistics).
    pub(crate) kept: Option<Box<dyn Any + Send + Sync>>,
}

impl Computed {
    /// What a layer computed on token rows (see [`rows`]), its output and
    /// what it keeps of the same size put back as one row per example of
    /// `output`, as the next layer reads them.
    pub(crate) fn per_example(mut self, output: Shape) -> Computed {
        self.pre = self.pre.take().map(|pre| rows::into_example_rows(pre, output));
        self.out = rows::into_example_rows(self.take_out(), output);
        self
    }
}

impl Computed {
    /// A layer's output, with its pre-activation if it keeps one.
    pub(crate) fn new(pre: Option<Array2<f32>>, out: Array2<f32>) -> Computed {
        Computed { pre, out, kept: None }
    }

    /// The same, keeping `kept` too.
    pub(crate) fn keeping(mut self, kept: impl Any + Send + Sync) -> Computed {
        self.kept = Some(Box::new(kept));
        self
    }

    /// What the kind kept, as its type.
    pub(crate) fn kept<T: Any>(&self) -> Option<&T> {
        self.kept.as_deref().and_then(|kept| kept.downcast_ref())
    }

    /// The output, leaving an empty array in its place.
    pub(crate) fn take_out(&mut self) -> Array2<f32> {
        core::mem::take(&mut self.out)
    }
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
    }
}

/// The tensors a layer's stage computes with, by their index in the
/// declared order (which each kind knows).
pub(crate) fn values(tensors: &[Tensor], index: usize) -> ArrayView2<'_, f32> {
    tensors[index].values.view()
}

/// The row vector of tensor `index`, if the layer has it (a bias that
/// `bias = none` leaves out is absent).
pub(crate) fn vector(tensors: &[Tensor], index: usize) -> Option<ArrayView1<'_, f32>> {
    tensors.get(index).map(|tensor| tensor.values.row(0))
}

/// Tensor `index` of `next` given the values of `current`'s.
pub(crate) fn copy_values(current: &[Tensor], next: &mut [Tensor], index: usize) {
    next[index].values.assign(&current[index].values);
}

/// The kind's computation; `None` for a residual block's marker.
macro_rules! define_dispatch {
    ($( $(#[$doc:meta])* $variant:ident($kind:ty), )*) => {
        /// What `kind` computes, as its [`Compute`]; `None` for a residual
        /// block's marker, which the network's walk computes itself.
        pub(crate) fn compute(kind: &LayerKind) -> Option<&dyn Compute> {
            match kind {
                $( LayerKind::$variant(kind) => Some(kind), )*
                LayerKind::Residual { .. } | LayerKind::Shortcut | LayerKind::ResidualEnd => None,
            }
        }
    };
}

each_kind!(define_dispatch);
