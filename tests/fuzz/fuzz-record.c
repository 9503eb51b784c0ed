/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * record_from_json() on any JSON document, as the event log reader runs it on each journal
 * record. What it accepts must write back with record_to_json() (or record_state_to_json())
 * to a text that reads back to the same record: the log's own renderers rely on that.
 */
#include <errno.h>
#include <string.h>

#include "basic/error.h"
#include "evlog/record.h"
#include "fuzz.h"
#include "json/json.h"
#include "basic/utf8.h"

/* The text the record writes as, parsed again into *again. NULL when it cannot be written. */
static char *write_record(const struct record *r, bool is_state, size_t *len)
{
	struct error e = { 0 };
	char *text = NULL;
	int k;

	if (is_state) {
		/*
		 * The reader cuts a long reason to its buffer, maybe inside a character; the
		 * renderers write the UTF-8 before the cut (render.c), and so does this.
		 */
		char reason[sizeof(r->reason)];
		size_t n = strlen(r->reason), bad;
		const char *why;

		if (utf8_validate(r->reason, n, &bad, &why) < 0)
			n = bad;
		memcpy(reason, r->reason, n);
		reason[n] = '\0';
		k = record_state_to_json(r->seq, r->state, n ? reason : NULL, &text, len, &e);
	} else
		k = record_to_json(r, &text, len, &e);
	if (k < 0)
		fprintf(stderr, "cannot write the record back: %s\n", e.msg);
	fuzz_check(k == 0, "an accepted record can be written back");
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct json_value *v;
	struct record r, again;
	struct json_arena a;
	struct error e = { 0 };
	bool is_state = false, again_state = false;
	char *text, *text2;
	size_t len, len2;

	/* The budget the event log reader gives a record (eventlog.c). */
	json_arena_init(&a, 4 * size + 4096);
	if (json_parse(&a, data, size, &v, &e) < 0 || record_from_json(v, &r, &is_state, &e) < 0) {
		json_arena_free(&a);
		return 0;
	}
	json_arena_free(&a);

	text = write_record(&r, is_state, &len);
	json_arena_init(&a, 4 * len + 4096);
	fuzz_check(json_parse(&a, text, len, &v, &e) == 0, "the written record is JSON");
	fuzz_check(record_from_json(v, &again, &again_state, &e) == 0 && again_state == is_state,
		   "the written record reads back");
	text2 = write_record(&again, again_state, &len2);
	if (len != len2 || memcmp(text, text2, len) != 0)
		fprintf(stderr, "--- written: %s\n--- read back and written again: %s\n", text,
			text2);
	fuzz_check(len == len2 && memcmp(text, text2, len) == 0,
		   "the record reads back to the same values");
	free(text);
	free(text2);
	json_arena_free(&a);
	record_free(&r);
	record_free(&again);
	return 0;
}
