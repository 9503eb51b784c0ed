/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * json_parse() on any bytes. For an accepted document: the tree's invariants (members sorted
 * and found by name, numbers read by every getter), and the RFC 8785 fixed point: the
 * canonical text parses again and canonicalises to the same bytes.
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

static void check_tree(const struct json_value *v, unsigned depth)
{
	const struct json_value *m;
	struct error e = { 0 };
	uint64_t u;
	int64_t i;
	double d;
	size_t n = 0;

	fuzz_check(depth <= JSON_MAX_DEPTH + 1, "nesting is bounded");
	switch (v->type) {
	case JSON_NUMBER:
		fuzz_check(strlen(v->u.number.text) == v->u.number.len, "number text length");
		(void)json_get_uint64(v, &u, &e);
		(void)json_get_int64(v, &i, &e);
		(void)json_get_double(v, &d, &e);
		break;
	case JSON_STRING:
		fuzz_check(v->u.string.data[v->u.string.len] == '\0', "strings are NUL-terminated");
		break;
	case JSON_ARRAY:
	case JSON_OBJECT:
		json_foreach(m, v)
		{
			n++;
			check_tree(m, depth + 1);
		}
		fuzz_check(n == v->u.container.count, "count matches the members");
		if (v->type != JSON_OBJECT)
			break;
		for (size_t k = 1; k < n; k++)
			fuzz_check(json_name_compare(v->u.container.sorted[k - 1]->key,
						     v->u.container.sorted[k - 1]->key_len,
						     v->u.container.sorted[k]->key,
						     v->u.container.sorted[k]->key_len) < 0,
				   "members are sorted and unique");
		json_foreach(m, v) if (strlen(m->key) == m->key_len) fuzz_check(
			json_object_get(v, m->key) == m, "a member is found by its name");
		break;
	default:
		break;
	}
}

/* The canonical text of a tree, or NULL when the tree has none (a number beyond doubles). */
static char *canonical(const struct json_value *v, size_t max, size_t *len)
{
	struct json_writer w;
	struct error e = { 0 };
	char *text;

	json_writer_init(&w, max);
	jcs_write(&w, v);
	if (json_writer_finish(&w, &e) < 0) {
		fuzz_check(e.code == -ERANGE, "only a number beyond the double range fails JCS");
		json_writer_free(&w);
		return NULL;
	}
	text = w.buf;
	*len = w.len;
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_arena a, b;
	const struct json_value *v, *again;
	struct error e = { 0 };
	char *text, *text2;
	size_t len, len2;
	int r;

	json_arena_init(&a, budget(size));
	r = json_parse(&a, data, size, &v, &e);
	if (r < 0) {
		fuzz_check(r == -EINVAL && strncmp(e.msg, "offset ", 7) == 0,
			   "a refusal is -EINVAL naming the offset");
		json_arena_free(&a);
		return 0;
	}
	check_tree(v, 0);
	/* A canonical number takes at most 25 bytes for the 1 byte of "1e400"-like input. */
	text = canonical(v, 32 * size + 64, &len);
	if (text) {
		json_arena_init(&b, budget(len));
		r = json_parse(&b, text, len, &again, &e);
		if (r < 0)
			fprintf(stderr, "%s\n--- canonical: %s\n", e.msg, text);
		fuzz_check(r == 0, "the canonical text parses");
		text2 = canonical(again, 32 * len + 64, &len2);
		fuzz_check(text2 && len2 == len && memcmp(text, text2, len) == 0,
			   "the canonical text is a fixed point");
		free(text2);
		json_arena_free(&b);
		free(text);
	}
	json_arena_free(&a);
	return 0;
}
