/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * FIPS 180-4 around a plugged-in compression function: the initial hash values (section 5.3),
 * the message split into blocks (5.2) and the padding (5.1). The two families differ only in
 * their sizes: a block is 64 or 128 bytes, a state word 4 or 8, and the padding ends in a
 * big-endian bit count of 8 or 16 bytes; each is the block size divided by 16 or 8.
 */
#include "crypto/sha2.h"

#include <string.h>

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
