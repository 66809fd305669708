//! What a network's output is compared with, and the loss's gradient with
//! respect to that output.

use ndarray::{Array2, ArrayView2};

/// What a network's output is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loss {
    /// Cross-entropy of a softmax output against class labels, computed
    /// fused with the softmax from the logits (stable for any logit size);
    /// its gradient with respect to the logits is `p - y`.
    CrossEntropy,
    /// The mean of `(output - target)²` over every element.
    MeanSquaredError,
}

/// The targets of a batch: one class per row of the output, or one row of
/// values per row (a language model's head has a row per token: the
/// classes are the next ids, `(batch, T)` in row-major order).
#[derive(Clone, Copy, Debug)]
pub enum Targets<'a> {
    /// Class indices in `0..outputs`, for [`Loss::CrossEntropy`].
    Classes(&'a [usize]),
    /// Values shaped like the output, for [`Loss::MeanSquaredError`].
    Values(ArrayView2<'a, f32>),
}

/// The loss's gradient with respect to the last layer's output, for targets
/// that have been checked against it; for the fused cross-entropy,
/// with respect to its logits: `(p - y) / n`.
pub(crate) fn output_gradient(output: ArrayView2<f32>, targets: Targets) -> Array2<f32> {
    let rows = output.nrows() as f32;
    match targets {
        Targets::Classes(classes) => {
            let mut gradient = output.to_owned();
            for (mut row, &class) in gradient.rows_mut().into_iter().zip(classes) {
                row[class] -= 1.0;
            }
            gradient / rows
        }
        Targets::Values(values) => (&output - &values) * (2.0 / (rows * output.ncols() as f32)),
    }
}
