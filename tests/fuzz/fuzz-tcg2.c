/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The TCG2 crypto-agile event log reader on any bytes (a firmware log or a CCEL), then
 * tcg2_replay() of the same bytes into registers of every bank mrboot hashes. Every record the
 * reader returns must lie within the log and follow the one before it.
 */
#include <errno.h>
#include <string.h>

#include "basic/error.h"
#include "evlog/tcg2.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcg2_register regs[] = {
		{ .index = 0, .alg = HASH_SHA256 }, { .index = 0, .alg = HASH_SHA1 },
		{ .index = 1, .alg = HASH_SHA384 }, { .index = 3, .alg = HASH_SHA384 },
		{ .index = 7, .alg = HASH_SHA512 },
	};
	struct tcg2_reader reader;
	struct tcg2_record rec;
	struct error e = { 0 };
	size_t next;
	int r;

	r = tcg2_reader_init(&reader, data, size, 256, &e);
	next = reader.pos;
	while (r >= 0 && (r = tcg2_reader_next(&reader, &rec, &e)) > 0) {
		fuzz_check(rec.offset == next && rec.size <= size - rec.offset,
			   "a record starts where the last ended and lies within the log");
		fuzz_check(rec.digest_count >= 1 && rec.digest_count <= TCG2_ALGS_MAX,
			   "a record has 1..TCG2_ALGS_MAX digests");
		for (unsigned i = 0; i < rec.digest_count; i++) {
			fuzz_check(
				fuzz_within(rec.digests[i].bytes, rec.digests[i].size, data, size),
				"a digest lies within the log");
			fuzz_check(rec.digests[i].size <= TCG2_DIGEST_SIZE_MAX, "digest size");
		}
		fuzz_check(fuzz_within(rec.event, rec.event_size, data, size),
			   "the event data lies within the log");
		for (int alg = 0; alg < HASH_ALG_COUNT; alg++) {
			const struct tcg2_digest *d = tcg2_record_digest(&rec, (enum hash_alg)alg);

			fuzz_check(!d || fuzz_within(d->bytes, d->size, data, size),
				   "a digest found by algorithm lies within the log");
		}
		next = rec.offset + rec.size;
	}
	if (r == 0)
		fuzz_check(reader.ended && reader.end <= size, "the end lies within the log");
	else
		fuzz_check(e.code < 0 && e.msg[0], "a refusal says why");

	r = tcg2_replay(data, size, regs, sizeof(regs) / sizeof(regs[0]), &e);
	fuzz_check(r <= 0, "0 or a negative errno");
	return 0;
}
