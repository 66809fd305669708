//! The loss of a batch and its gradient with respect to every parameter,
//! by backpropagation.

use ndarray::{Array1, Array2, ArrayView2, Axis};

use crate::rules::activation::Activation;
use crate::runtime::error::Error;
use crate::runtime::layers::activation as activate;
use crate::runtime::network::{Cache, Network};
use crate::runtime::product::product;
use crate::runtime::train::loss::{output_gradient, Loss, Targets};

/// The gradient of the loss with respect to every weight and bias.
#[derive(Clone, Debug, PartialEq)]
pub struct Gradients {
    /// One `(out, in)` matrix per layer.
    pub weights: Vec<Array2<f32>>,
    /// One vector per layer.
    pub biases: Vec<Array1<f32>>,
}

/// Loss and accuracy on a labelled set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    /// The mean loss.
    pub loss: f32,
    /// The fraction of rows whose largest output is the label.
    pub accuracy: f32,
}

impl Network {
    /// The mean loss of a batch.
    pub fn loss(&self, inputs: ArrayView2<f32>, targets: Targets, loss: Loss) -> Result<f32, Error> {
        let cache = self.forward_cached(inputs)?;
        self.loss_value(&cache, targets, loss)
    }

    /// The mean loss of a batch and its gradient with respect to every
    /// parameter, by backpropagation.
    ///
    /// ```
    /// use netinit::{Activation, LayerSpec, Loss, NetworkSpec, Targets};
    /// use netinit::ndarray::Array2;
    /// let network = NetworkSpec::new(vec![
    ///     LayerSpec::dense(4, 8, Activation::Tanh),
    ///     LayerSpec::dense(8, 3, Activation::Softmax),
    /// ])?
    /// .init(0);
    /// let inputs = Array2::from_elem((2, 4), 0.5);
    /// let (loss, gradients) = network.gradients(inputs.view(), Targets::Classes(&[0, 2]), Loss::CrossEntropy)?;
    /// assert!(loss > 0.0);
    /// assert_eq!(gradients.weights[0].dim(), (8, 4));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn gradients(
        &self,
        inputs: ArrayView2<f32>,
        targets: Targets,
        loss: Loss,
    ) -> Result<(f32, Gradients), Error> {
        let cache = self.forward_cached(inputs)?;
        let value = self.loss_value(&cache, targets, loss)?;
        let fused = loss == Loss::CrossEntropy;
        let deltas = self.backpropagate(&cache, output_gradient(cache.top().1, targets), fused);
        let weights = deltas
            .iter()
            .enumerate()
            .map(|(index, delta)| match index {
                0 => product(delta.t(), inputs),
                _ => product(delta.t(), cache.out[index - 1].view()),
            })
            .collect();
        let biases = deltas.iter().map(|delta| delta.sum_axis(Axis(0))).collect();
        Ok((value, Gradients { weights, biases }))
    }

    /// The gradient with respect to every layer's pre-activation, first to
    /// last, for a batch whose gradient with respect to the network's output
    /// is `output_gradient` (like `torch.Tensor.backward(gradient)`): how a
    /// gradient signal travels back through the network.
    pub fn backward(
        &self,
        inputs: ArrayView2<f32>,
        output_gradient: ArrayView2<f32>,
    ) -> Result<Vec<Array2<f32>>, Error> {
        let cache = self.forward_cached(inputs)?;
        if output_gradient.nrows() != inputs.nrows() {
            return Err(Error::TargetCount {
                expected: inputs.nrows(),
                found: output_gradient.nrows(),
            });
        }
        if output_gradient.ncols() != self.outputs() {
            return Err(Error::TargetWidth {
                expected: self.outputs(),
                found: output_gradient.ncols(),
            });
        }
        Ok(self.backpropagate(&cache, output_gradient.to_owned(), false))
    }

    /// The chain rule, top to bottom. `delta` starts as dL/dh of the last
    /// layer, or as dL/dz when the fused cross-entropy already gave that.
    fn backpropagate(&self, cache: &Cache, mut delta: Array2<f32>, fused_top: bool) -> Vec<Array2<f32>> {
        let count = self.layers().len();
        let mut deltas = Vec::with_capacity(count);
        for index in (0..count).rev() {
            let layer = &self.layers()[index];
            if !(fused_top && index + 1 == count) {
                activate::backward(
                    layer.activation(),
                    &cache.pre[index],
                    &cache.out[index],
                    &mut delta,
                );
            }
            // The gradient below the first layer is not needed: skip its product.
            let below = (index > 0).then(|| product(delta.view(), layer.weight().view()));
            deltas.push(delta);
            match below {
                Some(below) => delta = below,
                None => break,
            }
        }
        deltas.reverse();
        deltas
    }

    /// The mean loss of a batch whose forward pass is `cache`, after checking
    /// that the targets fit the loss and the output.
    fn loss_value(&self, cache: &Cache, targets: Targets, loss: Loss) -> Result<f32, Error> {
        let (logits, output) = cache.top();
        let (rows, width) = output.dim();
        if rows == 0 {
            return Err(Error::EmptyBatch);
        }
        match (loss, targets) {
            (Loss::CrossEntropy, Targets::Classes(classes)) => {
                let last = self.layers().last().map(|layer| layer.activation());
                if last != Some(Activation::Softmax) {
                    return Err(Error::LossNeedsSoftmax {
                        found: last.unwrap_or(Activation::Identity),
                    });
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
    /// computed in chunks so any size fits in memory.
    pub fn evaluate(&self, inputs: ArrayView2<f32>, classes: &[usize]) -> Result<Evaluation, Error> {
        check_count(inputs.nrows(), classes.len())?;
        let mut loss = 0.0_f64;
        let mut correct = 0usize;
        for (chunk, labels) in inputs.axis_chunks_iter(Axis(0), 1024).zip(classes.chunks(1024)) {
            let cache = self.forward_cached(chunk)?;
            let value = self.loss_value(&cache, Targets::Classes(labels), Loss::CrossEntropy)?;
            loss += f64::from(value) * labels.len() as f64;
            let (_, output) = cache.top();
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

pub(crate) fn check_count(rows: usize, targets: usize) -> Result<(), Error> {
    if rows != targets {
        return Err(Error::TargetCount {
            expected: rows,
            found: targets,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::activation::ELEMENTWISE;
    use crate::rules::init::Init;
    use crate::rules::layer::LayerSpec;
    use crate::rules::network::NetworkSpec;
    use ndarray::Array2;

    fn network(layers: Vec<LayerSpec>) -> Network {
        NetworkSpec::new(layers).unwrap().init(3)
    }

    fn inputs(rows: usize, cols: usize) -> Array2<f32> {
        Array2::from_shape_fn((rows, cols), |(r, c)| {
            (((r * 7 + c * 13) % 17) as f32 - 8.0) / 6.0
        })
    }

    /// Central differences in f32 are accurate to about 1e-3 relative at
    /// h = 1e-2 for these smooth, O(1) losses, the loss accumulated in f64.
    /// Where a pre-activation changes sign between the two perturbed
    /// networks, the difference straddles a kink (relu, leaky relu, elu,
    /// selu at 0) and is not a derivative: such a coordinate is skipped, and
    /// at most one in four may be.
    fn check_gradients(network: &Network, inputs: &Array2<f32>, targets: Targets, loss: Loss) {
        let (_, gradients) = network.gradients(inputs.view(), targets, loss).unwrap();
        let h = 1e-2_f32;
        let kinked = |activation: Activation| {
            matches!(
                activation,
                Activation::Relu | Activation::LeakyRelu(_) | Activation::Elu(_) | Activation::Selu
            )
        };
        let signs = |network: &Network| -> Vec<bool> {
            let cache = network.forward_cached(inputs.view()).unwrap();
            cache
                .pre
                .iter()
                .zip(network.layers())
                .filter(|(_, layer)| kinked(layer.activation()))
                .flat_map(|(pre, _)| pre.iter().map(|&z| z > 0.0).collect::<Vec<_>>())
                .collect()
        };
        let (mut checked, mut skipped) = (0, 0);
        let mut compare = |plus: Network, minus: Network, exact: f32, what: String| {
            if signs(&plus) != signs(&minus) {
                skipped += 1;
                return;
            }
            checked += 1;
            let numeric = (plus.loss(inputs.view(), targets, loss).unwrap()
                - minus.loss(inputs.view(), targets, loss).unwrap())
                / (2.0 * h);
            assert!(
                (numeric - exact).abs() <= 2e-3 + 2e-2 * exact.abs(),
                "{what}: numeric {numeric} vs backprop {exact}"
            );
        };
        for (layer, gradient) in gradients.weights.iter().enumerate() {
            for &(row, col) in &[(0, 0), (1, 2), (gradient.nrows() - 1, gradient.ncols() - 1)] {
                let mut plus = network.clone();
                plus.layers_mut()[layer].weight_mut()[(row, col)] += h;
                let mut minus = network.clone();
                minus.layers_mut()[layer].weight_mut()[(row, col)] -= h;
                compare(
                    plus,
                    minus,
                    gradient[(row, col)],
                    format!("layer {layer} ({row}, {col})"),
                );
            }
        }
        for (layer, gradient) in gradients.biases.iter().enumerate() {
            let mut plus = network.clone();
            plus.layers_mut()[layer].bias_mut()[0] += h;
            let mut minus = network.clone();
            minus.layers_mut()[layer].bias_mut()[0] -= h;
            compare(plus, minus, gradient[0], format!("bias {layer}"));
        }
        assert!(
            skipped * 3 <= checked,
            "{skipped} of {} coordinates straddle a kink",
            checked + skipped
        );
    }

    #[test]
    fn backprop_matches_finite_differences_for_every_activation() {
        let activations = ELEMENTWISE.into_iter().chain([Activation::Softmax]);
        for activation in activations {
            for (width, hidden) in [(5, 7), (3, 4)] {
                let net = network(vec![
                    LayerSpec::dense(width, hidden, activation).with_weight(Init::Normal { std: 0.5 }),
                    LayerSpec::dense(hidden, 6, activation).with_weight(Init::Normal { std: 0.5 }),
                    LayerSpec::dense(6, 3, Activation::Softmax),
                ]);
                let x = inputs(4, width);
                check_gradients(&net, &x, Targets::Classes(&[0, 2, 1, 2]), Loss::CrossEntropy);
                let mse = network(vec![
                    LayerSpec::dense(width, hidden, activation).with_weight(Init::Normal { std: 0.5 }),
                    LayerSpec::dense(hidden, 2, activation).with_weight(Init::Normal { std: 0.5 }),
                ]);
                let y = Array2::from_shape_fn((4, 2), |(r, c)| (r + c) as f32 / 4.0);
                check_gradients(&mse, &x, Targets::Values(y.view()), Loss::MeanSquaredError);
            }
        }
    }

    #[test]
    fn cross_entropy_is_stable_for_huge_logits() {
        let mut net = network(vec![LayerSpec::dense(2, 2, Activation::Softmax)]);
        net.layers_mut()[0].weight_mut().fill(1000.0);
        net.layers_mut()[0].weight_mut()[(1, 0)] = -1000.0;
        let x = ndarray::array![[1.0_f32, 1.0]];
        let loss = net
            .loss(x.view(), Targets::Classes(&[1]), Loss::CrossEntropy)
            .unwrap();
        assert!((loss - 2000.0).abs() < 1e-2, "{loss}");
    }

    #[test]
    fn mismatched_targets_are_typed_errors() {
        let net = network(vec![LayerSpec::dense(2, 3, Activation::Softmax)]);
        let x = inputs(2, 2);
        assert_eq!(
            net.loss(x.view(), Targets::Classes(&[0]), Loss::CrossEntropy),
            Err(Error::TargetCount {
                expected: 2,
                found: 1
            })
        );
        assert_eq!(
            net.loss(x.view(), Targets::Classes(&[0, 3]), Loss::CrossEntropy),
            Err(Error::ClassOutOfRange { class: 3, classes: 3 })
        );
        let linear = network(vec![LayerSpec::dense(2, 3, Activation::Identity)]);
        assert!(matches!(
            linear.loss(x.view(), Targets::Classes(&[0, 1]), Loss::CrossEntropy),
            Err(Error::LossNeedsSoftmax { .. })
        ));
        assert_eq!(
            net.loss(x.view(), Targets::Classes(&[0, 1]), Loss::MeanSquaredError),
            Err(Error::TargetsDoNotFit {
                loss: Loss::MeanSquaredError
            })
        );
    }
}
