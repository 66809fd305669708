//! How a batch's rows are cut for a layer that acts on each token of a
//! sequence (`dense`, the normalizations, an activation): a batch of `n`
//! sequences of `T` tokens of `D` features, held as `n` rows of `T·D`
//! values, is the same memory as `n·T` rows of `D`, one per token. The
//! network's batches are in standard layout, so the cut copies nothing.

use ndarray::{Array2, ArrayView2};

use crate::rules::shape::Shape;

/// The rows of `batch` as a layer given `shape` computes on: one per
/// token for a sequence, the batch's own otherwise.
pub(crate) fn token_rows(batch: ArrayView2<'_, f32>, shape: Shape) -> ArrayView2<'_, f32> {
    match shape {
        Shape::Sequence { features, .. } => {
            let rows = batch.len() / features.max(1);
            batch
                .into_shape_with_order((rows, features))
                .expect("a network's batches are in standard layout")
        }
        _ => batch,
    }
}

/// [`token_rows`] for an array the layer owns.
pub(crate) fn into_token_rows(batch: Array2<f32>, shape: Shape) -> Array2<f32> {
    match shape {
        Shape::Sequence { features, .. } => {
            let batch = standard(batch);
            let rows = batch.len() / features.max(1);
            batch
                .into_shape_with_order((rows, features))
                .expect("a standard-layout array is its rows")
        }
        _ => batch,
    }
}

/// Token rows back as one row per example of `shape` (`T·D` values); a
/// batch of another shape as it is.
pub(crate) fn into_example_rows(batch: Array2<f32>, shape: Shape) -> Array2<f32> {
    match shape {
        Shape::Sequence { tokens, features } => {
            let batch = standard(batch);
            let width = tokens * features;
            let examples = batch.len() / width.max(1);
            batch
                .into_shape_with_order((examples, width))
                .expect("a standard-layout array is its rows")
        }
        _ => batch,
    }
}

/// `batch` in standard layout: itself when it is (as every array the
/// network computes is), else a copy.
fn standard(batch: Array2<f32>) -> Array2<f32> {
    match batch.is_standard_layout() {
        true => batch,
        false => batch.as_standard_layout().into_owned(),
    }
}

/// `delta` cut into token rows for `shape` while `compute` runs on it,
/// then put back as one row per example.
pub(crate) fn on_token_rows<T>(
    delta: &mut Array2<f32>,
    shape: Shape,
    compute: impl FnOnce(&mut Array2<f32>) -> T,
) -> T {
    let mut rows = into_token_rows(core::mem::take(delta), shape);
    let result = compute(&mut rows);
    *delta = into_example_rows(rows, shape);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn a_sequence_is_cut_into_its_tokens_and_back() {
        let shape = Shape::sequence(2, 3);
        let batch = array![[1.0_f32, 2.0, 3.0, 4.0, 5.0, 6.0]];
        let tokens = token_rows(batch.view(), shape);
        assert_eq!(tokens, array![[1.0_f32, 2.0, 3.0], [4.0, 5.0, 6.0]]);
        let back = into_example_rows(into_token_rows(batch.clone(), shape), shape);
        assert_eq!(back, batch);
        // Features are rows as they are.
        assert_eq!(token_rows(batch.view(), Shape::Features(6)), batch);
    }
}
