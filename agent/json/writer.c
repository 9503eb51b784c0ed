/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "json/json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/utf8.h"

void json_writer_init(struct json_writer *w, size_t max)
{
	memset(w, 0, sizeof(*w));
	w->max = max;
}

void json_writer_free(struct json_writer *w)
{
	free(w->buf);
	json_writer_init(w, w->max);
}

__attribute__((format(printf, 3, 0))) static int writer_vfail(struct json_writer *w, int code,
							      const char *fmt, va_list ap)
{
	/* The first failure explains the others: keep it. */
	if (w->error.code)
		return w->error.code;
	w->error.code = code;
	vsnprintf(w->error.msg, sizeof(w->error.msg), fmt, ap);
	return code;
}

int json_writer_fail(struct json_writer *w, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	writer_vfail(w, code, fmt, ap);
	va_end(ap);
	return w->error.code;
}

/* Misuse, named with the output offset where it happened. */
__attribute__((format(printf, 2, 3))) static int writer_misuse(struct json_writer *w,
							       const char *fmt, ...)
{
	char msg[ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_writer_fail(w, -EINVAL, "%s (at output byte %zu)", msg, w->len);
}

static int writer_append(struct json_writer *w, const void *p, size_t n)
{
	size_t cap;
	char *grown;

	if (n > w->max - w->len)
		return json_writer_fail(w, -EMSGSIZE, "document exceeds %zu bytes", w->max);
	if (n + 1 > w->cap - w->len) {
		cap = w->cap ? w->cap * 2 : 256;
		if (cap < w->len + n + 1)
			cap = w->len + n + 1;
		if (cap > w->max + 1)
			cap = w->max + 1;
		grown = realloc(w->buf, cap);
		if (!grown)
			return json_writer_fail(w, -ENOMEM, "out of memory for a %zu-byte document",
						cap);
		w->buf = grown;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
	w->buf[w->len] = '\0';
	return 0;
}

static bool writer_in_object(const struct json_writer *w)
{
	return w->depth > 0 && (w->objects >> (w->depth - 1) & 1);
}

/* Before any value: the separator its place needs, or the misuse it would be. */
static int writer_begin_value(struct json_writer *w)
{
	if (w->error.code)
		return w->error.code;
	if (w->depth == 0) {
		if (w->complete)
			return writer_misuse(w, "a second top-level value");
		return 0;
	}
	if (writer_in_object(w)) {
		if (!w->key_pending)
			return writer_misuse(w, "a value in an object without a member name");
		w->key_pending = false;
		return 0;
	}
	return w->comma ? writer_append(w, ",", 1) : 0;
}

static void writer_end_value(struct json_writer *w)
{
	if (w->depth == 0)
		w->complete = true;
	else
		w->comma = true;
}

static int writer_scalar(struct json_writer *w, const char *text, size_t len)
{
	int r;

	r = writer_begin_value(w);
	if (r < 0)
		return r;
	r = writer_append(w, text, len);
	if (r < 0)
		return r;
	writer_end_value(w);
	return 0;
}

static int writer_quoted(struct json_writer *w, const char *s, size_t len, const char *what)
{
	/* Pairs of a byte and the letter of its two-character escape (RFC 8259 section 7). */
	static const char short_forms[] = "\bb\tt\nn\ff\rr\"\"\\\\";
	const uint8_t *p = (const uint8_t *)s;
	size_t bad, run = 0;
	const char *why;
	int r;

	if (utf8_validate(s, len, &bad, &why) < 0)
		return json_writer_fail(w, -EILSEQ, "%s: invalid UTF-8 at byte %zu: %s", what, bad,
					why);
	r = writer_append(w, "\"", 1);
	for (size_t i = 0; r == 0 && i < len; i++) {
		const char *sf;
		char esc[8];

		if (p[i] >= 0x20 && p[i] != '"' && p[i] != '\\')
			continue;
		/* Copy the bytes that need no escape in one go. */
		r = writer_append(w, s + run, i - run);
		if (r < 0)
			break;
		run = i + 1;
		sf = p[i] ? memchr(short_forms, p[i], sizeof(short_forms) - 1) : NULL;
		if (sf) {
			esc[0] = '\\';
			esc[1] = sf[1];
			r = writer_append(w, esc, 2);
		} else {
			snprintf(esc, sizeof(esc), "\\u%04x", p[i]);
			r = writer_append(w, esc, 6);
		}
	}
	if (r == 0)
		r = writer_append(w, s + run, len - run);
	if (r == 0)
		r = writer_append(w, "\"", 1);
	return r;
}

static int writer_begin(struct json_writer *w, bool object)
{
	int r;

	r = writer_begin_value(w);
	if (r < 0)
		return r;
	if (w->depth >= JSON_MAX_DEPTH)
		return writer_misuse(w, "nesting deeper than %d levels", JSON_MAX_DEPTH);
	r = writer_append(w, object ? "{" : "[", 1);
	if (r < 0)
		return r;
	w->depth++;
	if (object)
		w->objects |= UINT64_C(1) << (w->depth - 1);
	else
		w->objects &= ~(UINT64_C(1) << (w->depth - 1));
	w->comma = false;
	return 0;
}

static int writer_end(struct json_writer *w, bool object)
{
	const char *name = object ? "object" : "array";
	int r;

	if (w->error.code)
		return w->error.code;
	if (w->depth == 0)
		return writer_misuse(w, "end of an %s that is not open", name);
	if (writer_in_object(w) != object)
		return writer_misuse(w, "end of an %s while an %s is open", name,
				     object ? "array" : "object");
	if (w->key_pending)
		return writer_misuse(w, "end of an object after a member name without its value");
	r = writer_append(w, object ? "}" : "]", 1);
	if (r < 0)
		return r;
	w->depth--;
	writer_end_value(w);
	return 0;
}

int json_writer_begin_object(struct json_writer *w)
{
	return writer_begin(w, true);
}

int json_writer_end_object(struct json_writer *w)
{
	return writer_end(w, true);
}

int json_writer_begin_array(struct json_writer *w)
{
	return writer_begin(w, false);
}

int json_writer_end_array(struct json_writer *w)
{
	return writer_end(w, false);
}

int json_writer_key_len(struct json_writer *w, const char *key, size_t len)
{
	int r;

	if (w->error.code)
		return w->error.code;
	if (!writer_in_object(w))
		return writer_misuse(w, "member name '%.40s' outside an object", key);
	if (w->key_pending)
		return writer_misuse(w, "member name '%.40s' after a member name without its value",
				     key);
	if (w->comma) {
		r = writer_append(w, ",", 1);
		if (r < 0)
			return r;
	}
	r = writer_quoted(w, key, len, "member name");
	if (r < 0)
		return r;
	r = writer_append(w, ":", 1);
	if (r < 0)
		return r;
	w->key_pending = true;
	return 0;
}

int json_writer_key(struct json_writer *w, const char *key)
{
	return json_writer_key_len(w, key, strlen(key));
}

int json_writer_string_len(struct json_writer *w, const char *s, size_t len)
{
	int r;

	r = writer_begin_value(w);
	if (r < 0)
		return r;
	r = writer_quoted(w, s, len, "string value");
	if (r < 0)
		return r;
	writer_end_value(w);
	return 0;
}

int json_writer_string(struct json_writer *w, const char *s)
{
	return json_writer_string_len(w, s, strlen(s));
}

int json_writer_int64(struct json_writer *w, int64_t v)
{
	char text[24];

	return writer_scalar(w, text, (size_t)snprintf(text, sizeof(text), "%" PRId64, v));
}

int json_writer_uint64(struct json_writer *w, uint64_t v)
{
	char text[24];

	return writer_scalar(w, text, (size_t)snprintf(text, sizeof(text), "%" PRIu64, v));
}

int json_writer_bool(struct json_writer *w, bool v)
{
	return v ? writer_scalar(w, "true", 4) : writer_scalar(w, "false", 5);
}

int json_writer_null(struct json_writer *w)
{
	return writer_scalar(w, "null", 4);
}

int json_writer_raw(struct json_writer *w, const char *json, size_t len)
{
	if (len == 0 && !w->error.code)
		return writer_misuse(w, "empty raw JSON value");
	return writer_scalar(w, json, len);
}

int json_writer_finish(struct json_writer *w, struct error *e)
{
	if (w->error.code)
		return error_set(e, w->error.code, "%s", w->error.msg);
	if (w->depth > 0)
		return error_set(e, -EINVAL, "document ends inside %u unclosed container%s",
				 w->depth, w->depth == 1 ? "" : "s");
	if (!w->complete)
		return error_set(e, -EINVAL, "document holds no value");
	return 0;
}
