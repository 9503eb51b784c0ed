/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_SHA256_NI_H
#define MRBOOT_SHA256_NI_H

/*
 * The SHA-256 compression function (FIPS 180-4) on the x86 SHA extensions, for the SHA-2
 * streaming core (sha2.h). The instructions are enabled per function, so the rest of the
 * build needs no -m flags; call sha256_ni_available() first, because sha256_ni_compress()
 * faults on a CPU without the extensions. Both exist only when MRBOOT_HAVE_SHA_NI is 1.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/sha2.h"

/* CPUID says the CPU has SHA, SSE4.1 and SSSE3 (every instruction sha256_ni.c uses). */
bool sha256_ni_available(void);

/* A sha2_compress_fn. */
void sha256_ni_compress(union sha2_state *state, const uint8_t *p, size_t n);

#endif
