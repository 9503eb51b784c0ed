/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_MR_H
#define MRBOOT_MR_H

#include <stdint.h>

#include "crypto/hash.h"

/*
 * Types every register backend shares. A register is one extensible measurement register:
 * a TPM PCR (one value per active bank), a TDX RTMR or an Arm CCA REM (one value, the
 * platform's hash algorithm). Extending never hashes what it is given: the register becomes
 * H(old || digest), so the caller passes digests of the register's own algorithm(s).
 */
enum mr_family {
	MR_FAMILY_TPM, /* TPM 2.0 PCR */
	MR_FAMILY_TDX, /* Intel TDX RTMR, through the tsm-mr sysfs group */
	MR_FAMILY_CCA, /* Arm CCA REM, through the (proposed) tsm-mr sysfs group */
	/*
	 * No extensible register (SEV-SNP without a vTPM): events are logged with their AAEL
	 * SHA-384 digests, so that the log can be bound into a report later, and nothing is
	 * extended; they are not attestable as register values.
	 */
	MR_FAMILY_NONE,
};

#define MR_BANKS_MAX 4

struct mr_bank_digest {
	enum hash_alg alg;
	uint8_t digest[HASH_MAX_SIZE];
};

/* One digest per bank, in bank order; a CC register has exactly one bank. */
struct mr_digests {
	unsigned count;
	struct mr_bank_digest bank[MR_BANKS_MAX];
};

#endif
