/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_SHA512_ARMV8_H
#define MRBOOT_SHA512_ARMV8_H

/*
 * SHA-384 and SHA-512 (FIPS 180-4) on the Armv8.2 SHA-512 instructions (FEAT_SHA512). As in
 * sha256_armv8.h: the instructions are enabled per function, sha512_armv8_available() comes
 * first, and the context layout does not depend on the build; the functions exist only when
 * MRBOOT_HAVE_SHA_ARMV8 is 1. SHA-384 is SHA-512 with its own initial value, cut to 48 bytes.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHA384_ARMV8_SIZE 48
#define SHA512_ARMV8_SIZE 64
#define SHA512_ARMV8_BLOCK_SIZE 128

struct sha512_armv8_context {
	uint64_t state[8];		      /* H0..H7 of FIPS 180-4 section 6.4 */
	uint8_t buf[SHA512_ARMV8_BLOCK_SIZE]; /* the partial block, count % 128 bytes of it */
	uint64_t count;			      /* bytes hashed so far */
};

/* The kernel's hardware capabilities (AT_HWCAP) include SHA-512 and SHA-3. */
bool sha512_armv8_available(void);

void sha384_armv8_init(struct sha512_armv8_context *ctx);
void sha512_armv8_init(struct sha512_armv8_context *ctx);
void sha512_armv8_update(struct sha512_armv8_context *ctx, const void *data, size_t len);

/* Write the digest of what has been hashed so far; ctx is left as it was. */
void sha384_armv8_out(const struct sha512_armv8_context *ctx, uint8_t out[SHA384_ARMV8_SIZE]);
void sha512_armv8_out(const struct sha512_armv8_context *ctx, uint8_t out[SHA512_ARMV8_SIZE]);

#endif
