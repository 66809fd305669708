//! The sampled layers and what they compute: one module per kind, and
//! [`Layer`], through which the network samples, runs and trains each
//! layer with parameters by its kind. Layers without parameters (pooling,
//! activations) are computed by their module alone.

pub mod activation;
pub mod batch_norm;
pub mod conv;
pub mod dense;
mod gelu;
pub mod norm;
pub mod pool;

use ndarray::{Array1, Array2, ArrayViewMut1, ArrayViewMut2};

use crate::rules::activation::Activation;
use crate::rules::keywords;
use crate::rules::layer::{LayerKind, LayerSpec};
use crate::runtime::error::Error;
use crate::runtime::generator::LayerStreams;
use crate::runtime::layers::batch_norm::BatchNorm;
use crate::runtime::layers::conv::Conv2d;
use crate::runtime::layers::dense::Dense;
use crate::runtime::layers::norm::LayerNorm;

/// A sampled layer with parameters, of its kind.
#[derive(Clone, Debug, PartialEq)]
pub enum Layer {
    /// `activation(x · Wᵀ + b)`.
    Dense(Dense),
    /// `activation(W ⊛ x + b)`.
    Conv2d(Conv2d),
    /// `γ ⊙ (x - mean) / √(variance + ε) + β`, per example.
    LayerNorm(LayerNorm),
    /// `γ ⊙ (x - mean) / √(variance + ε) + β`, per channel over the batch.
    BatchNorm(BatchNorm),
}

impl Layer {
    /// The layer `spec` describes, sampled from its streams; an allocation
    /// the system refuses is an error. `None` for a layer without parameters.
    pub(crate) fn sample(spec: &LayerSpec, streams: &LayerStreams) -> Option<Result<Layer, Error>> {
        match spec.kind() {
            LayerKind::Dense(_) => Some(Dense::sample(spec, streams).map(Layer::Dense)),
            LayerKind::Conv2d(conv) => Some(Conv2d::sample(spec, conv, streams).map(Layer::Conv2d)),
            LayerKind::LayerNorm(norm) => Some(LayerNorm::sample(spec, norm, streams).map(Layer::LayerNorm)),
            LayerKind::BatchNorm(norm) => Some(BatchNorm::sample(spec, norm, streams).map(Layer::BatchNorm)),
            _ => None,
        }
    }

    /// The layer `spec` describes with these weights (`(out, in)`, or
    /// `(out, in·kh·kw)` for a convolution) and biases, their shapes checked
    /// by the caller; `None` for a layer without parameters.
    pub(crate) fn from_parts(spec: &LayerSpec, weight: Array2<f32>, bias: Array1<f32>) -> Option<Layer> {
        let parameters = Dense::from_parts(weight, bias, spec.activation());
        match spec.kind() {
            LayerKind::Dense(_) => Some(Layer::Dense(parameters)),
            LayerKind::Conv2d(conv) => Some(Layer::Conv2d(Conv2d::from_parts(parameters, conv))),
            LayerKind::LayerNorm(norm) => Some(Layer::LayerNorm(LayerNorm::from_parts(parameters, norm))),
            LayerKind::BatchNorm(norm) => Some(Layer::BatchNorm(BatchNorm::from_parts(
                parameters,
                norm,
                Array1::zeros(norm.features()),
                Array1::ones(norm.features()),
            ))),
            _ => None,
        }
    }

    /// The weights, biases and activation, as a matrix whatever the kind.
    pub(crate) fn parameters(&self) -> &Dense {
        match self {
            Layer::Dense(dense) => dense,
            Layer::Conv2d(conv) => conv.parameters(),
            Layer::LayerNorm(norm) => norm.parameters(),
            Layer::BatchNorm(norm) => norm.parameters(),
        }
    }

    fn parameters_mut(&mut self) -> &mut Dense {
        match self {
            Layer::Dense(dense) => dense,
            Layer::Conv2d(conv) => conv.parameters_mut(),
            Layer::LayerNorm(norm) => norm.parameters_mut(),
            Layer::BatchNorm(norm) => norm.parameters_mut(),
        }
    }

    /// The weights as a matrix: `(out, in)` for a dense layer, `(out,
    /// in·kh·kw)` for a convolution (its `(out, in, kh, kw)` tensor as
    /// stored; see [`Layer::weight_shape`]), `(1, N)` for a layer
    /// normalization's `γ`.
    pub fn weight(&self) -> &Array2<f32> {
        self.parameters().weight()
    }

    /// The weight tensor's shape as PyTorch has it: `[out, in]`, `[out, in,
    /// kh, kw]`, or `[N]` for a layer normalization's `γ`.
    pub fn weight_shape(&self) -> Vec<usize> {
        match self {
            Layer::Dense(dense) => vec![dense.outputs(), dense.inputs()],
            Layer::Conv2d(conv) => conv.weight_shape().to_vec(),
            Layer::LayerNorm(norm) => vec![norm.features()],
            Layer::BatchNorm(norm) => vec![norm.channels()],
        }
    }

    /// The weights, to change in place (their shape cannot change).
    pub fn weight_mut(&mut self) -> ArrayViewMut2<'_, f32> {
        self.parameters_mut().weight_mut()
    }

    /// The biases: one per output (output channel, a normalization's `β`
    /// per feature), none with `bias = none`.
    pub fn bias(&self) -> &Array1<f32> {
        self.parameters().bias()
    }

    /// The biases, to change in place.
    pub fn bias_mut(&mut self) -> ArrayViewMut1<'_, f32> {
        self.parameters_mut().bias_mut()
    }

    /// The activation.
    pub fn activation(&self) -> Activation {
        self.parameters().activation()
    }

    /// The input width (a convolution's input channels, a normalization's features).
    pub fn inputs(&self) -> usize {
        match self {
            Layer::Dense(dense) => dense.inputs(),
            Layer::Conv2d(conv) => conv.inputs(),
            Layer::LayerNorm(norm) => norm.features(),
            Layer::BatchNorm(norm) => norm.channels(),
        }
    }

    /// The output width (a convolution's output channels, a normalization's features).
    pub fn outputs(&self) -> usize {
        match self {
            Layer::LayerNorm(norm) => norm.features(),
            Layer::BatchNorm(norm) => norm.channels(),
            _ => self.parameters().outputs(),
        }
    }

    /// Whether this layer is what `spec` describes: its kind, its weight
    /// tensor's shape, its biases and its activation. A layer put in
    /// another's place through [`Network::layers_mut`](crate::Network::layers_mut)
    /// may not be.
    pub(crate) fn fits(&self, spec: &LayerSpec) -> bool {
        // Compared without building the shapes: this runs on every pass.
        let shape = match (self, spec.kind()) {
            (Layer::Conv2d(conv), LayerKind::Conv2d(expected)) => {
                let [height, width] = expected.kernel();
                let affine = expected.affine();
                conv.weight_shape() == [affine.outputs(), affine.inputs(), height, width]
            }
            (Layer::Dense(_), LayerKind::Dense(_))
            | (Layer::LayerNorm(_), LayerKind::LayerNorm(_))
            | (Layer::BatchNorm(_), LayerKind::BatchNorm(_)) => {
                self.weight().dim() == (spec.weight_rows(), spec.weight_columns())
            }
            _ => false,
        };
        shape
            && self.bias().len() == spec.bias_count()
            && self.activation() == spec.activation()
            && self.epsilon() == spec.norm().map(|norm| norm.epsilon())
    }

    /// A normalization's `ε`; `None` for other kinds.
    fn epsilon(&self) -> Option<f64> {
        match self {
            Layer::LayerNorm(norm) => Some(norm.epsilon()),
            Layer::BatchNorm(norm) => Some(norm.epsilon()),
            _ => None,
        }
    }

    /// `dense [256, 784], 256 biases, relu`: what [`Layer::fits`] compares.
    pub(crate) fn describe(&self) -> String {
        let kind = match self {
            Layer::Dense(_) => keywords::DENSE,
            Layer::Conv2d(_) => keywords::CONV2D,
            Layer::LayerNorm(_) => keywords::LAYER_NORM,
            Layer::BatchNorm(_) => keywords::BATCH_NORM,
        };
        described(
            kind,
            &self.weight_shape(),
            self.bias().len(),
            self.activation(),
            self.epsilon(),
        )
    }

    /// How many different rows the weight matrix has (see
    /// [`Dense::distinct_rows`]): for a convolution, different filters.
    pub fn distinct_rows(&self) -> usize {
        self.parameters().distinct_rows()
    }

    /// How many different columns the weight matrix has (see [`Dense::distinct_columns`]).
    pub fn distinct_columns(&self) -> usize {
        self.parameters().distinct_columns()
    }
}

/// `dense [256, 784], 256 biases, relu`, and a normalization's `ε`: a
/// layer with parameters as a mismatch names it.
pub(crate) fn described(
    kind: &str,
    shape: &[usize],
    biases: usize,
    activation: Activation,
    epsilon: Option<f64>,
) -> String {
    let epsilon = epsilon.map_or(String::new(), |epsilon| format!(", ε = {epsilon:e}"));
    format!("{kind} {shape:?}, {biases} biases, {activation}{epsilon}")
}
