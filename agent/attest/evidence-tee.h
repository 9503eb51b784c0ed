/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_ATTEST_EVIDENCE_TEE_H
#define MRBOOT_ATTEST_EVIDENCE_TEE_H

/*
 * Inside agent/attest: one writer per evidence shape behind tee_evidence_write(), and the
 * pieces they share. Each TEE has a writer that requests the report and one that formats a
 * report already in hand; the second is what the unit tests feed with reports built from the
 * specifications.
 */

#include <stddef.h>
#include <stdint.h>

#include "attest/tee.h"
#include "attest/tsm-report.h"

struct error;
struct json_writer;
struct render_buf;

/* SEV-SNP ATTESTATION_REPORT (SEV-SNP firmware ABI, table "ATTESTATION_REPORT Structure"). */
#define EVIDENCE_SNP_REPORT_SIZE 0x4a0

/*
 * The hash of the runtime data as the report carries it: in->hash followed by zeros up to
 * TEE_REPORT_DATA_SIZE bytes, as Trustee's verifiers pad the value they expect.
 */
int tee_report_data(const struct tee_evidence_input *in, uint8_t out[TEE_REPORT_DATA_SIZE],
		    struct error *e);

/*
 * One configfs-tsm report for in (the padded hash, in->report), which must come from
 * provider: a report from another provider is refused with -ENXIO naming both.
 */
int tee_report_request(const struct tee_evidence_input *in, const char *provider,
		       struct tsm_report *out, struct error *e);

/* A byte string as serde writes a Rust byte array or Vec<u8>: a JSON array of numbers. */
int tee_json_bytes(struct json_writer *w, const uint8_t *p, size_t n);

/* A byte string as standard base64 with padding (RFC 4648 section 4), as a JSON string. */
int tee_json_base64(struct json_writer *w, const uint8_t *p, size_t n, struct error *e);

/* tdx: {"cc_eventlog":"<base64>","quote":"<base64>"} */
int evidence_tdx_write(struct json_writer *w, const struct tee_evidence_input *in, struct error *e);
/*
 * The cc_eventlog stream: the firmware CCEL (in->firmware_ccel under in->root), mrboot's
 * committed records of in->log (none when it is NULL), 8 bytes of 0xFF. -ENOENT says that
 * the firmware log is missing.
 */
int evidence_tdx_eventlog(const struct tee_evidence_input *in, struct render_buf *out,
			  struct error *e);
int evidence_tdx_format(struct json_writer *w, const uint8_t *quote, size_t quote_len,
			const uint8_t *eventlog, size_t eventlog_len, struct error *e);

/* snp: {"attestation_report":{...},"cert_chain":[...]|null} */
int evidence_snp_write(struct json_writer *w, const struct tee_evidence_input *in, struct error *e);
/*
 * report is the binary ATTESTATION_REPORT (EVIDENCE_SNP_REPORT_SIZE bytes), certs the GHCB
 * certificate table the kernel returns in auxblob (certs_len 0: "cert_chain":null).
 * -EBADMSG for a report the sev crate's layout cannot carry unchanged (a version other than
 * 2..5, non-zero reserved bytes) or a malformed table, naming the field or the offset.
 */
int evidence_snp_format(struct json_writer *w, const uint8_t *report, size_t report_len,
			const uint8_t *certs, size_t certs_len, struct error *e);

/* cca: {"token":[n, ...]} */
int evidence_cca_write(struct json_writer *w, const struct tee_evidence_input *in, struct error *e);
int evidence_cca_format(struct json_writer *w, const uint8_t *token, size_t token_len,
			struct error *e);

/* sample: {"svn":"1","report_data":"<base64 of the hash>"} */
int evidence_sample_write(struct json_writer *w, const struct tee_evidence_input *in,
			  struct error *e);

#endif
