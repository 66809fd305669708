//! Philox4x32-10 (Salmon et al. 2011, "Parallel random numbers: as easy as
//! 1, 2, 3"), the counter-based generator of cuRAND and of PyTorch's CUDA
//! sampler: four 32-bit words from a 128-bit counter and a 64-bit key, ten
//! rounds of multiplications and exclusive ors. The words of any counter are
//! computed without the ones before it, which is what lets any element of a
//! tensor be sampled alone.
//!
//! [`blocks`] computes [`LANES`] counters at once on arrays, a shape the
//! compiler turns into vector instructions (two multiplies give the high and
//! low halves of the eight 32 × 32-bit products of each round); the
//! arithmetic is integer, so every instruction set gives the same words.

/// How many counters [`blocks`] computes at once.
pub const LANES: usize = 16;

const MULTIPLIER_0: u32 = 0xD251_1F53;
const MULTIPLIER_1: u32 = 0xCD9E_8D57;
const WEYL_0: u32 = 0x9E37_79B9;
const WEYL_1: u32 = 0xBB67_AE85;
const ROUNDS: u32 = 10;

/// The high and low halves of `a × b`.
#[inline(always)]
fn multiply(a: u32, b: u32) -> (u32, u32) {
    let product = u64::from(a) * u64::from(b);
    ((product >> 32) as u32, product as u32)
}

/// The four words of one counter under `key`.
pub fn block(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let words = blocks_from(
        [
            [counter[0]; LANES],
            [counter[1]; LANES],
            [counter[2]; LANES],
            [counter[3]; LANES],
        ],
        key,
    );
    [words[0][0], words[1][0], words[2][0], words[3][0]]
}

/// The words of [`LANES`] consecutive counters, the first `(first, stream)`:
/// counter `first + l` in lane `l` (its low 64 bits in words 0 and 1, the
/// stream in words 2 and 3). Word `w` of lane `l` is `out[w][l]`.
#[inline(always)]
pub fn blocks(first: u64, stream: u64, key: [u32; 2]) -> [[u32; LANES]; 4] {
    let mut low = [0u32; LANES];
    let mut high = [0u32; LANES];
    for lane in 0..LANES {
        let counter = first.wrapping_add(lane as u64);
        low[lane] = counter as u32;
        high[lane] = (counter >> 32) as u32;
    }
    blocks_from(
        [low, high, [stream as u32; LANES], [(stream >> 32) as u32; LANES]],
        key,
    )
}

#[inline(always)]
fn blocks_from(mut state: [[u32; LANES]; 4], key: [u32; 2]) -> [[u32; LANES]; 4] {
    let mut key = key;
    for round in 0..ROUNDS {
        if round > 0 {
            key[0] = key[0].wrapping_add(WEYL_0);
            key[1] = key[1].wrapping_add(WEYL_1);
        }
        let [c0, c1, c2, c3] = state;
        let mut next = [[0u32; LANES]; 4];
        for lane in 0..LANES {
            let (high_0, low_0) = multiply(MULTIPLIER_0, c0[lane]);
            let (high_1, low_1) = multiply(MULTIPLIER_1, c2[lane]);
            next[0][lane] = high_1 ^ c1[lane] ^ key[0];
            next[1][lane] = low_1;
            next[2][lane] = high_0 ^ c3[lane] ^ key[1];
            next[3][lane] = low_0;
        }
        state = next;
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    // The known-answer vectors Random123 publishes for Philox4x32-10.
    #[test]
    fn known_answers() {
        assert_eq!(
            block([0; 4], [0; 2]),
            [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]
        );
        assert_eq!(
            block([u32::MAX; 4], [u32::MAX; 2]),
            [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]
        );
        assert_eq!(
            block(
                [0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344],
                [0xa409_3822, 0x299f_31d0]
            ),
            [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]
        );
    }

    #[test]
    fn lanes_are_consecutive_counters_with_a_carry() {
        let key = [7, 9];
        let first = u64::from(u32::MAX) - 3;
        let words = blocks(first, 5, key);
        for (lane, counter) in (first..first + LANES as u64).enumerate() {
            let one = block([counter as u32, (counter >> 32) as u32, 5, 0], key);
            assert_eq!(words.map(|word| word[lane]), one);
        }
    }
}
