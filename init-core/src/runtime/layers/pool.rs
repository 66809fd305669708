//! Pooling: the largest value or the mean of each window of each channel,
//! forward and back. Each (example, channel) plane is its own task, so the
//! bits do not depend on the thread count.

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

use crate::rules::layer::PoolSpec;
use crate::rules::shape::Shape;
use crate::runtime::scratch;

/// Where a pooling's windows fall on its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) channels: usize,
    pub(crate) input: [usize; 2],
    pub(crate) kernel: [usize; 2],
    pub(crate) stride: [usize; 2],
    pub(crate) output: [usize; 2],
}

impl Window {
    /// The windows of `spec` on an image of shape `input` giving `output`.
    pub(crate) fn of(spec: &PoolSpec, input: Shape, output: Shape) -> Window {
        let (Some(plane), Some(output_plane)) = (input.plane(), output.plane()) else {
            unreachable!("a checked network gives a pooling an image and takes one from it")
        };
        Window {
            channels: input.channels(),
            input: plane,
            kernel: spec.kernel(),
            stride: spec.stride(),
            output: output_plane,
        }
    }

    /// The whole plane as one window: a global pooling.
    pub(crate) fn global(input: Shape) -> Window {
        let Shape::Image {
            channels,
            height,
            width,
        } = input
        else {
            unreachable!("a checked network gives a global pooling an image")
        };
        Window {
            channels,
            input: [height, width],
            kernel: [height, width],
            stride: [height, width],
            output: [1, 1],
        }
    }

    fn plane(&self) -> usize {
        self.input[0] * self.input[1]
    }

    fn positions(&self) -> usize {
        self.output[0] * self.output[1]
    }

    /// Each output position in order, with the index of its window's top
    /// left corner in the input plane (nested loops: a division per output
    /// would cost more than the pooling).
    fn corners(&self) -> impl Iterator<Item = usize> + '_ {
        let row = self.stride[0] * self.input[1];
        (0..self.output[0])
            .flat_map(move |oy| (0..self.output[1]).map(move |ox| oy * row + ox * self.stride[1]))
    }

    /// The input indices (in its plane) of the window whose corner is `corner`.
    fn taps(&self, corner: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.kernel[0])
            .flat_map(move |i| (0..self.kernel[1]).map(move |j| corner + i * self.input[1] + j))
    }
}

/// Run `each(input plane, output plane)` over every (example, channel).
fn planes<T: Send>(
    input: ArrayView2<f32>,
    window: &Window,
    output: &mut [T],
    each: impl Fn(&[f32], &mut [T]) + Sync + Send,
) {
    let (plane, positions) = (window.plane(), window.positions());
    output
        .par_chunks_mut(positions.max(1))
        .enumerate()
        .for_each(|(index, out)| {
            let (example, channel) = (index / window.channels, index % window.channels);
            let row = input.row(example);
            let row = row.as_slice().expect("batches are standard layout");
            each(&row[channel * plane..(channel + 1) * plane], out);
        });
}

/// The largest value of each window, and where in its plane it was (the
/// first of equal values), for the backward pass.
pub(crate) fn max_forward(input: ArrayView2<f32>, window: &Window) -> (Array2<f32>, Vec<u32>) {
    let (batch, plane, positions) = (input.nrows(), window.plane(), window.positions());
    // Every value and winner is written below.
    let mut values = scratch::overwritten(batch, window.channels * positions);
    let mut winners = scratch::indices(batch * window.channels * positions);
    values
        .as_slice_mut()
        .expect("a fresh array is contiguous")
        .par_chunks_mut(positions.max(1))
        .zip(winners.par_chunks_mut(positions.max(1)))
        .enumerate()
        .for_each(|(index, (values, winners))| {
            let (example, channel) = (index / window.channels, index % window.channels);
            let row = input.row(example);
            let plane =
                &row.as_slice().expect("batches are standard layout")[channel * plane..(channel + 1) * plane];
            let ([kernel_h, kernel_w], width) = (window.kernel, window.input[1]);
            for ((value, winner), corner) in values.iter_mut().zip(winners.iter_mut()).zip(window.corners()) {
                let (mut best, mut at) = (plane[corner], corner);
                for i in 0..kernel_h {
                    let row = corner + i * width;
                    for (tap, &candidate) in plane[row..row + kernel_w].iter().enumerate() {
                        // A NaN wins, so it is not hidden; selects, not
                        // branches, which relu's ties would mispredict.
                        let better = candidate > best || candidate.is_nan();
                        best = if better { candidate } else { best };
                        at = if better { row + tap } else { at };
                    }
                }
                (*value, *winner) = (best, at as u32);
            }
        });
    (values, winners)
}

/// The gradient with respect to a max pooling's input: each output's
/// gradient to the input that won its window.
pub(crate) fn max_backward(delta: ArrayView2<f32>, indices: &[u32], window: &Window) -> Array2<f32> {
    let (plane, positions) = (window.plane(), window.positions());
    let mut gradient = scratch::zeros(delta.nrows(), window.channels * plane);
    let slice = gradient.as_slice_mut().expect("a fresh array is contiguous");
    let delta = delta.as_standard_layout();
    let delta = delta.as_slice().expect("standard layout");
    slice
        .par_chunks_mut(plane.max(1))
        .enumerate()
        .for_each(|(index, out)| {
            let range = index * positions..(index + 1) * positions;
            for (&winner, &value) in indices[range.clone()].iter().zip(&delta[range]) {
                out[winner as usize] += value;
            }
        });
    gradient
}

/// The mean of each window.
pub(crate) fn average_forward(input: ArrayView2<f32>, window: &Window) -> Array2<f32> {
    let batch = input.nrows();
    // Every value is written below.
    let mut values = scratch::overwritten(batch, window.channels * window.positions());
    let scale = 1.0 / (window.kernel[0] * window.kernel[1]) as f32;
    planes(
        input,
        window,
        values.as_slice_mut().expect("a fresh array is contiguous"),
        |plane, out| {
            for (slot, corner) in out.iter_mut().zip(window.corners()) {
                *slot = window.taps(corner).map(|tap| plane[tap]).sum::<f32>() * scale;
            }
        },
    );
    values
}

/// The gradient with respect to an average pooling's input: each output's
/// gradient shared equally by its window.
pub(crate) fn average_backward(delta: ArrayView2<f32>, window: &Window) -> Array2<f32> {
    let (plane, positions) = (window.plane(), window.positions());
    let scale = 1.0 / (window.kernel[0] * window.kernel[1]) as f32;
    let mut gradient = scratch::zeros(delta.nrows(), window.channels * plane);
    let slice = gradient.as_slice_mut().expect("a fresh array is contiguous");
    let delta = delta.as_standard_layout();
    let delta = delta.as_slice().expect("standard layout");
    slice
        .par_chunks_mut(plane.max(1))
        .enumerate()
        .for_each(|(index, out)| {
            let values = &delta[index * positions..(index + 1) * positions];
            for (&value, corner) in values.iter().zip(window.corners()) {
                for tap in window.taps(corner) {
                    out[tap] += value * scale;
                }
            }
        });
    gradient
}
