//! The run-time errors: what was expected, and what was found.

use core::fmt;

use crate::rules::activation::Activation;
use crate::rules::error::SpecError;
use crate::rules::init::Init;
use crate::rules::number::written;
use crate::rules::shape::Shape;
use crate::runtime::train::loss::Loss;

/// A run-time error of netinit. Nothing in the library panics on user input;
/// every mistake comes back as one of these.
#[derive(Clone, Debug, PartialEq)]
pub enum Error {
    /// A batch normalization in training mode given fewer than two values
    /// per channel, which have no variance to normalise by.
    BatchTooSmall {
        /// The values per channel the batch gives (examples × positions).
        found: usize,
    },
    /// A batch's rows have the wrong number of features.
    InputWidth {
        /// The network's input width.
        expected: usize,
        /// The batch's column count.
        found: usize,
    },
    /// A batch of images whose `(c, h, w)` differ from the network's input shape.
    InputShape {
        /// The network's input shape.
        expected: Shape,
        /// The images' shape.
        found: Shape,
    },
    /// A row range that is empty-ended backwards or past the last row.
    RowRange {
        /// The first row asked for.
        start: usize,
        /// One past the last row asked for.
        end: usize,
        /// How many rows there are.
        rows: usize,
    },
    /// A tensor asked for by a name its layer does not give one.
    NoSuchTensor {
        /// The layer (0-based, among all the spec's layers).
        layer: usize,
        /// The name asked for.
        name: String,
        /// The names its tensors have.
        names: Vec<&'static str>,
    },
    /// A block asked for columns the tensor does not have.
    ColumnRange {
        /// The first column asked for.
        start: usize,
        /// One past the last column asked for.
        end: usize,
        /// How many columns there are.
        columns: usize,
    },
    /// A variance-scaling or orthogonal init on a tensor with fewer than two
    /// dimensions, whose fans are undefined.
    FansUndefined {
        /// The tensor's number of dimensions.
        dimensions: usize,
    },
    /// A std, bound or gain that is negative or not finite.
    InvalidScale {
        /// What the number is (`std`, `bound`, `gain`, `constant`).
        what: &'static str,
        /// The number.
        value: f64,
    },
    /// A network description that does not hold together.
    Spec(SpecError),
    /// The number of targets differs from the number of rows in the batch.
    TargetCount {
        /// The batch's row count.
        expected: usize,
        /// The number of targets.
        found: usize,
    },
    /// Target values whose width differs from the network's output.
    TargetWidth {
        /// The network's output width.
        expected: usize,
        /// The targets' width.
        found: usize,
    },
    /// A class label past the last output.
    ClassOutOfRange {
        /// The label found.
        class: usize,
        /// How many classes the output has.
        classes: usize,
    },
    /// Cross-entropy asked of a network whose last layer is not softmax.
    LossNeedsSoftmax {
        /// The last layer's activation.
        found: Activation,
    },
    /// Targets of the wrong kind for the loss (values for cross-entropy,
    /// classes for mean squared error).
    TargetsDoNotFit {
        /// The loss asked for.
        loss: Loss,
    },
    /// A batch with no rows, or a batch size of 0.
    EmptyBatch,
    /// An optimizer setting outside its range (a learning rate of NaN, a
    /// momentum of 1, …), refused when the trainer is built.
    InvalidOptimizer {
        /// The setting.
        setting: &'static str,
        /// Its value.
        value: f32,
        /// The range it must be in.
        expected: &'static str,
    },
    /// A learning-rate schedule whose warm-up is longer than its total, or
    /// whose floor is not a factor from 0 to 1.
    InvalidSchedule {
        /// The warm-up's steps.
        warmup: u32,
        /// The total steps.
        total: u32,
        /// The factor at the end.
        floor: f32,
    },
    /// A gradient clipping norm that is not a positive finite number.
    InvalidClipping {
        /// The norm given.
        norm: f32,
    },
    /// Memory the system would not give: the allocation is reported, never
    /// an abort.
    Allocation {
        /// What was being allocated.
        what: &'static str,
        /// How many bytes.
        bytes: u128,
    },
    /// A tensor whose fans overflow `usize`.
    FansOverflow {
        /// The tensor's shape.
        shape: Vec<usize>,
    },
    /// An input value that is NaN or infinite, found before any step.
    NonFiniteInput {
        /// The row.
        row: usize,
        /// The feature.
        column: usize,
    },
    /// A token id that is not a whole number below the embedding's
    /// vocabulary.
    TokenId {
        /// The row (example) of the batch.
        row: usize,
        /// The token's position in the row.
        position: usize,
        /// The value found.
        found: f64,
        /// The embedding's vocabulary: ids are `0..vocabulary`.
        vocabulary: usize,
    },
    /// A layer put in another's place through
    /// [`Network::layers_mut`](crate::Network::layers_mut) that is not what
    /// the network's description has there (another kind, shape or
    /// activation): the network refuses to run rather than compute with it.
    LayerMismatch {
        /// The layer's index among the layers with parameters.
        layer: usize,
        /// What the description has there: `dense(784 -> 256, relu) with weight [256, 784], bias [256]`.
        expected: String,
        /// What the layer is.
        found: String,
    },
    /// A step whose loss, gradients or updated weights are not finite: it
    /// was not applied.
    NonFinite {
        /// What was not finite: `loss`, `gradients` or `updated parameters`.
        what: &'static str,
    },
    /// An evaluation whose loss is NaN or infinite though its inputs are
    /// finite: the weights are finite, but what they compute passes f32's
    /// range (a learning rate far too large leaves such weights).
    NonFiniteLoss {
        /// The first row of the chunk (of at most 1,024) whose loss it is.
        first_row: usize,
        /// Its last row.
        last_row: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InputWidth { expected, found } => write!(
                f,
                "the input has {found} features per row, but the network's first layer takes {expected}"
            ),
            Error::InputShape { expected, found } => write!(
                f,
                "the images are {found} (channels × height × width), but the network's input is {expected}"
            ),
            Error::NoSuchTensor { layer, name, names } => match names.as_slice() {
                [] => write!(f, "layer {layer} has no tensor `{name}`: it has no parameters"),
                _ => write!(
                    f,
                    "layer {layer} has no tensor `{name}`; its tensors are {}",
                    names.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
                ),
            },
            Error::RowRange { start, end, rows } => {
                write!(f, "rows {start}..{end} are out of range: the tensor has rows 0..{rows}")
            }
            Error::ColumnRange { start, end, columns } => {
                write!(f, "columns {start}..{end} are out of range: the tensor has columns 0..{columns}")
            }
            Error::FansUndefined { dimensions } => write!(
                f,
                "fans need a tensor of at least 2 dimensions (out, in, …); found {dimensions}: use an init with \
                 an explicit scale, such as normal(std = 0.01)"
            ),
            Error::InvalidScale { what, value } => {
                f.write_str(&Init::invalid_scale_message(what, *value))
            }
            Error::Spec(error) => write!(f, "invalid network: {error}"),
            Error::TargetCount { expected, found } => {
                write!(f, "the batch has {expected} rows but {found} targets; give one target per row")
            }
            Error::TargetWidth { expected, found } => {
                write!(f, "the targets have {found} columns, but the network outputs {expected}")
            }
            Error::ClassOutOfRange { class, classes } => {
                write!(f, "class label {class} is out of range: the network has {classes} outputs (0..{classes})")
            }
            Error::LossNeedsSoftmax { found } => write!(
                f,
                "cross-entropy needs a softmax output layer, but the last layer's activation is `{found}`"
            ),
            Error::TargetsDoNotFit { loss } => match loss {
                Loss::CrossEntropy => write!(f, "cross-entropy compares with class labels; give Targets::Classes"),
                Loss::MeanSquaredError => {
                    write!(f, "mean squared error compares with values; give Targets::Values")
                }
            },
            Error::EmptyBatch => write!(f, "a batch needs at least one row, and a batch size at least 1"),
            Error::BatchTooSmall { found } => write!(
                f,
                "a batch normalization in training mode normalises each channel by the batch's variance, which \
                 needs at least 2 values per channel; this batch gives {found}: use a larger batch, or \
                 `Mode::Eval` to use the running statistics"
            ),
            Error::InvalidOptimizer {
                setting,
                value,
                expected,
            } => write!(
                f,
                "the optimizer's {setting} is {}; it must be {expected}",
                written(*value)
            ),
            Error::InvalidSchedule { warmup, total, floor } => write!(
                f,
                "a warm-up of {warmup} steps then a cosine decay to step {total} at a floor of {floor}: the warm-up \
                 must end by the total, and the floor be a factor from 0 to 1"
            ),
            Error::InvalidClipping { norm } => write!(
                f,
                "gradients clipped to a global norm of {}: the norm must be a positive, finite number",
                written(*norm)
            ),
            Error::Allocation { what, bytes } => write!(
                f,
                "cannot allocate {bytes} bytes for {what}: the system has not that much memory to give"
            ),
            Error::FansOverflow { shape } => {
                write!(f, "the fans of a tensor of shape {shape:?} do not fit in a usize")
            }
            Error::LayerMismatch { layer, expected, found } => write!(
                f,
                "layer {layer} (counting the layers with parameters) is {found}, but the network's description has \
                 {expected} there: a layer put in through `layers_mut` must be what it replaces; change its values \
                 through `tensors_mut`"
            ),
            Error::NonFiniteInput { row, column } => write!(
                f,
                "input row {row}, feature {column} is NaN or infinite; the network cannot learn from it (no step \
                 was taken)"
            ),
            Error::TokenId {
                row,
                position,
                found,
                vocabulary,
            } => write!(
                f,
                "row {row}, token {position} is {found}, which is not a token id: the embedding takes whole numbers \
                 0..{vocabulary}"
            ),
            Error::NonFiniteLoss { first_row, last_row } => write!(
                f,
                "the loss of rows {first_row} to {last_row} is NaN or infinite though the inputs are finite: the forward \
                 pass goes past f32's largest value (3.4e38), so the weights are too large for these inputs (a \
                 learning rate far too large leaves such weights); `Network::forward_all` shows the layer where \
                 the values leave f32's range"
            ),
            Error::NonFinite { what } => write!(
                f,
                "the step's {what} would not be finite (NaN or infinite), so it was not applied: the weights and \
                 the optimizer's state are as they were; check the inputs and targets for NaN, and try a smaller \
                 learning rate"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Spec(error) => Some(error),
            _ => None,
        }
    }
}

impl From<SpecError> for Error {
    fn from(error: SpecError) -> Error {
        Error::Spec(error)
    }
}
