//! The values between two layers, as the mean-field analysis knows them:
//! each position's second moment `E[h²]` (averaged over channels, which
//! are exchangeable at init), how much of it is the mean, and how adjacent
//! positions correlate; and the values an activation gives of Gaussians,
//! which most steps end with.

use std::collections::HashMap;

use crate::rules::activation::Activation;
use crate::rules::signal::pairs::cross_moment;

/// The values between two layers.
#[derive(Clone, Debug)]
pub struct Values {
    /// `E[h²]` per position (one value for features).
    pub field: Vec<f64>,
    /// The plane the positions make; `None` for features.
    pub plane: Option<[usize; 2]>,
    /// `E[h]² / E[h²]`: how much of the second moment is the mean.
    pub mean_ratio: f64,
    /// The Pearson correlation of adjacent positions.
    pub correlation: f64,
    /// In a sequence, `E[h_i · h_j] / E[h²]` for two distinct tokens: the
    /// mean cosine similarity of two tokens' vectors. 1 when every token
    /// carries the same vector (attention can no longer tell them apart).
    pub tokens: f64,
    /// When the values are an activation of Gaussian pre-activations: their
    /// variance per position, the activation, and their neighbour correlation.
    pub gaussian: Option<Gaussian>,
}

/// Gaussian pre-activations that an activation was applied to.
#[derive(Clone, Debug)]
pub struct Gaussian {
    /// The variance per position.
    pub variances: Vec<f64>,
    /// The activation applied.
    pub activation: Activation,
    /// The pre-activations' neighbour correlation.
    pub correlation: f64,
    /// The pre-activations' correlation between two tokens of a sequence.
    pub tokens: f64,
}

impl Values {
    /// The mean second moment over the positions.
    pub fn mean(&self) -> f64 {
        mean(&self.field)
    }

    /// `E[h(p) h(p + d)] / E[h²]` at distance `d`.
    pub fn raw(&self, distance: usize) -> f64 {
        self.mean_ratio + (1.0 - self.mean_ratio) * self.correlation.powi(distance as i32)
    }

    /// The same mean and correlations, uniform over `plane`.
    pub fn uniform(&self, plane: Option<[usize; 2]>) -> Values {
        Values {
            field: vec![self.mean(); positions(plane)],
            plane,
            gaussian: None,
            ..self.clone()
        }
    }

    /// Every position at `second`, all of it the mean where `constant`: a
    /// layer that gives one value for every input.
    pub fn constant(second: f64, constant: bool, plane: Option<[usize; 2]>, correlation: f64) -> Values {
        Values {
            field: vec![second; positions(plane)],
            plane,
            mean_ratio: if constant && second > 0.0 { 1.0 } else { 0.0 },
            correlation,
            tokens: if constant { 1.0 } else { 0.0 },
            gaussian: None,
        }
    }
}

/// The most positions of a plane the analysis follows one by one (256 ×
/// 256, more than ImageNet's 224 × 224). A larger plane is followed as one
/// value, the mean over its positions, which its borders move by a share
/// of the order of the layers' reach over its side: the analysis then
/// costs the same for any plane, and holds no more than this per value.
pub const MAX_FOLLOWED: usize = 1 << 16;

/// The values the analysis keeps for `plane`: one per position up to
/// [`MAX_FOLLOWED`], else one; 1 for features.
pub fn positions(plane: Option<[usize; 2]>) -> usize {
    match plane {
        Some([height, width]) => height
            .checked_mul(width)
            .filter(|&positions| positions <= MAX_FOLLOWED)
            .unwrap_or(1),
        None => 1,
    }
}

/// The mean of `values` (0 for none).
pub fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

/// The Pearson correlation from the raw ratio `E[xy]/E[x²]` and the mean's share.
pub fn centred(raw: f64, mean_ratio: f64) -> f64 {
    if mean_ratio >= 1.0 - 1e-12 {
        1.0
    } else {
        ((raw - mean_ratio) / (1.0 - mean_ratio)).clamp(-1.0, 1.0)
    }
}

/// `E[φ(z)²]` for many variances, each distinct one computed once.
pub struct SecondMoments {
    activation: Activation,
    known: HashMap<u64, f64>,
}

impl SecondMoments {
    /// `E[φ(z)²]` of `activation`, none computed yet.
    pub fn of_activation(activation: Activation) -> SecondMoments {
        SecondMoments {
            activation,
            known: HashMap::new(),
        }
    }

    /// `E[φ(z)²]` for `z ~ N(0, variance)`.
    pub fn of(&mut self, variance: f64) -> f64 {
        let activation = self.activation;
        *self
            .known
            .entry(variance.to_bits())
            .or_insert_with(|| activation.second_moment(variance))
    }
}

/// The values `activation` gives of zero-mean Gaussians with `variances`
/// (one per position of `plane`, or one for features) whose neighbours
/// correlate by `correlation`, and two tokens of a sequence by `tokens`.
pub fn activated(
    activation: Activation,
    variances: &[f64],
    correlation: f64,
    tokens: f64,
    plane: Option<[usize; 2]>,
) -> Values {
    let mut moments = SecondMoments::of_activation(activation);
    let field: Vec<f64> = variances.iter().map(|&variance| moments.of(variance)).collect();
    let mean_variance = mean(variances);
    let second = moments.of(mean_variance);
    let mean_ratio = if second > 0.0 {
        (activation.mean(mean_variance).powi(2) / second).min(1.0)
    } else {
        0.0
    };
    let neighbour = match plane {
        Some(_) if second > 0.0 => centred(
            cross_moment(activation, mean_variance, correlation) / second,
            mean_ratio,
        ),
        _ => 0.0,
    };
    let token_similarity = match second > 0.0 {
        true => (cross_moment(activation, mean_variance, tokens) / second).clamp(-1.0, 1.0),
        false => tokens,
    };
    Values {
        field,
        plane,
        mean_ratio,
        correlation: neighbour,
        tokens: token_similarity,
        gaussian: Some(Gaussian {
            variances: variances.to_vec(),
            activation,
            correlation,
            tokens,
        }),
    }
}

/// How much one layer's factor on the second moment varies between draws
/// of its weights: `(E[φ⁴]/E[φ²]² - 1)/n` for `n` outputs that each draw
/// their own weights.
pub fn factor_variance(activation: Activation, variance: f64, outputs: usize) -> f64 {
    let second = activation.second_moment(variance);
    if second <= 0.0 || outputs == 0 {
        return 0.0;
    }
    let fourth = activation.fourth_moment(variance);
    (fourth / (second * second) - 1.0) / outputs as f64
}
