//! The training loop: optimizer steps and epochs of shuffled mini-batches.

use ndarray::{ArrayView2, Axis};
use rand::Rng;

use crate::runtime::error::Error;
use crate::runtime::generator::generator;
use crate::runtime::network::Network;
use crate::runtime::scratch;
use crate::runtime::train::evaluate::check_count;
use crate::runtime::train::loss::{Loss, Targets};
use crate::runtime::train::optim::{update, Moments, Optimizer, StepOf};
use crate::runtime::train::schedule::Schedule;

/// Everything a trainer holds, as a checkpoint restores it.
pub(crate) struct TrainerState {
    pub(crate) network: Network,
    pub(crate) loss: Loss,
    pub(crate) optimizer: Optimizer,
    pub(crate) moments: Vec<Vec<Moments>>,
    pub(crate) steps: i32,
    pub(crate) epochs: u64,
    pub(crate) schedule: Schedule,
    pub(crate) clipping: Option<f32>,
}

/// A network being trained: the network, its loss, its optimizer and the
/// optimizer's state.
///
/// ```
/// use netinit::{Activation, LayerSpec, Loss, NetworkSpec, Optimizer, Targets, Trainer};
/// use netinit::ndarray::array;
///
/// let spec = NetworkSpec::new(vec![
///     LayerSpec::dense(2, 16, Activation::Relu),
///     LayerSpec::dense(16, 2, Activation::Softmax),
/// ])?;
/// let mut trainer = Trainer::new(spec.init(1), Loss::CrossEntropy, Optimizer::adam(0.05))?;
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
    moments: Vec<Vec<Moments>>,
    steps: i32,
    epochs: u64,
    schedule: Schedule,
    clipping: Option<f32>,
    /// Buffers shaped like the network and its moments: a step writes its
    /// result here and swaps it in only when every value is finite, so no
    /// step copies the network.
    spare: Option<(Network, Vec<Vec<Moments>>)>,
}

impl Trainer {
    /// Start training `network`; an optimizer setting out of its range
    /// (see [`Optimizer::check`]) is an error here, before any step.
    pub fn new(network: Network, loss: Loss, optimizer: Optimizer) -> Result<Trainer, Error> {
        optimizer.check()?;
        let moments = network.layers().iter().map(Moments::zeros_like).collect();
        Ok(Trainer {
            network,
            loss,
            optimizer,
            moments,
            steps: 0,
            epochs: 0,
            schedule: Schedule::Constant,
            clipping: None,
            spare: None,
        })
    }

    /// The same trainer with its learning rate moved by `schedule` at each
    /// step (the step count, not the epoch, drives it); a schedule whose
    /// settings do not hold together is an error.
    pub fn with_schedule(mut self, schedule: Schedule) -> Result<Trainer, Error> {
        schedule.check()?;
        self.schedule = schedule;
        Ok(self)
    }

    /// The same trainer with each step's gradients scaled down, where their
    /// global norm (over every trained tensor) passes `max_norm`, to that
    /// norm: as `torch.nn.utils.clip_grad_norm_`, factor `max_norm /
    /// (norm + 1e-6)` where below 1.
    pub fn with_clipping(mut self, max_norm: f32) -> Result<Trainer, Error> {
        if !(max_norm.is_finite() && max_norm > 0.0) {
            return Err(Error::InvalidClipping { norm: max_norm });
        }
        self.clipping = Some(max_norm);
        Ok(self)
    }

    /// How the learning rate moves over the steps.
    pub fn schedule(&self) -> Schedule {
        self.schedule
    }

    /// The global gradient norm steps are clipped to, if any.
    pub fn clipping(&self) -> Option<f32> {
        self.clipping
    }

    /// A trainer resumed from a saved state whose parts fit together.
    pub(crate) fn from_parts(state: TrainerState) -> Trainer {
        let TrainerState {
            network,
            loss,
            optimizer,
            moments,
            steps,
            epochs,
            schedule,
            clipping,
        } = state;
        Trainer {
            network,
            loss,
            optimizer,
            moments,
            steps,
            epochs,
            schedule,
            clipping,
            spare: None,
        }
    }

    /// The optimizer's state per layer, and the counts, for a checkpoint.
    pub(crate) fn state(&self) -> (&[Vec<Moments>], i32, u64) {
        (&self.moments, self.steps, self.epochs)
    }

    /// The loss being minimised.
    pub fn loss(&self) -> Loss {
        self.loss
    }

    /// The optimizer and its settings.
    pub fn optimizer(&self) -> Optimizer {
        self.optimizer
    }

    /// How many optimizer steps have been taken.
    pub fn steps(&self) -> u64 {
        self.steps.max(0) as u64
    }

    /// How many epochs [`Trainer::epoch`] has completed.
    pub fn epochs(&self) -> u64 {
        self.epochs
    }

    /// The network as trained so far.
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// The trained network.
    pub fn into_network(self) -> Network {
        self.network
    }

    /// One optimizer step on a batch; returns the batch's loss before the
    /// step. A step whose loss, gradients or updated weights would not be
    /// finite is an [`Error::NonFinite`] and is not applied: the weights and
    /// the optimizer's state stay as they were.
    pub fn step(&mut self, inputs: ArrayView2<f32>, targets: Targets) -> Result<f32, Error> {
        let (loss, mut gradients, cache) = self.network.gradients_and_cache(inputs, targets, self.loss)?;
        if !loss.is_finite() {
            return Err(Error::NonFinite { what: "loss" });
        }
        if !gradients.iter().all(|(_, _, gradient)| finite(gradient)) {
            return Err(Error::NonFinite { what: "gradients" });
        }
        if let Some(max_norm) = self.clipping {
            gradients.clip(max_norm);
        }
        // Written to the spare buffers, swapped in only when every value is finite.
        let (mut network, mut moments) = match self.spare.take() {
            Some(spare) => spare,
            None => (self.network.clone(), self.moments.clone()),
        };
        let steps = self.steps.saturating_add(1);
        let mut finite = true;
        let gradients = gradients.into_layers();
        let layers = self.network.layers().iter().zip(&self.moments);
        let spares = network.layers_mut().iter_mut().zip(moments.iter_mut());
        for (((layer, current_moments), (spare, spare_moments)), gradients) in
            layers.zip(spares).zip(&gradients)
        {
            let current = layer.trained().zip(current_moments);
            let next = spare.trained_mut().zip(spare_moments.iter_mut());
            for (((tensor, moments), (next, next_moments)), (_, gradient)) in current.zip(next).zip(gradients)
            {
                let step = StepOf {
                    steps,
                    rate_factor: self.schedule.factor(steps.max(0) as u32),
                    decays: Optimizer::decays(tensor.spec().role()),
                };
                finite &= update(
                    self.optimizer,
                    step,
                    standard(gradient),
                    [
                        standard(tensor.values()),
                        standard(&moments.first),
                        standard(&moments.second),
                    ],
                    [
                        standard_mut(next.values_mut()),
                        standard_mut(next_moments.first.view_mut()),
                        standard_mut(next_moments.second.view_mut()),
                    ],
                );
            }
        }
        if !finite {
            self.spare = Some((network, moments));
            return Err(Error::NonFinite {
                what: "updated parameters",
            });
        }
        // The buffers (a batch normalization's running statistics): the
        // spare's are a step old, so they are the current ones moved as
        // this batch's forward pass says.
        for (stage, computed) in self.network.stages().iter().zip(&cache.stages) {
            if let (Some((kind, _)), Some(layer)) = (stage.kind(), stage.layer()) {
                let current = self.network.layers()[layer].tensors();
                finite &= kind.step_buffers(current, network.layers_mut()[layer].tensors_mut(), computed);
            }
        }
        if !finite {
            self.spare = Some((network, moments));
            return Err(Error::NonFinite {
                what: "running statistics",
            });
        }
        let network = std::mem::replace(&mut self.network, network);
        let moments = std::mem::replace(&mut self.moments, moments);
        self.spare = Some((network, moments));
        self.steps = steps;
        gradients
            .into_iter()
            .flatten()
            .for_each(|(_, gradient)| scratch::recycle(gradient));
        Ok(loss)
    }

    /// One epoch over `inputs` and `classes` in mini-batches of
    /// `batch_size`, shuffled by a generator seeded with `shuffle_seed`;
    /// `after_batch` is called with each batch's loss. Returns the mean loss.
    /// A network that gives a sequence takes one class per token (see
    /// [`Network::evaluate`]), which go with their row.
    pub fn epoch(
        &mut self,
        inputs: ArrayView2<f32>,
        classes: &[usize],
        batch_size: usize,
        shuffle_seed: u64,
        mut after_batch: impl FnMut(f32),
    ) -> Result<f32, Error> {
        let per_row = self.network.spec().rows_per_example();
        check_count(inputs.nrows() * per_row, classes.len())?;
        check_epoch(&self.network, inputs, classes, batch_size)?;
        let order = shuffled(inputs.nrows(), shuffle_seed);
        let mut total = 0.0_f64;
        for batch in order.chunks(batch_size) {
            let batch_inputs = inputs.select(Axis(0), batch);
            let batch_classes: Vec<usize> = batch
                .iter()
                .flat_map(|&row| classes[row * per_row..(row + 1) * per_row].iter().copied())
                .collect();
            let loss = self.step(batch_inputs.view(), Targets::Classes(&batch_classes))?;
            total += f64::from(loss) * batch.len() as f64;
            after_batch(loss);
        }
        // A count loaded from a file may already be at the top.
        self.epochs = self.epochs.saturating_add(1);
        Ok((total / inputs.nrows().max(1) as f64) as f32)
    }
}

/// Whether every value is finite.
fn finite<'a>(values: impl IntoIterator<Item = &'a f32>) -> bool {
    // A fold without a short cut, which the compiler vectorises.
    values
        .into_iter()
        .fold(true, |finite, value| finite & value.is_finite())
}

/// The values of an array the trainer owns or computes, in order: its
/// parameters and moments are built in the standard layout, and the
/// gradients are fresh products and sums, which are too.
fn standard<D: ndarray::Dimension>(array: &ndarray::Array<f32, D>) -> &[f32] {
    array
        .as_slice()
        .expect("parameters, moments and gradients are in the standard layout")
}

/// [`standard`], to write.
fn standard_mut<D: ndarray::Dimension>(view: ndarray::ArrayViewMut<'_, f32, D>) -> &mut [f32] {
    view.into_slice()
        .expect("parameters and moments are in the standard layout")
}

/// An epoch's data checked before its first step, so that a mistake
/// anywhere in it applies no batch: rows present, a batch size, the input
/// width, every label a class, every input finite.
fn check_epoch(
    network: &Network,
    inputs: ArrayView2<f32>,
    classes: &[usize],
    batch_size: usize,
) -> Result<(), Error> {
    if batch_size == 0 || classes.is_empty() {
        return Err(Error::EmptyBatch);
    }
    if inputs.ncols() != network.inputs() {
        return Err(Error::InputWidth {
            expected: network.inputs(),
            found: inputs.ncols(),
        });
    }
    if let Some(&class) = classes.iter().find(|&&class| class >= network.outputs()) {
        return Err(Error::ClassOutOfRange {
            class,
            classes: network.outputs(),
        });
    }
    if let Some(((row, column), _)) = inputs.indexed_iter().find(|(_, value)| !value.is_finite()) {
        return Err(Error::NonFiniteInput { row, column });
    }
    Ok(())
}

/// `0..count` in the order of a Fisher–Yates shuffle driven by ChaCha8,
/// so an epoch's batches are the same on every platform.
pub(crate) fn shuffled(count: usize, seed: u64) -> Vec<usize> {
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
