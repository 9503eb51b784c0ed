/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_EVLOG_RENDER_H
#define MRBOOT_EVLOG_RENDER_H

/*
 * mrboot's event log (eventlog.h) in the forms its readers want. Every function takes the
 * records in seq order, as eventlog_open() leaves them, and appends to a caller-owned buffer.
 *
 *  - json: {"records":[...]}, each record with the fields record_to_json() writes, its final
 *    state and, when it has one, the reason it was settled so;
 *  - text: a header naming the log, one line per record, its digests below it;
 *  - aael: TCG_PCR_EVENT2 records, EV_EVENT_TAG with the AAEL body as event data: at the CC
 *    index for a TDX or CCA register (as the CCEL numbers them), at the PCR for a TPM one;
 *  - cel-tlv: CEL-TLV records, pcclient_std, EV_EVENT_TAG, the AAEL body as event data. CEL
 *    has handles for PCRs and TPM NV indices only; a CC register goes in the pcr handle as its
 *    CC index, the number the CCEL puts in the same place, so that a reader replays each
 *    handle into one register. recnum counts per handle (cel.h);
 *  - ccel: the evidence stream for the Trustee broker (ccel.h): the firmware CCEL, the aael
 *    records, 8 bytes of 0xFF.
 *
 * Only committed records are measurements: the text and json forms show every record with
 * its state, the binary forms only the committed ones. Before a record goes into a binary
 * form its digests are computed again from its event and compared with the logged ones, so
 * that a damaged or edited log is refused rather than handed to a verifier.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evlog/record.h"

struct error;

enum render_format {
	RENDER_JSON,
	RENDER_TEXT,
	RENDER_AAEL,
	RENDER_CEL_TLV,
	RENDER_CCEL,
};

/* "json", "text", "aael", "cel-tlv", "ccel"; -EINVAL for any other name. */
int render_format_from_name(const char *name, enum render_format *ret);
const char *render_format_name(enum render_format format);
bool render_format_is_binary(enum render_format format);

/* Output grows here; zero-initialise it, free it with render_buf_free(). */
struct render_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

void render_buf_free(struct render_buf *b);

int render_json(struct render_buf *out, const struct record *records, size_t count,
		struct error *e);

/* log_path is what the header names: the journal's path as opened. */
int render_text(struct render_buf *out, const char *log_path, const struct record *records,
		size_t count, struct error *e);

/*
 * The binary forms. -EINVAL names the record (by seq) when committed records mix register
 * families (a binary log names registers by number alone), when a record's logged digests
 * are not what its event measures, or when its event breaks the AAEL rules.
 */
int render_aael(struct render_buf *out, const struct record *records, size_t count,
		struct error *e);
int render_cel_tlv(struct render_buf *out, const struct record *records, size_t count,
		   struct error *e);

/*
 * firmware is the firmware's CCEL (firmware_size bytes, as the ACPI table shows it); records
 * must be of TDX or CCA registers. ccel_stream_build()'s errors for a log Trustee would
 * refuse.
 */
int render_ccel(struct render_buf *out, const void *firmware, size_t firmware_size,
		const struct record *records, size_t count, struct error *e);

#endif
