/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SHA-256 with SHA256H, SHA256H2, SHA256SU0 and SHA256SU1 (Arm Architecture Reference Manual,
 * A64 Advanced SIMD cryptographic instructions). The round and schedule arithmetic is
 * FIPS 180-4 section 6.2; the instructions keep the eight working variables as {A,B,C,D} and
 * {E,F,G,H}, A and E in lane 0, which is the order of H0..H7 in memory.
 */
#include "crypto/sha256_armv8.h"

#include <arm_neon.h>
#include <sys/auxv.h>

/*
 * "+crypto" and not "+sha2": GCC 12's arm_neon.h declares the SHA-256 intrinsics under
 * "+crypto" and inlines them only into functions that have it too. It also allows the AES
 * instructions, which the compiler never emits unless asked by an intrinsic.
 */
#define SHA256_ARMV8_TARGET __attribute__((target("+crypto")))

/* Inlined whatever -O says, so that the two state registers stay in registers (sha256_ni.c). */
#define SHA256_ARMV8_INLINE SHA256_ARMV8_TARGET inline __attribute__((always_inline))

bool sha256_armv8_available(void)
{
	/*
	 * The kernel sets HWCAP_SHA2 from ID_AA64ISAR0_EL1.SHA2 of every CPU in the system, and
	 * Advanced SIMD, which the intrinsics also use, is part of the arm64 Linux ABI.
	 */
	return (getauxval(AT_HWCAP) & HWCAP_SHA2) != 0;
}

/* Loads four message words; SHA-256 reads its input as big-endian 32-bit words. */
static SHA256_ARMV8_INLINE uint32x4_t sha256_armv8_load_be(const uint8_t *p)
{
	return vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p)));
}

/*
 * Rounds t..t+3. SHA256H returns the new {A,B,C,D} and SHA256H2 the new {E,F,G,H}, each from
 * both halves of the state as it was before the four rounds, so the old {A,B,C,D} is kept
 * for SHA256H2.
 */
static SHA256_ARMV8_INLINE void sha256_armv8_rounds4(uint32x4_t *abcd, uint32x4_t *efgh,
						     uint32x4_t w, unsigned int t)
{
	uint32x4_t wk = vaddq_u32(w, vld1q_u32(&sha2_256_k[t]));
	uint32x4_t abcd_in = *abcd;

	*abcd = vsha256hq_u32(abcd_in, *efgh, wk);
	*efgh = vsha256h2q_u32(*efgh, abcd_in, wk);
}

/*
 * W[t..t+3] = sigma1(W[t-2]) + W[t-7] + sigma0(W[t-15]) + W[t-16], given the sixteen words
 * before them as w0 = W[t-16..t-13], w4, w8 and w12 = W[t-4..t-1]. SHA256SU1 computes the
 * last two words from the first two, which need W[t] and W[t+1].
 */
static SHA256_ARMV8_INLINE uint32x4_t sha256_armv8_schedule(uint32x4_t w0, uint32x4_t w4,
							    uint32x4_t w8, uint32x4_t w12)
{
	uint32x4_t x = vsha256su0q_u32(w0, w4); /* W[t-16] + sigma0(W[t-15]) */

	return vsha256su1q_u32(x, w8, w12); /* + W[t-7] + sigma1(W[t-2]) */
}

SHA256_ARMV8_TARGET void sha256_armv8_compress(union sha2_state *state, const uint8_t *p, size_t n)
{
	uint32x4_t abcd = vld1q_u32(&state->w32[0]);
	uint32x4_t efgh = vld1q_u32(&state->w32[4]);

	for (; n > 0; n--, p += SHA2_256_BLOCK_SIZE) {
		uint32x4_t abcd_in = abcd, efgh_in = efgh;
		uint32x4_t w0 = sha256_armv8_load_be(p);
		uint32x4_t w1 = sha256_armv8_load_be(p + 16);
		uint32x4_t w2 = sha256_armv8_load_be(p + 32);
		uint32x4_t w3 = sha256_armv8_load_be(p + 48);

		sha256_armv8_rounds4(&abcd, &efgh, w0, 0);
		sha256_armv8_rounds4(&abcd, &efgh, w1, 4);
		sha256_armv8_rounds4(&abcd, &efgh, w2, 8);
		sha256_armv8_rounds4(&abcd, &efgh, w3, 12);
		for (unsigned int t = 16; t < 64; t += 16) {
			w0 = sha256_armv8_schedule(w0, w1, w2, w3);
			sha256_armv8_rounds4(&abcd, &efgh, w0, t);
			w1 = sha256_armv8_schedule(w1, w2, w3, w0);
			sha256_armv8_rounds4(&abcd, &efgh, w1, t + 4);
			w2 = sha256_armv8_schedule(w2, w3, w0, w1);
			sha256_armv8_rounds4(&abcd, &efgh, w2, t + 8);
			w3 = sha256_armv8_schedule(w3, w0, w1, w2);
			sha256_armv8_rounds4(&abcd, &efgh, w3, t + 12);
		}
		abcd = vaddq_u32(abcd, abcd_in);
		efgh = vaddq_u32(efgh, efgh_in);
	}
	vst1q_u32(&state->w32[0], abcd);
	vst1q_u32(&state->w32[4], efgh);
}
