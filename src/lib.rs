//! # netinit
//!
//! Declare a neural network with [`network!`]; get, at compile time, the
//! weight initialisation matched to each activation (He for the ReLU family,
//! Xavier for tanh, sigmoid, softmax and identity, LeCun for SELU), an error
//! for constant weights (they never break symmetry), warnings for mismatched
//! or badly scaled inits, and shape checks between layers. At run time,
//! sample the weights reproducibly and run the network.
//!
//! ```
//! use netinit::network;
//!
//! const MNIST: netinit::NetworkSpec = network![
//!     dense(784 -> 256, relu),
//!     dense(256 -> 10, softmax),
//! ];
//!
//! let network = MNIST.init(42);
//! let weight = network.layers()[0].weight();
//! assert_eq!(weight.dim(), (256, 784)); // (out, in), like PyTorch's Linear
//! ```
//!
//! The item form names a type for the same thing:
//!
//! ```
//! netinit::network! {
//!     /// A Fashion-MNIST classifier.
//!     pub struct Mnist {
//!         dense(784 -> 256, relu),
//!         dense(256 -> 10, softmax),
//!     }
//! }
//!
//! let model = Mnist::init(7);
//! let batch = netinit::ndarray::Array2::<f32>::zeros((3, 784));
//! let probabilities = model.forward(batch.view())?;
//! assert_eq!(probabilities.dim(), (3, 10));
//! # Ok::<(), netinit::Error>(())
//! ```
//!
//! Everything the macro knows is usable without it, like `torch.nn.init`:
//! [`fill`] fills any `ndarray` tensor, [`NetworkSpec::new`] builds a
//! network at run time and [`NetworkSpec::lint`] runs the same analysis.
//! [`Trainer`] trains a network (backprop, SGD with momentum, Adam) and
//! [`data`] reads Fashion-MNIST.

#![deny(missing_docs)]

extern crate self as netinit;

/// Declare a network: `network![dense(784 -> 256, relu), …]` is a constant
/// [`NetworkSpec`]; `network! { pub struct Name { … } }` defines a type.
///
/// # The grammar
///
/// A layer is `dense(IN -> OUT, ACTIVATION [, OPTION]*)`. Activations:
/// `identity` (or `linear`), `relu`, `leaky_relu(α)`, `elu(α)`, `gelu`,
/// `silu`, `selu`, `softplus`, `tanh`, `sigmoid`, `softmax`. Options:
/// `init = INIT`, `bias = INIT`, `bias = none`, `dist = normal|uniform|truncated_normal`,
/// `mode = fan_in|fan_out|fan_avg`, `gain = F`. Inits: `he_normal`,
/// `he_uniform`, `xavier_normal`, `xavier_uniform`, `lecun_normal`,
/// `lecun_uniform`, `orthogonal`, `normal(std = F)`, `uniform(bound = F)`,
/// `truncated_normal(std = F)`, `zeros`, `ones`, `constant(F)`. Without
/// `init =`, a layer gets the scheme matched to its activation (He for the
/// ReLU family, LeCun for SELU, Xavier for the rest). An activation written
/// alone (`relu`, `leaky_relu(0.1)`) is a layer of its own. Convolutions,
/// pooling, `flatten`, `input(…)`, normalizations and residual blocks are in
/// the book (`docs/src/grammar.md` and the chapters after it). The same text is read
/// at run time by [`NetworkSpec::from_dsl`] and by the `netinit` command
/// line, with the same diagnostics.
///
/// ```
/// const HEAD: netinit::NetworkSpec = netinit::network![
///     dense(512 -> 512, gelu),
///     // A zero-initialised output head (Fixup) is meant to start constant.
///     #[allow(constant_init)]
///     dense(512 -> 10, identity, init = zeros),
/// ];
/// assert_eq!(HEAD.layers().len(), 2);
/// ```
///
/// # The item form
///
/// ```
/// netinit::network! {
///     /// A Fashion-MNIST classifier.
///     #[derive(Clone, Debug, PartialEq)]
///     pub struct Mnist {
///         dense(784 -> 256, relu),
///         dense(256 -> 10, softmax),
///     }
/// }
///
/// let model = Mnist::init(7);
/// assert_eq!(Mnist::SPEC.parameter_count(), 203_530);
/// assert_eq!(model.layers().len(), 2); // through Deref<Target = Network>
/// let network: netinit::Network = model.into_network();
/// ```
///
/// `pub struct Name { … }` defines a struct holding a sampled [`Network`],
/// with
/// * `Name::SPEC`, the [`NetworkSpec`] checked at compile time;
/// * `Name::init(seed: u64) -> Name`, its weights sampled from `seed` (see
///   [`NetworkSpec::init`]);
/// * `name.into_network() -> Network`;
/// * `Deref` and `DerefMut` to [`Network`], so `forward`, `layers` and the
///   rest are called on it directly.
///
/// The struct derives nothing itself: add the derives you want (`Clone`,
/// `Debug` and `PartialEq` work, as [`Network`] has them). Any visibility
/// works, and the form works inside function bodies. Attributes other than
/// netinit's lints (doc comments, derives, rustc's own lints) go on the
/// struct.
///
/// # Lints
///
/// Lint attributes go on a layer (`#[allow(constant_init)] dense(…)`) or on
/// the whole network: `#![deny(init_mismatch)]` first inside `network![…]`,
/// or `#[deny(init_mismatch)]` on the item form's struct. A layer's level
/// wins over the network's, except that nothing lowers `forbid`. On stable
/// Rust a macro's warning is a deprecation warning, so `#![deny(warnings)]`
/// turns ours into errors and `#[allow(deprecated)]` on the enclosing item
/// silences them. The lints, with their default levels:
///
/// * `constant_init` (deny): constant weights, or a scale whose every sample
///   rounds to zero in f32, start the layer's neurons identical; two
///   constant layers in a row, or a layer that passes no gradient, are
///   errors no attribute lowers.
/// * `init_mismatch` (warn): an init family, written out, that does not
///   match the activation (Xavier on relu, He on tanh, …).
/// * `init_scale` (warn): a weight variance at most half, or at least twice,
///   the one matched to the activation.
/// * `signal_drift` (warn): the mean-field analysis predicts the activations'
///   or gradients' second moment to grow or shrink by more than 2^10 across
///   the network.
/// * `softmax_hidden` (warn): softmax anywhere but the last layer.
/// * `f32_overflow` (deny): the analysis predicts a layer's values past
///   f32's range (finite weights whose forward pass gives infinities).
/// * `rank_collapse` (warn): the analysis predicts two tokens of a sequence
///   to become nearly the same vector (mean cosine similarity past 0.99), so
///   attention can no longer tell them apart.
///
/// Each lint's full entry, with the compiler's output, is in the book's lint
/// chapter, `docs/src/lints.md` (generated from the lint modules' docs). The
/// same findings are values at run time: [`NetworkSpec::lint`].
pub use init_macros::network;

// Activations, inits and fans.
pub use init_core::{
    expectation, Activation, Distribution, Draw, Family, FanMode, Fans, Init, VarianceScaling,
    LARGEST_NORMAL, MAX_ALPHA, SELU_ALPHA, SELU_LAMBDA, SMALLEST_SCALE, TRUNCATED_NORMAL_STD_CORRECTION,
    TRUNCATION,
};
// The name `AffineSpec` had before convolutions, kept for the code that used it.
#[allow(deprecated)]
pub use init_core::DenseSpec;
// The layer kinds, each kind's spec, and a layer of a network description.
pub use init_core::layers::*;
// Network descriptions, their tensors, their checks and the DSL.
pub use init_core::{
    dsl, validate, LayerPath, NetworkSpec, ParameterSpec, Part, Role, Shape, Stream, Summary, MAX_ATTENDED,
    MAX_PARAMETERS, MAX_PLANE, MAX_SIDE, MAX_VALUES, MAX_VOCABULARY, MIN_EPSILON,
};
// The mistakes that make a description unusable, by area.
pub use init_core::{ChainError, Diagnosis, InitError, SizeError, Sort, SpecError, StructureError};
// The lints and the signal analysis behind them.
pub use init_core::{
    signal, Finding, Level, Lint, LintLevels, COLLAPSE_LIMIT, DRIFT_LIMIT_LOG2, SETTLING_LOG2,
};
// Sampling, the network and training.
pub use init_core::{
    checkpoint, files, fill, generator, CheckpointError, Error, Evaluation, Generator, Gradients, Layer,
    Loss, Mode, Network, Optimizer, Origin, SamplerFormat, Schedule, Targets, Tensor, Trainer,
    LEARNING_RATES, MAX_EPSILON_PER_RATE,
};

pub mod data;

/// The `ndarray` netinit is built with: tensors and batches are its arrays.
pub use ndarray;
/// The `rand` netinit is built with: [`Generator`] implements its traits.
pub use rand;

/// What the macro's output names; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use core::ops::{Deref, DerefMut};
    pub use core::option::Option;
    pub use core::primitive::u64;
    pub use init_core::layers::*;
    pub use init_core::{
        Activation, Distribution, Family, FanMode, Init, Level, Lint, LintLevels, NetworkSpec, Shape,
        VarianceScaling,
    };
}
