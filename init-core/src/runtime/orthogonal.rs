//! Orthogonal init (Saxe et al. 2014): a matrix whose rows (or columns,
//! whichever are fewer) are orthonormal, times a gain.

use crate::runtime::error::Error;
use crate::runtime::layers::dense::zeroed;

/// A `rows × cols` row-major matrix with orthonormal rows (if `rows <= cols`)
/// or columns (otherwise), times `gain`, from a Gaussian draw made
/// orthonormal by modified Gram–Schmidt, run twice for accuracy. Like
/// PyTorch's QR-based `orthogonal_`, the result is Haar-distributed.
///
/// `gaussian` fills the `min(rows, cols)` vectors of length
/// `max(rows, cols)`, one after the other, with standard normals.
pub fn orthogonal(
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
        let matrix = orthogonal(rows, cols, gain, gaussian(3)).unwrap();
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
        let matrix = orthogonal(rows, cols, 1.0, gaussian(4)).unwrap();
        let product = gram(&matrix, rows, cols, false);
        for i in 0..cols {
            for j in 0..cols {
                let expected = if i == j { 1.0 } else { 0.0 };
                assert!((product[i * cols + j] - expected).abs() < 1e-12);
            }
        }
    }
}
