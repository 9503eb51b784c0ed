/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Trustee's "sample" evidence: no hardware, for tests, and only when the configuration names
 * it. Checked against confidential-containers/trustee deps/verifier/src/sample/mod.rs:
 * SampleTeeEvidence { svn: String, report_data: String (default "") }; the verifier decodes
 * report_data with base64 STANDARD and compares it with the expected report data as it is,
 * unpadded (unlike the hardware verifiers, which pad to 64 bytes).
 */
#include "attest/evidence-tee.h"

#include <errno.h>

#include "basic/error.h"
#include "json/json.h"

/* The "svn" member is a string; the sample verifier only copies it into the claims. */
#define SAMPLE_SVN "1"

int evidence_sample_write(struct json_writer *w, const struct tee_evidence_input *in,
			  struct error *e)
{
	uint8_t unused[TEE_REPORT_DATA_SIZE];
	int k;

	/* The same hash sizes as the hardware TEEs, so a test of sample tests the rule too. */
	k = tee_report_data(in, unused, e);
	if (k < 0)
		return k;
	json_writer_begin_object(w);
	json_writer_key(w, "svn");
	json_writer_string(w, SAMPLE_SVN);
	json_writer_key(w, "report_data");
	k = tee_json_base64(w, in->hash, in->hash_len, e);
	if (k < 0)
		return k;
	return json_writer_end_object(w);
}
