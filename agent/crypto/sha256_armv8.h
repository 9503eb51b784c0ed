/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_SHA256_ARMV8_H
#define MRBOOT_SHA256_ARMV8_H

/*
 * The SHA-256 compression function (FIPS 180-4) on the Armv8 Cryptographic Extension
 * (FEAT_SHA256), for the SHA-2 streaming core (sha2.h). The instructions are enabled per
 * function, so the rest of the build needs no -march flags; call sha256_armv8_available()
 * first, because sha256_armv8_compress() faults on a CPU without the extension. Both exist
 * only when MRBOOT_HAVE_SHA_ARMV8 is 1.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/sha2.h"

/* The kernel's hardware capabilities (AT_HWCAP) include SHA-256. */
bool sha256_armv8_available(void);

/* A sha2_compress_fn. */
void sha256_armv8_compress(union sha2_state *state, const uint8_t *p, size_t n);

#endif
