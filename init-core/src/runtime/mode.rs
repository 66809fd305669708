//! Whether a network runs as in training or in evaluation.

/// Whether a network runs as in training or in evaluation, as PyTorch's
/// `model.train()` and `model.eval()`: a batch normalization normalises by
/// the batch's statistics in training, by its running ones in evaluation.
/// Other layers compute the same either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    /// Batch statistics; a [`Trainer`](crate::Trainer) step moves the running ones.
    #[default]
    Train,
    /// Running statistics.
    Eval,
}
