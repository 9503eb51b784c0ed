/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Intel TDX evidence: the TD quote the tdx_guest provider returns and the event log that
 * explains its RTMRs.
 *
 * Checked against:
 *  - confidential-containers/trustee deps/verifier/src/tdx/mod.rs: TdxEvidence {
 *    cc_eventlog: Option<String>, quote: String }, both decoded with base64 STANDARD (padded);
 *    REPORT_DATA compared with the expected value padded to 64 bytes; the log parsed by
 *    CcEventLog::try_from and replayed at CC indices 1..4 with SHA-384 against RTMR0..3. The
 *    verifier reads nothing else: no aa_eventlog (older guest-components attesters sent one,
 *    and serde ignores it), and the init-data hash comes from the broker, compared with
 *    MRCONFIGID;
 *  - confidential-containers/guest-components attestation-agent/attester/src/tdx/mod.rs: the
 *    reference attester pads the report data to 64 bytes, gets the quote from configfs-tsm
 *    and sends the base64 of /sys/firmware/acpi/tables/data/CCEL as cc_eventlog.
 * mrboot's records follow the firmware's in the same stream (evlog/ccel.h), so that one
 * replay explains every RTMR it extended.
 */
#include "attest/evidence-tee.h"

#include <errno.h>
#include <limits.h>

#include "basic/error.h"
#include "evlog/eventlog.h"
#include "evlog/firmware.h"
#include "evlog/render.h"
#include "json/json.h"
#include "basic/macro.h"

int evidence_tdx_eventlog(const struct tee_evidence_input *in, struct render_buf *out,
			  struct error *e)
{
	struct evlog_firmware own = { 0 };
	const struct evlog_firmware *fw = in->firmware;
	int k;

	if (!fw) {
		k = evlog_firmware_load(&own, in->root, EVLOG_FIRMWARE_CCEL, e);
		if (k < 0)
			return k;
		fw = &own;
	}
	if (!fw->data)
		/* The replay starts from the firmware's Spec ID event and RTMR0/1 values: without
		 * them no log can explain the quote. */
		return error_set(e, -ENOENT,
				 "no firmware event log at %s: TDX evidence needs the firmware's "
				 "CCEL to explain the quote's RTMRs",
				 fw->path);
	k = render_ccel(out, fw->data, fw->len, in->log ? in->log->records : NULL,
			in->log ? in->log->count : 0, e);
	if (k < 0)
		error_prefix(e, "%s", fw->path);
	evlog_firmware_free(&own);
	return k < 0 ? k : 0;
}

int evidence_tdx_format(struct json_writer *w, const uint8_t *quote, size_t quote_len,
			const uint8_t *eventlog, size_t eventlog_len, struct error *e)
{
	int k;

	if (quote_len == 0)
		return error_set(e, -ENODATA, "empty TD quote");
	json_writer_begin_object(w);
	json_writer_key(w, "cc_eventlog");
	k = tee_json_base64(w, eventlog, eventlog_len, e);
	if (k < 0)
		return k;
	json_writer_key(w, "quote");
	k = tee_json_base64(w, quote, quote_len, e);
	if (k < 0)
		return k;
	return json_writer_end_object(w);
}

int evidence_tdx_write(struct json_writer *w, const struct tee_evidence_input *in, struct error *e)
{
	struct render_buf log = { 0 };
	struct tsm_report report = { 0 };
	int k;

	/* The log first: a platform without one fails before it spends a quote. */
	k = evidence_tdx_eventlog(in, &log, e);
	if (k >= 0)
		k = tee_report_request(in, "tdx_guest", &report, e);
	if (k >= 0)
		k = evidence_tdx_format(w, report.outblob.data, report.outblob.len, log.data,
					log.len, e);
	tsm_report_free(&report);
	render_buf_free(&log);
	return k;
}
