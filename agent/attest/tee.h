/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_ATTEST_TEE_H
#define MRBOOT_ATTEST_TEE_H

/*
 * The evidence the agent sends the key broker (DESIGN.md section 6): one "primary_evidence"
 * JSON value per TEE, in exactly the shape Trustee's verifier for that TEE reads, bound to the
 * hash of the KBS runtime data. Which TEE comes from detection or from the configuration;
 * "sample" only ever by name.
 */

#include <stddef.h>
#include <stdint.h>

#include "attest/tsm-report.h"

struct error;
struct evlog_firmware;
struct eventlog;
struct json_writer;
struct tpm2;
struct detect;

/* As Trustee's kbs-types spells the TEEs in the auth request's "tee". */
enum tee_type {
	TEE_AUTO = -1, /* not named: the one tee_from_detect() finds ([kbs] tee = auto) */
	TEE_TDX,
	TEE_SNP,
	TEE_CCA,
	TEE_TPM,
	TEE_SAMPLE,
	TEE_COUNT,
};

/* "tdx", "snp", "cca", "tpm", "sample"; NULL outside the enum. */
const char *tee_name(enum tee_type tee);

/* The TEE a name means; -EINVAL naming the value for any other. */
int tee_from_name(const char *name, enum tee_type *ret, struct error *e);

/*
 * The TEE a detected platform attests with: the configfs-tsm provider tdx_guest, sev_guest or
 * arm_cca_guest, else a TPM 2.0 where the platform is not a confidential one. -ENODEV with the
 * reason when there is none (never "sample": a machine without evidence gets no key; never the
 * TPM on a confidential platform whose provider is missing: that would be a downgrade).
 */
int tee_from_detect(const struct detect *d, enum tee_type *ret, struct error *e);

/* The largest runtime-data hash (SHA-512) and report data. */
#define TEE_HASH_MAX 64
#define TEE_REPORT_DATA_SIZE 64

struct tee_evidence_input {
	const char *root; /* prefix for kernel paths ("/") */
	enum tee_type tee;
	const uint8_t *hash; /* digest of the JCS runtime data (48 bytes for SHA-384) */
	size_t hash_len;     /* 32, 48 or 64 */
	struct tsm_report_options report; /* configfs-tsm request options (privlevel) */
	const struct eventlog *log;	  /* mrboot's event log (tdx cc_eventlog, tpm event log) */
	struct tpm2 *tpm;		  /* TEE_TPM: the open TPM */
	/* tdx, tpm: the firmware's log, read once by the caller (evlog/firmware.h); NULL: read
	 * here from the kernel's path (the CCEL for tdx, the TPM's for tpm). */
	const struct evlog_firmware *firmware;
};

/*
 * Requests the evidence and writes it as one JSON value of w:
 *  tdx:    {"cc_eventlog":"<base64>","quote":"<base64>"}
 *  snp:    {"attestation_report":{...},"cert_chain":[...]|null} (the Rust sev crate's layout)
 *  cca:    {"token":[n, n, ...]}
 *  tpm:    Trustee's TPM evidence (agent/attest/evidence-tpm.h)
 *  sample: {"svn":"1","report_data":"<base64 of the hash>"}
 * tdx, snp and cca put the hash zero-padded to TEE_REPORT_DATA_SIZE bytes into the report.
 * Errors name the TEE and the step (the report request, the event log, the TPM quote).
 */
int tee_evidence_write(struct json_writer *w, const struct tee_evidence_input *in, struct error *e);

#endif
