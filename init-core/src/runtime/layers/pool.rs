//! Pooling at run time: the largest value or the mean of each window of
//! each channel (`max_pool2d`, `avg_pool2d`, and `global_avg_pool2d`, one
//! window a plane), forward and back. Each (example, channel) plane is its
//! own task, so the bits do not depend on the thread count.

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

use crate::rules::layer::{AvgPool2dSpec, GlobalAvgPool2dSpec, MaxPool2dSpec, PoolSpec};
use crate::rules::shape::Shape;
use crate::runtime::error::Error;
use crate::runtime::layers::{Back, Compute, Computed, Io, Tensor};
use crate::runtime::mode::Mode;
use crate::runtime::scratch;

impl Compute for MaxPool2dSpec {
    /// Each window's largest value, and where it was.
    fn forward(&self, _: &[Tensor], input: ArrayView2<f32>, io: Io, _: Mode) -> Computed {
        let (out, winners) = max_forward(input, &Window::of(&self.0, io.input, io.output));
        Computed::new(None, out).keeping(Winners(winners))
    }

    /// Each window's gradient to where its largest value was.
    fn backward(
        &self,
        _: &[Tensor],
        computed: &Computed,
        back: Back<'_>,
        delta: &mut Array2<f32>,
        _: Option<&mut Vec<Array2<f32>>>,
    ) -> Option<Array2<f32>> {
        let Winners(winners) = computed
            .kept::<Winners>()
            .expect("a max pooling keeps its winners");
        let window = Window::of(&self.0, back.io.input, back.io.output);
        Some(max_backward(delta.view(), winners, &window))
    }

    fn step_buffers(&self, _: &[Tensor], _: &mut [Tensor], _: &Computed) -> bool {
        true
    }

    fn check_batch(&self, _: ArrayView2<f32>, _: Io, _: Mode) -> Result<(), Error> {
        Ok(())
    }
}

impl Compute for AvgPool2dSpec {
    /// Each window's mean.
    fn forward(&self, _: &[Tensor], input: ArrayView2<f32>, io: Io, _: Mode) -> Computed {
        Computed::new(
            None,
            average_forward(input, &Window::of(&self.0, io.input, io.output)),
        )
    }

    /// Each window's gradient shared by its values.
    fn backward(
        &self,
        _: &[Tensor],
        _: &Computed,
        back: Back<'_>,
        delta: &mut Array2<f32>,
        _: Option<&mut Vec<Array2<f32>>>,
    ) -> Option<Array2<f32>> {
        let window = Window::of(&self.0, back.io.input, back.io.output);
        Some(average_backward(delta.view(), &window))
    }

    fn step_buffers(&self, _: &[Tensor], _: &mut [Tensor], _: &Computed) -> bool {
        true
    }

    fn check_batch(&self, _: ArrayView2<f32>, _: Io, _: Mode) -> Result<(), Error> {
        Ok(())
    }
}

impl Compute for GlobalAvgPool2dSpec {
    /// Each channel's mean: one window a plane.
    fn forward(&self, _: &[Tensor], input: ArrayView2<f32>, io: Io, _: Mode) -> Computed {
        Computed::new(None, average_forward(input, &Window::global(io.input)))
    }

    fn backward(
        &self,
        _: &[Tensor],
        _: &Computed,
        back: Back<'_>,
        delta: &mut Array2<f32>,
        _: Option<&mut Vec<Array2<f32>>>,
    ) -> Option<Array2<f32>> {
        Some(average_backward(delta.view(), &Window::global(back.io.input)))
    }

    fn step_buffers(&self, _: &[Tensor], _: &mut [Tensor], _: &Computed) -> bool {
        true
    }

    fn check_batch(&self, _: ArrayView2<f32>, _: Io, _: Mode) -> Result<(), Error> {
        Ok(())
    }
}

/// Where each window of a max pooling found its largest value; back to the
/// thread's spares when dropped.
pub(crate) struct Winners(Vec<u32>);

impl Winners {
    /// The index, within its window, of each window's largest value.
    #[cfg(test)]
    pub(crate) fn indices(&self) -> &[u32] {
        &self.0
    }
}

impl Drop for Winners {
    fn drop(&mut self) {
        scratch::recycle_indices(core::mem::take(&mut self.0));
    }
}

/// Where a pooling's windows fall on its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Window {
    pub(crate) channels: usize,
    pub(crate) input: [usize; 2],
    pub(crate) kernel: [usize; 2],
    pub(crate) stride: [usize; 2],
    pub(crate) output: [usize; 2],
}

impl Window {
    /// The windows of `spec` on an image of shape `input` giving `output`.
    fn of(spec: &PoolSpec, input: Shape, output: Shape) -> Window {
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
    fn global(input: Shape) -> Window {
        let Some(plane) = input.plane() else {
            unreachable!("a checked network gives a global pooling an image")
        };
        Window {
            channels: input.channels(),
            input: plane,
            kernel: plane,
            stride: plane,
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
fn max_forward(input: ArrayView2<f32>, window: &Window) -> (Array2<f32>, Vec<u32>) {
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
            if window.kernel == [2, 2] && window.stride == [2, 2] {
                // The common window, two input rows to one output row.
                let out_w = window.output[1];
                for (oy, (values, winners)) in values
                    .chunks_mut(out_w)
                    .zip(winners.chunks_mut(out_w))
                    .enumerate()
                {
                    let top = 2 * oy * width;
                    let (upper, lower) = (&plane[top..top + width], &plane[top + width..top + 2 * width]);
                    let pairs = upper.chunks_exact(2).zip(lower.chunks_exact(2));
                    for (ox, ((value, winner), (up, low))) in
                        values.iter_mut().zip(winners.iter_mut()).zip(pairs).enumerate()
                    {
                        let left = (top + 2 * ox) as u32;
                        let below = left + width as u32;
                        let upper = first_largest((up[0], left), (up[1], left + 1));
                        let lower = first_largest((low[0], below), (low[1], below + 1));
                        (*value, *winner) = first_largest(upper, lower);
                    }
                }
                return;
            }
            for ((value, winner), corner) in values.iter_mut().zip(winners.iter_mut()).zip(window.corners()) {
                let mut best = (plane[corner], corner as u32);
                for i in 0..kernel_h {
                    let row = corner + i * width;
                    for (tap, &candidate) in plane[row..row + kernel_w].iter().enumerate() {
                        best = first_largest(best, (candidate, (row + tap) as u32));
                    }
                }
                (*value, *winner) = best;
            }
        });
    (values, winners)
}

/// Of two `(value, index)` pairs, the one whose value is larger, the
/// earlier on a tie, and the first NaN over any number: selects built from
/// bit masks, not branches, which relu's ties and zeros would mispredict.
#[inline(always)]
fn first_largest((best, at): (f32, u32), (candidate, tap): (f32, u32)) -> (f32, u32) {
    let later = (candidate > best) | (candidate.is_nan() & !best.is_nan());
    let mask = 0u32.wrapping_sub(later as u32);
    (
        f32::from_bits((candidate.to_bits() & mask) | (best.to_bits() & !mask)),
        (tap & mask) | (at & !mask),
    )
}

/// The gradient with respect to a max pooling's input: each output's
/// gradient to the input that won its window.
fn max_backward(delta: ArrayView2<f32>, indices: &[u32], window: &Window) -> Array2<f32> {
    let (plane, positions) = (window.plane(), window.positions());
    // Each plane is cleared by its task, while it is in cache.
    let mut gradient = scratch::overwritten(delta.nrows(), window.channels * plane);
    let slice = gradient.as_slice_mut().expect("a fresh array is contiguous");
    let delta = delta.as_standard_layout();
    let delta = delta.as_slice().expect("standard layout");
    slice
        .par_chunks_mut(plane.max(1))
        .enumerate()
        .for_each(|(index, out)| {
            out.fill(0.0);
            let range = index * positions..(index + 1) * positions;
            for (&winner, &value) in indices[range.clone()].iter().zip(&delta[range]) {
                out[winner as usize] += value;
            }
        });
    gradient
}

/// The mean of each window.
fn average_forward(input: ArrayView2<f32>, window: &Window) -> Array2<f32> {
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
fn average_backward(delta: ArrayView2<f32>, window: &Window) -> Array2<f32> {
    let (plane, positions) = (window.plane(), window.positions());
    let scale = 1.0 / (window.kernel[0] * window.kernel[1]) as f32;
    // Each plane is cleared by its task, while it is in cache.
    let mut gradient = scratch::overwritten(delta.nrows(), window.channels * plane);
    let slice = gradient.as_slice_mut().expect("a fresh array is contiguous");
    let delta = delta.as_standard_layout();
    let delta = delta.as_slice().expect("standard layout");
    slice
        .par_chunks_mut(plane.max(1))
        .enumerate()
        .for_each(|(index, out)| {
            out.fill(0.0);
            let values = &delta[index * positions..(index + 1) * positions];
            for (&value, corner) in values.iter().zip(window.corners()) {
                for tap in window.taps(corner) {
                    out[tap] += value * scale;
                }
            }
        });
    gradient
}
#[cfg(test)]
mod tests {
    use super::*;

    /// The largest value of each window and its index, by the definition:
    /// the first of equal values, a NaN over any number.
    fn by_definition(plane: &[f32], window: &Window) -> Vec<(f32, u32)> {
        let mut found = Vec::new();
        for oy in 0..window.output[0] {
            for ox in 0..window.output[1] {
                let mut best: Option<(f32, usize)> = None;
                for i in 0..window.kernel[0] {
                    for j in 0..window.kernel[1] {
                        let at = (oy * window.stride[0] + i) * window.input[1] + ox * window.stride[1] + j;
                        let value = plane[at];
                        best = match best {
                            Some((b, _)) if !(value > b || (value.is_nan() && !b.is_nan())) => best,
                            _ => Some((value, at)),
                        };
                    }
                }
                let (value, at) = best.expect("a window has taps");
                found.push((value, at as u32));
            }
        }
        found
    }

    #[test]
    fn max_pooling_finds_each_window_s_first_largest_value() {
        // Ties (relu's zeros), a NaN, odd sizes, and windows other than 2 × 2.
        for (kernel, stride, input) in [
            ([2, 2], [2, 2], [7, 6]),
            ([3, 3], [2, 2], [9, 8]),
            ([2, 3], [1, 2], [5, 7]),
        ] {
            let output = [
                (input[0] - kernel[0]) / stride[0] + 1,
                (input[1] - kernel[1]) / stride[1] + 1,
            ];
            let window = Window {
                channels: 2,
                input,
                kernel,
                stride,
                output,
            };
            let plane = input[0] * input[1];
            let mut x = Array2::from_shape_fn((3, 2 * plane), |(r, c)| {
                (((r * 5 + c * 7) % 9) as f32 - 4.0).max(0.0)
            });
            x[(1, 3)] = f32::NAN;
            // Two NaNs in one 2 × 2 window: the first is the winner.
            x[(2, 8)] = f32::NAN;
            x[(2, 9)] = f32::NAN;
            let (values, winners) = max_forward(x.view(), &window);
            for (index, row) in x.rows().into_iter().enumerate() {
                let row = row.to_vec();
                for channel in 0..2 {
                    let expected = by_definition(&row[channel * plane..(channel + 1) * plane], &window);
                    let count = output[0] * output[1];
                    let start = (index * 2 + channel) * count;
                    for (k, &(value, at)) in expected.iter().enumerate() {
                        let got = values[(index, channel * count + k)];
                        assert!(
                            got.to_bits() == value.to_bits() || (got.is_nan() && value.is_nan()),
                            "{kernel:?}"
                        );
                        assert_eq!(winners[start + k], at, "{kernel:?} window {k}");
                    }
                }
            }
        }
    }
}
