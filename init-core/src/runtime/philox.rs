//! Philox4x32-10 (Salmon et al. 2011, "Parallel random numbers: as easy as
//! 1, 2, 3"), the counter-based generator of cuRAND and of PyTorch's CUDA
//! sampler: four 32-bit words from a 128-bit counter and a 64-bit key, ten
//! rounds of multiplications and exclusive ors. The words of any counter are
//! computed without the ones before it, which is what lets any element of a
//! tensor be sampled alone.
//!
//! [`blocks`] computes [`LANES`] counters at once on arrays, a shape the
//! compiler turns into vector instructions; on x86-64, [`x86`] does the same
//! with explicit AVX2 and AVX-512 instructions, which spare the compiler's
//! widening and narrowing shuffles around each 32 × 32-bit multiply. The
//! arithmetic is integer, so every path gives the same words (a test
//! compares them).

/// How many counters [`blocks`] computes at once.
pub const LANES: usize = 16;

const MULTIPLIER_0: u32 = 0xD251_1F53;
const MULTIPLIER_1: u32 = 0xCD9E_8D57;
const WEYL_0: u32 = 0x9E37_79B9;
const WEYL_1: u32 = 0xBB67_AE85;
const ROUNDS: usize = 10;

/// The key of each round: the key itself, then bumped by the Weyl
/// constants before every later round.
#[inline(always)]
fn round_keys(key: [u32; 2]) -> [[u32; 2]; ROUNDS] {
    let mut keys = [key; ROUNDS];
    for round in 1..ROUNDS {
        keys[round] = [
            keys[round - 1][0].wrapping_add(WEYL_0),
            keys[round - 1][1].wrapping_add(WEYL_1),
        ];
    }
    keys
}

/// The high and low halves of `a × b`.
#[inline(always)]
fn multiply(a: u32, b: u32) -> (u32, u32) {
    let product = u64::from(a) * u64::from(b);
    ((product >> 32) as u32, product as u32)
}

/// The four words of one counter under `key`.
#[cfg(test)]
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
    for key in round_keys(key) {
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

/// Philox on 16 lanes with explicit x86-64 vector instructions: each
/// word's 16 lanes in one AVX-512 register or two AVX2 ones. A 32 × 32-bit
/// multiply of vector lanes gives 64-bit products of the even lanes; the odd
/// lanes are shifted down and multiplied too, and blends put the high and
/// low halves back in their lanes.
#[cfg(target_arch = "x86_64")]
pub mod x86 {
    use core::arch::x86_64::*;

    use super::{round_keys, LANES, MULTIPLIER_0, MULTIPLIER_1};

    /// The counters' low and high words, lane by lane.
    #[inline(always)]
    fn counter_words(first: u64) -> ([u32; LANES], [u32; LANES]) {
        let mut low = [0u32; LANES];
        let mut high = [0u32; LANES];
        for ((low, high), lane) in low.iter_mut().zip(high.iter_mut()).zip(0u64..) {
            let counter = first.wrapping_add(lane);
            *low = counter as u32;
            *high = (counter >> 32) as u32;
        }
        (low, high)
    }

    /// The high and low halves of 16 lanes' products: the even lanes'
    /// products, then the odd lanes' shifted down, blended back into place.
    /// Inlined into callers that have AVX-512F.
    #[inline(always)]
    unsafe fn multiply_512(multiplier: __m512i, a: __m512i) -> (__m512i, __m512i) {
        let even = _mm512_mul_epu32(a, multiplier);
        let odd = _mm512_mul_epu32(_mm512_srli_epi64::<32>(a), multiplier);
        let high = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64::<32>(even), odd);
        let low = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64::<32>(odd));
        (high, low)
    }

    /// [`multiply_512`] on 8 lanes, for callers that have AVX2.
    #[inline(always)]
    unsafe fn multiply_256(multiplier: __m256i, a: __m256i) -> (__m256i, __m256i) {
        let even = _mm256_mul_epu32(a, multiplier);
        let odd = _mm256_mul_epu32(_mm256_srli_epi64::<32>(a), multiplier);
        let high = _mm256_blend_epi32::<0xAA>(_mm256_srli_epi64::<32>(even), odd);
        let low = _mm256_blend_epi32::<0xAA>(even, _mm256_slli_epi64::<32>(odd));
        (high, low)
    }

    /// [`blocks`](super::blocks) for two groups, counters `first..first + 16`
    /// and `first + 16..first + 32`, with AVX-512F: two independent chains
    /// of rounds, so one's multiplies run while the other's wait.
    ///
    /// # Safety
    /// The processor must have AVX-512F.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub unsafe fn two_blocks_avx512(first: u64, stream: u64, key: [u32; 2]) -> [[[u32; LANES]; 4]; 2] {
        let (low_0, high_0) = counter_words(first);
        let (low_1, high_1) = counter_words(first.wrapping_add(LANES as u64));
        let stream_low = _mm512_set1_epi32(stream as u32 as i32);
        let stream_high = _mm512_set1_epi32((stream >> 32) as u32 as i32);
        let load = |words: [u32; LANES]| core::mem::transmute::<[u32; LANES], __m512i>(words);
        let mut chains: [[__m512i; 4]; 2] = [
            [load(low_0), load(high_0), stream_low, stream_high],
            [load(low_1), load(high_1), stream_low, stream_high],
        ];
        let m0 = _mm512_set1_epi32(MULTIPLIER_0 as i32);
        let m1 = _mm512_set1_epi32(MULTIPLIER_1 as i32);
        for key in round_keys(key) {
            let k0 = _mm512_set1_epi32(key[0] as i32);
            let k1 = _mm512_set1_epi32(key[1] as i32);
            for c in chains.iter_mut() {
                let (high_0, low_0) = multiply_512(m0, c[0]);
                let (high_1, low_1) = multiply_512(m1, c[2]);
                *c = [
                    _mm512_xor_si512(_mm512_xor_si512(high_1, c[1]), k0),
                    low_1,
                    _mm512_xor_si512(_mm512_xor_si512(high_0, c[3]), k1),
                    low_0,
                ];
            }
        }
        core::mem::transmute::<[[__m512i; 4]; 2], [[[u32; LANES]; 4]; 2]>(chains)
    }

    /// [`blocks`](super::blocks) with AVX2, each word's 16 lanes in two
    /// registers (lanes 0..8, then 8..16).
    ///
    /// # Safety
    /// The processor must have AVX2.
    #[inline]
    #[target_feature(enable = "avx2")]
    pub unsafe fn blocks_avx2(first: u64, stream: u64, key: [u32; 2]) -> [[u32; LANES]; 4] {
        let (low, high) = counter_words(first);
        let mut c: [[__m256i; 2]; 4] = [
            core::mem::transmute::<[u32; LANES], [__m256i; 2]>(low),
            core::mem::transmute::<[u32; LANES], [__m256i; 2]>(high),
            [_mm256_set1_epi32(stream as u32 as i32); 2],
            [_mm256_set1_epi32((stream >> 32) as u32 as i32); 2],
        ];
        let m0 = _mm256_set1_epi32(MULTIPLIER_0 as i32);
        let m1 = _mm256_set1_epi32(MULTIPLIER_1 as i32);
        for key in round_keys(key) {
            let k0 = _mm256_set1_epi32(key[0] as i32);
            let k1 = _mm256_set1_epi32(key[1] as i32);
            let mut next = c;
            for half in 0..2 {
                let (high_0, low_0) = multiply_256(m0, c[0][half]);
                let (high_1, low_1) = multiply_256(m1, c[2][half]);
                next[0][half] = _mm256_xor_si256(_mm256_xor_si256(high_1, c[1][half]), k0);
                next[1][half] = low_1;
                next[2][half] = _mm256_xor_si256(_mm256_xor_si256(high_0, c[3][half]), k1);
                next[3][half] = low_0;
            }
            c = next;
        }
        core::mem::transmute::<[[__m256i; 2]; 4], [[u32; LANES]; 4]>(c)
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::runtime::philox::blocks;

        #[test]
        fn the_vector_paths_give_the_portable_words() {
            for (first, stream, key) in [
                (0, 0, [0, 0]),
                (u64::MAX - 5, 7, [u32::MAX, 3]),
                (1 << 40, u64::MAX, [9, 1 << 31]),
            ] {
                let portable = blocks(first, stream, key);
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: checked just above.
                    assert_eq!(unsafe { blocks_avx2(first, stream, key) }, portable);
                }
                if std::arch::is_x86_feature_detected!("avx512f") {
                    let next = blocks(first.wrapping_add(LANES as u64), stream, key);
                    // SAFETY: checked just above.
                    assert_eq!(unsafe { two_blocks_avx512(first, stream, key) }, [portable, next]);
                }
            }
        }
    }
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
