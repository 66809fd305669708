//! Where a convolution's or a pooling's windows fall on a plane, for the
//! analysis that follows every position. A window is a rectangle, so the
//! sums over windows (and, on the way back, over the windows that cover a
//! position) come from a table of running sums, in time linear in the
//! positions whatever the kernel. A plane past
//! [`MAX_FOLLOWED`](crate::rules::signal::values::MAX_FOLLOWED) positions is
//! followed as one value, its mean: its windows then count their taps on
//! average, in closed form along each axis.

use core::ops::Range;

use crate::rules::signal::values::{mean, positions};

/// Where windows fall: input and output planes, kernel, stride, padding.
#[derive(Clone, Copy, Debug)]
pub struct Windows {
    /// The input plane.
    pub input: [usize; 2],
    /// The output plane.
    pub output: [usize; 2],
    /// The window's `[height, width]`.
    pub kernel: [usize; 2],
    /// How far a window moves.
    pub stride: [usize; 2],
    /// The zeros on each side.
    pub padding: [usize; 2],
}

impl Windows {
    /// For each output position, the sum of `field` (one value per input
    /// position) over the input positions its window covers; where either
    /// plane is followed as its mean, that mean times the taps a window
    /// covers on average, for each output the analysis follows.
    pub fn sums(&self, field: &[f64]) -> Vec<f64> {
        let outputs = positions(Some(self.output));
        if field.len() != self.input[0] * self.input[1] || outputs != self.output[0] * self.output[1] {
            return vec![mean(field) * self.mean_taps(); outputs];
        }
        rectangle_sums(field, self.input, self.output, |axis, at| self.covered(axis, at))
    }

    /// For each input position, the sum of `incoming` (one value per
    /// output position) over the outputs whose windows cover it: a
    /// gradient on its way back. Where either plane is followed as its
    /// mean, the mean's share of every window's taps, spread evenly.
    pub fn spread(&self, incoming: &[f64]) -> Vec<f64> {
        let inputs = positions(Some(self.input));
        let outputs = self.output[0] * self.output[1];
        if incoming.len() != outputs || inputs != self.input[0] * self.input[1] {
            let coverage = outputs as f64 * self.mean_taps() / (self.input[0] * self.input[1]).max(1) as f64;
            return vec![mean(incoming) * coverage; inputs];
        }
        rectangle_sums(incoming, self.output, self.input, |axis, at| {
            self.covering(axis, at)
        })
    }

    /// The taps of one window.
    pub fn taps(&self) -> usize {
        self.kernel[0].saturating_mul(self.kernel[1])
    }

    /// The input positions along `axis` that the window of output `at`
    /// covers (the zero padding left out).
    fn covered(&self, axis: usize, at: usize) -> Range<usize> {
        let (length, kernel) = (self.input[axis] as u128, self.kernel[axis] as u128);
        let start = at as u128 * self.stride[axis] as u128;
        let padding = self.padding[axis] as u128;
        let first = start.saturating_sub(padding).min(length);
        let end = (start + kernel).saturating_sub(padding).min(length);
        first as usize..end.max(first) as usize
    }

    /// The outputs along `axis` whose windows cover input position `at`:
    /// those with `o·s - p <= at < o·s - p + k`.
    fn covering(&self, axis: usize, at: usize) -> Range<usize> {
        let stride = self.stride[axis].max(1) as u128;
        let shifted = at as u128 + self.padding[axis] as u128;
        let first = (shifted + 1)
            .saturating_sub(self.kernel[axis] as u128)
            .div_ceil(stride);
        let end = (shifted / stride + 1).min(self.output[axis] as u128);
        let first = first.min(end);
        first as usize..end as usize
    }

    /// The taps a window covers, on average over the output positions:
    /// per axis, in closed form.
    pub fn mean_taps(&self) -> f64 {
        (0..2)
            .map(|axis| self.covered_along(axis) / self.output[axis].max(1) as f64)
            .product()
    }

    /// The input positions the windows along `axis` cover, summed over
    /// the outputs: `Σ_o |[o·s - p, o·s - p + k) ∩ [0, n)|`, each window's
    /// count a piecewise linear function of `o`, summed piece by piece.
    fn covered_along(&self, axis: usize) -> f64 {
        let (length, kernel) = (self.input[axis] as i128, self.kernel[axis] as i128);
        let (stride, padding) = (self.stride[axis].max(1) as i128, self.padding[axis] as i128);
        let outputs = self.output[axis] as i128;
        // Where a window's start reaches 0, its end passes n, its start
        // passes n, and where its end passes 0: the count is linear between.
        let first_at = |from: i128| -> i128 { (from.max(0) + stride - 1) / stride };
        let mut cuts = [
            0,
            outputs,
            first_at(padding),
            first_at(length + padding - kernel + 1),
            first_at(length + padding),
            first_at(padding - kernel + 1),
        ];
        cuts.iter_mut().for_each(|cut| *cut = (*cut).clamp(0, outputs));
        cuts.sort_unstable();
        let count = |o: i128| {
            let start = o * stride - padding;
            ((start + kernel).min(length) - start.max(0)).max(0)
        };
        cuts.windows(2)
            .filter(|piece| piece[1] > piece[0])
            .map(|piece| {
                // Linear on the piece: the mean of its ends, times its length.
                let (first, last) = (piece[0], piece[1] - 1);
                (count(first) + count(last)) as f64 / 2.0 * (last - first + 1) as f64
            })
            .sum()
    }

    /// The mean over ordered pairs of a window's taps of `c^distance`, the
    /// distance counted along rows plus along columns: the product of the
    /// two axes' means, as `c^(a + b) = c^a · c^b`.
    pub fn mean_power_over_pairs(&self, c: f64) -> f64 {
        mean_power_along(self.kernel[0], c) * mean_power_along(self.kernel[1], c)
    }
}

/// The mean over ordered pairs `(a, b)` of `0..length` of `c^|a - b|`:
/// `(L + 2 Σ_{d=1}^{L-1} (L - d) c^d) / L²`, its sum taken term by term
/// until the terms no longer count, or in closed form for a long axis
/// whose `c` is near 1; where `c^L` is itself near 1, to first order in
/// `ln c`: `1 + ln(c) · E|a - b|`, `E|a - b| = (L² - 1) / 3L`.
pub fn mean_power_along(length: usize, c: f64) -> f64 {
    if length <= 1 || c == 1.0 {
        return 1.0;
    }
    let size = length as f64;
    let spread = c.ln() * size;
    if c > 0.0 && spread.abs() < 1e-4 {
        return (1.0 + c.ln() * (size * size - 1.0) / (3.0 * size)).clamp(0.0, 1.0);
    }
    let mut sum = 0.0;
    let mut power = 1.0;
    for distance in 1..length {
        power *= c;
        if power.abs() < 1e-18 {
            return (size + 2.0 * sum) / (size * size);
        }
        sum += (size - distance as f64) * power;
        if distance == 1 << 16 {
            // Σ_{d≥1} (L - d) c^d = c (L (1 - c) - (1 - c^L)) / (1 - c)².
            let rest = 1.0 - c;
            sum = c * (size * rest - (1.0 - c.powf(size))) / (rest * rest);
            break;
        }
    }
    (size + 2.0 * sum) / (size * size)
}

/// For each target position, the sum of `source` (a `from` plane, row by
/// row) over the rectangle `ranges` gives along each axis, from a table of
/// running sums.
fn rectangle_sums(
    source: &[f64],
    from: [usize; 2],
    to: [usize; 2],
    ranges: impl Fn(usize, usize) -> Range<usize>,
) -> Vec<f64> {
    let [height, width] = from;
    // running[(y + 1) (w + 1) + x + 1]: the sum over rows < y + 1, columns < x + 1.
    let stride = width + 1;
    let mut running = vec![0.0; (height + 1) * stride];
    for y in 0..height {
        let mut row = 0.0;
        for x in 0..width {
            row += source[y * width + x];
            running[(y + 1) * stride + x + 1] = running[y * stride + x + 1] + row;
        }
    }
    let columns: Vec<Range<usize>> = (0..to[1]).map(|x| ranges(1, x)).collect();
    let mut sums = Vec::with_capacity(to[0] * to[1]);
    for y in 0..to[0] {
        let rows = ranges(0, y);
        for columns in &columns {
            let corner = |row: usize, column: usize| running[row * stride + column];
            sums.push(
                corner(rows.end, columns.end)
                    - corner(rows.start, columns.end)
                    - corner(rows.end, columns.start)
                    + corner(rows.start, columns.start),
            );
        }
    }
    sums
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The windows' sums and spreads counted tap by tap, the way the
    /// analysis did before the running sums.
    fn by_taps(windows: &Windows, field: &[f64], incoming: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let ([height, width], [out_h, out_w]) = (windows.input, windows.output);
        let (mut sums, mut spread) = (vec![0.0; out_h * out_w], vec![0.0; height * width]);
        for oy in 0..out_h {
            for ox in 0..out_w {
                for i in 0..windows.kernel[0] {
                    for j in 0..windows.kernel[1] {
                        let y = (oy * windows.stride[0] + i).checked_sub(windows.padding[0]);
                        let x = (ox * windows.stride[1] + j).checked_sub(windows.padding[1]);
                        if let (Some(y), Some(x)) = (y.filter(|&y| y < height), x.filter(|&x| x < width)) {
                            sums[oy * out_w + ox] += field[y * width + x];
                            spread[y * width + x] += incoming[oy * out_w + ox];
                        }
                    }
                }
            }
        }
        (sums, spread)
    }

    fn output(input: usize, kernel: usize, stride: usize, padding: usize) -> usize {
        (input + 2 * padding - kernel) / stride + 1
    }

    #[test]
    fn running_sums_agree_with_counting_every_tap() {
        for (input, kernel, stride, padding) in [
            ([7, 5], [3, 3], [1, 1], [1, 1]),
            ([9, 8], [3, 2], [2, 3], [2, 0]),
            ([6, 6], [6, 6], [1, 1], [0, 0]),
            ([5, 4], [7, 7], [1, 2], [3, 3]),
            ([4, 4], [1, 1], [3, 3], [0, 0]),
        ] {
            let windows = Windows {
                input,
                output: [0, 1].map(|axis| output(input[axis], kernel[axis], stride[axis], padding[axis])),
                kernel,
                stride,
                padding,
            };
            let field: Vec<f64> = (0..input[0] * input[1])
                .map(|at| 1.0 + (at * 7 % 5) as f64)
                .collect();
            let outputs = windows.output[0] * windows.output[1];
            let incoming: Vec<f64> = (0..outputs).map(|at| 0.5 + (at * 3 % 4) as f64).collect();
            let (sums, spread) = by_taps(&windows, &field, &incoming);
            let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(a, b)| (a - b).abs() < 1e-9);
            assert!(close(&windows.sums(&field), &sums), "{windows:?}");
            assert!(close(&windows.spread(&incoming), &spread), "{windows:?}");
            // The mean taps in closed form: every tap counted once.
            let ones = by_taps(&windows, &vec![1.0; field.len()], &incoming).0;
            assert!((windows.mean_taps() - mean(&ones)).abs() < 1e-9, "{windows:?}");
        }
    }

    #[test]
    fn a_plane_followed_as_its_mean_counts_taps_on_average() {
        // 8192 × 8192 with a 3 × 3 window and padding 1: each axis keeps
        // (2 · 2 + 8190 · 3) of 8192 · 3 taps. No table of 2^26 positions.
        let windows = Windows {
            input: [8192, 8192],
            output: [8192, 8192],
            kernel: [3, 3],
            stride: [1, 1],
            padding: [1, 1],
        };
        let along = (4.0 + 8190.0 * 3.0) / 8192.0;
        assert!((windows.mean_taps() - along * along).abs() < 1e-12);
        assert_eq!(windows.sums(&[2.0]), [2.0 * along * along]);
        // A kernel of a billion with padding `same` on 8 positions: every
        // window covers the whole axis.
        let huge = Windows {
            input: [8, 8],
            output: [8, 8],
            kernel: [1_000_000_001; 2],
            stride: [1, 1],
            padding: [500_000_000; 2],
        };
        assert_eq!(huge.mean_taps(), 64.0);
        assert_eq!(huge.sums(&[1.0; 64]), vec![64.0; 64]);
    }

    #[test]
    fn the_mean_power_over_pairs_is_the_sum_over_every_pair() {
        for (length, c) in [
            (1_usize, 0.3_f64),
            (3, 0.5),
            (7, -0.4),
            (20, 0.99),
            (5, 0.0),
            (4, 1.0),
        ] {
            let mut total = 0.0;
            for a in 0..length {
                for b in 0..length {
                    total += c.powi(a.abs_diff(b) as i32);
                }
            }
            let expected = total / (length * length) as f64;
            assert!(
                (mean_power_along(length, c) - expected).abs() < 1e-12,
                "{length} {c}"
            );
        }
        // Long axes: the closed form (past 2^16 terms) and the first-order
        // form (c^L near 1) agree with the sum taken term by term.
        for (length, c) in [
            (200_000_usize, 0.99999_f64),
            (200_000, 1.0 - 1e-12),
            (100_000, 0.9999),
        ] {
            let size = length as f64;
            let mut power = 1.0;
            let mut sum = 0.0;
            for distance in 1..length {
                power *= c;
                sum += (size - distance as f64) * power;
            }
            let expected = (size + 2.0 * sum) / (size * size);
            let found = mean_power_along(length, c);
            assert!(
                (found - expected).abs() < 1e-6,
                "{length} {c}: {found} against {expected}"
            );
            assert!((0.0..=1.0).contains(&found));
        }
    }
}
