//! The loss of a batch and its gradient with respect to every parameter,
//! by backpropagation.

use ndarray::{Array1, Array2, ArrayView2, Axis};

use crate::rules::activation::Activation;
use crate::runtime::error::Error;
use crate::runtime::layers::activation as activate;
use crate::runtime::layers::batch_norm::Statistics;

/// The statistics a batch normalization used, by the index of its layer
/// with parameters.
pub(crate) type UsedStatistics = (usize, Statistics);
use crate::runtime::layers::{conv, pool, Layer};
use crate::runtime::network::{Cache, Mode, Network, Stage};
use crate::runtime::product::product;
use crate::runtime::scratch;
use crate::runtime::train::loss::{output_gradient, Loss, Targets};

/// The gradient of the loss with respect to every weight and bias.
#[derive(Clone, Debug, PartialEq)]
pub struct Gradients {
    /// One matrix per layer with parameters, shaped as its weights:
    /// `(out, in)`, or `(out, in·kh·kw)` for a convolution.
    pub weights: Vec<Array2<f32>>,
    /// One vector per layer with parameters, empty for a layer without biases.
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
        // Layers read rows as slices: a transposed view is copied into order once.
        let inputs = inputs.as_standard_layout();
        let inputs = inputs.view();
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
        self.gradients_and_statistics(inputs, targets, loss)
            .map(|(value, gradients, _)| (value, gradients))
    }

    /// [`Network::gradients`], with the statistics each batch normalization
    /// used (by the index of its layer with parameters), which a training
    /// step moves the running ones toward.
    pub(crate) fn gradients_and_statistics(
        &self,
        inputs: ArrayView2<f32>,
        targets: Targets,
        loss: Loss,
    ) -> Result<(f32, Gradients, Vec<UsedStatistics>), Error> {
        // Layers read rows as slices: a transposed view is copied into order once.
        let inputs = inputs.as_standard_layout();
        let inputs = inputs.view();
        let mut cache = self.forward_cached(inputs)?;
        let value = self.loss_value(&cache, targets, loss)?;
        let fused = loss == Loss::CrossEntropy;
        let top = output_gradient(cache.top().1, targets);
        let (deltas, gradients, _) = self.backpropagate(&cache, inputs, top, fused, Keep::Parameters);
        deltas.into_iter().for_each(scratch::recycle);
        let statistics = cache
            .stages
            .iter_mut()
            .zip(self.stages())
            .filter_map(|(computed, stage)| Some((stage.layer()?, computed.statistics.take()?)))
            .collect();
        Ok((value, gradients, statistics))
    }

    /// The gradient with respect to the pre-activation of every layer with
    /// parameters, first to last (pooling and `flatten` have none), for a batch whose gradient with respect to the network's output
    /// is `output_gradient` (like `torch.Tensor.backward(gradient)`): how a
    /// gradient signal travels back through the network.
    pub fn backward(
        &self,
        inputs: ArrayView2<f32>,
        output_gradient: ArrayView2<f32>,
    ) -> Result<Vec<Array2<f32>>, Error> {
        self.backward_keeping(inputs, output_gradient, Keep::PreActivations)
    }

    /// The gradient with respect to every layer's output, first to last
    /// (one per layer of the spec, the last being `output_gradient`), for a
    /// batch whose gradient with respect to the network's output is
    /// `output_gradient`: [`Network::forward_all`]'s counterpart, to see
    /// where a gradient grows or fades (at each residual block's end, say).
    ///
    /// ```
    /// use netinit::ndarray::Array2;
    /// const NET: netinit::NetworkSpec = netinit::network![
    ///     dense(4 -> 8, relu),
    ///     residual(dense(8 -> 8, relu), dense(8 -> 8, identity)),
    ///     dense(8 -> 2, identity),
    /// ];
    /// let network = NET.init(0);
    /// let gradients = network.backward_all(Array2::ones((3, 4)).view(), Array2::ones((3, 2)).view())?;
    /// assert_eq!(gradients.len(), NET.layers().len());
    /// // The block's start passes on what its end and its branch send back.
    /// assert_eq!(gradients[1].dim(), (3, 8));
    /// # Ok::<(), netinit::Error>(())
    /// ```
    pub fn backward_all(
        &self,
        inputs: ArrayView2<f32>,
        output_gradient: ArrayView2<f32>,
    ) -> Result<Vec<Array2<f32>>, Error> {
        self.backward_keeping(inputs, output_gradient, Keep::Outputs)
    }

    /// [`Network::backward`] (the pre-activations' gradients) or
    /// [`Network::backward_all`] (with [`Keep::Outputs`], the outputs').
    fn backward_keeping(
        &self,
        inputs: ArrayView2<f32>,
        output_gradient: ArrayView2<f32>,
        keep: Keep,
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
        let (deltas, _, outputs) = self.backpropagate(
            &cache,
            inputs,
            output_gradient.as_standard_layout().into_owned(),
            false,
            keep,
        );
        Ok(match keep {
            Keep::Outputs => outputs,
            _ => deltas,
        })
    }

    /// The chain rule, top to bottom: the gradient with respect to each
    /// layer's pre-activation, with [`Keep::Parameters`] the gradients of
    /// the weights and biases, and with [`Keep::Outputs`] the gradient with
    /// respect to every layer's output (else empty). `delta` starts as
    /// dL/dh of the last layer, or as dL/dz when the fused cross-entropy
    /// already gave that.
    fn backpropagate(
        &self,
        cache: &Cache,
        inputs: ArrayView2<f32>,
        mut delta: Array2<f32>,
        fused_top: bool,
        keep: Keep,
    ) -> (Vec<Array2<f32>>, Gradients, Vec<Array2<f32>>) {
        let parameters = keep == Keep::Parameters;
        let mut outputs = Vec::new();
        let stages = self.stages();
        let count = self.layers().len();
        let mut deltas: Vec<Array2<f32>> = vec![Array2::zeros((0, 0)); count];
        let mut gradients = Gradients {
            weights: if parameters { deltas.clone() } else { Vec::new() },
            biases: if parameters {
                vec![Array1::zeros(0); count]
            } else {
                Vec::new()
            },
        };
        // Below the first layer with parameters no gradient is needed,
        // unless every layer's output gradient is.
        let lowest = match keep {
            Keep::Outputs => 0,
            _ => stages
                .iter()
                .position(|stage| stage.layer().is_some())
                .unwrap_or(0),
        };
        // What residual blocks add to a stage's output gradient, besides
        // the stage above it.
        let mut pending: Vec<Option<Array2<f32>>> = vec![None; stages.len()];
        for index in (lowest..stages.len()).rev() {
            if let Some(extra) = pending[index].take() {
                if delta.is_empty() {
                    delta = extra;
                } else {
                    delta += &extra;
                    scratch::recycle(extra);
                }
            }
            if keep == Keep::Outputs {
                outputs.push(scratch::copy(delta.view()));
            }
            let computed = &cache.stages[index];
            let input = match index {
                0 => inputs,
                _ => cache.stages[index - 1].out.view(),
            };
            let needed_below = index > lowest;
            let below = match &stages[index] {
                Stage::Dense(layer) | Stage::Conv(layer, _) => {
                    let parameters_of = &self.layers()[*layer];
                    if !(fused_top && index + 1 == stages.len()) {
                        // Without a pre-activation, the output gives the derivative.
                        let pre = computed.pre.as_ref().unwrap_or(&computed.out);
                        activate::backward(parameters_of.activation(), pre, &computed.out, &mut delta);
                    }
                    let below = match &stages[index] {
                        Stage::Conv(_, geometry) => {
                            let (weight, bias, below) = conv::backward(
                                parameters_of.parameters(),
                                input,
                                delta.view(),
                                geometry,
                                needed_below,
                            );
                            if parameters {
                                gradients.weights[*layer] = weight;
                                gradients.biases[*layer] = bias;
                            }
                            below
                        }
                        _ => {
                            if parameters {
                                gradients.weights[*layer] = product(delta.t(), input);
                                gradients.biases[*layer] = match parameters_of.bias().is_empty() {
                                    false => delta.sum_axis(Axis(0)),
                                    true => Array1::zeros(0),
                                };
                            }
                            needed_below.then(|| product(delta.view(), parameters_of.weight().view()))
                        }
                    };
                    deltas[*layer] = core::mem::take(&mut delta);
                    below
                }
                Stage::MaxPool(window) => {
                    let winners = computed
                        .winners
                        .as_ref()
                        .expect("a max pooling keeps its winners");
                    Some(pool::max_backward(delta.view(), winners, window))
                }
                Stage::AvgPool(window) => Some(pool::average_backward(delta.view(), window)),
                Stage::Identity => Some(core::mem::take(&mut delta)),
                Stage::BatchNorm(layer, positions) => {
                    let Layer::BatchNorm(norm) = &self.layers()[*layer] else {
                        unreachable!("a batch_norm stage runs a batch normalization")
                    };
                    let normalized = computed.pre.as_ref().expect("a batch normalization keeps x̂");
                    let statistics = computed
                        .statistics
                        .as_ref()
                        .expect("a batch normalization keeps its statistics");
                    let (gamma, beta, below) =
                        norm.backward(normalized, statistics, delta.view(), *positions, needed_below);
                    if parameters {
                        gradients.weights[*layer] = gamma;
                        gradients.biases[*layer] = beta;
                    }
                    deltas[*layer] = core::mem::take(&mut delta);
                    below
                }
                Stage::LayerNorm(layer) => {
                    let Layer::LayerNorm(norm) = &self.layers()[*layer] else {
                        unreachable!("a layer_norm stage runs a layer normalization")
                    };
                    let normalized = computed.pre.as_ref().expect("a layer normalization keeps x̂");
                    let (gamma, beta, below) = norm.backward(input, normalized, delta.view(), needed_below);
                    if parameters {
                        gradients.weights[*layer] = gamma;
                        gradients.biases[*layer] = beta;
                    }
                    deltas[*layer] = core::mem::take(&mut delta);
                    below
                }
                Stage::Activation(function) => {
                    if !(fused_top && index + 1 == stages.len()) {
                        let pre = computed.pre.as_ref().unwrap_or(&computed.out);
                        activate::backward(*function, pre, &computed.out, &mut delta);
                    }
                    Some(core::mem::take(&mut delta))
                }
                // A block's end passes its gradient to both of its terms.
                Stage::Join(other) => {
                    add_into(&mut pending[*other], scratch::copy(delta.view()));
                    Some(core::mem::take(&mut delta))
                }
                // A shortcut's gradient goes to the block's input; the
                // branch's last stage gets its own from the block's end.
                Stage::Shortcut(start) => {
                    add_into(&mut pending[*start], core::mem::take(&mut delta));
                    Some(Array2::zeros((0, 0)))
                }
            };
            match below {
                Some(below) => scratch::recycle(core::mem::replace(&mut delta, below)),
                None => break,
            }
        }
        outputs.reverse();
        (deltas, gradients, outputs)
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
                let last = self
                    .stages()
                    .last()
                    .and_then(|stage| self.activation_of(stage))
                    .unwrap_or(Activation::Identity);
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
    /// does not depend on the chunks).
    pub fn evaluate(&self, inputs: ArrayView2<f32>, classes: &[usize]) -> Result<Evaluation, Error> {
        check_count(inputs.nrows(), classes.len())?;
        let mut loss = 0.0_f64;
        let mut correct = 0usize;
        for (chunk, labels) in inputs.axis_chunks_iter(Axis(0), 1024).zip(classes.chunks(1024)) {
            let cache = self.forward_cached_in(chunk, Mode::Eval)?;
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

/// What a backward pass keeps besides the pre-activations' gradients.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// Nothing more.
    PreActivations,
    /// The weights' and biases' gradients.
    Parameters,
    /// The gradient with respect to every layer's output.
    Outputs,
}

/// `slot += gradient`, or `slot = gradient` when it is empty.
fn add_into(slot: &mut Option<Array2<f32>>, gradient: Array2<f32>) {
    match slot {
        Some(sum) => {
            *sum += &gradient;
            scratch::recycle(gradient);
        }
        None => *slot = Some(gradient),
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
    use crate::rules::layer::{LayerSpec, Padding};
    use crate::rules::network::NetworkSpec;
    use crate::rules::shape::Shape;
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
        check_coordinates(network, inputs, targets, loss, false);
    }

    /// [`check_gradients`] at every weight and bias when `every`, else at
    /// three weights and one bias per layer.
    fn check_coordinates(network: &Network, inputs: &Array2<f32>, targets: Targets, loss: Loss, every: bool) {
        let (_, gradients) = network.gradients(inputs.view(), targets, loss).unwrap();
        let h = 1e-2_f32;
        let kinked = |activation: Activation| {
            matches!(
                activation,
                Activation::Relu | Activation::LeakyRelu(_) | Activation::Elu(_) | Activation::Selu
            )
        };
        // The kinks a perturbation may cross: the sign of every kinked
        // pre-activation, and which input won each max pooling window.
        let signs = |network: &Network| -> Vec<u32> {
            let cache = network.forward_cached(inputs.view()).unwrap();
            let mut kinks = Vec::new();
            for (computed, stage) in cache.stages.iter().zip(network.stages()) {
                if let Some(activation) = network.activation_of(stage) {
                    // A relu layer keeps its output alone, positive where z is.
                    let pre = computed.pre.as_ref().unwrap_or(&computed.out);
                    if kinked(activation) {
                        kinks.extend(pre.iter().map(|&z| u32::from(z > 0.0)));
                    }
                }
                kinks.extend(computed.winners.iter().flatten());
            }
            kinks
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
            let (rows, cols) = gradient.dim();
            let coordinates: Vec<(usize, usize)> = match every {
                true => (0..rows)
                    .flat_map(|row| (0..cols).map(move |col| (row, col)))
                    .collect(),
                false => vec![(0, 0), (1.min(rows - 1), 2.min(cols - 1)), (rows - 1, cols - 1)],
            };
            for &(row, col) in &coordinates {
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
            for unit in 0..if every { gradient.len() } else { 1 } {
                let mut plus = network.clone();
                plus.layers_mut()[layer].bias_mut()[unit] += h;
                let mut minus = network.clone();
                minus.layers_mut()[layer].bias_mut()[unit] -= h;
                compare(plus, minus, gradient[unit], format!("bias {layer} [{unit}]"));
            }
        }
        // Every coordinate of a small convolution moves many windows, so
        // more of them change a max pooling's winner: there two in three must
        // be checked, elsewhere three in four.
        let most = if every {
            skipped * 2 <= checked
        } else {
            skipped * 3 <= checked
        };
        assert!(
            most,
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
    fn backprop_matches_finite_differences_through_convolutions_and_pooling() {
        // Padding, strides, a non-square kernel, both poolings, a global
        // pooling and flatten, with smooth and kinked activations.
        let strided = NetworkSpec::new(vec![
            LayerSpec::input(Shape::image(2, 7, 6)),
            LayerSpec::conv2d(2, 3, Activation::Tanh, [3, 3])
                .with_padding(Padding::uniform(1))
                .with_weight(Init::Normal { std: 0.5 }),
            LayerSpec::max_pool2d([2, 2], [2, 2]),
            LayerSpec::conv2d(3, 4, Activation::Elu(1.0), [2, 3])
                .with_stride([1, 2])
                .with_padding(Padding::Explicit([1, 1]))
                .with_weight(Init::Normal { std: 0.5 }),
            LayerSpec::avg_pool2d([2, 2], [1, 1]),
            LayerSpec::flatten(),
            LayerSpec::dense(12, 3, Activation::Softmax),
        ])
        .unwrap()
        .init(3);
        let x = inputs(4, 2 * 7 * 6);
        check_coordinates(
            &strided,
            &x,
            Targets::Classes(&[0, 2, 1, 2]),
            Loss::CrossEntropy,
            true,
        );
        let global = NetworkSpec::new(vec![
            LayerSpec::input(Shape::image(1, 5, 5)),
            LayerSpec::conv2d(1, 2, Activation::Relu, [3, 3])
                .with_stride([2, 2])
                .with_weight(Init::Normal { std: 0.5 })
                .with_bias(Init::Constant { value: 0.1 }),
            LayerSpec::global_avg_pool2d(),
            LayerSpec::dense(2, 3, Activation::Identity),
        ])
        .unwrap()
        .init(5);
        let y = Array2::from_shape_fn((3, 3), |(r, c)| (r * c) as f32 / 4.0);
        check_coordinates(
            &global,
            &inputs(3, 25),
            Targets::Values(y.view()),
            Loss::MeanSquaredError,
            true,
        );
    }

    #[test]
    fn backprop_matches_finite_differences_through_activation_layers() {
        // Activation layers after pooling, after flatten and after a dense
        // layer, smooth and kinked, and a softmax of its own on top (whose
        // cross-entropy gradient is fused as a dense layer's softmax is).
        let spec = NetworkSpec::new(vec![
            LayerSpec::input(Shape::image(2, 6, 6)),
            LayerSpec::conv2d(2, 3, Activation::Tanh, [3, 3])
                .with_padding(Padding::uniform(1))
                .with_weight(Init::Normal { std: 0.5 }),
            LayerSpec::max_pool2d([2, 2], [2, 2]),
            LayerSpec::activation_layer(Activation::LeakyRelu(0.1)),
            LayerSpec::flatten(),
            LayerSpec::activation_layer(Activation::Gelu),
            LayerSpec::dense(27, 5, Activation::Sigmoid).with_weight(Init::Normal { std: 0.5 }),
            LayerSpec::activation_layer(Activation::Elu(1.0)),
            LayerSpec::dense(5, 3, Activation::Tanh),
            LayerSpec::activation_layer(Activation::Softmax),
        ])
        .unwrap();
        let net = spec.init(7);
        let x = inputs(4, 2 * 6 * 6);
        check_coordinates(
            &net,
            &x,
            Targets::Classes(&[0, 2, 1, 2]),
            Loss::CrossEntropy,
            true,
        );
        // The same network's output is its layers' composition: the top
        // softmax rows sum to 1.
        let output = net.forward(x.view()).unwrap();
        for row in output.rows() {
            assert!((row.sum() - 1.0).abs() < 1e-5);
        }
    }

    #[test]
    fn backprop_matches_finite_differences_through_residual_blocks() {
        // A block on an image whose shortcut (a strided 1 × 1 convolution
        // and a batch normalization) changes its shape; then blocks nested
        // in a branch, one of them pre-norm. (The outer branch ends in a
        // layer of its own: its scaled-down weights are what a finite
        // difference of 1e-2 may perturb, not weights feeding a norm.)
        let spec: NetworkSpec = "
            input(2, 6, 6),
            residual(
                conv2d(2 -> 3, tanh, kernel = 3, padding = 1),
                conv2d(3 -> 4, identity, kernel = 3, stride = 2, padding = 1),
                shortcut = (
                    conv2d(2 -> 4, identity, kernel = 1, stride = 2, bias = none),
                    batch_norm(4, gamma = normal(std = 1.0)),
                ),
            ),
            relu,
            flatten,
            dense(36 -> 5, tanh),
            residual(
                dense(5 -> 5, gelu),
                residual(layer_norm(5), dense(5 -> 5, tanh)),
                dense(5 -> 5, identity),
            ),
            dense(5 -> 3, softmax),
        "
        .parse()
        .unwrap();
        let net = spec.init(11);
        let x = inputs(4, 2 * 6 * 6);
        check_coordinates(
            &net,
            &x,
            Targets::Classes(&[0, 2, 1, 2]),
            Loss::CrossEntropy,
            true,
        );
        // The block's end is its branch's output plus its shortcut's.
        let outputs = net.forward_all(x.view()).unwrap();
        assert_eq!(outputs[7], &outputs[3] + &outputs[6]);
        assert_eq!(outputs.last().unwrap(), net.forward(x.view()).unwrap());
    }

    #[test]
    fn backprop_matches_finite_differences_through_layer_normalization() {
        use crate::rules::layer::NormSpec;
        // γ and β drawn at random so that every coordinate matters; a
        // normalization first, between layers, and under the softmax.
        let spec = NetworkSpec::new(vec![
            LayerSpec::layer_norm(NormSpec::new(6).with_gamma(Init::Normal { std: 1.0 })),
            LayerSpec::dense(6, 5, Activation::Tanh).with_weight(Init::Normal { std: 0.5 }),
            LayerSpec::layer_norm(
                NormSpec::new(5)
                    .with_gamma(Init::Uniform { bound: 2.0 })
                    .with_beta(Init::Normal { std: 0.3 })
                    .with_epsilon(1e-3),
            ),
            LayerSpec::dense(5, 3, Activation::Softmax),
        ])
        .unwrap();
        let net = spec.init(13);
        let x = inputs(4, 6);
        check_coordinates(
            &net,
            &x,
            Targets::Classes(&[0, 2, 1, 2]),
            Loss::CrossEntropy,
            true,
        );
        // With γ = 1 and β = 0 each example comes out with mean 0 and
        // variance 1 / (1 + ε / σ²).
        let plain = NetworkSpec::new(vec![LayerSpec::layer_norm(NormSpec::new(6))])
            .unwrap()
            .init(0);
        let out = plain.forward(x.view()).unwrap();
        for (row, input) in out.rows().into_iter().zip(x.rows()) {
            let mean = input.sum() / 6.0;
            let variance = input.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 6.0;
            let (out_mean, out_variance) = (row.sum() / 6.0, row.iter().map(|v| v * v).sum::<f32>() / 6.0);
            assert!(out_mean.abs() < 1e-6, "{out_mean}");
            assert!(
                (out_variance - variance / (variance + 1e-5)).abs() < 1e-5,
                "{out_variance}"
            );
        }
    }

    #[test]
    fn backprop_matches_finite_differences_through_batch_normalization() {
        use crate::rules::layer::NormSpec;
        use crate::runtime::network::Mode;
        // Over the channels of an image and over features, with random γ
        // and β; with the batch's statistics (each nudge moves them too)
        // and, in evaluation, with the running ones.
        let spec = NetworkSpec::new(vec![
            LayerSpec::input(Shape::image(2, 5, 5)),
            LayerSpec::conv2d(2, 3, Activation::Identity, [3, 3])
                .with_weight(Init::Normal { std: 0.5 })
                .without_bias(),
            LayerSpec::batch_norm(
                NormSpec::new(3)
                    .with_gamma(Init::Uniform { bound: 2.0 })
                    .with_beta(Init::Normal { std: 0.3 }),
            ),
            LayerSpec::activation_layer(Activation::Tanh),
            LayerSpec::flatten(),
            LayerSpec::dense(27, 4, Activation::Tanh).with_weight(Init::Normal { std: 0.5 }),
            LayerSpec::batch_norm(
                NormSpec::new(4)
                    .with_gamma(Init::Normal { std: 1.0 })
                    .with_epsilon(1e-3),
            ),
            LayerSpec::dense(4, 3, Activation::Softmax),
        ])
        .unwrap();
        let mut net = spec.init(17);
        let x = inputs(6, 50);
        let targets = Targets::Classes(&[0, 2, 1, 2, 0, 1]);
        check_coordinates(&net, &x, targets, Loss::CrossEntropy, true);
        net.set_mode(Mode::Eval);
        check_coordinates(&net, &x, targets, Loss::CrossEntropy, true);
    }

    #[test]
    fn batch_normalization_uses_the_batch_in_training_and_the_running_statistics_in_evaluation() {
        use crate::rules::layer::NormSpec;
        use crate::runtime::network::Mode;
        let spec = NetworkSpec::new(vec![
            LayerSpec::input(Shape::Features(3)),
            LayerSpec::batch_norm(NormSpec::new(3).with_epsilon(1e-3)),
        ])
        .unwrap();
        let mut net = spec.init(0);
        let x = Array2::from_shape_fn((4, 3), |(r, c)| (r * r + c) as f32);
        // Training: each column to mean 0 and variance σ²/(σ² + ε).
        let out = net.forward(x.view()).unwrap();
        for (column, input) in out.columns().into_iter().zip(x.columns()) {
            let mean = input.sum() / 4.0;
            let variance = input.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 4.0;
            assert!(column.sum().abs() < 1e-5);
            let second = column.iter().map(|v| v * v).sum::<f32>() / 4.0;
            assert!((second - variance / (variance + 1e-3)).abs() < 1e-5, "{second}");
        }
        // Evaluation: the running statistics, mean 0 and variance 1 at first.
        net.set_mode(Mode::Eval);
        let out = net.forward(x.view()).unwrap();
        let scale = 1.0 / (1.0_f32 + 1e-3).sqrt();
        for (o, v) in out.iter().zip(x.iter()) {
            assert!((o - v * scale).abs() < 1e-5, "{o} {v}");
        }
    }

    #[test]
    fn a_transposed_batch_is_the_same_batch() {
        use crate::rules::layer::NormSpec;
        // Convolutions and normalizations read rows as slices: a batch (or
        // an output gradient) given as a transposed view gives the same bits.
        let spec = NetworkSpec::new(vec![
            LayerSpec::input(Shape::image(1, 4, 4)),
            LayerSpec::conv2d(1, 2, Activation::Tanh, [3, 3]),
            LayerSpec::batch_norm(NormSpec::new(2)),
            LayerSpec::flatten(),
            LayerSpec::layer_norm(NormSpec::new(8)),
        ])
        .unwrap();
        let net = spec.init(3);
        let x = inputs(5, 16);
        let transposed = x.t().to_owned();
        let gradient = Array2::from_shape_fn((5, 8), |(r, c)| (r + 2 * c) as f32 / 9.0);
        let gradient_transposed = gradient.t().to_owned();
        assert_eq!(
            net.forward(transposed.t()).unwrap(),
            net.forward(x.view()).unwrap()
        );
        assert_eq!(
            net.backward(transposed.t(), gradient_transposed.t()).unwrap(),
            net.backward(x.view(), gradient.view()).unwrap()
        );
        let y = Array2::from_shape_fn((5, 8), |(r, c)| (r * c) as f32 / 20.0);
        let loss = Loss::MeanSquaredError;
        let (_, from_transposed) = net
            .gradients(transposed.t(), Targets::Values(y.view()), loss)
            .unwrap();
        let (_, from_rows) = net.gradients(x.view(), Targets::Values(y.view()), loss).unwrap();
        assert_eq!(from_transposed.weights, from_rows.weights);
    }

    #[test]
    fn layers_without_biases_have_no_bias_gradient_and_their_weights_check() {
        let spec = NetworkSpec::new(vec![
            LayerSpec::input(Shape::image(1, 5, 5)),
            LayerSpec::conv2d(1, 3, Activation::Tanh, [3, 3])
                .with_weight(Init::Normal { std: 0.5 })
                .without_bias(),
            LayerSpec::flatten(),
            LayerSpec::dense(27, 4, Activation::Gelu)
                .with_weight(Init::Normal { std: 0.5 })
                .without_bias(),
            LayerSpec::dense(4, 3, Activation::Softmax).with_bias(Init::Constant { value: 0.1 }),
        ])
        .unwrap();
        let net = spec.init(11);
        assert_eq!(
            net.layers()
                .iter()
                .map(|layer| layer.bias().len())
                .collect::<Vec<_>>(),
            [0, 0, 3]
        );
        let x = inputs(4, 25);
        let targets = Targets::Classes(&[0, 2, 1, 2]);
        let (_, gradients) = net.gradients(x.view(), targets, Loss::CrossEntropy).unwrap();
        assert_eq!(
            gradients.biases.iter().map(|bias| bias.len()).collect::<Vec<_>>(),
            [0, 0, 3]
        );
        check_coordinates(&net, &x, targets, Loss::CrossEntropy, true);
    }

    #[test]
    fn taps_that_only_ever_read_padding_are_zeros() {
        // A 5 × 5 kernel with `same` padding on a 1 × 1 image, and a 7 × 7
        // one with padding 3 on 2 × 2: most taps read only padding, at
        // stride 1 (a contiguous copy) as at stride 2. A 1 × 1 convolution
        // below makes the wide one pass its gradient down too.
        for (image, kernel, padding, stride) in [
            ([1, 1], 5, Padding::Same, 1),
            ([2, 2], 7, Padding::uniform(3), 1),
            ([2, 2], 7, Padding::uniform(3), 2),
        ] {
            let spec = NetworkSpec::new(vec![
                LayerSpec::input(Shape::image(2, image[0], image[1])),
                LayerSpec::conv2d(2, 2, Activation::Tanh, [1, 1]).with_weight(Init::Normal { std: 0.5 }),
                LayerSpec::conv2d(2, 3, Activation::Tanh, [kernel, kernel])
                    .with_padding(padding)
                    .with_stride([stride, stride]),
                LayerSpec::flatten(),
            ])
            .unwrap();
            let network = spec.init(1);
            let x = inputs(3, spec.inputs());
            let out = network.forward(x.view()).unwrap();
            assert!(out.iter().all(|v| v.is_finite()));
            let y = Array2::from_shape_fn(out.dim(), |(r, c)| (r + c) as f32 / 8.0);
            check_coordinates(
                &network,
                &x,
                Targets::Values(y.view()),
                Loss::MeanSquaredError,
                true,
            );
        }
    }

    #[test]
    fn a_convolution_is_the_sum_over_its_window() {
        // One 2 × 2 kernel, stride 1, padding 1, on a 2 × 3 image: every
        // output is the sum of weight × input over the taps inside the image.
        let spec = NetworkSpec::new(vec![
            LayerSpec::input(Shape::image(1, 2, 3)),
            LayerSpec::conv2d(1, 1, Activation::Identity, [2, 2]).with_padding(Padding::uniform(1)),
        ])
        .unwrap();
        let mut network = spec.init(0);
        let weight = ndarray::array![[1.0_f32, 10.0, 100.0, 1000.0]];
        network.layers_mut()[0].weight_mut().assign(&weight);
        let image = ndarray::array![[1.0_f32, 2.0, 3.0, 4.0, 5.0, 6.0]];
        let out = network.forward(image.view()).unwrap();
        let value = |y: isize, x: isize| {
            if (0..2).contains(&y) && (0..3).contains(&x) {
                image[(0, (y * 3 + x) as usize)]
            } else {
                0.0
            }
        };
        let mut expected = Vec::new();
        for oy in 0..3_isize {
            for ox in 0..4_isize {
                let (y, x) = (oy - 1, ox - 1);
                expected.push(
                    value(y, x)
                        + 10.0 * value(y, x + 1)
                        + 100.0 * value(y + 1, x)
                        + 1000.0 * value(y + 1, x + 1),
                );
            }
        }
        assert_eq!(out.iter().copied().collect::<Vec<f32>>(), expected);
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
