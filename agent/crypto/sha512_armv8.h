/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_SHA512_ARMV8_H
#define MRBOOT_SHA512_ARMV8_H

/*
 * The SHA-512 compression function (FIPS 180-4), which SHA-384 shares, on the Armv8.2 SHA-512
 * instructions (FEAT_SHA512), for the SHA-2 streaming core (sha2.h). As in sha256_armv8.h: the
 * instructions are enabled per function, sha512_armv8_available() comes first, and both exist
 * only when MRBOOT_HAVE_SHA_ARMV8 is 1.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/sha2.h"

/* The kernel's hardware capabilities (AT_HWCAP) include SHA-512 and SHA-3. */
bool sha512_armv8_available(void);

/* A sha2_compress_fn, for SHA-384 and SHA-512. */
void sha512_armv8_compress(union sha2_state *state, const uint8_t *p, size_t n);

#endif
