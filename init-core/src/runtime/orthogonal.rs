//! Orthogonal init (Saxe et al. 2014): a matrix whose rows (or columns,
//! whichever are fewer) are orthonormal, times a gain.
//!
//! Two constructions, one per sampler format. The counter format takes the
//! Q of a Householder QR (faer's blocked one, in f32 as PyTorch's
//! `orthogonal_` on an f32 tensor, on one thread so the bits do not depend
//! on the thread count), with its columns' signs set by R's diagonal as
//! PyTorch does, so the result is Haar-distributed. The 0.1 format keeps its
//! modified Gram–Schmidt in f64, O(n³) without blocking, for its old bits.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::householder::{
    apply_block_householder_sequence_on_the_left_in_place_scratch,
    apply_block_householder_sequence_on_the_left_in_place_with_conj,
};
use faer::linalg::qr::no_pivoting::factor::{qr_in_place, qr_in_place_scratch, recommended_block_size};
use faer::reborrow::{Reborrow, ReborrowMut};
use faer::{Conj, MatMut, Par};

use crate::runtime::alloc::zeroed;
use crate::runtime::error::Error;

/// A `rows × cols` row-major matrix with orthonormal rows (if `rows <= cols`)
/// or columns (otherwise), times `gain`, from `normals`: `rows · cols`
/// standard normals, read as a `max(rows, cols) × min(rows, cols)` matrix
/// column by column and factored in place by a Householder QR. An
/// allocation the system refuses is an error.
pub fn householder(rows: usize, cols: usize, gain: f64, mut normals: Vec<f32>) -> Result<Vec<f32>, Error> {
    let (tall, wide) = (rows.max(cols), rows.min(cols));
    let block = recommended_block_size::<f32>(tall, wide);
    let refused = |bytes: usize| Error::Allocation {
        what: "an orthogonal matrix's QR workspace",
        bytes: bytes as u128,
    };
    let mut coefficients = zeroed::<f32>(block * wide, "an orthogonal matrix's QR")?;
    let mut q = zeroed::<f32>(tall * wide, "an orthogonal matrix")?;
    let scratch = qr_in_place_scratch::<f32>(tall, wide, block, Par::Seq, Default::default())
        .or(apply_block_householder_sequence_on_the_left_in_place_scratch::<f32>(tall, block, wide));
    let mut buffer = MemBuffer::try_new(scratch).map_err(|_| refused(scratch.size_bytes()))?;
    let mut matrix = MatMut::from_column_major_slice_mut(&mut normals, tall, wide);
    let mut coefficients = MatMut::from_column_major_slice_mut(&mut coefficients, block, wide);
    qr_in_place(
        matrix.rb_mut(),
        coefficients.rb_mut(),
        Par::Seq,
        MemStack::new(&mut buffer),
        Default::default(),
    );
    // Q's first `wide` columns: the reflectors applied to the identity's.
    let mut q = MatMut::from_column_major_slice_mut(&mut q, tall, wide);
    for j in 0..wide {
        q[(j, j)] = 1.0;
    }
    apply_block_householder_sequence_on_the_left_in_place_with_conj(
        matrix.rb(),
        coefficients.rb(),
        Conj::No,
        q.rb_mut(),
        Par::Seq,
        MemStack::new(&mut buffer),
    );
    // Column j times sign(R[j][j]) (R is the upper triangle left in
    // `matrix`): the QR of a Gaussian is then unique and Q Haar-distributed.
    let gain = gain as f32;
    let mut out = zeroed::<f32>(rows * cols, "an orthogonal matrix")?;
    for j in 0..wide {
        let factor = if matrix[(j, j)] < 0.0 { -gain } else { gain };
        for i in 0..tall {
            // Tall: Q is the matrix; wide: its transpose.
            let at = if rows >= cols { i * cols + j } else { j * cols + i };
            out[at] = q[(i, j)] * factor;
        }
    }
    Ok(out)
}

/// A `rows × cols` row-major matrix with orthonormal rows (if `rows <= cols`)
/// or columns (otherwise), times `gain`, from a Gaussian draw made
/// orthonormal by modified Gram–Schmidt, run twice for accuracy (the 0.1
/// format). Like PyTorch's QR-based `orthogonal_`, the result is
/// Haar-distributed.
///
/// `gaussian` fills the `min(rows, cols)` vectors of length
/// `max(rows, cols)`, one after the other, with standard normals.
pub fn gram_schmidt(
    rows: usize,
    cols: usize,
    gain: f64,
    gaussian: impl FnOnce(&mut [f64]),
) -> Result<Vec<f64>, Error> {
    let (count, length) = (rows.min(cols), rows.max(cols));
    let mut vectors = zeroed::<f64>(count * length, "an orthogonal matrix")?;
    gaussian(&mut vectors);
    for _pass in 0..2 {
        for i in 0..count {
            let (done, rest) = vectors.split_at_mut(i * length);
            let current = &mut rest[..length];
            for previous in done.chunks_exact(length) {
                let projection: f64 = previous.iter().zip(current.iter()).map(|(p, c)| p * c).sum();
                current
                    .iter_mut()
                    .zip(previous)
                    .for_each(|(c, p)| *c -= projection * p);
            }
            let norm = current.iter().map(|c| c * c).sum::<f64>().sqrt();
            current.iter_mut().for_each(|c| *c /= norm);
        }
    }
    vectors.iter_mut().for_each(|v| *v *= gain);
    if rows <= cols {
        Ok(vectors)
    } else {
        // The vectors are the columns: transpose into row-major order.
        let mut matrix = zeroed::<f64>(rows * cols, "an orthogonal matrix")?;
        for (column, vector) in vectors.chunks_exact(length).enumerate() {
            for (row, value) in vector.iter().enumerate() {
                matrix[row * cols + column] = *value;
            }
        }
        Ok(matrix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::init::Draw;
    use crate::runtime::generator::generator;
    use crate::runtime::sample::fill;

    fn gaussian(seed: u64) -> impl FnOnce(&mut [f64]) {
        move |out| fill(out, Draw::Normal { std: 1.0 }, &mut generator(seed))
    }

    fn gram(matrix: &[f64], rows: usize, cols: usize, by_rows: bool) -> Vec<f64> {
        let (count, length) = if by_rows { (rows, cols) } else { (cols, rows) };
        let at = |vector: usize, k: usize| {
            if by_rows {
                matrix[vector * cols + k]
            } else {
                matrix[k * cols + vector]
            }
        };
        let mut out = vec![0.0; count * count];
        for i in 0..count {
            for j in 0..count {
                out[i * count + j] = (0..length).map(|k| at(i, k) * at(j, k)).sum();
            }
        }
        out
    }

    #[test]
    fn wide_matrices_have_orthonormal_rows_times_the_gain() {
        let (rows, cols, gain) = (20, 50, 1.5);
        let matrix = gram_schmidt(rows, cols, gain, gaussian(3)).unwrap();
        let product = gram(&matrix, rows, cols, true);
        for i in 0..rows {
            for j in 0..rows {
                let expected = if i == j { gain * gain } else { 0.0 };
                assert!((product[i * rows + j] - expected).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn tall_matrices_have_orthonormal_columns() {
        let (rows, cols) = (40, 7);
        let matrix = gram_schmidt(rows, cols, 1.0, gaussian(4)).unwrap();
        let product = gram(&matrix, rows, cols, false);
        for i in 0..cols {
            for j in 0..cols {
                let expected = if i == j { 1.0 } else { 0.0 };
                assert!((product[i * cols + j] - expected).abs() < 1e-12);
            }
        }
    }

    fn counter_normals(rows: usize, cols: usize, seed: u64) -> Vec<f32> {
        let mut normals = vec![0.0; rows * cols];
        let source = crate::runtime::counter::Source {
            key: [seed as u32, 1],
            stream: 2,
        };
        crate::runtime::counter::fill(&mut normals, 0, crate::runtime::counter::Law::Normal, 1.0, source);
        normals
    }

    #[test]
    fn householder_rows_or_columns_are_orthonormal_times_the_gain() {
        // f32 arithmetic: a Householder QR's loss of orthogonality grows
        // like n · 2^-24, so 1e-5 leaves room at these sizes.
        for (rows, cols, gain) in [(20, 50, 1.5), (40, 7, 1.0), (33, 33, 2.0)] {
            let matrix = householder(rows, cols, gain, counter_normals(rows, cols, 3)).unwrap();
            let wide = rows <= cols;
            let wide_f64: Vec<f64> = matrix.iter().map(|&v| f64::from(v)).collect();
            let product = gram(&wide_f64, rows, cols, wide);
            let count = rows.min(cols);
            for i in 0..count {
                for j in 0..count {
                    let expected = if i == j { gain * gain } else { 0.0 };
                    assert!(
                        (product[i * count + j] - expected).abs() < 1e-5 * gain * gain,
                        "{rows}x{cols}"
                    );
                }
            }
        }
    }

    #[test]
    fn householder_is_haar_its_diagonal_has_mean_zero() {
        // Without R's signs, Q's diagonal leans negative (-0.20 here, at
        // 8 × 8). A Haar matrix's entries have mean 0 and variance 1/8:
        // over 400 matrices' 3200 diagonal entries the mean's standard
        // error is sqrt(1/8 / 3200) = 0.00625; we allow 5 of them.
        let (n, count) = (8, 400);
        let mut sum = 0.0;
        for seed in 0..count {
            let q = householder(n, n, 1.0, counter_normals(n, n, seed)).unwrap();
            sum += (0..n).map(|i| f64::from(q[i * n + i])).sum::<f64>();
        }
        let mean = sum / (n * count as usize) as f64;
        assert!(mean.abs() < 5.0 * (1.0 / 8.0 / 3200.0_f64).sqrt(), "{mean}");
    }
}
