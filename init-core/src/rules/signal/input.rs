//! What the analysis takes of the data: each input position's second
//! moment and how neighbouring positions correlate, assumed (uniform, with
//! the correlation of natural images) or measured on a batch.

use crate::rules::flow;
use crate::rules::layer::LayerSpec;
use crate::rules::limits::MAX_PLANE;
use crate::rules::shape::Shape;
use crate::rules::signal::values::centred;

/// The correlation of adjacent pixels the analysis assumes for an image
/// input when none is measured: Fashion-MNIST's training set has 0.924
/// (`init_study --part conv` prints it); natural images are alike.
pub const IMAGE_NEIGHBOUR_CORRELATION: f64 = 0.92;

/// Input statistics that do not describe the network's input: their plane
/// (or features) differs from what `input(…)` declares.
#[derive(Clone, Debug, PartialEq)]
pub struct StatisticsMismatch {
    /// The network's input.
    pub network: Option<Shape>,
    /// The statistics' plane, `None` for features.
    pub statistics: Option<[usize; 2]>,
    /// How many second moments the statistics hold.
    pub values: usize,
}

impl core::fmt::Display for StatisticsMismatch {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let network = self
            .network
            .map_or_else(|| "unknown".to_owned(), |shape| shape.to_string());
        match self.statistics {
            Some([height, width]) => write!(
                f,
                "the statistics describe a {height} × {width} plane ({} values), but the network's input is {network}",
                self.values
            ),
            None => write!(f, "the statistics describe features, but the network's input is {network}"),
        }
    }
}

impl std::error::Error for StatisticsMismatch {}

/// What the analysis takes of the data: the second moment at each input
/// position and how adjacent positions are correlated.
#[derive(Clone, Debug, PartialEq)]
pub struct InputStatistics {
    /// `E[x²]` at each position of a plane, row by row (averaged over
    /// channels); one value for a vector of features.
    pub second_moments: Vec<f64>,
    /// The plane's `[height, width]`; `None` for features.
    pub plane: Option<[usize; 2]>,
    /// `E[x]² / E[x²]`: how much of the second moment is the mean.
    pub mean_ratio: f64,
    /// The Pearson correlation of horizontally or vertically adjacent values.
    pub neighbour_correlation: f64,
    /// In a sequence, the mean over pairs of distinct tokens of an example
    /// of `x_i · x_j / E[x²]`; for token ids, the share of such pairs that
    /// hold the same id (an embedding's random table gives two tokens the
    /// same vector exactly then). 0 where not measured: an embedding then
    /// takes its ids as independent and uniform, `1/V`.
    pub token_similarity: f64,
}

impl InputStatistics {
    /// Features of second moment `second_moment` and mean zero.
    pub fn features(second_moment: f64) -> InputStatistics {
        InputStatistics {
            second_moments: vec![second_moment],
            plane: None,
            mean_ratio: 0.0,
            neighbour_correlation: 0.0,
            token_similarity: 0.0,
        }
    }

    /// An image of mean zero and second moment `second_moment` everywhere,
    /// adjacent pixels correlated `correlation`. A plane past
    /// [`MAX_PLANE`](crate::MAX_PLANE) positions holds no second moments:
    /// [`propagate_from`](crate::signal::propagate_from) refuses it with a
    /// typed error, as it refuses any plane the network does not have.
    pub fn uniform_image(plane: [usize; 2], second_moment: f64, correlation: f64) -> InputStatistics {
        InputStatistics {
            second_moments: vec![second_moment; positions(plane).unwrap_or(0)],
            plane: Some(plane),
            mean_ratio: 0.0,
            neighbour_correlation: correlation,
            token_similarity: 0.0,
        }
    }

    /// The statistics of a batch of images of `shape`, one image per row of
    /// `rows` values (`C × H × W`, channel by channel, row by row).
    ///
    /// ```
    /// use netinit::signal::InputStatistics;
    /// use netinit::Shape;
    /// // Two 1 × 1 × 2 images: [1, 1] and [3, 3].
    /// let statistics = InputStatistics::measure(&[1.0, 1.0, 3.0, 3.0], Shape::image(1, 1, 2));
    /// assert_eq!(statistics.second_moments, [5.0, 5.0]);
    /// assert_eq!(statistics.mean_ratio, 0.8);
    /// assert_eq!(statistics.neighbour_correlation, 1.0);
    /// ```
    pub fn measure(rows: &[f32], shape: Shape) -> InputStatistics {
        let (channels, height, width) = match shape {
            Shape::Image {
                channels,
                height,
                width,
            } => (channels, height, width),
            Shape::Tokens(tokens) => return InputStatistics::tokens(rows, tokens),
            Shape::Sequence { tokens, features } => return InputStatistics::sequence(rows, tokens, features),
            Shape::Features(_) => {
                let count = rows.len().max(1) as f64;
                let second = rows.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / count;
                return InputStatistics::features(second);
            }
        };
        // An empty plane, or one past MAX_PLANE, gives no second moments
        // (see `uniform_image`).
        let plane = match positions([height, width]) {
            Some(plane) if plane > 0 && channels > 0 => plane,
            _ => return InputStatistics::uniform_image([height, width], 0.0, 0.0),
        };
        let images = rows.len() / (channels * plane);
        let mut second_moments = vec![0.0; plane];
        let (mut sum, mut square, mut cross, mut pairs) = (0.0, 0.0, 0.0, 0.0);
        for image in rows.chunks_exact((channels * plane).max(1)) {
            for channel in image.chunks_exact(plane.max(1)) {
                for (position, &x) in channel.iter().enumerate() {
                    let x = f64::from(x);
                    second_moments[position] += x * x;
                    sum += x;
                    square += x * x;
                    let (y, column) = (position / width, position % width);
                    if column + 1 < width {
                        cross += x * f64::from(channel[position + 1]);
                        pairs += 1.0;
                    }
                    if y + 1 < height {
                        cross += x * f64::from(channel[position + width]);
                        pairs += 1.0;
                    }
                }
            }
        }
        let values = (images * channels * plane).max(1) as f64;
        second_moments
            .iter_mut()
            .for_each(|moment| *moment /= (images * channels).max(1) as f64);
        let (mean, second) = (sum / values, square / values);
        let raw = if pairs > 0.0 { cross / pairs / second } else { 1.0 };
        let mean_ratio = if second > 0.0 { mean * mean / second } else { 0.0 };
        InputStatistics {
            second_moments,
            plane: Some([height, width]),
            mean_ratio,
            neighbour_correlation: centred(raw, mean_ratio),
            token_similarity: 0.0,
        }
    }
}

impl InputStatistics {
    /// The statistics of a batch of token ids, `tokens` a row: the share of
    /// pairs of distinct tokens of a row that hold the same id, each row
    /// sorted and its runs of equal ids counted.
    fn tokens(rows: &[f32], tokens: usize) -> InputStatistics {
        let (mut same, mut pairs) = (0.0, 0.0);
        let mut ids: Vec<f32> = Vec::with_capacity(tokens.min(rows.len()));
        for row in rows.chunks_exact(tokens.max(1)) {
            ids.clear();
            ids.extend_from_slice(row);
            ids.sort_by(f32::total_cmp);
            for run in ids.chunk_by(|a, b| a == b) {
                let run = run.len() as f64;
                same += run * (run - 1.0);
            }
            let length = row.len() as f64;
            pairs += length * (length - 1.0);
        }
        InputStatistics {
            token_similarity: if pairs > 0.0 { same / pairs } else { 0.0 },
            ..InputStatistics::features(1.0)
        }
    }

    /// The statistics of a batch of sequences of `tokens` tokens of
    /// `features`: the second moment, and the mean over pairs of distinct
    /// tokens of their dot product over `E[x²]`, from each row's sum of
    /// tokens (`Σ_{i≠j} x_i·x_j = |Σ x_i|² − Σ |x_i|²`), linear in the batch.
    fn sequence(rows: &[f32], tokens: usize, features: usize) -> InputStatistics {
        // A shape larger than the values given describes none of them.
        let width = match tokens.checked_mul(features) {
            Some(width) if width <= rows.len() && width > 0 => width,
            _ => return InputStatistics::features(0.0),
        };
        let (mut square, mut cross, mut pairs) = (0.0, 0.0, 0.0);
        let mut sum = vec![0.0_f64; features];
        for row in rows.chunks_exact(width) {
            sum.iter_mut().for_each(|value| *value = 0.0);
            let mut own = 0.0;
            for token in row.chunks_exact(features.max(1)) {
                for (total, &x) in sum.iter_mut().zip(token) {
                    *total += f64::from(x);
                    own += f64::from(x) * f64::from(x);
                }
            }
            square += own;
            cross += sum.iter().map(|total| total * total).sum::<f64>() - own;
            pairs += tokens as f64 * tokens.saturating_sub(1) as f64;
        }
        // Each token's squared norm, on average.
        let counted = (rows.len() / width * tokens).max(1) as f64;
        let second = square / counted;
        let similarity = match pairs > 0.0 && second > 0.0 {
            true => cross / pairs / second,
            false => 0.0,
        };
        InputStatistics {
            token_similarity: similarity,
            ..InputStatistics::features(second / features.max(1) as f64)
        }
    }
}

/// The positions of a plane, `None` past [`MAX_PLANE`] (or overflow).
fn positions([height, width]: [usize; 2]) -> Option<usize> {
    height.checked_mul(width).filter(|&plane| plane <= MAX_PLANE)
}

/// Whether `input` describes the input of `layers`: the same plane, one
/// second moment per position (or features for features).
pub(crate) fn fits(layers: &[LayerSpec], input: &InputStatistics) -> Result<(), StatisticsMismatch> {
    let network = flow::input_shape(layers);
    let fits = match (network, input.plane) {
        (Some(Shape::Image { height, width, .. }), Some(plane)) => {
            plane == [height, width] && input.second_moments.len() == height * width
        }
        (Some(Shape::Features(_) | Shape::Sequence { .. } | Shape::Tokens(_)) | None, None) => {
            !input.second_moments.is_empty()
        }
        _ => false,
    };
    match fits {
        true => Ok(()),
        false => Err(StatisticsMismatch {
            network,
            statistics: input.plane,
            values: input.second_moments.len(),
        }),
    }
}
