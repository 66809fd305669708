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
/// [`NetworkSpec`]; `network! { pub struct Name { … } }` defines a type with
/// `Name::SPEC` and `Name::init(seed)`.
///
/// A layer is `dense(IN -> OUT, ACTIVATION [, OPTION]*)`. Activations:
/// `identity` (or `linear`), `relu`, `leaky_relu(α)`, `elu(α)`, `gelu`,
/// `silu`, `selu`, `softplus`, `tanh`, `sigmoid`, `softmax`. Options:
/// `init = INIT`, `bias = INIT`, `dist = normal|uniform|truncated_normal`,
/// `mode = fan_in|fan_out|fan_avg`, `gain = F`. Inits: `he_normal`,
/// `he_uniform`, `xavier_normal`, `xavier_uniform`, `lecun_normal`,
/// `lecun_uniform`, `orthogonal`, `normal(std = F)`, `uniform(bound = F)`,
/// `truncated_normal(std = F)`, `zeros`, `ones`, `constant(F)`.
///
/// Lints (`#[allow(…)]`, `#[warn(…)]`, `#[deny(…)]` on a layer, or on the
/// network as `#![…]` inside the macro or `#[…]` on the item):
/// `constant_init` (deny), `init_mismatch`, `signal_drift`,
/// `softmax_hidden` (warn). See the README for each one's output.
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
pub use init_macros::network;

// Everything init-core makes public, under one name: the rules, the
// sampler, `fill`, the network and training.
pub use init_core::*;

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
    pub use init_core::{
        Activation, Distribution, Family, FanMode, Init, LayerSpec, Level, Lint, LintLevels, NetworkSpec,
        VarianceScaling,
    };
}
