//! A trainer's whole state in one checkpoint: the network's tensors as
//! [`Network::save`](crate::Network::save) writes them, the optimizer's
//! moments beside them (`optimizer.layers.0.weight.first`, …), and in the
//! metadata the loss, the optimizer's settings and the step and epoch
//! counts. Training 2 epochs, saving, loading and training 2 more gives the
//! weights 4 epochs give.

use std::collections::HashMap;
use std::path::Path;

use ndarray::{Array2, ArrayViewD, IxDyn};

use crate::rules::parameter::ParameterSpec;
use crate::rules::path::LayerPath;
use crate::runtime::checkpoint::{
    metadata, mode_value, network_tensors, read, write, CheckpointError, File, MODE_KEY, OPTIMIZER_PREFIX,
};
use crate::runtime::error::Error;
use crate::runtime::network::Network;
use crate::runtime::train::loss::Loss;
use crate::runtime::train::optim::{Moments, Optimizer};
use crate::runtime::train::schedule::Schedule;
use crate::runtime::train::trainer::{Trainer, TrainerState};

const LOSS_KEY: &str = "netinit.loss";
const OPTIMIZER_KEY: &str = "netinit.optimizer";
const LEARNING_RATE_KEY: &str = "netinit.learning_rate";
const MOMENTUM_KEY: &str = "netinit.momentum";
const BETA1_KEY: &str = "netinit.beta1";
const BETA2_KEY: &str = "netinit.beta2";
const EPSILON_KEY: &str = "netinit.epsilon";
const WEIGHT_DECAY_KEY: &str = "netinit.weight_decay";
const SCHEDULE_KEY: &str = "netinit.schedule";
const CLIPPING_KEY: &str = "netinit.clip_norm";
const STEPS_KEY: &str = "netinit.steps";
const EPOCHS_KEY: &str = "netinit.epochs";

/// The name of one of the optimizer's moment tensors for a layer.
fn moment_name(path: &LayerPath, tensor: &str, moment: &str) -> String {
    format!("{OPTIMIZER_PREFIX}layers.{path}.{tensor}.{moment}")
}

/// The shape a moment of `tensor` is saved in: the optimizer holds it as
/// the tensor is held, a matrix, or a vector for a vector (so a
/// convolution's are `(out, in·kh·kw)`, a normalization's `γ`'s `(1, N)`).
fn saved_shape(tensor: &ParameterSpec) -> Vec<usize> {
    match tensor.is_vector() {
        true => vec![tensor.matrix_shape()[1]],
        false => tensor.matrix_shape().to_vec(),
    }
}

/// A moment's values as saved (see [`saved_shape`]).
fn held<'a>(tensor: &ParameterSpec, values: &'a Array2<f32>) -> ArrayViewD<'a, f32> {
    values
        .view()
        .into_shape_with_order(IxDyn(&saved_shape(tensor)))
        .expect("a moment holds its tensor's values in standard layout")
}

impl Trainer {
    /// Write the whole training state to a safetensors file, atomically.
    /// The file is also a network checkpoint: [`Network::load`] reads its
    /// weights (use [`Trainer::load`] to resume).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
        let (moments, steps, epochs) = self.state();
        let mut tensors = network_tensors(self.network());
        let paths = self.network().spec().layer_paths().into_iter().flatten();
        for ((path, layer), moments) in paths.zip(self.network().layers()).zip(moments) {
            for (tensor, moments) in layer.trained().zip(moments) {
                for (moment, values) in [("first", &moments.first), ("second", &moments.second)] {
                    tensors.push((
                        moment_name(&path, tensor.name(), moment),
                        held(tensor.spec(), values),
                    ));
                }
            }
        }
        let mut metadata = metadata(self.network().spec(), self.network().origin());
        metadata.extend(settings(self.loss(), self.optimizer()));
        metadata.insert(SCHEDULE_KEY.to_owned(), self.schedule().to_string());
        if let Some(norm) = self.clipping() {
            metadata.insert(CLIPPING_KEY.to_owned(), norm.to_string());
        }
        metadata.insert(STEPS_KEY.to_owned(), steps.to_string());
        metadata.insert(EPOCHS_KEY.to_owned(), epochs.to_string());
        metadata.insert(MODE_KEY.to_owned(), mode_value(self.network().mode()).to_owned());
        write(path.as_ref(), &tensors, &metadata)
    }

    /// Resume training from a file [`Trainer::save`] wrote.
    pub fn load(path: impl AsRef<Path>) -> Result<Trainer, CheckpointError> {
        let path = path.as_ref();
        let bytes = read(path)?;
        let file = File::parse(&bytes, path)?;
        let spec = file.metadata.spec()?;
        let (layers, mut names) = file.layers(&spec)?;
        let mut moments = Vec::with_capacity(layers.len());
        for (layer_path, layer) in spec.layer_paths().into_iter().flatten().zip(&layers) {
            let mut layer_moments = Vec::new();
            for tensor in layer.trained() {
                let mut read = |moment: &str| {
                    let name = moment_name(&layer_path, tensor.name(), moment);
                    let (rows, columns) = tensor.values().dim();
                    let values = match tensor.spec().is_vector() {
                        true => file.values(&name, &[columns]).map(|values| {
                            Array2::from_shape_vec((1, columns), values)
                                .expect("the values have the shape read")
                        }),
                        false => file.matrix(&name, rows, columns),
                    };
                    names.push(name);
                    values
                };
                let first = read("first")?;
                let second = read("second")?;
                // Adam divides by the square root of the second moment: a
                // negative one would make every later step fail.
                if second.iter().any(|&value| value < 0.0) {
                    return Err(CheckpointError::Negative {
                        path: path.to_owned(),
                        name: moment_name(&layer_path, tensor.name(), "second"),
                    });
                }
                layer_moments.push(Moments { first, second });
            }
            moments.push(layer_moments);
        }
        file.only(&names, false)?;
        let mut network = Network::from_parts(spec, layers, file.metadata.origin()?);
        network.set_mode(file.metadata.mode()?);
        Ok(Trainer::from_parts(TrainerState {
            network,
            loss: loss(&file)?,
            optimizer: optimizer(&file)?,
            moments,
            steps: steps(&file)?,
            epochs: file.metadata.parsed(EPOCHS_KEY)?,
            schedule: schedule(&file)?,
            clipping: clipping(&file)?,
        }))
    }
}

/// The loss and the optimizer's settings as metadata. f32 `Display` is the
/// shortest text that reads back to the same value.
fn settings(loss: Loss, optimizer: Optimizer) -> HashMap<String, String> {
    let loss = match loss {
        Loss::CrossEntropy => "cross_entropy",
        Loss::MeanSquaredError => "mean_squared_error",
    };
    let mut settings = HashMap::from([(LOSS_KEY.to_owned(), loss.to_owned())]);
    let mut set = |key: &str, value: String| settings.insert(key.to_owned(), value);
    match optimizer {
        Optimizer::Sgd {
            learning_rate,
            momentum,
        } => {
            set(OPTIMIZER_KEY, "sgd".into());
            set(LEARNING_RATE_KEY, learning_rate.to_string());
            set(MOMENTUM_KEY, momentum.to_string());
        }
        Optimizer::Adam {
            learning_rate,
            beta1,
            beta2,
            epsilon,
        } => {
            set(OPTIMIZER_KEY, "adam".into());
            set(LEARNING_RATE_KEY, learning_rate.to_string());
            set(BETA1_KEY, beta1.to_string());
            set(BETA2_KEY, beta2.to_string());
            set(EPSILON_KEY, epsilon.to_string());
        }
        Optimizer::AdamW {
            learning_rate,
            beta1,
            beta2,
            epsilon,
            weight_decay,
        } => {
            set(OPTIMIZER_KEY, "adamw".into());
            set(LEARNING_RATE_KEY, learning_rate.to_string());
            set(BETA1_KEY, beta1.to_string());
            set(BETA2_KEY, beta2.to_string());
            set(EPSILON_KEY, epsilon.to_string());
            set(WEIGHT_DECAY_KEY, weight_decay.to_string());
        }
    }
    settings
}

/// The schedule, `constant` where a file from before schedules has none.
fn schedule(file: &File) -> Result<Schedule, CheckpointError> {
    match file.metadata.get(SCHEDULE_KEY) {
        Ok(text) => text
            .parse()
            .map_err(|()| file.metadata.bad_value(SCHEDULE_KEY, text)),
        Err(_) => Ok(Schedule::Constant),
    }
}

/// The clipping norm, if the trainer clipped.
fn clipping(file: &File) -> Result<Option<f32>, CheckpointError> {
    match file.metadata.get(CLIPPING_KEY) {
        Ok(text) => match text.parse::<f32>() {
            Ok(norm) if norm.is_finite() && norm > 0.0 => Ok(Some(norm)),
            _ => Err(file.metadata.bad_value(CLIPPING_KEY, text)),
        },
        Err(_) => Ok(None),
    }
}

/// The step count, which Adam's bias correction raises its betas to: a
/// whole number from 0 to `i32::MAX`.
fn steps(file: &File) -> Result<i32, CheckpointError> {
    let steps: u32 = file.metadata.parsed(STEPS_KEY)?;
    i32::try_from(steps).map_err(|_| file.metadata.bad_value(STEPS_KEY, &steps.to_string()))
}

fn loss(file: &File) -> Result<Loss, CheckpointError> {
    match file.metadata.get(LOSS_KEY)? {
        "cross_entropy" => Ok(Loss::CrossEntropy),
        "mean_squared_error" => Ok(Loss::MeanSquaredError),
        other => Err(file.metadata.bad_value(LOSS_KEY, other)),
    }
}

fn optimizer(file: &File) -> Result<Optimizer, CheckpointError> {
    let learning_rate = file.metadata.parsed(LEARNING_RATE_KEY)?;
    let optimizer = match file.metadata.get(OPTIMIZER_KEY)? {
        "sgd" => Ok(Optimizer::Sgd {
            learning_rate,
            momentum: file.metadata.parsed(MOMENTUM_KEY)?,
        }),
        "adam" => Ok(Optimizer::Adam {
            learning_rate,
            beta1: file.metadata.parsed(BETA1_KEY)?,
            beta2: file.metadata.parsed(BETA2_KEY)?,
            epsilon: file.metadata.parsed(EPSILON_KEY)?,
        }),
        "adamw" => Ok(Optimizer::AdamW {
            learning_rate,
            beta1: file.metadata.parsed(BETA1_KEY)?,
            beta2: file.metadata.parsed(BETA2_KEY)?,
            epsilon: file.metadata.parsed(EPSILON_KEY)?,
            weight_decay: file.metadata.parsed(WEIGHT_DECAY_KEY)?,
        }),
        other => Err(file.metadata.bad_value(OPTIMIZER_KEY, other)),
    }?;
    match optimizer.check() {
        Ok(()) => Ok(optimizer),
        Err(Error::InvalidOptimizer { setting, value, .. }) => {
            let key = match setting {
                "learning rate" => LEARNING_RATE_KEY,
                "momentum" => MOMENTUM_KEY,
                "beta1" => BETA1_KEY,
                "beta2" => BETA2_KEY,
                "weight decay" => WEIGHT_DECAY_KEY,
                _ => EPSILON_KEY,
            };
            Err(file.metadata.bad_value(key, &value.to_string()))
        }
        Err(_) => Err(file
            .metadata
            .bad_value(OPTIMIZER_KEY, file.metadata.get(OPTIMIZER_KEY)?)),
    }
}
