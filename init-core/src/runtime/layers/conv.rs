//! The convolution: `activation(W ⊛ x + b)` with `W` stored `(out, in, kh,
//! kw)` like PyTorch's `Conv2d`, computed as one matrix product over the
//! whole batch (im2col): each output position's receptive field becomes a
//! column, and the weights, as an `(out, in·kh·kw)` matrix, multiply them
//! all at once through the same product the dense layers use.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rayon::prelude::*;

use crate::rules::activation::Activation;
use crate::rules::layer::{Conv2dSpec, LayerSpec};
use crate::rules::shape::Shape;
use crate::runtime::error::Error;
use crate::runtime::generator::LayerStreams;
use crate::runtime::layers::dense::Dense;
use crate::runtime::product::product;

/// One convolution: its weights as the `(out, in·kh·kw)` matrix that
/// `(out, in, kh, kw)` is in memory, its biases and its activation.
#[derive(Clone, Debug, PartialEq)]
pub struct Conv2d {
    parameters: Dense,
    kernel: [usize; 2],
}

impl Conv2d {
    /// The weights as an `(out, in·kh·kw)` matrix: row `o` holds output
    /// channel `o`'s kernel, input channel by input channel, each row by
    /// row, as PyTorch's `(out, in, kh, kw)` tensor is stored.
    pub fn weight(&self) -> &Array2<f32> {
        self.parameters.weight()
    }

    /// The weight tensor's shape, `[out, in, kh, kw]`.
    pub fn weight_shape(&self) -> [usize; 4] {
        let [height, width] = self.kernel;
        [self.outputs(), self.inputs(), height, width]
    }

    /// The `out` biases.
    pub fn bias(&self) -> &Array1<f32> {
        self.parameters.bias()
    }

    /// The activation.
    pub fn activation(&self) -> Activation {
        self.parameters.activation()
    }

    /// The input channels.
    pub fn inputs(&self) -> usize {
        self.parameters.inputs() / (self.kernel[0] * self.kernel[1]).max(1)
    }

    /// The output channels.
    pub fn outputs(&self) -> usize {
        self.parameters.outputs()
    }

    /// The kernel's `[height, width]`.
    pub fn kernel(&self) -> [usize; 2] {
        self.kernel
    }

    /// The weights and biases as a dense layer's: what the optimizer and
    /// the checkpoints see.
    pub(crate) fn parameters(&self) -> &Dense {
        &self.parameters
    }

    pub(crate) fn parameters_mut(&mut self) -> &mut Dense {
        &mut self.parameters
    }

    /// A convolution from its `(out, in·kh·kw)` weights and biases, whose
    /// shapes are already checked against `spec`.
    pub(crate) fn from_parts(parameters: Dense, spec: &Conv2dSpec) -> Conv2d {
        Conv2d {
            parameters,
            kernel: spec.kernel(),
        }
    }

    /// The weights and biases of `layer`, sampled from its streams as a
    /// dense layer's rows are: output channel `o` is row `o`.
    pub(crate) fn sample(
        layer: &LayerSpec,
        spec: &Conv2dSpec,
        streams: &LayerStreams,
    ) -> Result<Conv2d, Error> {
        Ok(Conv2d::from_parts(Dense::sample(layer, streams)?, spec))
    }
}

/// Where a convolution's windows fall on its input: everything the
/// products and the index arithmetic need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Geometry {
    pub(crate) channels: usize,
    pub(crate) input: [usize; 2],
    pub(crate) kernel: [usize; 2],
    pub(crate) stride: [usize; 2],
    pub(crate) padding: [usize; 2],
    pub(crate) output: [usize; 2],
}

impl Geometry {
    /// The geometry of `spec` on an input of shape `input` and output `output`
    /// (both images in a checked network).
    pub(crate) fn of(spec: &Conv2dSpec, input: Shape, output: Shape) -> Geometry {
        let (
            Shape::Image {
                channels,
                height,
                width,
            },
            Shape::Image {
                height: out_h,
                width: out_w,
                ..
            },
        ) = (input, output)
        else {
            unreachable!("a checked network gives a convolution an image and takes one from it")
        };
        Geometry {
            channels,
            input: [height, width],
            kernel: spec.kernel(),
            stride: spec.stride(),
            padding: spec.padding_sizes(),
            output: [out_h, out_w],
        }
    }

    /// Output positions per channel.
    pub(crate) fn positions(&self) -> usize {
        self.output[0] * self.output[1]
    }

    /// Values per input channel.
    fn plane(&self) -> usize {
        self.input[0] * self.input[1]
    }

    /// Rows of the column matrix: one per (channel, kernel row, kernel column).
    fn taps(&self) -> usize {
        self.channels * self.kernel[0] * self.kernel[1]
    }

    /// The input row and column under output `(oy, ox)` at tap `(i, j)`,
    /// `None` where the tap falls on the padding.
    fn source(&self, axis: usize, output: usize, tap: usize) -> Option<usize> {
        (output * self.stride[axis] + tap)
            .checked_sub(self.padding[axis])
            .filter(|&at| at < self.input[axis])
    }
}

/// The rows of a fresh array, in parallel.
fn rows_mut(array: &mut Array2<f32>) -> rayon::slice::ChunksMut<'_, f32> {
    let width = array.ncols().max(1);
    array
        .as_slice_mut()
        .expect("a fresh array is contiguous")
        .par_chunks_mut(width)
}

/// The column matrix of a batch `(n, c·h·w)`: `(c·kh·kw, n·oh·ow)`, column
/// `b·oh·ow + p` holding the receptive field of output position `p` of
/// example `b`, zeros where it falls on the padding.
pub(crate) fn columns(input: ArrayView2<f32>, geometry: &Geometry) -> Array2<f32> {
    let (batch, positions) = (input.nrows(), geometry.positions());
    let [kernel_h, kernel_w] = geometry.kernel;
    let [out_h, out_w] = geometry.output;
    let width = geometry.input[1];
    let mut columns = Array2::<f32>::zeros((geometry.taps(), batch * positions));
    rows_mut(&mut columns).enumerate().for_each(|(tap, row)| {
        let (channel, i, j) = (
            tap / (kernel_h * kernel_w),
            tap / kernel_w % kernel_h,
            tap % kernel_w,
        );
        for (example, out) in input.outer_iter().zip(row.chunks_mut(positions)) {
            let plane = &example.as_slice().expect("batches are standard layout")
                [channel * geometry.plane()..(channel + 1) * geometry.plane()];
            for oy in 0..out_h {
                let Some(y) = geometry.source(0, oy, i) else {
                    continue;
                };
                let source = &plane[y * width..(y + 1) * width];
                for (ox, value) in out[oy * out_w..(oy + 1) * out_w].iter_mut().enumerate() {
                    if let Some(x) = geometry.source(1, ox, j) {
                        *value = source[x];
                    }
                }
            }
        }
    });
    columns
}

/// The pre-activation `(n, out·oh·ow)` of a batch whose column matrix is
/// `columns`: `W · columns + b`, laid out example by example, channel by channel.
pub(crate) fn forward(parameters: &Dense, columns: ArrayView2<f32>, geometry: &Geometry) -> Array2<f32> {
    let by_channel = product(parameters.weight().view(), columns);
    let (outputs, positions) = (parameters.outputs(), geometry.positions());
    let batch = columns.ncols() / positions.max(1);
    let mut pre = Array2::<f32>::zeros((batch, outputs * positions));
    let bias = parameters.bias();
    rows_mut(&mut pre).enumerate().for_each(|(example, row)| {
        for (channel, out) in row.chunks_mut(positions).enumerate() {
            let source = by_channel.row(channel);
            let source = &source.as_slice().expect("a product is standard layout")
                [example * positions..(example + 1) * positions];
            let b = bias[channel];
            out.iter_mut().zip(source).for_each(|(o, &v)| *o = v + b);
        }
    });
    pre
}

/// The gradient `(n, out·oh·ow)` with respect to the pre-activation,
/// regrouped channel by channel: `(out, n·oh·ow)`, as the products take it.
pub(crate) fn by_channel(delta: ArrayView2<f32>, outputs: usize, positions: usize) -> Array2<f32> {
    let batch = delta.nrows();
    let mut grouped = Array2::<f32>::zeros((outputs, batch * positions));
    rows_mut(&mut grouped).enumerate().for_each(|(channel, row)| {
        for (example, out) in row.chunks_mut(positions).enumerate() {
            let source = delta.row(example);
            let source = &source.as_slice().expect("gradients are standard layout")
                [channel * positions..(channel + 1) * positions];
            out.copy_from_slice(source);
        }
    });
    grouped
}

/// The weight and bias gradients of a convolution, from the gradient with
/// respect to its pre-activation grouped by channel and its input's columns.
pub(crate) fn parameter_gradients(
    grouped: ArrayView2<f32>,
    columns: ArrayView2<f32>,
) -> (Array2<f32>, Array1<f32>) {
    (product(grouped, columns.t()), grouped.sum_axis(Axis(1)))
}

/// The gradient with respect to the input `(n, c·h·w)`: `Wᵀ · δ` back onto
/// the columns, each column's values added to the input positions it was
/// read from.
pub(crate) fn input_gradient(
    weight: ArrayView2<f32>,
    grouped: ArrayView2<f32>,
    geometry: &Geometry,
) -> Array2<f32> {
    let on_columns = product(weight.t(), grouped);
    let positions = geometry.positions();
    let batch = grouped.ncols() / positions.max(1);
    let (plane, [kernel_h, kernel_w], [out_h, out_w]) = (geometry.plane(), geometry.kernel, geometry.output);
    let width = geometry.input[1];
    let mut gradient = Array2::<f32>::zeros((batch, geometry.channels * plane));
    let slice = gradient.as_slice_mut().expect("a fresh array is contiguous");
    slice
        .par_chunks_mut(plane.max(1))
        .enumerate()
        .for_each(|(index, out)| {
            let (example, channel) = (index / geometry.channels, index % geometry.channels);
            for i in 0..kernel_h {
                for j in 0..kernel_w {
                    let tap = (channel * kernel_h + i) * kernel_w + j;
                    let row = on_columns.row(tap);
                    let row = &row.as_slice().expect("a product is standard layout")
                        [example * positions..(example + 1) * positions];
                    for oy in 0..out_h {
                        let Some(y) = geometry.source(0, oy, i) else {
                            continue;
                        };
                        for ox in 0..out_w {
                            if let Some(x) = geometry.source(1, ox, j) {
                                out[y * width + x] += row[oy * out_w + ox];
                            }
                        }
                    }
                }
            }
        });
    gradient
}
