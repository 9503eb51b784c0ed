/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_SHA2_H
#define MRBOOT_SHA2_H

/*
 * The SHA-2 streaming core (FIPS 180-4): the buffering of a partial block, the length count
 * and the final padding of SHA-256 (64-byte blocks) and of SHA-384 and SHA-512 (128-byte
 * blocks), around a compression function the caller plugs in. Each accelerated path
 * (sha256_ni.c, sha256_armv8.c, sha512_armv8.c) supplies only that function; the portable path
 * is BearSSL's own. Caller-owned context, no allocation, no global state.
 */

#include <stddef.h>
#include <stdint.h>

#define SHA2_256_BLOCK_SIZE 64
#define SHA2_512_BLOCK_SIZE 128 /* SHA-384 too */
#define SHA2_MAX_BLOCK_SIZE SHA2_512_BLOCK_SIZE

/* H0..H7: eight 32-bit words for SHA-256, eight 64-bit words for SHA-384 and SHA-512. */
union sha2_state {
	uint32_t w32[8];
	uint64_t w64[8];
};

/*
 * The compression function of FIPS 180-4 section 6.2.2 (SHA-256) or 6.4.2 (SHA-384 and
 * SHA-512), applied in turn to the n blocks at p: state holds H0..H7 before and after.
 */
typedef void sha2_compress_fn(union sha2_state *state, const uint8_t *p, size_t n);

/*
 * The round constants K of FIPS 180-4 sections 4.2.2 and 4.2.3, for the compression functions;
 * 16-byte aligned, so that a vector of them loads in one instruction.
 */
extern const uint32_t sha2_256_k[64] __attribute__((aligned(16)));
extern const uint64_t sha2_512_k[80] __attribute__((aligned(16)));

struct sha2_context {
	sha2_compress_fn *compress;
	union sha2_state state;
	uint8_t buf[SHA2_MAX_BLOCK_SIZE]; /* the partial block, count % block_size bytes of it */
	uint64_t count;			  /* bytes hashed so far */
	uint8_t block_size;		  /* SHA2_256_BLOCK_SIZE or SHA2_512_BLOCK_SIZE */
	uint8_t size;			  /* digest bytes: the first ones of H0..H7 */
};

/*
 * Start a digest with its initial hash value. compress is the family's: a SHA-256 one for
 * sha2_256_init(), a SHA-512 one for the two others. One function each, so that a static link
 * keeps only the initial values a build uses.
 */
void sha2_256_init(struct sha2_context *ctx, sha2_compress_fn *compress);
void sha2_384_init(struct sha2_context *ctx, sha2_compress_fn *compress);
void sha2_512_init(struct sha2_context *ctx, sha2_compress_fn *compress);

void sha2_update(struct sha2_context *ctx, const void *data, size_t len);

/* Writes the digest (32, 48 or 64 bytes) of what has been hashed so far; ctx is left as it was. */
void sha2_out(const struct sha2_context *ctx, uint8_t *out);

#endif
