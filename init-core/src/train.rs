//! Training: losses, the backward pass, SGD with momentum and Adam, and
//! epochs of shuffled mini-batches.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::RngCore;

use crate::activate;
use crate::activation::Activation;
use crate::error::Error;
use crate::generator::generator;
use crate::network::{Cache, Network};

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

/// The targets of a batch: one class per row, or one row of values per row.
#[derive(Clone, Copy, Debug)]
pub enum Targets<'a> {
    /// Class indices in `0..outputs`, for [`Loss::CrossEntropy`].
    Classes(&'a [usize]),
    /// Values shaped like the output, for [`Loss::MeanSquaredError`].
    Values(ArrayView2<'a, f32>),
}

/// How weights move along their gradients.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Optimizer {
    /// `v = momentum·v + g; w -= learning_rate·v` (PyTorch's SGD).
    Sgd {
        /// The step size.
        learning_rate: f32,
        /// The fraction of the previous step kept (0 for plain SGD).
        momentum: f32,
    },
    /// Adam (Kingma & Ba 2015) with bias correction, as PyTorch's.
    Adam {
        /// The step size.
        learning_rate: f32,
        /// Decay of the first-moment estimate.
        beta1: f32,
        /// Decay of the second-moment estimate.
        beta2: f32,
        /// Added to the denominator.
        epsilon: f32,
    },
}

impl Optimizer {
    /// Plain SGD.
    pub const fn sgd(learning_rate: f32) -> Optimizer {
        Optimizer::Sgd {
            learning_rate,
            momentum: 0.0,
        }
    }

    /// SGD with momentum.
    pub const fn sgd_momentum(learning_rate: f32, momentum: f32) -> Optimizer {
        Optimizer::Sgd {
            learning_rate,
            momentum,
        }
    }

    /// Adam with PyTorch's defaults: β = (0.9, 0.999), ε = 1e-8.
    pub const fn adam(learning_rate: f32) -> Optimizer {
        Optimizer::Adam {
            learning_rate,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
        }
    }
}

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
    /// use init_core::{Activation, LayerSpec, Loss, NetworkSpec, Targets};
    /// use ndarray::Array2;
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
        let deltas = self.backpropagate(&cache, output_gradient(&cache, targets), fused);
        let weights = deltas
            .iter()
            .enumerate()
            .map(|(index, delta)| match index {
                0 => delta.t().dot(&inputs),
                _ => delta.t().dot(&cache.out[index - 1]),
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
            let below = (index > 0).then(|| delta.dot(layer.weight()));
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

/// The loss's gradient with respect to the last layer's output, for targets
/// that [`Network::loss_value`] has checked; for the fused cross-entropy,
/// with respect to its logits: `(p - y) / n`.
fn output_gradient(cache: &Cache, targets: Targets) -> Array2<f32> {
    let (_, output) = cache.top();
    let rows = output.nrows() as f32;
    match targets {
        Targets::Classes(classes) => {
            let mut gradient = output.clone();
            for (mut row, &class) in gradient.rows_mut().into_iter().zip(classes) {
                row[class] -= 1.0;
            }
            gradient / rows
        }
        Targets::Values(values) => (output - &values) * (2.0 / (rows * output.ncols() as f32)),
    }
}

fn check_count(rows: usize, targets: usize) -> Result<(), Error> {
    if rows != targets {
        return Err(Error::TargetCount {
            expected: rows,
            found: targets,
        });
    }
    Ok(())
}

/// Optimizer state for one layer.
#[derive(Clone, Debug)]
struct Moments {
    weight_first: Array2<f32>,
    weight_second: Array2<f32>,
    bias_first: Array1<f32>,
    bias_second: Array1<f32>,
}

/// A network being trained: the network, its loss, its optimizer and the
/// optimizer's state.
///
/// ```
/// use init_core::{Activation, LayerSpec, Loss, NetworkSpec, Optimizer, Targets, Trainer};
/// use ndarray::array;
///
/// let spec = NetworkSpec::new(vec![
///     LayerSpec::dense(2, 16, Activation::Relu),
///     LayerSpec::dense(16, 2, Activation::Softmax),
/// ])?;
/// let mut trainer = Trainer::new(spec.init(1), Loss::CrossEntropy, Optimizer::adam(0.05));
/// let inputs = array![[0.0_f32, 1.0], [1.0, 0.0], [0.9, 0.1], [0.1, 0.8]];
/// let labels = [1, 0, 0, 1];
/// let first = trainer.step(inputs.view(), Targets::Classes(&labels))?;
/// for _ in 0..50 {
///     trainer.step(inputs.view(), Targets::Classes(&labels))?;
/// }
/// let evaluation = trainer.network().evaluate(inputs.view(), &labels)?;
/// assert!(evaluation.loss < first);
/// assert_eq!(evaluation.accuracy, 1.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Trainer {
    network: Network,
    loss: Loss,
    optimizer: Optimizer,
    moments: Vec<Moments>,
    steps: i32,
}

impl Trainer {
    /// Start training `network`.
    pub fn new(network: Network, loss: Loss, optimizer: Optimizer) -> Trainer {
        let moments = network
            .layers()
            .iter()
            .map(|layer| Moments {
                weight_first: Array2::zeros(layer.weight().raw_dim()),
                weight_second: Array2::zeros(layer.weight().raw_dim()),
                bias_first: Array1::zeros(layer.bias().raw_dim()),
                bias_second: Array1::zeros(layer.bias().raw_dim()),
            })
            .collect();
        Trainer {
            network,
            loss,
            optimizer,
            moments,
            steps: 0,
        }
    }

    /// The network as trained so far.
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// The trained network.
    pub fn into_network(self) -> Network {
        self.network
    }

    /// One optimizer step on a batch; returns the batch's loss before the step.
    pub fn step(&mut self, inputs: ArrayView2<f32>, targets: Targets) -> Result<f32, Error> {
        let (loss, gradients) = self.network.gradients(inputs, targets, self.loss)?;
        self.steps = self.steps.saturating_add(1);
        let optimizer = self.optimizer;
        let steps = self.steps;
        for ((layer, moments), (weight_gradient, bias_gradient)) in self
            .network
            .layers_mut()
            .iter_mut()
            .zip(&mut self.moments)
            .zip(gradients.weights.iter().zip(&gradients.biases))
        {
            update(
                optimizer,
                steps,
                layer.weight_mut(),
                weight_gradient.view(),
                &mut moments.weight_first,
                &mut moments.weight_second,
            );
            update(
                optimizer,
                steps,
                layer.bias_mut(),
                bias_gradient.view(),
                &mut moments.bias_first,
                &mut moments.bias_second,
            );
        }
        Ok(loss)
    }

    /// One epoch over `inputs` and `classes` in mini-batches of
    /// `batch_size`, shuffled by a generator seeded with `shuffle_seed`;
    /// `after_batch` is called with each batch's loss. Returns the mean loss.
    pub fn epoch(
        &mut self,
        inputs: ArrayView2<f32>,
        classes: &[usize],
        batch_size: usize,
        shuffle_seed: u64,
        mut after_batch: impl FnMut(f32),
    ) -> Result<f32, Error> {
        check_count(inputs.nrows(), classes.len())?;
        if batch_size == 0 {
            return Err(Error::EmptyBatch);
        }
        let order = shuffled(classes.len(), shuffle_seed);
        let mut total = 0.0_f64;
        for batch in order.chunks(batch_size) {
            let batch_inputs = inputs.select(Axis(0), batch);
            let batch_classes: Vec<usize> = batch.iter().map(|&row| classes[row]).collect();
            let loss = self.step(batch_inputs.view(), Targets::Classes(&batch_classes))?;
            total += f64::from(loss) * batch.len() as f64;
            after_batch(loss);
        }
        Ok((total / classes.len().max(1) as f64) as f32)
    }
}

fn update<D: ndarray::Dimension>(
    optimizer: Optimizer,
    steps: i32,
    mut parameter: ndarray::ArrayViewMut<f32, D>,
    gradient: ndarray::ArrayView<f32, D>,
    first: &mut ndarray::Array<f32, D>,
    second: &mut ndarray::Array<f32, D>,
) {
    match optimizer {
        Optimizer::Sgd {
            learning_rate,
            momentum,
        } => {
            ndarray::Zip::from(&mut parameter)
                .and(&gradient)
                .and(first)
                .for_each(|w, &g, v| {
                    *v = momentum * *v + g;
                    *w -= learning_rate * *v;
                });
        }
        Optimizer::Adam {
            learning_rate,
            beta1,
            beta2,
            epsilon,
        } => {
            let first_correction = 1.0 - beta1.powi(steps);
            let second_correction = 1.0 - beta2.powi(steps);
            ndarray::Zip::from(&mut parameter)
                .and(&gradient)
                .and(first)
                .and(second)
                .for_each(|w, &g, m, v| {
                    *m = beta1 * *m + (1.0 - beta1) * g;
                    *v = beta2 * *v + (1.0 - beta2) * g * g;
                    let m_hat = *m / first_correction;
                    let v_hat = *v / second_correction;
                    *w -= learning_rate * m_hat / (v_hat.sqrt() + epsilon);
                });
        }
    }
}

/// `0..count` in the order of a Fisher–Yates shuffle driven by ChaCha8,
/// so an epoch's batches are the same on every platform.
pub fn shuffled(count: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..count).collect();
    let mut rng = generator(seed);
    for i in (1..count).rev() {
        // Lemire's multiply-shift: a uniform index in 0..=i (bias below 2^-40).
        let j = ((u128::from(rng.next_u64()) * (i as u128 + 1)) >> 64) as usize;
        order.swap(i, j);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::ELEMENTWISE;
    use crate::scheme::Init;
    use crate::spec::{LayerSpec, NetworkSpec};
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
    /// h = 1e-2 for these smooth, O(1) losses; kinks are unlikely within h of
    /// a random pre-activation, and the loss is accumulated in f64.
    fn check_gradients(network: &Network, inputs: &Array2<f32>, targets: Targets, loss: Loss) {
        let (_, gradients) = network.gradients(inputs.view(), targets, loss).unwrap();
        let h = 1e-2_f32;
        for (layer, gradient) in gradients.weights.iter().enumerate() {
            for &(row, col) in &[(0, 0), (1, 2), (gradient.nrows() - 1, gradient.ncols() - 1)] {
                let mut plus = network.clone();
                plus.layers_mut()[layer].weight_mut()[(row, col)] += h;
                let mut minus = network.clone();
                minus.layers_mut()[layer].weight_mut()[(row, col)] -= h;
                let numeric = (plus.loss(inputs.view(), targets, loss).unwrap()
                    - minus.loss(inputs.view(), targets, loss).unwrap())
                    / (2.0 * h);
                let exact = gradient[(row, col)];
                assert!(
                    (numeric - exact).abs() <= 2e-3 + 2e-2 * exact.abs(),
                    "layer {layer} ({row}, {col}): numeric {numeric} vs backprop {exact}"
                );
            }
        }
        for (layer, gradient) in gradients.biases.iter().enumerate() {
            let mut plus = network.clone();
            plus.layers_mut()[layer].bias_mut()[0] += h;
            let mut minus = network.clone();
            minus.layers_mut()[layer].bias_mut()[0] -= h;
            let numeric = (plus.loss(inputs.view(), targets, loss).unwrap()
                - minus.loss(inputs.view(), targets, loss).unwrap())
                / (2.0 * h);
            assert!(
                (numeric - gradient[0]).abs() <= 2e-3 + 2e-2 * gradient[0].abs(),
                "bias {layer}"
            );
        }
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

    #[test]
    fn shuffles_are_permutations_and_seeded() {
        let order = shuffled(1000, 5);
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..1000).collect::<Vec<_>>());
        assert_eq!(order, shuffled(1000, 5));
        assert_ne!(order, shuffled(1000, 6));
    }
}
