//! The fans of a weight tensor: how many inputs feed one output, and how
//! many outputs one input feeds.

use crate::rules::keywords;

/// The fans of a weight tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fans {
    /// Inputs that feed one output (times the receptive field for convolutions).
    pub fan_in: usize,
    /// Outputs that one input feeds (times the receptive field).
    pub fan_out: usize,
}

impl Fans {
    /// The fans of a dense layer's `(out, in)` matrix.
    pub const fn dense(inputs: usize, outputs: usize) -> Fans {
        Fans {
            fan_in: inputs,
            fan_out: outputs,
        }
    }

    /// The fans of a weight tensor of this shape, as PyTorch computes them:
    /// `(out, in, k1, k2, …)` gives `fan_in = in * k1 * k2 * …` and
    /// `fan_out = out * k1 * k2 * …`. `None` for fewer than two dimensions,
    /// where fans are not defined, or fans that overflow `usize`.
    pub fn from_shape(shape: &[usize]) -> Option<Fans> {
        let [outputs, inputs, kernel @ ..] = shape else {
            return None;
        };
        let receptive = kernel
            .iter()
            .try_fold(1_usize, |product, &size| product.checked_mul(size))?;
        Some(Fans {
            fan_in: inputs.checked_mul(receptive)?,
            fan_out: outputs.checked_mul(receptive)?,
        })
    }

    /// The fan a mode divides by.
    pub fn fan(self, mode: FanMode) -> f64 {
        match mode {
            FanMode::FanIn => self.fan_in as f64,
            FanMode::FanOut => self.fan_out as f64,
            FanMode::FanAvg => (self.fan_in as f64 + self.fan_out as f64) / 2.0,
        }
    }
}

/// Which fan a variance-scaling scheme divides by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FanMode {
    /// Inputs per output: keeps the forward signal's variance.
    FanIn,
    /// Outputs per input: keeps the backward gradient's variance.
    FanOut,
    /// Their mean `(fan_in + fan_out) / 2`: Xavier's compromise.
    FanAvg,
}

impl FanMode {
    /// Every name the DSL accepts for `mode =`.
    pub const NAMES: &'static [&'static str] = keywords::FAN_MODES;

    /// The mode called `name`.
    pub fn from_name(name: &str) -> Option<FanMode> {
        match name {
            keywords::FAN_IN => Some(FanMode::FanIn),
            keywords::FAN_OUT => Some(FanMode::FanOut),
            keywords::FAN_AVG => Some(FanMode::FanAvg),
            _ => None,
        }
    }

    /// The name as the DSL spells it.
    pub const fn name(self) -> &'static str {
        match self {
            FanMode::FanIn => keywords::FAN_IN,
            FanMode::FanOut => keywords::FAN_OUT,
            FanMode::FanAvg => keywords::FAN_AVG,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fans_of_a_convolution_kernel() {
        assert_eq!(
            Fans::from_shape(&[64, 3, 3, 3]),
            Some(Fans {
                fan_in: 27,
                fan_out: 576
            })
        );
        assert_eq!(Fans::from_shape(&[10]), None);
        assert_eq!(Fans::from_shape(&[usize::MAX, 1, 2]), None);
        assert_eq!(Fans::dense(784, 256).fan(FanMode::FanAvg), 520.0);
    }
}
