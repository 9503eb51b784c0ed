/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ccel.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "aael.h"
#include "bytes.h"
#include "basic/error.h"
#include "tcg2.h"
#include "basic/utf8.h"
#include "basic/macro.h"

/* TcgAlgorithm in deps/eventlog/src/ccel/tcg_enum.rs (SM3 only in its newest versions). */
static const uint16_t trustee_spec_algs[] = { 0x0001, 0x0003, 0x0004, 0x000b, 0x000c, 0x000d };

/*
 * Digests every Trustee version replays: older ones replay only SHA-256/384/512, the newest
 * compares every digest with the event data and gives up on SHA-1.
 */
static const uint16_t trustee_digest_algs[] = { 0x000b, 0x000c, 0x000d };

/* TcgEventType in the same file: ranges of event types it parses. */
static const struct {
	uint32_t first, last;
} trustee_event_types[] = {
	{ 0x00000000, 0x00000012 },
	{ 0x80000000, 0x8000000c },
	{ 0x80000010, 0x80000010 },
	{ 0x800000e0, 0x800000e2 },
};

static bool in_list(const uint16_t *list, size_t n, uint16_t v)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == v)
			return true;
	return false;
}

static bool trustee_knows_type(uint32_t type)
{
	for (size_t i = 0; i < ARRAY_SIZE(trustee_event_types); i++)
		if (type >= trustee_event_types[i].first && type <= trustee_event_types[i].last)
			return true;
	return false;
}

int ccel_firmware_end(const void *ccel, size_t size, size_t *end, struct error *e)
{
	struct tcg2_reader reader;
	struct tcg2_record rec;
	int r;

	r = tcg2_reader_init(&reader, ccel, size, 0, e);
	while (r >= 0 && (r = tcg2_reader_next(&reader, &rec, e)) > 0)
		;
	if (r < 0)
		return error_prefix(e, "firmware CCEL");
	*end = reader.end;
	return 0;
}

/* EV_EVENT_TAG: Trustee's parser of TCG_PCClientTaggedEvent (ccel/event_tag.rs). */
static int ccel_check_tagged_event(const struct tcg2_record *rec, struct error *e)
{
	const char *why;
	size_t n, bad;

	if (rec->event_size < AAEL_HEADER_SIZE)
		return error_set(
			e, -EBADMSG,
			"record %u at byte %zu: EV_EVENT_TAG data of %u bytes has no tagged "
			"event header",
			rec->number, rec->offset, rec->event_size);
	n = bytes_get_le32(rec->event + 4);
	if (n > rec->event_size - AAEL_HEADER_SIZE)
		return error_set(
			e, -EBADMSG,
			"record %u at byte %zu: tagged event size %zu runs past its %u bytes "
			"of event data",
			rec->number, rec->offset, n, rec->event_size);
	/* Older Trustee versions read every tagged event as UTF-8 text, newer ones AAEL ones. */
	if (utf8_validate(rec->event + AAEL_HEADER_SIZE, n, &bad, &why) < 0)
		return error_set(
			e, -EBADMSG,
			"record %u at byte %zu: tagged event is not UTF-8 at byte %zu of its "
			"text: %s",
			rec->number, rec->offset, bad, why);
	if (bytes_get_le32(rec->event) == AAEL_TAGGED_EVENT_ID) {
		const char *text = (const char *)rec->event + AAEL_HEADER_SIZE;
		const char *sp = memchr(text, ' ', n);

		if (!sp || !memchr(sp + 1, ' ', n - (size_t)(sp + 1 - text)))
			return error_set(
				e, -EBADMSG,
				"record %u at byte %zu: AAEL text has fewer than two spaces",
				rec->number, rec->offset);
	}
	return 0;
}

static int ccel_check_record(const struct tcg2_record *rec, struct error *e)
{
	if (!trustee_knows_type(rec->type))
		return error_set(e, -EBADMSG,
				 "record %u at byte %zu: event type 0x%08x is unknown to Trustee",
				 rec->number, rec->offset, rec->type);
	if (rec->type == TCG2_EV_NO_ACTION && rec->index != 0)
		return error_set(e, -EBADMSG,
				 "record %u at byte %zu: EV_NO_ACTION at index %u, which Trustee "
				 "would extend",
				 rec->number, rec->offset, rec->index);
	for (unsigned i = 0; i < rec->digest_count; i++)
		if (!in_list(trustee_digest_algs, ARRAY_SIZE(trustee_digest_algs),
			     rec->digests[i].alg_id))
			return error_set(e, -EBADMSG,
					 "record %u at byte %zu: digest %u of algorithm 0x%04x, "
					 "which Trustee refuses",
					 rec->number, rec->offset, i, rec->digests[i].alg_id);
	if (rec->type == TCG2_EV_EVENT_TAG)
		return ccel_check_tagged_event(rec, e);
	return 0;
}

/* As ccel_check_trustee(); *reader is left at the end for the caller to look at. */
static int ccel_check(struct tcg2_reader *reader, const void *log, size_t size, struct error *e)
{
	struct tcg2_record rec;
	int r;

	r = tcg2_reader_init(reader, log, size, 0, e);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < reader->spec.alg_count; i++)
		if (!in_list(trustee_spec_algs, ARRAY_SIZE(trustee_spec_algs),
			     reader->spec.algs[i].alg_id))
			return error_set(e, -EBADMSG,
					 "Spec ID event: algorithm 0x%04x is unknown to Trustee",
					 reader->spec.algs[i].alg_id);
	while ((r = tcg2_reader_next(reader, &rec, e)) > 0) {
		r = ccel_check_record(&rec, e);
		if (r < 0)
			return r;
	}
	return r;
}

int ccel_check_trustee(const void *log, size_t size, struct error *e)
{
	struct tcg2_reader reader;

	return ccel_check(&reader, log, size, e);
}

int ccel_stream_build(uint8_t *out, size_t cap, const void *firmware, size_t firmware_size,
		      const void *records, size_t records_size, size_t *written, struct error *e)
{
	struct tcg2_reader reader;
	size_t end, size;
	int r;

	r = ccel_firmware_end(firmware, firmware_size, &end, e);
	if (r < 0)
		return r;
	if (records_size > SIZE_MAX - end - CCEL_TERMINATOR_SIZE)
		return error_set(e, -EINVAL, "CCEL stream: %zu bytes of records is too much",
				 records_size);
	size = end + records_size + CCEL_TERMINATOR_SIZE;
	*written = size;
	if (cap < size)
		return error_set(e, -ENOBUFS, "CCEL stream needs %zu bytes, buffer has %zu", size,
				 cap);
	memcpy(out, firmware, end);
	if (records_size)
		memcpy(out + end, records, records_size);
	memset(out + end + records_size, 0xff, CCEL_TERMINATOR_SIZE);

	r = ccel_check(&reader, out, size, e);
	if (r < 0)
		return error_prefix(e, "CCEL stream (firmware log: bytes 0..%zu)", end);
	/* Trustee stops at the first 8-byte terminator: nothing of ours may read as one. */
	if (reader.end != size - CCEL_TERMINATOR_SIZE)
		return error_set(e, -EBADMSG,
				 "CCEL stream: the log ends at byte %zu, before the terminator at "
				 "byte %zu",
				 reader.end, size - CCEL_TERMINATOR_SIZE);
	return 0;
}
