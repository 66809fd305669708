//! Sampling a layer's tensor, or any block of it, from the layer's streams
//! as its declaration says ([`ParameterSpec`]): the draw, and the stream it
//! draws from. A block is bit-identical to the same block of the whole
//! tensor: in the counter format each element is drawn alone; in the 0.1
//! format each row of a matrix has its own stream, so whole rows are drawn
//! and cut, and a vector is drawn whole.

use std::ops::Range;

use ndarray::Array2;
use rayon::prelude::*;

use crate::rules::init::Draw;
use crate::rules::parameter::{ParameterSpec, Stream};
use crate::runtime::alloc::zeroed;
use crate::runtime::counter::{self, Law};
use crate::runtime::error::Error;
use crate::runtime::format::SamplerFormat;
use crate::runtime::generator::LayerStreams;
use crate::runtime::orthogonal::{gram_schmidt, householder};
use crate::runtime::sample;

/// The whole tensor, held as its `[rows, columns]` matrix.
pub(crate) fn sample(parameter: &ParameterSpec, streams: &LayerStreams) -> Result<Array2<f32>, Error> {
    let [rows, columns] = parameter.matrix_shape();
    sample_block(parameter, streams, 0..rows, 0..columns)
}

/// The block `rows × columns` of the tensor's matrix, bit-identical to the
/// same block of the whole tensor; an allocation the system refuses is an
/// error.
pub(crate) fn sample_block(
    parameter: &ParameterSpec,
    streams: &LayerStreams,
    rows: Range<usize>,
    columns: Range<usize>,
) -> Result<Array2<f32>, Error> {
    let (count, block_width) = (rows.len(), columns.len());
    let mut values = zeroed::<f32>(count * block_width, "a layer's tensor")?;
    let streams = &streams.lane(parameter.lane());
    match (parameter.draw(), parameter.stream()) {
        (Draw::Constant { value }, _) => values.fill(value as f32),
        (draw, Stream::Weights) => weights(parameter, draw, streams, &rows, &columns, &mut values)?,
        (draw, Stream::Biases) => vector(parameter, draw, streams, &columns, &mut values)?,
    }
    Ok(Array2::from_shape_vec((count, block_width), values).expect("the buffer holds count * width values"))
}

/// A block of a matrix drawn from the weights' streams into `values`.
fn weights(
    parameter: &ParameterSpec,
    draw: Draw,
    streams: &LayerStreams,
    rows: &Range<usize>,
    columns: &Range<usize>,
    values: &mut [f32],
) -> Result<(), Error> {
    let [outputs, width] = parameter.matrix_shape();
    let block_width = columns.len();
    match (draw, streams.format()) {
        (Draw::Orthogonal { gain }, format) => {
            // Orthogonal rows depend on each other: the whole matrix is built.
            let count = outputs * width;
            let full: Vec<f32> = match format {
                SamplerFormat::Counter => {
                    let mut normals = zeroed::<f32>(count, "an orthogonal matrix's Gaussian draw")?;
                    counter::fill(&mut normals, 0, Law::Normal, 1.0, streams.matrix_source());
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
            for (row, out) in rows.clone().zip(values.chunks_mut(block_width.max(1))) {
                let start = row * width;
                out.copy_from_slice(&full[start + columns.start..start + columns.end]);
            }
        }
        (draw, SamplerFormat::Counter) => {
            let (law, scale) = element_wise(draw);
            let source = streams.weight_source();
            if block_width == width {
                counter::fill(values, (rows.start * width) as u64, law, scale, source);
            } else {
                values
                    .par_chunks_mut(block_width.max(1))
                    .zip(rows.clone().into_par_iter())
                    .for_each(|(out, row)| {
                        let first = (row * width + columns.start) as u64;
                        counter::fill_serial(out, first, law, scale, source);
                    });
            }
        }
        (draw, SamplerFormat::ChaChaRows) => {
            // Each row has its own stream, so rows can be drawn on any number
            // of threads with the same bits.
            values
                .par_chunks_mut(block_width.max(1))
                .zip(rows.clone().into_par_iter())
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
    Ok(())
}

/// Values `columns` of a vector drawn from the biases' stream into `values`.
fn vector(
    parameter: &ParameterSpec,
    draw: Draw,
    streams: &LayerStreams,
    columns: &Range<usize>,
    values: &mut [f32],
) -> Result<(), Error> {
    match streams.format() {
        SamplerFormat::Counter => {
            let (law, scale) = element_wise(draw);
            counter::fill(values, columns.start as u64, law, scale, streams.bias_source());
        }
        SamplerFormat::ChaChaRows => {
            // One stream for the whole vector: drawn whole, then cut.
            let [_, length] = parameter.matrix_shape();
            let mut wide = zeroed::<f64>(length, "a layer's tensor")?;
            sample::fill(&mut wide, draw, &mut streams.bias());
            values
                .iter_mut()
                .zip(&wide[columns.clone()])
                .for_each(|(o, &v)| *o = v as f32);
        }
    }
    Ok(())
}

/// The counter sampler's law and scale of a draw made element by element.
/// An orthogonal draw reaches here only for a vector, which has no
/// orthogonal form (validation refuses an orthogonal bias; a spec built
/// around it still gets values): standard normals, as in the 0.1 format.
pub(crate) fn element_wise(draw: Draw) -> (Law, f64) {
    match draw {
        Draw::Normal { std } => (Law::Normal, std),
        Draw::Uniform { bound } => (Law::Uniform, bound),
        Draw::TruncatedNormal { std } => (Law::TruncatedNormal, std),
        Draw::Orthogonal { .. } => (Law::Normal, 1.0),
        Draw::Constant { value } => (Law::Constant, value),
    }
}
