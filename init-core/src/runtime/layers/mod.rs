//! The sampled layers and what they compute: one module per kind, and
//! [`Layer`], through which the network samples, runs and trains each
//! layer by its kind.

pub mod activation;
pub mod dense;

use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut1, ArrayViewMut2};

use crate::rules::activation::Activation;
use crate::rules::layer::{LayerKind, LayerSpec};
use crate::runtime::error::Error;
use crate::runtime::generator::LayerStreams;
use crate::runtime::layers::dense::Dense;

/// A sampled layer, of its kind.
#[derive(Clone, Debug, PartialEq)]
pub enum Layer {
    /// `activation(x · Wᵀ + b)`.
    Dense(Dense),
}

impl Layer {
    /// The layer `spec` describes, sampled from its streams; an allocation
    /// the system refuses is an error.
    pub(crate) fn sample(spec: &LayerSpec, streams: &LayerStreams) -> Result<Layer, Error> {
        match spec.kind() {
            LayerKind::Dense(_) => Dense::sample(spec, streams).map(Layer::Dense),
        }
    }

    /// The pre-activation and the output for a batch whose width is checked.
    pub(crate) fn forward(&self, input: ArrayView2<f32>) -> (Array2<f32>, Array2<f32>) {
        match self {
            Layer::Dense(dense) => {
                let pre = dense.affine(input);
                let mut out = pre.clone();
                activation::apply(dense.activation(), out.view_mut());
                (pre, out)
            }
        }
    }

    /// The dense layer's fields, which every kind so far has.
    fn dense(&self) -> &Dense {
        match self {
            Layer::Dense(dense) => dense,
        }
    }

    fn dense_mut(&mut self) -> &mut Dense {
        match self {
            Layer::Dense(dense) => dense,
        }
    }

    /// The weight tensor, `(out, in)` for a dense layer.
    pub fn weight(&self) -> &Array2<f32> {
        self.dense().weight()
    }

    /// The weights, to change in place (their shape cannot change).
    pub fn weight_mut(&mut self) -> ArrayViewMut2<'_, f32> {
        self.dense_mut().weight_mut()
    }

    /// The biases.
    pub fn bias(&self) -> &Array1<f32> {
        self.dense().bias()
    }

    /// The biases, to change in place.
    pub fn bias_mut(&mut self) -> ArrayViewMut1<'_, f32> {
        self.dense_mut().bias_mut()
    }

    /// The activation.
    pub fn activation(&self) -> Activation {
        self.dense().activation()
    }

    /// The input width.
    pub fn inputs(&self) -> usize {
        self.dense().inputs()
    }

    /// The output width.
    pub fn outputs(&self) -> usize {
        self.dense().outputs()
    }

    /// How many different rows the weights have (see [`Dense::distinct_rows`]).
    pub fn distinct_rows(&self) -> usize {
        self.dense().distinct_rows()
    }

    /// How many different columns the weights have (see [`Dense::distinct_columns`]).
    pub fn distinct_columns(&self) -> usize {
        self.dense().distinct_columns()
    }
}
