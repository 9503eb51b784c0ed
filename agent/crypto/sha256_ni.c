/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SHA-256 with SHA256RNDS2, SHA256MSG1 and SHA256MSG2 (Intel SHA extensions, Intel SDM
 * vol. 2). The round and schedule arithmetic is FIPS 180-4 section 6.2; the instructions
 * only want the eight working variables split into two registers, {A,B,E,F} and {C,D,G,H}.
 */
#include "crypto/sha256_ni.h"

#include <cpuid.h>
#include <immintrin.h>

/*
 * SSE4.1 is named too although no intrinsic below needs it: with it enabled the compiler may
 * pick SSE4.1 instructions for the surrounding moves, so sha256_ni_available() checks it.
 */
#define SHA256_NI_TARGET __attribute__((target("sha,sse4.1,ssse3")))

/*
 * The helpers must be inlined whatever -O says: at -Os GCC calls them instead, and the two
 * state registers then go through memory on every round, which halves the speed.
 */
#define SHA256_NI_INLINE SHA256_NI_TARGET inline __attribute__((always_inline))

bool sha256_ni_available(void)
{
	/*
	 * Cached: in a TDX or SEV-SNP guest every CPUID traps to the TDX module or the
	 * hypervisor, which costs microseconds, and the answer cannot change.
	 */
	static int cached = -1;
	unsigned int eax, ebx, ecx, edx;

	if (cached >= 0)
		return cached;
	cached = 0;
	if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
		return false;
	if (!(ecx & bit_SSE4_1) || !(ecx & bit_SSSE3))
		return false;
	/* Leaf 7 subleaf 0, EBX bit 29; __get_cpuid_count checks the maximum leaf first. */
	if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx))
		return false;
	cached = (ebx & bit_SHA) != 0;
	return cached;
}

/* Loads four message words; SHA-256 reads its input as big-endian 32-bit words. */
static SHA256_NI_INLINE __m128i sha256_ni_load_be(const uint8_t *p)
{
	const __m128i bswap32 = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);

	return _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)p), bswap32);
}

/*
 * Rounds t..t+3. SHA256RNDS2 does two rounds with W+K for them in the low 64 bits of its
 * third operand and returns the new ABEF; the old ABEF is then the new CDGH. So the two
 * registers trade roles after each instruction and are back in place after two.
 */
static SHA256_NI_INLINE void sha256_ni_rounds4(__m128i *abef, __m128i *cdgh, __m128i w,
					       unsigned int t)
{
	__m128i wk = _mm_add_epi32(w, _mm_load_si128((const __m128i *)&sha2_256_k[t]));

	*cdgh = _mm_sha256rnds2_epu32(*cdgh, *abef, wk);
	*abef = _mm_sha256rnds2_epu32(*abef, *cdgh, _mm_shuffle_epi32(wk, 0x0e));
}

/*
 * W[t..t+3] = sigma1(W[t-2]) + W[t-7] + sigma0(W[t-15]) + W[t-16], given the sixteen words
 * before them as w0 = W[t-16..t-13], w4, w8 and w12 = W[t-4..t-1]. SHA256MSG2 feeds the two
 * words it computes first back in for the last two, which need W[t] and W[t+1].
 */
static SHA256_NI_INLINE __m128i sha256_ni_schedule(__m128i w0, __m128i w4, __m128i w8, __m128i w12)
{
	__m128i x = _mm_sha256msg1_epu32(w0, w4); /* W[t-16] + sigma0(W[t-15]) */

	x = _mm_add_epi32(x, _mm_alignr_epi8(w12, w8, 4)); /* + W[t-7] */
	return _mm_sha256msg2_epu32(x, w12);		   /* + sigma1(W[t-2]) */
}

SHA256_NI_TARGET void sha256_ni_compress(union sha2_state *state, const uint8_t *p, size_t n)
{
	__m128i abcd = _mm_loadu_si128((const __m128i *)&state->w32[0]);
	__m128i efgh = _mm_loadu_si128((const __m128i *)&state->w32[4]);
	__m128i abef, cdgh;

	/*
	 * SHA256RNDS2 wants the working variables as ABEF and CDGH, A and C in the top lane.
	 * Listed from lane 0: {A,B,C,D} and {E,F,G,H} become {F,E,B,A} and {H,G,D,C}.
	 */
	abcd = _mm_shuffle_epi32(abcd, 0xb1);
	efgh = _mm_shuffle_epi32(efgh, 0xb1);
	abef = _mm_unpacklo_epi64(efgh, abcd);
	cdgh = _mm_unpackhi_epi64(efgh, abcd);

	for (; n > 0; n--, p += SHA2_256_BLOCK_SIZE) {
		__m128i abef_in = abef, cdgh_in = cdgh;
		__m128i w0 = sha256_ni_load_be(p);
		__m128i w1 = sha256_ni_load_be(p + 16);
		__m128i w2 = sha256_ni_load_be(p + 32);
		__m128i w3 = sha256_ni_load_be(p + 48);

		sha256_ni_rounds4(&abef, &cdgh, w0, 0);
		sha256_ni_rounds4(&abef, &cdgh, w1, 4);
		sha256_ni_rounds4(&abef, &cdgh, w2, 8);
		sha256_ni_rounds4(&abef, &cdgh, w3, 12);
		for (unsigned int t = 16; t < 64; t += 16) {
			w0 = sha256_ni_schedule(w0, w1, w2, w3);
			sha256_ni_rounds4(&abef, &cdgh, w0, t);
			w1 = sha256_ni_schedule(w1, w2, w3, w0);
			sha256_ni_rounds4(&abef, &cdgh, w1, t + 4);
			w2 = sha256_ni_schedule(w2, w3, w0, w1);
			sha256_ni_rounds4(&abef, &cdgh, w2, t + 8);
			w3 = sha256_ni_schedule(w3, w0, w1, w2);
			sha256_ni_rounds4(&abef, &cdgh, w3, t + 12);
		}
		abef = _mm_add_epi32(abef, abef_in);
		cdgh = _mm_add_epi32(cdgh, cdgh_in);
	}

	/* Back again: {D,C,B,A} and {H,G,F,E} from lane 0, each reversed. */
	abcd = _mm_shuffle_epi32(_mm_unpackhi_epi64(cdgh, abef), 0x1b);
	efgh = _mm_shuffle_epi32(_mm_unpacklo_epi64(cdgh, abef), 0x1b);
	_mm_storeu_si128((__m128i *)&state->w32[0], abcd);
	_mm_storeu_si128((__m128i *)&state->w32[4], efgh);
}
