//! Where a convolution's or a pooling's windows fall on a plane, for the
//! analysis that follows every position.

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
    /// For each output position, the input positions its window covers.
    pub fn each(&self, mut visit: impl FnMut(usize, usize)) {
        let ([height, width], [out_h, out_w]) = (self.input, self.output);
        for oy in 0..out_h {
            for ox in 0..out_w {
                for i in 0..self.kernel[0] {
                    let Some(y) = (oy * self.stride[0] + i)
                        .checked_sub(self.padding[0])
                        .filter(|&y| y < height)
                    else {
                        continue;
                    };
                    for j in 0..self.kernel[1] {
                        if let Some(x) = (ox * self.stride[1] + j)
                            .checked_sub(self.padding[1])
                            .filter(|&x| x < width)
                        {
                            visit(oy * out_w + ox, y * width + x);
                        }
                    }
                }
            }
        }
    }

    /// The taps of one window.
    pub fn taps(&self) -> usize {
        self.kernel[0] * self.kernel[1]
    }

    /// The mean over ordered pairs of a window's taps of `f(distance)`, the
    /// distance counted along rows plus along columns.
    pub fn mean_over_pairs(&self, f: impl Fn(usize) -> f64) -> f64 {
        let [height, width] = self.kernel;
        let mut total = 0.0;
        for a in 0..height * width {
            for b in 0..height * width {
                total += f((a / width).abs_diff(b / width) + (a % width).abs_diff(b % width));
            }
        }
        total / ((height * width) as f64).powi(2)
    }
}
