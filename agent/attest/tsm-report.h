/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_ATTEST_TSM_REPORT_H
#define MRBOOT_ATTEST_TSM_REPORT_H

#include <stddef.h>
#include <stdint.h>

struct error;

/*
 * Attestation reports from the kernel's configfs-tsm interface
 * (Documentation/ABI/testing/configfs-tsm-report): the caller's bytes go into the report
 * (TDX REPORTDATA, SEV-SNP REPORT_DATA, the Arm CCA challenge) and a report signed by the
 * platform comes back in the provider's own format.
 */

/* The kernel's limits: TSM_REPORT_INBLOB_MAX and TSM_REPORT_OUTBLOB_MAX (16 MiB in 7.2). */
#define TSM_REPORT_INBLOB_MAX 64
#define TSM_REPORT_BLOB_MAX (16u << 20)

/* How many times a report raced by another writer is requested again before giving up. */
#define TSM_REPORT_ATTEMPTS 3

/* Where the report directories are made, under the root prefix. */
#define TSM_REPORT_DIR "/sys/kernel/config/tsm/report"

/* Privilege level meaning "the provider's privlevel_floor". */
#define TSM_REPORT_PRIVLEVEL_FLOOR (-1)

struct tsm_report_options {
	/*
	 * The privilege level the report is for (SEV-SNP: the VMPL), privlevel_floor..3, or
	 * TSM_REPORT_PRIVLEVEL_FLOOR. Only providers with a privlevel attribute take one; there the
	 * floor is written when nothing else is asked, since the kernel's default of 0 is refused
	 * by a guest that runs above VMPL0.
	 */
	int privlevel;
};

struct tsm_report_blob {
	uint8_t *data; /* NULL when len is 0 */
	size_t len;
};

struct tsm_report {
	char *provider;			     /* "tdx_guest", "sev_guest", "arm_cca_guest", ... */
	struct tsm_report_blob outblob;	     /* the report itself, never empty */
	struct tsm_report_blob auxblob;	     /* SEV-SNP certificates; empty when absent */
	struct tsm_report_blob manifestblob; /* SVSM manifest; empty when absent */
	unsigned long generation;	     /* the report's write count, checked after reading */
	unsigned attempts;		     /* 1, or more when another writer raced the first */
};

/*
 * Requests one report under root (NULL or "/" for the running system) for exactly inblob_len
 * bytes of inblob, which must suit the provider: exactly 64 for tdx_guest and sev_guest,
 * 32..64 for arm_cca_guest (padding is the caller's choice, it changes what is signed). opt
 * may be NULL for the defaults. Each attempt uses its own report directory and removes it
 * whatever happens. On success *out holds malloc'ed copies the caller releases with
 * tsm_report_free(); on failure *out is empty and e names what failed and where:
 * -ENOENT without configfs-tsm, -ENXIO without a provider, -EINVAL for an inblob or
 * privlevel the provider cannot take, -EBUSY when every attempt was raced, -ENODATA for an
 * empty report, or the kernel's errno.
 */
int tsm_report_generate(const char *root, const uint8_t *inblob, size_t inblob_len,
			const struct tsm_report_options *opt, struct tsm_report *out,
			struct error *e);

/* Frees what tsm_report_generate() allocated and empties *report; NULL and empty are fine. */
void tsm_report_free(struct tsm_report *report);

#endif
