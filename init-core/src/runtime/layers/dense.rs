//! The dense layer: `activation(x · Wᵀ + b)`, its sampling and its forward pass.

use std::ops::Range;

use ndarray::{Array1, Array2, ArrayView2};
use rayon::prelude::*;

use crate::rules::activation::Activation;
use crate::rules::init::Draw;
use crate::rules::layer::LayerSpec;
use crate::runtime::counter::{self, Shape};
use crate::runtime::error::Error;
use crate::runtime::format::SamplerFormat;
use crate::runtime::generator::LayerStreams;
use crate::runtime::orthogonal::{gram_schmidt, householder};
use crate::runtime::product::product;
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

    /// The `out` biases; empty for a layer without biases (`bias = none`).
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
            weight: sample_rows(layer, streams, 0..layer.weight_rows())?,
            bias: sample_bias(layer, streams)?,
            activation: layer.activation(),
        })
    }

    /// The pre-activation `x · Wᵀ + b` (`x · Wᵀ` without biases) of a
    /// batch whose width is already checked.
    pub(crate) fn affine(&self, input: ArrayView2<f32>) -> Array2<f32> {
        let mut pre = product(input, self.weight.t());
        if !self.bias.is_empty() {
            pre += &self.bias;
        }
        pre
    }
}

/// A float whose all-zero bits are `0.0`.
pub(crate) trait ZeroBits: Copy {}
impl ZeroBits for f32 {}
impl ZeroBits for f64 {}

/// A buffer of `len` zeros, or the error for an allocation the system
/// refuses (where `vec!` would abort the process). The memory comes from the
/// allocator's zeroed path, so a large buffer is fresh pages that the first
/// write faults in, on whichever threads write it, instead of a pass here.
pub(crate) fn zeroed<T: ZeroBits>(len: usize, what: &'static str) -> Result<Vec<T>, Error> {
    let refused = || Error::Allocation {
        what,
        bytes: len as u128 * core::mem::size_of::<T>() as u128,
    };
    let layout = std::alloc::Layout::array::<T>(len).map_err(|_| refused())?;
    if layout.size() == 0 {
        return Ok(Vec::new());
    }
    // SAFETY: the layout's size is not zero.
    let pointer = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<T>();
    if pointer.is_null() {
        return Err(refused());
    }
    huge_pages(pointer.cast(), layout.size());
    // SAFETY: the global allocator gave `pointer` for `Layout::array::<T>(len)`,
    // the layout a Vec of capacity `len` has, and every one of the `len`
    // values is initialised: all-zero bits are 0.0 for the floats `ZeroBits` admits.
    Ok(unsafe { Vec::from_raw_parts(pointer, len, len) })
}

/// Ask Linux to back the 2 MiB-aligned part of a large fresh buffer with
/// transparent huge pages (where they are enabled for `madvise`, the
/// default of most distributions): the first write then faults in one page
/// per 2 MiB, not per 4 KiB, which halves the time to sample a large tensor
/// into fresh memory. Only advice: a kernel that declines changes nothing.
fn huge_pages(start: *mut u8, bytes: usize) {
    const HUGE: usize = 2 << 20;
    #[cfg(target_os = "linux")]
    if bytes >= 4 * HUGE {
        let offset = start.align_offset(HUGE);
        let length = (bytes - offset) / HUGE * HUGE;
        // SAFETY: `[start + offset, start + offset + length)` lies inside the
        // allocation just made, and MADV_HUGEPAGE only changes how the kernel
        // backs it, never its contents.
        unsafe {
            libc::madvise(start.add(offset).cast(), length, libc::MADV_HUGEPAGE);
        }
    }
    let _ = (start, bytes, HUGE);
}

/// Rows `rows` of the layer's weights.
pub(crate) fn sample_rows(
    layer: &LayerSpec,
    streams: &LayerStreams,
    rows: Range<usize>,
) -> Result<Array2<f32>, Error> {
    sample_block(layer, streams, rows, 0..layer.weight_columns())
}

/// The block `rows × columns` of the layer's weights, bit-identical to the
/// same block of the whole matrix. In the counter format each element is
/// drawn alone; in the 0.1 format each row has its own stream, so whole
/// rows are drawn and cut.
pub(crate) fn sample_block(
    layer: &LayerSpec,
    streams: &LayerStreams,
    rows: Range<usize>,
    columns: Range<usize>,
) -> Result<Array2<f32>, Error> {
    let width = layer.weight_columns();
    let (count, block_width) = (rows.len(), columns.len());
    let mut values = zeroed::<f32>(count * block_width, "the weights")?;
    match (layer.weight_draw(), streams.format()) {
        (Draw::Orthogonal { gain }, format) => {
            // Orthogonal rows depend on each other: the whole matrix is built.
            let (outputs, count) = (layer.weight_rows(), layer.weight_rows() * width);
            let full: Vec<f32> = match format {
                SamplerFormat::Counter => {
                    let mut normals = zeroed::<f32>(count, "an orthogonal matrix's Gaussian draw")?;
                    counter::fill(&mut normals, 0, Shape::Normal, 1.0, streams.matrix_source());
                    householder(outputs, width, gain, normals)?
                }
                SamplerFormat::ChaChaRows => {
                    let gaussian =
                        |out: &mut [f64]| sample::fill(out, Draw::Normal { std: 1.0 }, &mut streams.matrix());
                    gram_schmidt(outputs, width, gain, gaussian)?
                        .into_iter()
                        .map(|v| v as f32)
                        .collect()
                }
            };
            for (row, out) in rows.zip(values.chunks_mut(block_width.max(1))) {
                let start = row * width;
                out.copy_from_slice(&full[start + columns.start..start + columns.end]);
            }
        }
        (Draw::Constant { value }, _) => values.fill(value as f32),
        (draw, SamplerFormat::Counter) => {
            let (shape, scale) = element_wise(draw);
            let source = streams.weight_source();
            if block_width == width {
                counter::fill(&mut values, (rows.start * width) as u64, shape, scale, source);
            } else {
                values
                    .par_chunks_mut(block_width.max(1))
                    .zip(rows.into_par_iter())
                    .for_each(|(out, row)| {
                        let first = (row * width + columns.start) as u64;
                        counter::fill_serial(out, first, shape, scale, source);
                    });
            }
        }
        (draw, SamplerFormat::ChaChaRows) => {
            // Each row has its own stream, so rows can be drawn on any number
            // of threads with the same bits.
            values
                .par_chunks_mut(block_width.max(1))
                .zip(rows.into_par_iter())
                .for_each_init(
                    || vec![0.0_f64; width],
                    |row_buffer, (out, row)| {
                        sample::fill(row_buffer, draw, &mut streams.row(row));
                        out.iter_mut()
                            .zip(&row_buffer[columns.clone()])
                            .for_each(|(o, &v)| *o = v as f32);
                    },
                );
        }
    }
    Ok(Array2::from_shape_vec((count, block_width), values).expect("the buffer holds count * width values"))
}

/// The counter sampler's shape and scale of a draw made element by
/// element. An orthogonal draw reaches here only for a vector, which has no
/// orthogonal form (validation refuses an orthogonal bias; a spec built
/// around it still gets values): standard normals, as in the 0.1 format.
pub(crate) fn element_wise(draw: Draw) -> (Shape, f64) {
    match draw {
        Draw::Normal { std } => (Shape::Normal, std),
        Draw::Uniform { bound } => (Shape::Uniform, bound),
        Draw::TruncatedNormal { std } => (Shape::TruncatedNormal, std),
        Draw::Orthogonal { .. } => (Shape::Normal, 1.0),
        Draw::Constant { value } => (Shape::Constant, value),
    }
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

/// The biases of `layer` from its streams: none for a layer without biases.
pub(crate) fn sample_bias(layer: &LayerSpec, streams: &LayerStreams) -> Result<Array1<f32>, Error> {
    if !layer.has_bias() {
        return Ok(Array1::zeros(0));
    }
    let mut values = zeroed::<f32>(layer.bias_count(), "the biases")?;
    match (layer.bias_draw(), streams.format()) {
        (Draw::Constant { value }, _) => values.fill(value as f32),
        (draw, SamplerFormat::Counter) => {
            let (shape, scale) = element_wise(draw);
            counter::fill(&mut values, 0, shape, scale, streams.bias_source());
        }
        (draw, SamplerFormat::ChaChaRows) => {
            let mut wide = zeroed::<f64>(layer.bias_count(), "the biases")?;
            sample::fill(&mut wide, draw, &mut streams.bias());
            values.iter_mut().zip(wide).for_each(|(o, v)| *o = v as f32);
        }
    }
    Ok(Array1::from(values))
}
