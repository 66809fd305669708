//! The weighted core that `dense` and `conv2d` share: `IN -> OUT`, the
//! activation, the weight and bias inits, and the receptive field that
//! makes a convolution's fans; its parameters and the checks of its fields.

use crate::rules::activation::Activation;
use crate::rules::error::SpecError;
use crate::rules::fans::Fans;
use crate::rules::init::{Draw, Init};
use crate::rules::part::Part;

/// `IN -> OUT, ACTIVATION` with its inits: all of `dense(…)`, and the
/// part of `conv2d(…)` that is not its geometry. For a convolution, IN and
/// OUT count channels and each weight row spans the receptive field
/// (`IN × KH × KW` values).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AffineSpec {
    inputs: usize,
    outputs: usize,
    activation: Activation,
    weight: Init,
    bias: Init,
    biased: bool,
    receptive_field: usize,
}

impl AffineSpec {
    /// A dense layer's core, with the init derived from its activation and
    /// zero biases.
    pub const fn new(inputs: usize, outputs: usize, activation: Activation) -> AffineSpec {
        AffineSpec {
            inputs,
            outputs,
            activation,
            weight: Init::derived(activation),
            bias: Init::zeros(),
            biased: true,
            receptive_field: 1,
        }
    }

    /// The same core with each weight row spanning `receptive_field`
    /// positions per input (a convolution's `KH × KW`).
    pub(crate) const fn with_receptive_field(self, receptive_field: usize) -> AffineSpec {
        AffineSpec {
            receptive_field,
            ..self
        }
    }

    /// Positions per input that one weight row spans: 1 for dense, `KH × KW` for a convolution.
    pub const fn receptive_field(&self) -> usize {
        self.receptive_field
    }

    /// The width of the weight matrix: `IN × receptive field`, saturating
    /// (a count that overflows is refused by the parameter count).
    pub const fn row_width(&self) -> usize {
        self.inputs.saturating_mul(self.receptive_field)
    }

    /// The same layer with another weight init.
    pub const fn with_weight(self, weight: Init) -> AffineSpec {
        AffineSpec { weight, ..self }
    }

    /// The same layer with another bias init (and biases, if it had none).
    pub const fn with_bias(self, bias: Init) -> AffineSpec {
        AffineSpec {
            bias,
            biased: true,
            ..self
        }
    }

    /// The same layer without biases (`bias = none`): `x · Wᵀ` alone, as
    /// before a normalization, which would cancel them.
    pub const fn without_bias(self) -> AffineSpec {
        AffineSpec {
            bias: Init::zeros(),
            biased: false,
            ..self
        }
    }

    /// Whether the layer has biases (all but `bias = none`).
    pub const fn has_bias(&self) -> bool {
        self.biased
    }

    /// How many biases: one per output, none with `bias = none`.
    pub const fn bias_count(&self) -> usize {
        if self.biased {
            self.outputs
        } else {
            0
        }
    }

    /// The input width (channels for a convolution).
    pub const fn inputs(&self) -> usize {
        self.inputs
    }

    /// The output width (channels for a convolution).
    pub const fn outputs(&self) -> usize {
        self.outputs
    }

    /// The activation after the affine map.
    pub const fn activation(&self) -> Activation {
        self.activation
    }

    /// The weight init.
    pub const fn weight(&self) -> Init {
        self.weight
    }

    /// The bias init (zeros for a layer without biases).
    pub const fn bias(&self) -> Init {
        self.bias
    }

    /// The fans of the weights: `(in, out)` times the receptive field,
    /// as PyTorch and Keras count them for a convolution.
    pub const fn fans(&self) -> Fans {
        Fans::dense(
            self.row_width(),
            self.outputs.saturating_mul(self.receptive_field),
        )
    }

    /// What the weights are drawn from, with the scale resolved.
    pub fn weight_draw(&self) -> Draw {
        self.weight.draw(self.activation, self.fans())
    }

    /// What the biases are drawn from, with the scale resolved.
    pub fn bias_draw(&self) -> Draw {
        self.bias.draw(self.activation, self.fans())
    }

    /// Weights plus biases (if any), `None` if that overflows `usize`.
    pub const fn parameter_count(&self) -> Option<usize> {
        match self.inputs.checked_mul(self.receptive_field) {
            Some(row) => match row.checked_mul(self.outputs) {
                Some(weights) => weights.checked_add(self.bias_count()),
                None => None,
            },
            None => None,
        }
    }

    /// The mistakes in the widths of layer `index`.
    pub(crate) fn shape_errors(&self, index: usize, errors: &mut Vec<SpecError>) {
        for (width, part) in [(self.inputs, Part::Inputs), (self.outputs, Part::Outputs)] {
            if width == 0 {
                errors.push(SpecError::ZeroWidth { layer: index, part });
            }
        }
    }

    /// The mistakes in the activation and the inits of layer `index`.
    pub(crate) fn init_errors(&self, index: usize, errors: &mut Vec<SpecError>) {
        super::activation_errors(self.activation, index, errors);
        for (init, part) in [(self.weight, Part::WeightScale), (self.bias, Part::BiasScale)] {
            if let Some((what, value)) = init.invalid_scale() {
                errors.push(SpecError::InvalidScale {
                    layer: index,
                    part,
                    what,
                    value,
                });
            }
        }
        // Scales are checked as the f32 values they become.
        if !errors.iter().any(|error| error.layer() == Some(index)) {
            for (draw, part) in [
                (self.weight_draw(), Part::WeightScale),
                (self.bias_draw(), Part::BiasScale),
            ] {
                let largest = draw.largest_magnitude();
                if largest.is_nan() || largest > f64::from(f32::MAX) {
                    errors.push(SpecError::ScaleOverflow {
                        layer: index,
                        part,
                        largest,
                    });
                }
            }
        }
        match self.bias {
            Init::Orthogonal { .. } => errors.push(SpecError::OrthogonalBias { layer: index }),
            Init::Scaled(scaling) if !scaling.is_plain() => {
                errors.push(SpecError::AdjustedBias { layer: index })
            }
            _ => {}
        }
    }
}
