//! One layer's step of the analysis, as a kind computes it (see
//! [`Kind::signal`](crate::rules::layer::kind::Kind::signal)): the values it
//! gives, what the backward pass needs of it, and how it changes the
//! spread of a typical network's factor. The backward pass works on
//! [`Step`]s alone, so it knows no kind: each kind's forward step says
//! which shape of step it is.

use crate::rules::activation::Activation;
use crate::rules::parameter::ParameterSpec;
use crate::rules::shape::Shape;
use crate::rules::signal::values::Values;
use crate::rules::signal::windows::Windows;

/// Where a layer stands when the analysis reaches it.
#[derive(Clone, Copy)]
pub struct SignalAt<'a> {
    /// The layer's tensors, with the branch scaling.
    pub parameters: &'a [ParameterSpec],
    /// `E[v²]` of each of those tensors, in their order.
    pub moments: &'a [f64],
    /// The plane of the layer's output; `None` for features.
    pub output_plane: Option<[usize; 2]>,
    /// The shape the layer is given, where the layers before it say it.
    pub input: Option<Shape>,
    /// Whether the layer is a residual branch's last layer with parameters
    /// (asked only of a layer that starts at zero: the answer walks the
    /// blocks around it).
    pub ends_branch: &'a dyn Fn() -> bool,
}

/// What the backward pass needs of each layer's forward step.
#[derive(Clone, Debug)]
pub enum Step {
    /// A layer with weights: its pre-activation variances (per output
    /// position), the input's plane, for a convolution its windows, its
    /// units (outputs, or output channels), `E[w²]` of its weights and its
    /// activation; `included: false` for a layer left out of the analysis
    /// (its weights constant), which passes the gradient's mean through.
    Affine {
        /// Pre-activation variance per output position.
        variances: Vec<f64>,
        /// The input's plane.
        input: Option<[usize; 2]>,
        /// A convolution's windows.
        windows: Option<Windows>,
        /// Outputs (output channels).
        units: usize,
        /// `E[w²]` of one weight.
        weight: f64,
        /// The activation after the affine map.
        activation: Activation,
        /// Whether the layer takes part.
        included: bool,
    },
    /// A pooling: its windows, and whether it averages.
    Pool {
        /// Where its windows fall.
        windows: Windows,
        /// Whether it averages (else it takes the largest).
        average: bool,
    },
    /// A global average pooling over a plane.
    Global {
        /// The plane pooled.
        plane: [usize; 2],
    },
    /// `input` or `flatten`: nothing changes.
    Through {
        /// The input's plane.
        input: Option<[usize; 2]>,
    },
    /// A normalization, and what it multiplies the gradient's second
    /// moment by on the way back: `E[γ²] / (σ² + ε)`.
    Norm {
        /// The factor on the gradient's second moment.
        scale: f64,
    },
    /// An activation as a layer of its own, and the variances (per
    /// position) of the Gaussians it is taken to act on.
    Activation {
        /// The Gaussians' variances.
        variances: Vec<f64>,
        /// The activation.
        activation: Activation,
    },
    /// A residual branch's last layer that starts at zero: no gradient
    /// passes below it (the skip carries the block's).
    Zero {
        /// The input's plane.
        input: Option<[usize; 2]>,
    },
    /// A residual block's start: on the way back, the branch's gradient
    /// and the skip's add here.
    Open,
    /// A residual block's shortcut: on the way back, the shortcut's
    /// gradient is set aside, and the branch's begins.
    Split,
    /// A residual block's end: on the way back, its gradient goes to both
    /// the branch and the skip; its output's positions.
    Join {
        /// The output's positions.
        positions: usize,
    },
}

impl Step {
    /// Whether the layer takes part in the analysis: a layer with constant
    /// weights (or a zero branch end) is left out.
    pub fn included(&self) -> bool {
        !matches!(self, Step::Affine { included: false, .. } | Step::Zero { .. })
    }
}

/// How a layer changes the spread of a typical network's factor (see
/// [`LayerSignal::typical_second_moment`](crate::signal::LayerSignal::typical_second_moment)).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Spread {
    /// It draws nothing that varies the factor.
    Keeps,
    /// Its random weights add this variance to the log of the factor.
    Adds(f64),
    /// Its output's spread no longer depends on the draws below (a normalization).
    Resets,
}

/// A layer's forward step.
#[derive(Clone, Debug)]
pub struct Stepped {
    /// The values it gives.
    pub values: Values,
    /// What the backward pass needs of it.
    pub step: Step,
    /// How it changes the spread.
    pub spread: Spread,
    /// Whether it draws random values (weights, or a normalization's random
    /// `γ`), so that a residual block around it adds a random branch.
    pub random: bool,
}

impl Stepped {
    /// A step that draws nothing and changes no spread.
    pub fn plain(values: Values, step: Step) -> Stepped {
        Stepped {
            values,
            step,
            spread: Spread::Keeps,
            random: false,
        }
    }
}
