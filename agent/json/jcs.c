/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "json/jcs.h"

#include <errno.h>
#include <string.h>

#include "basic/error.h"

/* Digits of the longest integer written as parsed: below 2^53, so exactly a double. */
#define JCS_INTEGER_DIGITS 15

static int jcs_write_number(struct json_writer *w, const struct json_value *v)
{
	const char *text = v->u.number.text;
	size_t len = v->u.number.len, sign = text[0] == '-';
	size_t digits = strspn(text + sign, "0123456789");

	if (digits != len - sign || digits > JCS_INTEGER_DIGITS)
		return json_writer_fail(
			w, -ERANGE,
			"offset %zu: number %.*s: the canonical form is written for "
			"integers of up to %d digits only",
			v->offset, (int)(len > 40 ? 40 : len), text, JCS_INTEGER_DIGITS);
	/* The grammar allows no leading zero: "-0" is the one integer with two texts. */
	if (sign && text[1] == '0')
		return json_writer_raw(w, "0", 1);
	return json_writer_raw(w, text, len);
}

/* NOLINTNEXTLINE(misc-no-recursion): a level a container; json_parse() bounds the depth */
int jcs_write(struct json_writer *w, const struct json_value *v)
{
	const struct json_value *m;
	int r;

	switch (v->type) {
	case JSON_NULL:
		return json_writer_null(w);
	case JSON_BOOL:
		return json_writer_bool(w, v->u.boolean);
	case JSON_NUMBER:
		return jcs_write_number(w, v);
	case JSON_STRING:
		return json_writer_string_len(w, v->u.string.data, v->u.string.len);
	case JSON_ARRAY:
		r = json_writer_begin_array(w);
		json_foreach(m, v) if (r == 0) r = jcs_write(w, m);
		return r < 0 ? r : json_writer_end_array(w);
	case JSON_OBJECT:
		r = json_writer_begin_object(w);
		/* The parser keeps the members sorted as RFC 8785 section 3.2.3 orders them. */
		for (size_t i = 0; r == 0 && i < v->u.container.count; i++) {
			m = v->u.container.sorted[i];
			r = json_writer_key_len(w, m->key, m->key_len);
			if (r == 0)
				r = jcs_write(w, m);
		}
		return r < 0 ? r : json_writer_end_object(w);
	}
	return json_writer_fail(w, -EINVAL, "offset %zu: value of unknown type %d", v->offset,
				(int)v->type);
}
