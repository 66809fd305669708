//! The gradient of a batch's loss with respect to every trained tensor, by
//! backpropagation: each layer's kind takes its step back
//! ([`Compute::backward`](crate::runtime::layers::Compute::backward)); here
//! are the walk, a residual block's gradients added where its input is
//! read twice, and what a caller keeps.

use ndarray::{Array2, ArrayView2};

use crate::runtime::error::Error;
use crate::runtime::layers::rows::into_example_rows;
use crate::runtime::layers::Back;
use crate::runtime::network::{Cache, Network, Stage};
use crate::runtime::scratch;
use crate::runtime::train::loss::{output_gradient, Loss, Targets};

/// The gradient of the loss with respect to every trained tensor of every
/// layer with parameters, each shaped as its tensor is held (a matrix for
/// weights, one row for a vector).
#[derive(Clone, Debug, PartialEq)]
pub struct Gradients {
    layers: Vec<Vec<(&'static str, Array2<f32>)>>,
}

impl Gradients {
    /// The gradients of layer `layer` (among the layers with parameters):
    /// one per trained tensor, in its order, by name.
    pub fn layer(&self, layer: usize) -> &[(&'static str, Array2<f32>)] {
        self.layers.get(layer).map_or(&[], Vec::as_slice)
    }

    /// The gradient of tensor `name` of layer `layer`, if it has one.
    pub fn get(&self, layer: usize, name: &str) -> Option<&Array2<f32>> {
        self.layer(layer)
            .iter()
            .find(|(tensor, _)| *tensor == name)
            .map(|(_, gradient)| gradient)
    }

    /// Every gradient: its layer, its tensor's name, its values.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &'static str, &Array2<f32>)> {
        self.layers
            .iter()
            .enumerate()
            .flat_map(|(layer, tensors)| tensors.iter().map(move |(name, values)| (layer, *name, values)))
    }

    /// Every gradient scaled down, where their global norm passes
    /// `max_norm`, by `max_norm / (norm + 1e-6)` (as PyTorch's
    /// `clip_grad_norm_`); the norm summed in f64. Returns the norm.
    pub fn clip(&mut self, max_norm: f32) -> f32 {
        let norm = self
            .iter()
            .flat_map(|(_, _, gradient)| gradient.iter())
            .map(|&g| f64::from(g) * f64::from(g))
            .sum::<f64>()
            .sqrt();
        let factor = f64::from(max_norm) / (norm + 1e-6);
        if factor < 1.0 {
            for (_, gradient) in self.layers.iter_mut().flatten() {
                gradient.mapv_inplace(|g| (f64::from(g) * factor) as f32);
            }
        }
        norm as f32
    }

    /// The layers' gradients, to take apart.
    pub(crate) fn into_layers(self) -> Vec<Vec<(&'static str, Array2<f32>)>> {
        self.layers
    }
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
    /// assert_eq!(gradients.get(0, "weight").unwrap().dim(), (8, 4));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn gradients(
        &self,
        inputs: ArrayView2<f32>,
        targets: Targets,
        loss: Loss,
    ) -> Result<(f32, Gradients), Error> {
        self.gradients_and_cache(inputs, targets, loss)
            .map(|(value, gradients, _)| (value, gradients))
    }

    /// [`Network::gradients`], with what the forward pass computed, which
    /// a training step moves the buffers by (a batch normalization's
    /// running statistics toward the batch's).
    pub(crate) fn gradients_and_cache(
        &self,
        inputs: ArrayView2<f32>,
        targets: Targets,
        loss: Loss,
    ) -> Result<(f32, Gradients, Cache), Error> {
        // Layers read rows as slices: a transposed view is copied into order once.
        let inputs = inputs.as_standard_layout();
        let inputs = inputs.view();
        let cache = self.forward_cached(inputs)?;
        let value = self.loss_value(&cache, targets, loss)?;
        let fused = loss == Loss::CrossEntropy;
        let output = self.output_shape();
        let top = into_example_rows(output_gradient(cache.top(output).1, targets), output);
        let (deltas, gradients, _) = self.backpropagate(&cache, inputs, top, fused, Keep::Parameters);
        deltas.into_iter().for_each(scratch::recycle);
        Ok((value, gradients, cache))
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
        let rows = inputs.nrows() * self.spec().rows_per_example();
        if output_gradient.nrows() != rows {
            return Err(Error::TargetCount {
                expected: rows,
                found: output_gradient.nrows(),
            });
        }
        if output_gradient.ncols() != self.outputs() {
            return Err(Error::TargetWidth {
                expected: self.outputs(),
                found: output_gradient.ncols(),
            });
        }
        let top = into_example_rows(
            output_gradient.as_standard_layout().into_owned(),
            self.output_shape(),
        );
        let (deltas, _, outputs) = self.backpropagate(&cache, inputs, top, false, keep);
        Ok(match keep {
            Keep::Outputs => outputs,
            _ => deltas,
        })
    }

    /// The chain rule, top to bottom: the gradient with respect to each
    /// layer's pre-activation, with [`Keep::Parameters`] the gradients of
    /// the trained tensors, and with [`Keep::Outputs`] the gradient with
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
            layers: vec![Vec::new(); if parameters { count } else { 0 }],
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
            let input = match index {
                0 => inputs,
                _ => cache.stages[index - 1].out.view(),
            };
            let stage = &stages[index];
            let below = match (stage, stage.kind()) {
                (_, Some((kind, io))) => {
                    let back = Back {
                        input,
                        io,
                        fused_top: fused_top && index + 1 == stages.len(),
                        below: index > lowest,
                    };
                    let tensors = self.tensors_of(stage);
                    let mut computed = (parameters && stage.layer().is_some()).then(Vec::new);
                    let below =
                        kind.backward(tensors, &cache.stages[index], back, &mut delta, computed.as_mut());
                    if let Some(layer) = stage.layer() {
                        if let Some(computed) = computed {
                            let trained = tensors.iter().filter(|tensor| tensor.spec().trained());
                            gradients.layers[layer] =
                                trained.map(|tensor| tensor.name()).zip(computed).collect();
                        }
                        deltas[layer] = core::mem::take(&mut delta);
                    }
                    below
                }
                // A block's end passes its gradient to both of its terms.
                (Stage::Join(other), None) => {
                    add_into(&mut pending[*other], scratch::copy(delta.view()));
                    Some(core::mem::take(&mut delta))
                }
                // A shortcut's gradient goes to the block's input; the
                // branch's last stage gets its own from the block's end.
                (Stage::Shortcut(start), None) => {
                    add_into(&mut pending[*start], core::mem::take(&mut delta));
                    Some(Array2::zeros((0, 0)))
                }
                // A block's start passes its input on: its gradient too.
                (Stage::Open | Stage::Kind { .. }, None) => Some(core::mem::take(&mut delta)),
            };
            match below {
                Some(below) => scratch::recycle(core::mem::replace(&mut delta, below)),
                None => break,
            }
        }
        outputs.reverse();
        (deltas, gradients, outputs)
    }
}

/// What a backward pass keeps besides the pre-activations' gradients.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// Nothing more.
    PreActivations,
    /// The trained tensors' gradients.
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
