/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SHA-384 and SHA-512 with SHA512H, SHA512H2, SHA512SU0 and SHA512SU1 (Arm Architecture
 * Reference Manual, A64 Advanced SIMD cryptographic instructions, FEAT_SHA512). The round and
 * schedule arithmetic is FIPS 180-4 section 6.4. The eight working variables live in four
 * registers as {A,B}, {C,D}, {E,F} and {G,H}, the first of each pair in lane 0, which is the
 * order of H0..H7 in memory; two rounds move every pair one register on.
 */
#include "crypto/sha512_armv8.h"

#include <arm_neon.h>
#include <string.h>
#include <sys/auxv.h>

/*
 * GCC 12's arm_neon.h declares the SHA-512 intrinsics under "arch=armv8.2-a+sha3" and inlines
 * them only into functions that have it too. That lets the compiler use the SHA-3 instructions
 * and everything Armv8.2 requires, so sha512_armv8_available() asks for SHA-3 as well; the
 * SHA-512 instructions are optional from Armv8.2 on, so a CPU that has them is at least that.
 */
#define SHA512_ARMV8_TARGET __attribute__((target("arch=armv8.2-a+sha3")))
#define SHA512_ARMV8_INLINE SHA512_ARMV8_TARGET inline __attribute__((always_inline))

/* FIPS 180-4 section 4.2.3, two rounds a row. */
/* clang-format off */
static const uint64_t sha512_k[80] __attribute__((aligned(16))) = {
	0x428a2f98d728ae22, 0x7137449123ef65cd,
	0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc,
	0x3956c25bf348b538, 0x59f111f1b605d019,
	0x923f82a4af194f9b, 0xab1c5ed5da6d8118,
	0xd807aa98a3030242, 0x12835b0145706fbe,
	0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
	0x72be5d74f27b896f, 0x80deb1fe3b1696b1,
	0x9bdc06a725c71235, 0xc19bf174cf692694,
	0xe49b69c19ef14ad2, 0xefbe4786384f25e3,
	0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
	0x2de92c6f592b0275, 0x4a7484aa6ea6e483,
	0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
	0x983e5152ee66dfab, 0xa831c66d2db43210,
	0xb00327c898fb213f, 0xbf597fc7beef0ee4,
	0xc6e00bf33da88fc2, 0xd5a79147930aa725,
	0x06ca6351e003826f, 0x142929670a0e6e70,
	0x27b70a8546d22ffc, 0x2e1b21385c26c926,
	0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
	0x650a73548baf63de, 0x766a0abb3c77b2a8,
	0x81c2c92e47edaee6, 0x92722c851482353b,
	0xa2bfe8a14cf10364, 0xa81a664bbc423001,
	0xc24b8b70d0f89791, 0xc76c51a30654be30,
	0xd192e819d6ef5218, 0xd69906245565a910,
	0xf40e35855771202a, 0x106aa07032bbd1b8,
	0x19a4c116b8d2d0c8, 0x1e376c085141ab53,
	0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8,
	0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb,
	0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3,
	0x748f82ee5defb2fc, 0x78a5636f43172f60,
	0x84c87814a1f0ab72, 0x8cc702081a6439ec,
	0x90befffa23631e28, 0xa4506cebde82bde9,
	0xbef9a3f7b2c67915, 0xc67178f2e372532b,
	0xca273eceea26619c, 0xd186b8c721c0c207,
	0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178,
	0x06f067aa72176fba, 0x0a637dc5a2c898a6,
	0x113f9804bef90dae, 0x1b710b35131c471b,
	0x28db77f523047d84, 0x32caab7b40c72493,
	0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c,
	0x4cc5d4becb3e42b6, 0x597f299cfc657e2a,
	0x5fcb6fab3ad6faec, 0x6c44198c4a475817,
};
/* clang-format on */

bool sha512_armv8_available(void)
{
	unsigned long hwcap = getauxval(AT_HWCAP);

	return (hwcap & HWCAP_SHA512) && (hwcap & HWCAP_SHA3);
}

/* Loads two message words; SHA-512 reads its input as big-endian 64-bit words. */
static SHA512_ARMV8_INLINE uint64x2_t sha512_armv8_load_be(const uint8_t *p)
{
	return vreinterpretq_u64_u8(vrev64q_u8(vld1q_u8(p)));
}

/*
 * Rounds t and t+1, with w = {W[t], W[t+1]} and k = &K[t]. SHA512H takes E, F, G and D as
 * {F,G} and {D,E} and adds T1 - H of both rounds to its first operand, which therefore holds
 * H + K[t] + W[t] in lane 1 and G + K[t+1] + W[t+1] in lane 0 (G is the next round's H); it
 * returns T1 of round t in lane 1 and of round t+1 in lane 0. SHA512H2 adds T2 of both rounds,
 * from A, B and C, to those. Then the new {A,B} is SHA512H2's result, {C,D} the old {A,B},
 * {E,F} the old {C,D} plus the T1s, {G,H} the old {E,F}.
 */
static SHA512_ARMV8_INLINE void sha512_armv8_rounds2(uint64x2_t *ab, uint64x2_t *cd, uint64x2_t *ef,
						     uint64x2_t *gh, uint64x2_t w,
						     const uint64_t *k)
{
	uint64x2_t wk = vaddq_u64(w, vld1q_u64(k));
	uint64x2_t hwk = vaddq_u64(*gh, vextq_u64(wk, wk, 1));
	uint64x2_t t1 = vsha512hq_u64(hwk, vextq_u64(*ef, *gh, 1), vextq_u64(*cd, *ef, 1));
	uint64x2_t ab_out = vsha512h2q_u64(t1, *cd, *ab);

	*gh = *ef;
	*ef = vaddq_u64(*cd, t1);
	*cd = *ab;
	*ab = ab_out;
}

/*
 * {W[t], W[t+1]} = sigma1(W[t-2]) + W[t-7] + sigma0(W[t-15]) + W[t-16] for both, from the
 * pairs of words t-16, t-14, t-8, t-6 and t-2 (the two words of w_8 come eight and seven
 * rounds back; W[t-7] and W[t-6] straddle w_8 and w_6).
 */
static SHA512_ARMV8_INLINE uint64x2_t sha512_armv8_schedule(uint64x2_t w_16, uint64x2_t w_14,
							    uint64x2_t w_8, uint64x2_t w_6,
							    uint64x2_t w_2)
{
	uint64x2_t x = vsha512su0q_u64(w_16, w_14); /* W[t-16] + sigma0(W[t-15]) */

	return vsha512su1q_u64(x, w_2, vextq_u64(w_8, w_6, 1)); /* + sigma1(W[t-2]) + W[t-7] */
}

SHA512_ARMV8_TARGET void sha512_armv8_compress(union sha2_state *state, const uint8_t *p, size_t n)
{
	uint64x2_t ab = vld1q_u64(&state->w64[0]);
	uint64x2_t cd = vld1q_u64(&state->w64[2]);
	uint64x2_t ef = vld1q_u64(&state->w64[4]);
	uint64x2_t gh = vld1q_u64(&state->w64[6]);
	/* The last sixteen words of the schedule, pair j of them in w[j % 8]. */
	uint64x2_t w[8];

	for (; n > 0; n--, p += SHA2_512_BLOCK_SIZE) {
		uint64x2_t ab_in = ab, cd_in = cd, ef_in = ef, gh_in = gh;

		for (unsigned int j = 0; j < 8; j++)
			w[j] = sha512_armv8_load_be(p + 16 * j);
		for (unsigned int j = 0; j < 40; j++) {
			if (j >= 8)
				w[j % 8] = sha512_armv8_schedule(w[j % 8], w[(j + 1) % 8],
								 w[(j + 4) % 8], w[(j + 5) % 8],
								 w[(j + 7) % 8]);
			sha512_armv8_rounds2(&ab, &cd, &ef, &gh, w[j % 8], &sha512_k[2 * j]);
		}
		ab = vaddq_u64(ab, ab_in);
		cd = vaddq_u64(cd, cd_in);
		ef = vaddq_u64(ef, ef_in);
		gh = vaddq_u64(gh, gh_in);
	}
	/* The schedule is message data, and the message may be a secret. */
	explicit_bzero(w, sizeof(w));
	vst1q_u64(&state->w64[0], ab);
	vst1q_u64(&state->w64[2], cd);
	vst1q_u64(&state->w64[4], ef);
	vst1q_u64(&state->w64[6], gh);
}
