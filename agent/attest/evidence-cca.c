/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Arm CCA evidence: the attestation token the arm_cca_guest provider returns (a CBOR
 * collection of the platform and realm tokens), carried as it is.
 *
 * Checked against:
 *  - confidential-containers/trustee deps/verifier/src/cca/mod.rs: CcaEvidence { token:
 *    Vec<u8> }, which serde_json reads from a JSON array of numbers (a string would be
 *    refused); the expected report data is padded to 64 bytes (regularize_data) and must be
 *    the realm challenge;
 *  - confidential-containers/guest-components attestation-agent/attester/src/cca/mod.rs:
 *    the reference attester resizes the challenge to 64 bytes with zeros and sends
 *    {"token":[...]} made by serde_json from the configfs-tsm outblob.
 */
#include "attest/evidence-tee.h"

#include <errno.h>

#include "basic/error.h"
#include "json/json.h"

int evidence_cca_format(struct json_writer *w, const uint8_t *token, size_t token_len,
			struct error *e)
{
	if (token_len == 0)
		return error_set(e, -ENODATA, "empty attestation token");
	json_writer_begin_object(w);
	json_writer_key(w, "token");
	tee_json_bytes(w, token, token_len);
	return json_writer_end_object(w);
}

int evidence_cca_write(struct json_writer *w, const struct tee_evidence_input *in, struct error *e)
{
	struct tsm_report report = { 0 };
	int k;

	k = tee_report_request(in, "arm_cca_guest", &report, e);
	if (k < 0)
		return k;
	k = evidence_cca_format(w, report.outblob.data, report.outblob.len, e);
	tsm_report_free(&report);
	return k;
}
