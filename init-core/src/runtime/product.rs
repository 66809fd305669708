//! Matrix products for the forward and backward passes, through the `gemm`
//! crate's kernels, split between two threads by hand when the product is
//! large enough to pay for the hand-off.

use gemm::{gemm, Parallelism};
use ndarray::{Array2, ArrayView2, ArrayViewMut2, Axis};

use crate::runtime::scratch;

/// Products smaller than this many multiply-adds run on one thread: below
/// it, waking a second thread costs more than it saves.
const PARALLEL_FROM: usize = 1 << 21;

/// `a · b` for `a` of shape `(m, k)` and `b` of shape `(k, n)`, any strides
/// (a transposed view is read in place), into a new standard-layout array.
/// A large product is split by rows of `a` into two halves, each a product
/// of its own on one thread, run side by side by `rayon::join` (gemm's own
/// threading leaves the second thread idle at these sizes). The split
/// depends on the shape alone, so the bits do not depend on the thread
/// count: with one thread, `join` runs the halves one after the other.
pub fn product(a: ArrayView2<f32>, b: ArrayView2<f32>) -> Array2<f32> {
    let ((m, k), (k_b, n)) = (a.dim(), b.dim());
    assert_eq!(k, k_b, "the inner dimensions of a product agree");
    if m == 0 || n == 0 || k == 0 {
        return scratch::zeros(m, n);
    }
    // gemm writes every value of the output (it is told not to read it).
    let mut out = scratch::overwritten(m, n);
    if m * n * k >= PARALLEL_FROM && m >= 2 {
        let half = m / 2;
        let (a_top, a_bottom) = a.split_at(Axis(0), half);
        let (out_top, out_bottom) = out.view_mut().split_at(Axis(0), half);
        rayon::join(
            || product_into(a_top, b, out_top),
            || product_into(a_bottom, b, out_bottom),
        );
    } else {
        product_into(a, b, out.view_mut());
    }
    out
}

/// `out = a · b` on the calling thread; the shapes agree.
pub(crate) fn product_into(a: ArrayView2<f32>, b: ArrayView2<f32>, out: ArrayViewMut2<f32>) {
    gemm_into(a, b, out, false);
}

/// `out += a · b` on the calling thread; the shapes agree.
pub(crate) fn product_add_into(a: ArrayView2<f32>, b: ArrayView2<f32>, out: ArrayViewMut2<f32>) {
    gemm_into(a, b, out, true);
}

/// `out = a · b`, or with `accumulate` `out += a · b`, through gemm.
fn gemm_into(a: ArrayView2<f32>, b: ArrayView2<f32>, mut out: ArrayViewMut2<f32>, accumulate: bool) {
    let ((m, k), n) = (a.dim(), b.ncols());
    assert_eq!(
        (k, m, n),
        (b.nrows(), out.nrows(), out.ncols()),
        "the shapes of a product agree"
    );
    if k == 0 {
        // An empty sum: gemm would leave `out` as it was.
        if !accumulate {
            out.fill(0.0);
        }
        return;
    }
    let [a_rows, a_cols] = [a.strides()[0], a.strides()[1]];
    let [b_rows, b_cols] = [b.strides()[0], b.strides()[1]];
    let [out_rows, out_cols] = [out.strides()[0], out.strides()[1]];
    // SAFETY: the pointers and strides are those of the three views, whose
    // shapes are (m, k), (k, n) and (m, n) as gemm is told; `out` is a
    // mutable view that aliases neither input, and with `read_dst` false
    // its contents are only written (read first when accumulating).
    unsafe {
        gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            out_cols,
            out_rows,
            accumulate,
            a.as_ptr(),
            a_cols,
            a_rows,
            b.as_ptr(),
            b_cols,
            b_rows,
            if accumulate { 1.0 } else { 0.0 },
            1.0,
            false,
            false,
            false,
            Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, ShapeBuilder};

    #[test]
    fn products_of_any_layout_agree_with_ndarray() {
        for (m, k, n) in [(1, 1, 1), (3, 5, 2), (128, 784, 256), (7, 1, 9)] {
            let a = Array2::from_shape_fn((m, k), |(i, j)| ((i * 7 + j * 3) % 11) as f32 - 5.0);
            let b = Array2::from_shape_fn((k, n), |(i, j)| ((i * 5 + j * 13) % 7) as f32 - 3.0);
            let expected = a.dot(&b);
            assert_eq!(product(a.view(), b.view()), expected, "{m}x{k}x{n}");
            let b_transposed = b.t().to_owned();
            assert_eq!(product(a.view(), b_transposed.t()), expected);
            let a_column_major = Array2::from_shape_vec((m, k).f(), a.t().iter().copied().collect()).unwrap();
            assert_eq!(product(a_column_major.view(), b.view()), expected);
        }
        assert_eq!(
            product(Array2::zeros((0, 3)).view(), Array2::zeros((3, 2)).view()).dim(),
            (0, 2)
        );
    }

    #[test]
    fn the_thread_count_does_not_change_the_bits() {
        // Large enough to split, with halves of one row and of many.
        for (m, k, n) in [(3, 1024, 784), (128, 784, 256)] {
            let a = Array2::from_shape_fn((m, k), |(i, j)| ((i * 31 + j * 17) % 101) as f32 / 37.0 - 1.3);
            let b = Array2::from_shape_fn((k, n), |(i, j)| ((i * 13 + j * 7) % 89) as f32 / 23.0 - 1.9);
            let on = |threads: usize| {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                pool.install(|| product(a.view(), b.view()))
            };
            let one = on(1);
            assert!(
                one.iter()
                    .zip(on(2).iter())
                    .all(|(x, y)| x.to_bits() == y.to_bits()),
                "{m}x{k}x{n}"
            );
        }
    }
}
