//! The loss of a batch from its forward pass, with the targets checked
//! against the output, and the loss and accuracy on a labelled set.

use ndarray::{ArrayView2, Axis};

use crate::rules::activation::Activation;
use crate::rules::layer::LayerSpec;
use crate::runtime::error::Error;
use crate::runtime::mode::Mode;
use crate::runtime::network::{Cache, Network};
use crate::runtime::train::loss::{Loss, Targets};

/// Loss and accuracy on a labelled set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    /// The mean loss.
    pub loss: f32,
    /// The fraction of rows whose largest output is the label.
    pub accuracy: f32,
}

impl Network {
    /// The mean loss of a batch whose forward pass is `cache`, after checking
    /// that the targets fit the loss and the output.
    pub(crate) fn loss_value(&self, cache: &Cache, targets: Targets, loss: Loss) -> Result<f32, Error> {
        let (logits, output) = cache.top(self.output_shape());
        let (rows, width) = output.dim();
        if rows == 0 {
            return Err(Error::EmptyBatch);
        }
        match (loss, targets) {
            (Loss::CrossEntropy, Targets::Classes(classes)) => {
                let last = self
                    .spec()
                    .layers()
                    .last()
                    .map_or(Activation::Identity, LayerSpec::activation);
                if last != Activation::Softmax {
                    return Err(Error::LossNeedsSoftmax { found: last });
                }
                check_count(rows, classes.len())?;
                let mut total = 0.0_f64;
                for (row, &class) in logits.rows().into_iter().zip(classes) {
                    if class >= width {
                        return Err(Error::ClassOutOfRange {
                            class,
                            classes: width,
                        });
                    }
                    // -log softmax(z)[class], from the logits: stable for any size.
                    let max = row.fold(f32::NEG_INFINITY, |m, &x| m.max(x));
                    let log_sum = row.iter().map(|&x| f64::from(x - max).exp()).sum::<f64>().ln();
                    total += log_sum - f64::from(row[class] - max);
                }
                Ok((total / rows as f64) as f32)
            }
            (Loss::MeanSquaredError, Targets::Values(values)) => {
                check_count(rows, values.nrows())?;
                if values.ncols() != width {
                    return Err(Error::TargetWidth {
                        expected: width,
                        found: values.ncols(),
                    });
                }
                let total: f64 = ndarray::Zip::from(output)
                    .and(&values)
                    .fold(0.0, |sum, &h, &y| sum + f64::from(h - y).powi(2));
                Ok((total / (rows * width) as f64) as f32)
            }
            (loss, _) => Err(Error::TargetsDoNotFit { loss }),
        }
    }

    /// Loss and accuracy on a labelled set (cross-entropy against softmax),
    /// computed in chunks so any size fits in memory, in evaluation mode
    /// (batch normalizations use their running statistics, so the result
    /// does not depend on the chunks). A loss that is not finite is an
    /// error, never an `Ok` with a NaN: [`Error::NonFiniteInput`] where an
    /// input is NaN or infinite, else [`Error::NonFiniteLoss`].
    ///
    /// A network that gives a sequence (a language model's head) takes one
    /// class per token, the tokens of each row in order: `n·T` classes.
    pub fn evaluate(&self, inputs: ArrayView2<f32>, classes: &[usize]) -> Result<Evaluation, Error> {
        let per_row = self.spec().rows_per_example();
        check_count(inputs.nrows() * per_row, classes.len())?;
        let mut loss = 0.0_f64;
        let mut correct = 0usize;
        for (at, (chunk, labels)) in inputs
            .axis_chunks_iter(Axis(0), 1024)
            .zip(classes.chunks(1024 * per_row))
            .enumerate()
        {
            let cache = self.forward_cached_in(chunk, Mode::Eval)?;
            let value = self.loss_value(&cache, Targets::Classes(labels), Loss::CrossEntropy)?;
            if !value.is_finite() {
                let first_row = at * 1024;
                return Err(match chunk.indexed_iter().find(|(_, value)| !value.is_finite()) {
                    Some(((row, column), _)) => Error::NonFiniteInput {
                        row: first_row + row,
                        column,
                    },
                    None => Error::NonFiniteLoss {
                        first_row,
                        last_row: first_row + chunk.nrows().saturating_sub(1),
                    },
                });
            }
            loss += f64::from(value) * labels.len() as f64;
            let (_, output) = cache.top(self.output_shape());
            for (row, &label) in output.rows().into_iter().zip(labels) {
                let predicted = row
                    .iter()
                    .enumerate()
                    .fold(
                        (0, f32::NEG_INFINITY),
                        |best, (i, &p)| if p > best.1 { (i, p) } else { best },
                    )
                    .0;
                correct += usize::from(predicted == label);
            }
        }
        let count = classes.len().max(1) as f64;
        Ok(Evaluation {
            loss: (loss / count) as f32,
            accuracy: (correct as f64 / count) as f32,
        })
    }
}

/// The error for targets whose count is not the batch's rows.
pub(crate) fn check_count(rows: usize, targets: usize) -> Result<(), Error> {
    if rows != targets {
        return Err(Error::TargetCount {
            expected: rows,
            found: targets,
        });
    }
    Ok(())
}
