//! The dense layer: `activation(x · Wᵀ + b)`, its sampling and its forward pass.

use std::ops::Range;

use ndarray::{Array1, Array2, ArrayView2};
use rayon::prelude::*;

use crate::rules::activation::Activation;
use crate::rules::init::Draw;
use crate::rules::layer::LayerSpec;
use crate::runtime::error::Error;
use crate::runtime::generator::LayerStreams;
use crate::runtime::orthogonal::orthogonal;
use crate::runtime::sample;

/// One dense layer: `activation(x · Wᵀ + b)`, with `W` stored `(out, in)`
/// like PyTorch's `Linear`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dense {
    weight: Array2<f32>,
    bias: Array1<f32>,
    activation: Activation,
}

impl Dense {
    /// The `(out, in)` weight matrix.
    pub fn weight(&self) -> &Array2<f32> {
        &self.weight
    }

    /// The weight matrix, to change in place (its shape cannot change).
    pub fn weight_mut(&mut self) -> ndarray::ArrayViewMut2<'_, f32> {
        self.weight.view_mut()
    }

    /// The `out` biases.
    pub fn bias(&self) -> &Array1<f32> {
        &self.bias
    }

    /// The biases, to change in place.
    pub fn bias_mut(&mut self) -> ndarray::ArrayViewMut1<'_, f32> {
        self.bias.view_mut()
    }

    /// The activation.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// The input width.
    pub fn inputs(&self) -> usize {
        self.weight.ncols()
    }

    /// The output width.
    pub fn outputs(&self) -> usize {
        self.weight.nrows()
    }

    /// How many different rows the weight matrix has, compared by value
    /// (`-0.0` is `0.0`): one per output neuron when symmetry is broken, 1
    /// when every neuron is the same.
    pub fn distinct_rows(&self) -> usize {
        distinct(
            self.weight
                .rows()
                .into_iter()
                .map(|row| row.iter().map(value_bits).collect()),
        )
    }

    /// How many different columns the weight matrix has: 1 when every input
    /// neuron is weighted the same, so the neurons below are interchangeable.
    pub fn distinct_columns(&self) -> usize {
        distinct(
            self.weight
                .columns()
                .into_iter()
                .map(|column| column.iter().map(value_bits).collect()),
        )
    }

    /// A layer from weights and biases whose shapes are already checked.
    pub(crate) fn from_parts(weight: Array2<f32>, bias: Array1<f32>, activation: Activation) -> Dense {
        Dense {
            weight,
            bias,
            activation,
        }
    }

    /// The weights and biases of `layer`, sampled from its streams; an
    /// allocation the system refuses is an error.
    pub(crate) fn sample(layer: &LayerSpec, streams: &LayerStreams) -> Result<Dense, Error> {
        Ok(Dense {
            weight: sample_rows(layer, streams, 0..layer.outputs())?,
            bias: sample_bias(layer, streams)?,
            activation: layer.activation(),
        })
    }

    /// The pre-activation `x · Wᵀ + b` of a batch whose width is already checked.
    pub(crate) fn affine(&self, input: ArrayView2<f32>) -> Array2<f32> {
        input.dot(&self.weight.t()) + &self.bias
    }
}

/// A zeroed buffer of `len` values, or the error for an allocation the
/// system refuses (where `vec!` would abort the process).
pub(crate) fn zeroed<T: Clone + Default>(len: usize, what: &'static str) -> Result<Vec<T>, Error> {
    let mut buffer = Vec::new();
    buffer.try_reserve_exact(len).map_err(|_| Error::Allocation {
        what,
        bytes: len as u128 * core::mem::size_of::<T>() as u128,
    })?;
    buffer.resize(len, T::default());
    Ok(buffer)
}

/// Rows `rows` of the layer's weights, each drawn from its own stream.
pub(crate) fn sample_rows(
    layer: &LayerSpec,
    streams: &LayerStreams,
    rows: Range<usize>,
) -> Result<Array2<f32>, Error> {
    let width = layer.inputs();
    let count = rows.len();
    let values: Vec<f32> = match layer.weight_draw() {
        Draw::Orthogonal { gain } => {
            // Orthogonal rows depend on each other: the whole matrix is built.
            let full = orthogonal(layer.outputs(), width, gain, &mut streams.matrix())?;
            full[rows.start * width..rows.end * width]
                .iter()
                .map(|&v| v as f32)
                .collect()
        }
        draw => {
            // Each row has its own stream, so rows can be drawn on any number
            // of threads with the same bits.
            let mut values = zeroed::<f32>(count * width, "the weights")?;
            values.par_chunks_mut(width.max(1)).enumerate().for_each_init(
                || vec![0.0_f64; width],
                |row_buffer, (offset, out)| {
                    sample::fill(row_buffer, draw, &mut streams.row(rows.start + offset));
                    out.iter_mut()
                        .zip(row_buffer.iter())
                        .for_each(|(o, &v)| *o = v as f32);
                },
            );
            values
        }
    };
    Ok(Array2::from_shape_vec((count, width), values).expect("the buffer holds count * width values"))
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

pub(crate) fn sample_bias(layer: &LayerSpec, streams: &LayerStreams) -> Result<Array1<f32>, Error> {
    let mut values = zeroed::<f64>(layer.outputs(), "the biases")?;
    sample::fill(&mut values, layer.bias_draw(), &mut streams.bias());
    Ok(values.into_iter().map(|v| v as f32).collect())
}
