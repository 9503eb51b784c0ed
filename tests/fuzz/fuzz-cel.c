/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The CEL-TLV reader on any bytes. Every record must lie within the log, one after the other;
 * a pcclient_std record whose digests mrboot can write is written again with
 * cel_pcclient_write() and read back to the same fields.
 */
#include <errno.h>
#include <string.h>

#include "basic/error.h"
#include "evlog/cel.h"
#include "fuzz.h"

static void rewrite(const struct cel_record *rec)
{
	struct mr_digests d = { .count = rec->digest_count };
	struct cel_reader reader;
	struct cel_record back;
	struct error e = { 0 };
	size_t size = 0;
	uint8_t *buf;
	int r;

	if (rec->content_type != CEL_TYPE_PCCLIENT_STD || rec->digest_count > MR_BANKS_MAX)
		return;
	for (unsigned i = 0; i < rec->digest_count; i++) {
		if (hash_alg_from_tcg_id(rec->digests[i].alg_id, &d.bank[i].alg) < 0)
			return;
		memcpy(d.bank[i].digest, rec->digests[i].bytes, rec->digests[i].size);
	}
	/* recnum 0: the first record of its index in a log of its own. */
	r = cel_pcclient_write(NULL, 0, 0, rec->handle_type, rec->handle, &d, rec->event_type,
			       rec->event_data, rec->event_data_size, &size, &e);
	fuzz_check(r == -ENOBUFS && size > 0, "the writer says how much room it needs");
	buf = malloc(size);
	fuzz_check(buf, "malloc");
	r = cel_pcclient_write(buf, size, 0, rec->handle_type, rec->handle, &d, rec->event_type,
			       rec->event_data, rec->event_data_size, &size, &e);
	fuzz_check(r == 0, "a record read can be written");
	cel_reader_init(&reader, buf, size, 0);
	r = cel_reader_next(&reader, &back, &e);
	if (r != 1)
		fprintf(stderr, "%s\n", e.msg);
	fuzz_check(r == 1 && back.size == size, "the written record reads back whole");
	fuzz_check(back.handle_type == rec->handle_type && back.handle == rec->handle &&
			   back.event_type == rec->event_type &&
			   back.event_data_size == rec->event_data_size &&
			   memcmp(back.event_data, rec->event_data, rec->event_data_size) == 0,
		   "the written record has the same handle and event");
	fuzz_check(back.digest_count == rec->digest_count, "the same number of digests");
	for (unsigned i = 0; i < back.digest_count; i++)
		fuzz_check(back.digests[i].alg_id == rec->digests[i].alg_id &&
				   back.digests[i].size == rec->digests[i].size &&
				   memcmp(back.digests[i].bytes, rec->digests[i].bytes,
					  back.digests[i].size) == 0,
			   "the same digests in the same order");
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cel_reader reader;
	struct cel_record rec;
	struct error e = { 0 };
	size_t next = 0;
	int r;

	cel_reader_init(&reader, data, size, 256);
	while ((r = cel_reader_next(&reader, &rec, &e)) > 0) {
		fuzz_check(rec.offset == next && rec.size <= size - rec.offset,
			   "a record starts where the last ended and lies within the log");
		fuzz_check(rec.digest_count <= CEL_DIGESTS_MAX, "digests fit the record");
		for (unsigned i = 0; i < rec.digest_count; i++)
			fuzz_check(
				fuzz_within(rec.digests[i].bytes, rec.digests[i].size, data, size),
				"a digest lies within the log");
		fuzz_check(fuzz_within(rec.content, rec.content_size, data, size),
			   "the content lies within the log");
		if (rec.content_type == CEL_TYPE_PCCLIENT_STD)
			fuzz_check(fuzz_within(rec.event_data, rec.event_data_size, rec.content,
					       rec.content_size),
				   "the event data lies within the content");
		rewrite(&rec);
		next = rec.offset + rec.size;
	}
	if (r == 0)
		fuzz_check(next == size, "the log is read to its last byte");
	else
		fuzz_check(e.code < 0 && e.msg[0], "a refusal says why");
	return 0;
}
