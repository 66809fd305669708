//! The convolution at run time: `activation(W ⊛ x + b)` with `W` stored
//! `(out, in, kh, kw)` like PyTorch's `Conv2d`, computed as matrix products
//! (im2col): each output position's receptive field becomes a column, and
//! the weights, as an `(out, in·kh·kw)` matrix, multiply each image's
//! columns through the same gemm kernels the dense layers use. A task
//! builds the columns of a few images; each image's products stay small
//! enough for the cache.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut2, Axis};
use rayon::prelude::*;

use crate::rules::layer::Conv2dSpec;
use crate::rules::shape::Shape;
use crate::runtime::error::Error;
use crate::runtime::layers::activation;
use crate::runtime::layers::{values, vector, Back, Compute, Computed, Io, Tensor};
use crate::runtime::mode::Mode;
use crate::runtime::product::{product_add_into, product_into};
use crate::runtime::scratch::{self, Scratch};

/// `weight`, then `bias` unless `bias = none`.
const WEIGHT: usize = 0;
const BIAS: usize = 1;

impl Compute for Conv2dSpec {
    /// `W ⊛ x + b`, then the activation.
    fn forward(&self, tensors: &[Tensor], input: ArrayView2<f32>, io: Io, _: Mode) -> Computed {
        let geometry = Geometry::of(self, io.input, io.output);
        let pre = forward(values(tensors, WEIGHT), vector(tensors, BIAS), input, &geometry);
        activation::activated(self.affine().activation(), pre)
    }

    /// `δ = δ ⊙ φ'(z)`, then the weights', the biases' and (below) the
    /// input's gradients from the columns.
    fn backward(
        &self,
        tensors: &[Tensor],
        computed: &Computed,
        back: Back<'_>,
        delta: &mut Array2<f32>,
        gradients: Option<&mut Vec<Array2<f32>>>,
    ) -> Option<Array2<f32>> {
        if !back.fused_top {
            activation::through(self.affine().activation(), computed, back.io.output, delta);
        }
        let geometry = Geometry::of(self, back.io.input, back.io.output);
        let bias = vector(tensors, BIAS);
        let (weight, bias_gradient, below) = backward(
            values(tensors, WEIGHT),
            bias.map_or(0, |bias| bias.len()),
            back.input,
            delta.view(),
            &geometry,
            back.below,
        );
        if let Some(gradients) = gradients {
            gradients.push(weight);
            if bias.is_some() {
                gradients.push(bias_gradient.insert_axis(Axis(0)));
            }
        }
        below
    }

    fn step_buffers(&self, _: &[Tensor], _: &mut [Tensor], _: &Computed) -> bool {
        true
    }

    fn check_batch(&self, _: ArrayView2<f32>, _: Io, _: Mode) -> Result<(), Error> {
        Ok(())
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
        let (Some(plane), Some(output_plane)) = (input.plane(), output.plane()) else {
            unreachable!("a checked network gives a convolution an image and takes one from it")
        };
        Geometry {
            channels: input.channels(),
            input: plane,
            kernel: spec.kernel(),
            stride: spec.stride(),
            padding: spec.padding_sizes(),
            output: output_plane,
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

    /// The input row (axis 0) or column (axis 1) under output position
    /// `output` at tap `tap`, `None` where the tap falls on the padding.
    fn source(&self, axis: usize, output: usize, tap: usize) -> Option<usize> {
        (output * self.stride[axis] + tap)
            .checked_sub(self.padding[axis])
            .filter(|&at| at < self.input[axis])
    }

    /// The output columns whose tap `j` falls inside the input, as a range
    /// (empty where every one falls on the padding): `ox · stride + j -
    /// padding` in `[0, width)`.
    fn inside(&self, j: usize) -> core::ops::Range<usize> {
        let (stride, padding, width) = (self.stride[1], self.padding[1], self.input[1]);
        let first = padding.saturating_sub(j).div_ceil(stride);
        // One past the last ox with ox · stride + j - padding < width.
        let end = (width + padding)
            .saturating_sub(j)
            .div_ceil(stride)
            .min(self.output[1]);
        first.min(end)..end
    }
}

/// Images per task: each task builds the columns of its images, small
/// enough to stay in cache, and multiplies them on its own thread. The
/// split depends on the batch alone, so the bits do not depend on the
/// thread count.
const IMAGES_PER_TASK: usize = 8;

/// The column matrix of a few images `(n, c·h·w)`: `(c·kh·kw, n·oh·ow)`,
/// column `b·oh·ow + p` holding the receptive field of output position `p`
/// of image `b`, zeros where it falls on the padding.
fn columns(images: ArrayView2<f32>, geometry: &Geometry) -> Scratch {
    let (batch, positions) = (images.nrows(), geometry.positions());
    let [kernel_h, kernel_w] = geometry.kernel;
    let [out_h, out_w] = geometry.output;
    let (width, plane) = (geometry.input[1], geometry.plane());
    // Every value is written below, the padding's as zeros: clearing the
    // buffer first would be a pass over it for nothing.
    let mut columns = Scratch::overwritten(geometry.taps(), batch * positions);
    let row_length = (batch * positions).max(1);
    let slice = columns.as_slice_mut();
    for (tap, row) in slice.chunks_mut(row_length).enumerate() {
        let (channel, i, j) = (
            tap / (kernel_h * kernel_w),
            tap / kernel_w % kernel_h,
            tap % kernel_w,
        );
        let inside = geometry.inside(j);
        let (stride, shift) = (geometry.stride[1], j as isize - geometry.padding[1] as isize);
        for (image, out) in images.outer_iter().zip(row.chunks_mut(positions.max(1))) {
            let image = image.as_slice().expect("batches are standard layout");
            let source_plane = &image[channel * plane..(channel + 1) * plane];
            for (oy, out) in out.chunks_mut(out_w.max(1)).enumerate().take(out_h) {
                let source = match geometry.source(0, oy, i) {
                    Some(y) if !inside.is_empty() => &source_plane[y * width..(y + 1) * width],
                    // The whole row reads padding.
                    _ => {
                        out.fill(0.0);
                        continue;
                    }
                };
                out[..inside.start].fill(0.0);
                out[inside.end..].fill(0.0);
                if stride == 1 {
                    let first = (inside.start as isize + shift) as usize;
                    out[inside.clone()].copy_from_slice(&source[first..first + inside.len()]);
                } else {
                    for ox in inside.clone() {
                        out[ox] = source[(ox as isize * stride as isize + shift) as usize];
                    }
                }
            }
        }
    }
    columns
}

/// The pre-activation `(n, out·oh·ow)` of a batch `(n, c·h·w)`: for each
/// image, `W · columns + b`, an `(out, oh·ow)` product written straight
/// into the image's row, which holds it channel by channel.
fn forward(
    weight: ArrayView2<f32>,
    bias: Option<ArrayView1<f32>>,
    input: ArrayView2<f32>,
    geometry: &Geometry,
) -> Array2<f32> {
    let (outputs, positions) = (weight.nrows(), geometry.positions());
    // Every value is written below, each task its images' rows.
    let mut pre = scratch::overwritten(input.nrows(), outputs * positions);
    let row_length = (outputs * positions).max(1);
    let bias = bias.unwrap_or_else(|| ArrayView1::from(&[]));
    pre.as_slice_mut()
        .expect("a fresh array is contiguous")
        .par_chunks_mut(row_length * IMAGES_PER_TASK)
        .enumerate()
        .for_each(|(task, rows)| {
            let columns = columns(task_rows(input, task), geometry);
            for (image, row) in rows.chunks_mut(row_length).enumerate() {
                let mut out = image_matrix(row, outputs, positions);
                product_into(weight, image_columns(&columns, image, positions), out.view_mut());
                for (mut channel, &add) in out.rows_mut().into_iter().zip(bias) {
                    channel += add;
                }
            }
        });
    pre
}

/// The gradients of a convolution from the gradient `delta` `(n,
/// out·oh·ow)` with respect to its pre-activation and its input `(n,
/// c·h·w)`: the weights' `(out, c·kh·kw)`, the biases', and with `below`
/// the input's `(n, c·h·w)`. Each task sums its images' shares in order,
/// and the tasks' shares are summed in the tasks' order.
fn backward(
    weight: ArrayView2<f32>,
    biases: usize,
    input: ArrayView2<f32>,
    delta: ArrayView2<f32>,
    geometry: &Geometry,
    below: bool,
) -> (Array2<f32>, Array1<f32>, Option<Array2<f32>>) {
    let (outputs, positions) = (weight.nrows(), geometry.positions());
    let plane_values = geometry.channels * geometry.plane();
    let tasks = input.nrows().div_ceil(IMAGES_PER_TASK);

    // Every value is written below: each task clears its images' share,
    // while it is in cache, before adding into it.
    let mut gradient = below.then(|| scratch::overwritten(input.nrows(), plane_values));
    let targets: Vec<Option<&mut [f32]>> = match gradient.as_mut() {
        Some(gradient) => gradient
            .as_slice_mut()
            .expect("a fresh array is contiguous")
            .chunks_mut((plane_values * IMAGES_PER_TASK).max(1))
            .map(Some)
            .collect(),
        None => (0..tasks).map(|_| None).collect(),
    };
    let shares: Vec<(Array2<f32>, Array1<f32>)> = targets
        .into_par_iter()
        .enumerate()
        .map(|(task, mut gradient)| {
            let columns = columns(task_rows(input, task), geometry);
            let mut weight_share = Array2::zeros(weight.raw_dim());
            let mut bias_share = Array1::zeros(biases);
            // Gradient on the columns, one image at a time: small enough
            // for the cache, and written whole by each product.
            let mut on_columns = gradient
                .is_some()
                .then(|| Scratch::overwritten(geometry.taps(), positions));
            for (image, delta) in task_rows(delta, task).outer_iter().enumerate() {
                let delta = delta
                    .into_shape_with_order((outputs, positions))
                    .expect("a gradient row holds out × positions values");
                product_add_into(
                    delta,
                    image_columns(&columns, image, positions).t(),
                    weight_share.view_mut(),
                );
                if !bias_share.is_empty() {
                    bias_share += &delta.sum_axis(Axis(1));
                }
                if let (Some(gradient), Some(on_columns)) = (gradient.as_deref_mut(), on_columns.as_mut()) {
                    product_into(weight.t(), delta, on_columns.view_mut());
                    let image_gradient = &mut gradient[image * plane_values..(image + 1) * plane_values];
                    image_gradient.fill(0.0);
                    add_columns(on_columns.view(), geometry, image_gradient);
                }
            }
            (weight_share, bias_share)
        })
        .collect();
    let mut shares = shares.into_iter();
    let (mut weight_gradient, mut bias_gradient) = shares
        .next()
        .unwrap_or_else(|| (Array2::zeros(weight.raw_dim()), Array1::zeros(biases)));
    for (share_weight, share_bias) in shares {
        weight_gradient += &share_weight;
        bias_gradient += &share_bias;
    }
    (weight_gradient, bias_gradient, gradient)
}

/// The rows of a batch that task `task` works on.
fn task_rows(batch: ArrayView2<f32>, task: usize) -> ArrayView2<f32> {
    let start = (task * IMAGES_PER_TASK).min(batch.nrows());
    let end = (start + IMAGES_PER_TASK).min(batch.nrows());
    batch.slice_move(ndarray::s![start..end, ..])
}

/// Image `image`'s columns `(c·kh·kw, oh·ow)` among a task's.
fn image_columns(columns: &Scratch, image: usize, positions: usize) -> ArrayView2<'_, f32> {
    columns
        .view()
        .slice_move(ndarray::s![.., image * positions..(image + 1) * positions])
}

/// An image's row of `channels · positions` values as the `(channels,
/// positions)` matrix it is in memory.
fn image_matrix(row: &mut [f32], channels: usize, positions: usize) -> ArrayViewMut2<'_, f32> {
    ArrayViewMut2::from_shape((channels, positions), row)
        .expect("an image row holds channels × positions values")
}

/// Add each column's values to the input positions it was read from:
/// `gradient` holds the few images' `(n, c·h·w)` values.
fn add_columns(on_columns: ArrayView2<f32>, geometry: &Geometry, gradient: &mut [f32]) {
    let (positions, plane) = (geometry.positions(), geometry.plane());
    let ([kernel_h, kernel_w], [out_h, out_w]) = (geometry.kernel, geometry.output);
    let width = geometry.input[1];
    for (index, out) in gradient.chunks_mut(plane.max(1)).enumerate() {
        let (image, channel) = (index / geometry.channels, index % geometry.channels);
        for i in 0..kernel_h {
            for j in 0..kernel_w {
                let tap = (channel * kernel_h + i) * kernel_w + j;
                let row = on_columns.row(tap);
                let row = &row.as_slice().expect("a product is standard layout")
                    [image * positions..(image + 1) * positions];
                let inside = geometry.inside(j);
                if inside.is_empty() {
                    // This tap reads only padding, which has no gradient.
                    continue;
                }
                let (stride, shift) = (
                    geometry.stride[1] as isize,
                    j as isize - geometry.padding[1] as isize,
                );
                for oy in 0..out_h {
                    let Some(y) = geometry.source(0, oy, i) else {
                        continue;
                    };
                    let (target, source) = (
                        &mut out[y * width..(y + 1) * width],
                        &row[oy * out_w..(oy + 1) * out_w],
                    );
                    if stride == 1 {
                        let first = (inside.start as isize + shift) as usize;
                        let target = &mut target[first..first + inside.len()];
                        target
                            .iter_mut()
                            .zip(&source[inside.clone()])
                            .for_each(|(t, &s)| *t += s);
                    } else {
                        for ox in inside.clone() {
                            target[(ox as isize * stride + shift) as usize] += source[ox];
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The gradient with respect to the input by its definition:
    /// `din[c, y, x] = Σ W[o, c, i, j] · δ[o, oy, ox]` over the outputs whose
    /// window reads `(y, x)` at tap `(i, j)`.
    fn by_definition(weight: &Array2<f32>, delta: ArrayView2<f32>, geometry: &Geometry) -> Array2<f32> {
        let ([kh, kw], [oh, ow], [h, w]) = (geometry.kernel, geometry.output, geometry.input);
        let (inputs, outputs) = (geometry.channels, weight.nrows());
        let mut gradient = Array2::<f32>::zeros((delta.nrows(), inputs * h * w));
        for n in 0..delta.nrows() {
            for o in 0..outputs {
                for oy in 0..oh {
                    for ox in 0..ow {
                        let d = delta[(n, (o * oh + oy) * ow + ox)];
                        for c in 0..inputs {
                            for i in 0..kh {
                                for j in 0..kw {
                                    let (Some(y), Some(x)) =
                                        (geometry.source(0, oy, i), geometry.source(1, ox, j))
                                    else {
                                        continue;
                                    };
                                    gradient[(n, (c * h + y) * w + x)] +=
                                        weight[(o, (c * kh + i) * kw + j)] * d;
                                }
                            }
                        }
                    }
                }
            }
        }
        gradient
    }

    #[test]
    fn the_input_gradient_is_the_definition_s() {
        // Strides, paddings up to the kernel's size, non-square kernels.
        let cases = [
            ([3, 3], [1, 1], [1, 1], [9, 7]),
            ([2, 3], [1, 1], [0, 2], [5, 6]),
            ([4, 1], [1, 1], [3, 0], [6, 4]),
            ([3, 3], [2, 1], [1, 1], [9, 7]),
            ([2, 2], [1, 1], [2, 2], [3, 3]),
        ];
        for (kernel, stride, padding, [height, width]) in cases {
            let (inputs, outputs, batch) = (3, 4, 11);
            let output = [
                (height + 2 * padding[0] - kernel[0]) / stride[0] + 1,
                (width + 2 * padding[1] - kernel[1]) / stride[1] + 1,
            ];
            let geometry = Geometry {
                channels: inputs,
                input: [height, width],
                kernel,
                stride,
                padding,
                output,
            };
            let weight = Array2::from_shape_fn((outputs, inputs * kernel[0] * kernel[1]), |(r, c)| {
                ((r * 7 + c * 5) % 13) as f32 / 6.0 - 1.0
            });
            let input = Array2::from_shape_fn((batch, inputs * height * width), |(r, c)| {
                ((r + 3 * c) % 7) as f32
            });
            let delta = Array2::from_shape_fn((batch, outputs * output[0] * output[1]), |(r, c)| {
                ((r * 3 + c * 11) % 17) as f32 / 8.0 - 1.0
            });
            let (_, _, gradient) = backward(
                weight.view(),
                outputs,
                input.view(),
                delta.view(),
                &geometry,
                true,
            );
            let expected = by_definition(&weight, delta.view(), &geometry);
            let gradient = gradient.expect("asked for");
            let worst = gradient
                .iter()
                .zip(&expected)
                .map(|(a, b)| (a - b).abs() / (1.0 + b.abs()))
                .fold(0.0_f32, f32::max);
            // Sums of at most 48 products of values below 4 in f32.
            assert!(worst < 1e-5, "{kernel:?} {stride:?} {padding:?}: {worst}");
        }
    }
}
