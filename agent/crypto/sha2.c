/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * FIPS 180-4 around a plugged-in compression function: the round constants it uses (section
 * 4.2), the initial hash values (5.3), the message split into blocks (5.2) and the padding
 * (5.1). The two families differ only in their sizes: a block is 64 or 128 bytes, a state word 4 or
 * 8, and the padding ends in a big-endian bit count of 8 or 16 bytes; each is the block size
 * divided by 16 or 8.
 */
#include "crypto/sha2.h"

#include <string.h>

/*
 * FIPS 180-4 section 4.2.2, a row for each four rounds. Aligned so that each row loads as
 * one vector.
 */
/* clang-format off */
const uint32_t sha2_256_k[64] __attribute__((aligned(16))) = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5,
	0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
	0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
	0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};
/* clang-format on */

/* FIPS 180-4 section 4.2.3, two rounds a row, aligned as sha2_256_k. */
/* clang-format off */
const uint64_t sha2_512_k[80] __attribute__((aligned(16))) = {
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

static void sha2_init(struct sha2_context *ctx, sha2_compress_fn *compress, uint8_t block_size,
		      uint8_t size)
{
	ctx->compress = compress;
	ctx->count = 0;
	ctx->block_size = block_size;
	ctx->size = size;
}

/* FIPS 180-4 section 5.3.3. */
void sha2_256_init(struct sha2_context *ctx, sha2_compress_fn *compress)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	sha2_init(ctx, compress, SHA2_256_BLOCK_SIZE, 32);
	memcpy(ctx->state.w32, iv, sizeof(iv));
}

/* FIPS 180-4 section 5.3.4. */
void sha2_384_init(struct sha2_context *ctx, sha2_compress_fn *compress)
{
	static const uint64_t iv[8] = {
		0xcbbb9d5dc1059ed8, 0x629a292a367cd507, 0x9159015a3070dd17, 0x152fecd8f70e5939,
		0x67332667ffc00b31, 0x8eb44a8768581511, 0xdb0c2e0d64f98fa7, 0x47b5481dbefa4fa4,
	};

	sha2_init(ctx, compress, SHA2_512_BLOCK_SIZE, 48);
	memcpy(ctx->state.w64, iv, sizeof(iv));
}

/* FIPS 180-4 section 5.3.5. */
void sha2_512_init(struct sha2_context *ctx, sha2_compress_fn *compress)
{
	static const uint64_t iv[8] = {
		0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
		0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179,
	};

	sha2_init(ctx, compress, SHA2_512_BLOCK_SIZE, 64);
	memcpy(ctx->state.w64, iv, sizeof(iv));
}

void sha2_update(struct sha2_context *ctx, const void *data, size_t len)
{
	size_t block_size = ctx->block_size;
	size_t used = ctx->count & (block_size - 1);
	const uint8_t *p = data;

	ctx->count += len;
	if (used > 0) {
		size_t n = block_size - used;

		if (len < n) {
			memcpy(ctx->buf + used, p, len);
			return;
		}
		memcpy(ctx->buf + used, p, n);
		ctx->compress(&ctx->state, ctx->buf, 1);
		p += n;
		len -= n;
	}
	if (len >= block_size) {
		ctx->compress(&ctx->state, p, len / block_size);
		p += len - len % block_size;
		len %= block_size;
	}
	memcpy(ctx->buf, p, len);
}

/* The low n bytes of v, most significant first. */
static void sha2_store_be(uint8_t *p, uint64_t v, size_t n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

void sha2_out(const struct sha2_context *ctx, uint8_t *out)
{
	struct sha2_context last = *ctx;
	size_t block_size = ctx->block_size;
	size_t word_size = block_size / 16; /* 4 or 8 bytes, as H0..H7 */
	size_t length_size = block_size / 8;
	/*
	 * The padding (5.1.1, 5.1.2): a 1 bit, then zero bits up to where the message length in
	 * bits ends a block. The length is a 64-bit number for SHA-256, a 128-bit one for SHA-384
	 * and SHA-512, whose upper half is the byte count's top three bits.
	 */
	size_t pad_len = block_size - ((ctx->count + length_size) & (block_size - 1));
	uint8_t pad[SHA2_MAX_BLOCK_SIZE + 16] = { 0x80 };

	if (length_size == 16)
		sha2_store_be(pad + pad_len, ctx->count >> 61, 8);
	sha2_store_be(pad + pad_len + length_size - 8, ctx->count << 3, 8);
	sha2_update(&last, pad, pad_len + length_size);
	/* The digest is H0, H1, ... as big-endian words, cut to the variant's size. */
	for (size_t i = 0; i * word_size < ctx->size; i++)
		sha2_store_be(out + i * word_size,
			      word_size == 4 ? last.state.w32[i] : last.state.w64[i], word_size);

	/* The copy holds the message's last partial block, and the message may be a secret. */
	explicit_bzero(&last, sizeof(last));
}
