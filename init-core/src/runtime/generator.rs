//! The seeded generator: ChaCha8 keys per layer, then, by the sampler
//! format, Philox counters per element or ChaCha8 streams per row.
//!
//! Reproducibility rests on three choices, each documented in the book (`docs/src/runtime.md`):
//!
//! * **A portable generator.** ChaCha8 (`rand_chacha::ChaCha8Rng`) is a
//!   specified cipher: the same key, stream and position give the same words on
//!   every platform and every version. (rand's `StdRng` may change algorithm
//!   between versions, so it is not our default.)
//! * **One key per layer.** The key of the layer at path `i` (its index
//!   among the layers with parameters, see [`LayerPath`]) is the 32 bytes a
//!   ChaCha8 keyed by the seed (little-endian in the first 8 key bytes, the
//!   rest zero) produces on stream `i`. Changing one layer leaves every other
//!   layer's key, and so its weights, unchanged; adding a layer without
//!   parameters changes no path.
//! * **Counters per element** ([`SamplerFormat::Counter`], the default):
//!   the first 8 bytes of the layer key are a Philox key; the weights are
//!   stream 0, the biases stream 1, an orthogonal matrix's Gaussian draw
//!   stream 2, and element `i` is a function of `(key, stream, i)` alone
//!   (see [`crate::runtime::counter`]). Any rectangle samples alone.
//! * **One stream per row** ([`SamplerFormat::ChaChaRows`], netinit 0.1):
//!   row `r` of a layer's weights is drawn from the layer key on ChaCha8
//!   stream `r`, the biases on stream `u64::MAX`, an orthogonal matrix's
//!   Gaussian draw on stream `u64::MAX - 1`. Whole rows sample alone.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::rules::path::LayerPath;
use crate::runtime::counter::Source;
use crate::runtime::format::{Origin, SamplerFormat};

/// The generator netinit samples with: ChaCha8, portable and seekable.
pub type Generator = ChaCha8Rng;

/// A generator keyed by a plain seed, for the `fill` functions.
///
/// ```
/// use netinit::rand::Rng;
/// let mut a = netinit::generator(7);
/// let mut b = netinit::generator(7);
/// assert_eq!(a.next_u64(), b.next_u64());
/// ```
pub fn generator(seed: u64) -> Generator {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    ChaCha8Rng::from_seed(key)
}

/// The streams of one layer of a network sampled with one seed.
#[derive(Clone, Debug)]
pub struct LayerStreams {
    key: [u8; 32],
    format: SamplerFormat,
}

impl LayerStreams {
    const BIAS: u64 = u64::MAX;
    const MATRIX: u64 = u64::MAX - 1;
    const LANES: u64 = 1 << 62;

    /// The streams of the layer at `path` under `origin`'s seed, sampling in
    /// its format. A top-level layer's
    /// key is drawn on stream `path[0]` of the seed's generator; a layer
    /// inside a block draws its key from the block's key the same way, on
    /// stream `path[1]`, and so on down (a block has no rows of its own, so
    /// its streams are free for its layers' keys).
    pub fn new(origin: Origin, path: &LayerPath) -> LayerStreams {
        let mut parent = generator(origin.seed);
        let mut key = [0u8; 32];
        for &index in path.indices() {
            parent.set_stream(index as u64);
            parent.fill_bytes(&mut key);
            parent = ChaCha8Rng::from_seed(key);
        }
        LayerStreams {
            key,
            format: origin.format,
        }
    }

    /// The streams of lane `lane` of the same layer (see
    /// [`ParameterSpec::in_lane`](crate::ParameterSpec::in_lane)): lane 0
    /// is these; another lane's key is drawn from this key's generator on
    /// stream `2^62 + lane`, far from any row's.
    pub fn lane(&self, lane: u64) -> LayerStreams {
        if lane == 0 {
            return self.clone();
        }
        let mut parent = ChaCha8Rng::from_seed(self.key);
        parent.set_stream(Self::LANES + lane);
        let mut key = [0u8; 32];
        parent.fill_bytes(&mut key);
        LayerStreams {
            key,
            format: self.format,
        }
    }

    /// The format these streams sample in.
    pub fn format(&self) -> SamplerFormat {
        self.format
    }

    /// The counter source of the weights ([`SamplerFormat::Counter`]).
    pub fn weight_source(&self) -> Source {
        self.source(0)
    }

    /// The counter source of the biases.
    pub fn bias_source(&self) -> Source {
        self.source(1)
    }

    /// The counter source of an orthogonal matrix's Gaussian draw.
    pub fn matrix_source(&self) -> Source {
        self.source(2)
    }

    fn source(&self, stream: u64) -> Source {
        let word = |at: usize| {
            u32::from_le_bytes([self.key[at], self.key[at + 1], self.key[at + 2], self.key[at + 3]])
        };
        Source {
            key: [word(0), word(4)],
            stream,
        }
    }

    /// The ChaCha8 generator for weight row `row` ([`SamplerFormat::ChaChaRows`]).
    pub fn row(&self, row: usize) -> Generator {
        self.stream(row as u64)
    }

    /// The generator for the biases.
    pub fn bias(&self) -> Generator {
        self.stream(Self::BIAS)
    }

    /// The generator for a whole-matrix draw (orthogonal init).
    pub fn matrix(&self) -> Generator {
        self.stream(Self::MATRIX)
    }

    fn stream(&self, stream: u64) -> Generator {
        let mut generator = ChaCha8Rng::from_seed(self.key);
        generator.set_stream(stream);
        generator
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ChaCha8, all-zero key, stream 0: the published keystream begins
    // 3e 00 ef 2f 89 5f 40 d6 (little-endian below).
    const GOLDEN_PLAIN: u64 = 0xd640_5f89_2fef_003e;
    const GOLDEN_ROW: u64 = 6_537_039_631_030_663_470;

    #[test]
    fn layers_and_rows_get_distinct_streams() {
        let first = LayerStreams::new(Origin::new(1, SamplerFormat::ChaChaRows), &LayerPath::top(0));
        let second = LayerStreams::new(Origin::new(1, SamplerFormat::ChaChaRows), &LayerPath::top(1));
        assert_ne!(first.row(0).next_u64(), second.row(0).next_u64());
        assert_ne!(first.row(0).next_u64(), first.row(1).next_u64());
        assert_ne!(first.row(0).next_u64(), first.bias().next_u64());
        assert_eq!(
            first.row(3).next_u64(),
            LayerStreams::new(Origin::new(1, SamplerFormat::ChaChaRows), &LayerPath::top(0))
                .row(3)
                .next_u64()
        );
        let nested = LayerStreams::new(
            Origin::new(1, SamplerFormat::ChaChaRows),
            &LayerPath::top(0).child(0),
        );
        assert_ne!(first.row(0).next_u64(), nested.row(0).next_u64());
    }

    #[test]
    fn lanes_have_their_own_streams() {
        let layer = LayerStreams::new(Origin::new(1, SamplerFormat::Counter), &LayerPath::top(0));
        assert_eq!(layer.lane(0).key, layer.key);
        assert_ne!(layer.lane(1).key, layer.key);
        assert_ne!(layer.lane(1).key, layer.lane(2).key);
        assert_eq!(layer.lane(3).key, layer.clone().lane(3).key);
    }

    #[test]
    fn golden_words() {
        // A change of generator, key layout or stream layout changes every
        // weight of every user: it must fail here first.
        assert_eq!(generator(0).next_u64(), GOLDEN_PLAIN);
        assert_eq!(
            LayerStreams::new(Origin::new(42, SamplerFormat::ChaChaRows), &LayerPath::top(3))
                .row(5)
                .next_u64(),
            GOLDEN_ROW
        );
    }
}
