/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_SHA256_ARMV8_H
#define MRBOOT_SHA256_ARMV8_H

/*
 * SHA-256 (FIPS 180-4) on the Armv8 Cryptographic Extension (FEAT_SHA256). The instructions
 * are enabled per function, so the rest of the build needs no -march flags; call
 * sha256_armv8_available() before anything else here, because the other functions fault on a
 * CPU without the extension.
 *
 * The context layout is the same on every architecture so that struct hash_ctx does not
 * change with the build options; the functions exist only when MRBOOT_HAVE_SHA_ARMV8 is 1.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHA256_ARMV8_SIZE 32
#define SHA256_ARMV8_BLOCK_SIZE 64

struct sha256_armv8_context {
	uint32_t state[8];		      /* H0..H7 of FIPS 180-4 section 6.2 */
	uint8_t buf[SHA256_ARMV8_BLOCK_SIZE]; /* the partial block, count % 64 bytes of it */
	uint64_t count;			      /* bytes hashed so far */
};

/* The kernel's hardware capabilities (AT_HWCAP) include SHA-256. */
bool sha256_armv8_available(void);

void sha256_armv8_init(struct sha256_armv8_context *ctx);
void sha256_armv8_update(struct sha256_armv8_context *ctx, const void *data, size_t len);

/* Writes the 32-byte digest of what has been hashed so far; ctx is left as it was. */
void sha256_armv8_out(const struct sha256_armv8_context *ctx, uint8_t out[SHA256_ARMV8_SIZE]);

#endif
