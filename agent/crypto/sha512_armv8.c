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
			sha512_armv8_rounds2(&ab, &cd, &ef, &gh, w[j % 8], &sha2_512_k[2 * j]);
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
