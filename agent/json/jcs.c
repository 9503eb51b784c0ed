/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "json/jcs.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/error.h"

int jcs_format_number(double d, char out[JCS_NUMBER_MAX], struct error *e)
{
	char sci[40], digits[20], *o = out;
	int k = 0, n, p;

	if (isnan(d) || isinf(d))
		return error_set(e, -EINVAL, "%s is not a JSON number",
				 isnan(d) ? "NaN"
				 : d > 0  ? "Infinity"
					  : "-Infinity");
	if (d == 0) {
		memcpy(out, "0", 2);
		return 0;
	}
	if (d < 0) {
		*o++ = '-';
		d = -d;
	}
	/*
	 * The shortest digit string that reads back as d. printf rounds correctly, so the first
	 * precision that round-trips also gives the closest such string, as ECMAScript asks.
	 */
	for (p = 1; p <= 17; p++) {
		snprintf(sci, sizeof(sci), "%.*e", p - 1, d);
		if (strtod(sci, NULL) == d)
			break;
	}
	/* sci is "D.DDDDe+XX" (or "De+XX"): d = 0.DDDDD * 10^n, with k digits. */
	digits[k++] = sci[0];
	for (const char *s = sci + 1; *s != 'e'; s++)
		if (*s != '.')
			digits[k++] = *s;
	while (k > 1 && digits[k - 1] == '0')
		k--;
	n = (int)strtol(strchr(sci, 'e') + 1, NULL, 10) + 1;

	/* ECMA-262 Number::toString, steps for k, n as above. */
	if (k <= n && n <= 21) {
		memcpy(o, digits, (size_t)k);
		memset(o + k, '0', (size_t)(n - k));
		o += n;
	} else if (0 < n && n < k) {
		/* ECMA-262 says 0 < n <= 21; with k <= 17 digits and k > n that is n < k. */
		memcpy(o, digits, (size_t)n);
		o[n] = '.';
		memcpy(o + n + 1, digits + n, (size_t)(k - n));
		o += k + 1;
	} else if (-6 < n && n <= 0) {
		memcpy(o, "0.", 2);
		memset(o + 2, '0', (size_t)-n);
		memcpy(o + 2 - n, digits, (size_t)k);
		o += 2 - n + k;
	} else {
		*o++ = digits[0];
		if (k > 1) {
			*o++ = '.';
			memcpy(o, digits + 1, (size_t)(k - 1));
			o += k - 1;
		}
		o += snprintf(o, (size_t)(out + JCS_NUMBER_MAX - o), "e%c%d", n - 1 < 0 ? '-' : '+',
			      abs(n - 1));
	}
	*o = '\0';
	return 0;
}

static int jcs_write_number(struct json_writer *w, const struct json_value *v)
{
	struct error e = { 0 };
	char text[JCS_NUMBER_MAX];
	double d;
	int r;

	r = json_get_double(v, &d, &e);
	if (r == 0)
		r = jcs_format_number(d, text, &e);
	if (r < 0)
		return json_writer_fail(w, r, "offset %zu: %s", v->offset, e.msg);
	return json_writer_raw(w, text, strlen(text));
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
