/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_SHA256_NI_H
#define MRBOOT_SHA256_NI_H

/*
 * SHA-256 (FIPS 180-4) on the x86 SHA extensions. The instructions are enabled per function,
 * so the rest of the build needs no -m flags; call sha256_ni_available() before anything
 * else here, because the other functions fault on a CPU without the extensions.
 *
 * The context layout is the same on every architecture so that struct hash_ctx does not
 * change with the build options; the functions exist only when MRBOOT_HAVE_SHA_NI is 1.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHA256_NI_SIZE 32
#define SHA256_NI_BLOCK_SIZE 64

struct sha256_ni_context {
	uint32_t state[8];		   /* H0..H7 of FIPS 180-4 section 6.2 */
	uint8_t buf[SHA256_NI_BLOCK_SIZE]; /* the partial block, count % 64 bytes of it */
	uint64_t count;			   /* bytes hashed so far */
};

/* CPUID says the CPU has SHA, SSE4.1 and SSSE3 (every instruction sha256_ni.c uses). */
bool sha256_ni_available(void);

void sha256_ni_init(struct sha256_ni_context *ctx);
void sha256_ni_update(struct sha256_ni_context *ctx, const void *data, size_t len);

/* Writes the 32-byte digest of what has been hashed so far; ctx is left as it was. */
void sha256_ni_out(const struct sha256_ni_context *ctx, uint8_t out[SHA256_NI_SIZE]);

#endif
