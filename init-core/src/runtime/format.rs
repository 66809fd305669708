//! Which sampler turns a seed into weights: the counter-based one (the
//! default since 0.2) or the ChaCha8 row streams of 0.1, kept so weights
//! made with 0.1 can be made again.

use crate::rules::init::LARGEST_NORMAL;
use crate::runtime::counter::LARGEST_Z;

/// A sampler format: how a seed becomes weights, bit for bit.
///
/// ```
/// use netinit::SamplerFormat;
/// assert_eq!(SamplerFormat::default(), SamplerFormat::Counter);
/// assert_eq!(SamplerFormat::from_name("chacha8-rows-ziggurat-1"), Some(SamplerFormat::ChaChaRows));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SamplerFormat {
    /// Philox4x32-10 by element index and Box–Muller in f32 (0.2 and later):
    /// any rectangle of a tensor samples alone; `|z| ≤ 6.67`.
    #[default]
    Counter,
    /// ChaCha8, one stream per row, a ziggurat in f64 (netinit 0.1): only
    /// whole rows sample alone.
    ChaChaRows,
}

impl SamplerFormat {
    /// Every format, newest first.
    pub const ALL: [SamplerFormat; 2] = [SamplerFormat::Counter, SamplerFormat::ChaChaRows];

    /// The name checkpoints record and `--sampler` takes.
    pub const fn name(self) -> &'static str {
        match self {
            SamplerFormat::Counter => "philox4x32-boxmuller-2",
            SamplerFormat::ChaChaRows => "chacha8-rows-ziggurat-1",
        }
    }

    /// A bound on the largest `|z|` this format's standard normal can
    /// return: for the counter format `sqrt(64 ln 2)` rounded up, its
    /// uniform being at least 2^-32; for the ziggurat, whose tail reaches
    /// at most 14.1, 14.2.
    pub const fn largest_z(self) -> f64 {
        match self {
            SamplerFormat::Counter => LARGEST_Z,
            SamplerFormat::ChaChaRows => LARGEST_NORMAL,
        }
    }

    /// The format with this name.
    pub fn from_name(name: &str) -> Option<SamplerFormat> {
        SamplerFormat::ALL
            .into_iter()
            .find(|format| format.name() == name)
    }
}

impl core::fmt::Display for SamplerFormat {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// Where sampled weights come from: a seed and the sampler format. A plain
/// `u64` seed converts into one with the default format, so
/// `spec.init(42)` and `spec.init(Origin::new(42, SamplerFormat::ChaChaRows))`
/// both read.
///
/// ```
/// use netinit::{Activation, LayerSpec, NetworkSpec, Origin, SamplerFormat};
/// let spec = NetworkSpec::new(vec![LayerSpec::dense(8, 4, Activation::Relu)])?;
/// let old = spec.init(Origin::new(7, SamplerFormat::ChaChaRows));
/// assert_eq!(old.origin(), Some(Origin::new(7, SamplerFormat::ChaChaRows)));
/// assert_ne!(old, spec.init(7));
/// # Ok::<(), netinit::SpecError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The seed.
    pub seed: u64,
    /// The sampler format.
    pub format: SamplerFormat,
}

impl Origin {
    /// `seed` in `format`.
    pub const fn new(seed: u64, format: SamplerFormat) -> Origin {
        Origin { seed, format }
    }
}

impl From<u64> for Origin {
    fn from(seed: u64) -> Origin {
        Origin::new(seed, SamplerFormat::default())
    }
}
