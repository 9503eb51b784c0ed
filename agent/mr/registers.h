/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_REGISTERS_H
#define MRBOOT_REGISTERS_H

#include <stdbool.h>

#include "mr/mr.h"
#include "mr/tpm2.h"
#include "mr/tsm-mr.h"

struct error;

/*
 * The platform's extensible registers behind one interface: measure code names a logical
 * PCR (the UAPI registry's meaning) and this maps it to the register that holds it.
 */
struct registers {
	enum mr_family family;
	unsigned n_banks;
	enum hash_alg banks[MR_BANKS_MAX]; /* what every extend of this platform carries */
	struct tsm_mr tsm;		   /* MR_FAMILY_TDX, MR_FAMILY_CCA */
	struct tpm2 *tpm;		   /* MR_FAMILY_TPM: the caller's, open */
};

/* The registers of a tsm-mr group (what detect found). */
int registers_open_tsm(struct registers *r, const struct tsm_mr *group, struct error *e);

/*
 * The PCRs of an open TPM, in every allocated bank. A bank mrboot cannot hash for is an
 * error: leaving one bank behind would let a verifier that reads it see an unmeasured boot.
 */
int registers_open_tpm(struct registers *r, struct tpm2 *tpm, struct error *e);

/* No register: events are logged only (SEV-SNP without a vTPM). */
void registers_open_none(struct registers *r);

/*
 * The confidential-computing measurement register index (CC index = RTMR or REM index + 1,
 * as in the CCEL) that carries a logical PCR: the UEFI mapping (UEFI 2.10 section 38.4.1) for
 * PCR 1..15, and CC index 4 (RTMR3 / REM3), which firmware leaves to the OS, for every other
 * PCR. PCR 0 goes there too: its UEFI counterpart, MRTD, is fixed when the guest is built.
 */
unsigned mr_cc_index_for_pcr(unsigned pcr);

/* The register index a logical PCR lands in: the PCR itself, or the RTMR/REM index. */
unsigned registers_index_for_pcr(const struct registers *r, unsigned pcr);

/* "rtmr2", "rem2", "pcr12": how messages and the log name a register. */
void registers_name(const struct registers *r, unsigned index, char *out, size_t size);

int registers_read(struct registers *r, unsigned index, struct mr_digests *out, struct error *e);
int registers_extend(struct registers *r, unsigned index, const struct mr_digests *digests,
		     struct error *e);

/* What a register becomes after extending: H(old || digest) in each bank. */
void registers_after(const struct mr_digests *before, const struct mr_digests *digests,
		     struct mr_digests *after);

bool mr_digests_equal(const struct mr_digests *a, const struct mr_digests *b);

const char *mr_family_name(enum mr_family family);

/* A register's name from its family alone, as registers_name() gives it. */
void mr_register_name(enum mr_family family, unsigned index, char *out, size_t size);

#endif
