/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_TPM2_RC_H
#define MRBOOT_TPM2_RC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * TPM 2.0 response codes (TCG TPM 2.0 Library Part 2, TPM_RC), decoded to the names the
 * specification gives them so that a failure in the boot log can be looked up.
 *
 * Format zero (bit 7 clear): bits 6:0 are the error number, bit 8 marks a TPM 2.0 code (a
 * TPM 1.2 code otherwise), bit 10 a vendor code, bit 11 a warning. Format one (bit 7 set):
 * bits 5:0 are the error number of a code 0x080 + n, bit 6 says the number in bits 11:8 is a
 * parameter, otherwise a handle (1..7) or, with bit 11 set, a session (1..7).
 */

#define TPM2_RC_SUCCESS 0x000
#define TPM2_RC_BAD_TAG 0x01e
#define TPM2_RC_INITIALIZE 0x100
#define TPM2_RC_VALUE 0x084
#define TPM2_RC_HASH 0x083
#define TPM2_RC_SIZE 0x095
#define TPM2_RC_LOCALITY 0x907
#define TPM2_RC_YIELDED 0x908
#define TPM2_RC_CANCELED 0x909
#define TPM2_RC_TESTING 0x90a
#define TPM2_RC_NV_RATE 0x920
#define TPM2_RC_LOCKOUT 0x921
#define TPM2_RC_RETRY 0x922

/* Enough for every description tpm2_rc_describe() writes. */
#define TPM2_RC_DESCRIPTION_MAX 192

/* The base code without parameter, handle or session number: 0x1c4 -> TPM_RC_VALUE (0x084). */
uint32_t tpm2_rc_base(uint32_t rc);

/* "TPM_RC_VALUE" for any code whose base is in the table, else NULL. */
const char *tpm2_rc_name(uint32_t rc);

/*
 * The TPM did not run the command and says it may be sent again unchanged: TPM_RC_RETRY,
 * TPM_RC_YIELDED, TPM_RC_CANCELED, TPM_RC_TESTING (a self test is running).
 */
bool tpm2_rc_retryable(uint32_t rc);

/*
 * Writes e.g. "TPM_RC_VALUE (0x000001c4, parameter 1): value out of range or not correct
 * for the context" into buf and returns buf. An unknown code is described by its class.
 */
const char *tpm2_rc_describe(uint32_t rc, char *buf, size_t size);

#endif
