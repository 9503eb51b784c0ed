/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * jcs_write() (RFC 8785) of every document json_parse() accepts. The canonical text must
 * mean what the input meant: it parses to a tree equal to the input's (the same types,
 * integers of the same text but for "-0", strings byte for byte, arrays in order, objects with the
 * same members), its objects list their members in RFC 8785's order, and canonicalising it again
 * gives the same bytes.
 */
#include <errno.h>
#include <string.h>

#include "basic/error.h"
#include "fuzz.h"
#include "json/jcs.h"
#include "json/json.h"

/* json.h: 64 times the input leaves room for the densest document. */
static size_t budget(size_t len)
{
	return 64 * len + 4096;
}

static int same_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

static void check_equal(const struct json_value *a, const struct json_value *b, unsigned depth);

static void check_members(const struct json_value *a, const struct json_value *b, unsigned depth)
{
	const struct json_value *m;
	size_t i = 0;

	fuzz_check(a->u.container.count == b->u.container.count, "as many members");
	if (a->type == JSON_ARRAY) {
		const struct json_value *n = b->u.container.first;

		json_foreach(m, a)
		{
			check_equal(m, n, depth + 1);
			n = n->next;
		}
		return;
	}
	/* The canonical text lists the members sorted: its document order is the sorted one. */
	json_foreach(m, b)
	{
		const struct json_value *s = a->u.container.sorted[i++];

		fuzz_check(same_bytes(s->key, s->key_len, m->key, m->key_len),
			   "the canonical members are the input's, in RFC 8785 order");
		check_equal(s, m, depth + 1);
	}
}

static void check_equal(const struct json_value *a, const struct json_value *b, unsigned depth)
{
	fuzz_check(depth <= JSON_MAX_DEPTH + 1, "nesting is bounded");
	fuzz_check(a->type == b->type, "the canonical value has the input's type");
	switch (a->type) {
	case JSON_BOOL:
		fuzz_check(a->u.boolean == b->u.boolean, "the same boolean");
		break;
	case JSON_NUMBER:
		/* jcs_write() writes only integers, as parsed: "-0" is the one it rewrites. */
		fuzz_check(same_bytes(a->u.number.text, a->u.number.len, b->u.number.text,
				      b->u.number.len) ||
				   (same_bytes(a->u.number.text, a->u.number.len, "-0", 2) &&
				    same_bytes(b->u.number.text, b->u.number.len, "0", 1)),
			   "the same integer");
		break;
	case JSON_STRING:
		fuzz_check(same_bytes(a->u.string.data, a->u.string.len, b->u.string.data,
				      b->u.string.len),
			   "the same string, byte for byte");
		break;
	case JSON_ARRAY:
	case JSON_OBJECT:
		check_members(a, b, depth);
		break;
	case JSON_NULL:
		break;
	}
}

/* The canonical text of v, or NULL when jcs_write() writes none (a number not an integer). */
static char *canonical(const struct json_value *v, size_t max, size_t *len)
{
	struct json_writer w;
	struct error e = { 0 };

	json_writer_init(&w, max);
	jcs_write(&w, v);
	if (json_writer_finish(&w, &e) < 0) {
		fuzz_check(e.code == -ERANGE && strstr(e.msg, ": number "),
			   "only a number jcs_write() does not write fails JCS");
		json_writer_free(&w);
		return NULL;
	}
	*len = w.len;
	return w.buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct json_value *v, *again;
	struct json_arena a, b;
	struct error e = { 0 };
	char *text, *text2;
	size_t len, len2;

	json_arena_init(&a, budget(size));
	if (json_parse(&a, data, size, &v, &e) < 0) {
		json_arena_free(&a);
		return 0;
	}
	/* A canonical number takes at most 25 bytes for the 1 byte of "1e400"-like input. */
	text = canonical(v, 32 * size + 64, &len);
	if (text) {
		json_arena_init(&b, budget(len));
		if (json_parse(&b, text, len, &again, &e) < 0)
			fprintf(stderr, "%s\n--- canonical: %s\n", e.msg, text);
		fuzz_check(e.code == 0, "the canonical text parses");
		check_equal(v, again, 0);
		text2 = canonical(again, 32 * len + 64, &len2);
		fuzz_check(text2 && same_bytes(text, len, text2, len2),
			   "canonicalising the canonical text gives the same bytes");
		free(text2);
		json_arena_free(&b);
		free(text);
	}
	json_arena_free(&a);
	return 0;
}
