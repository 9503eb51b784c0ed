/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The HTTP response parser (net/http-parser.h) on any bytes. The first byte picks max_body
 * and how the rest is cut into pieces; the rest is the stream. Properties: feeding in pieces
 * gives what feeding it whole gives; an accepted response has a final status 200..599, a body
 * within max_body and NUL-terminated, and field values without controls or outer blanks; its
 * body, framed again as chunks of varying sizes or with a Content-Length, parses back to the
 * same body.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "basic/error.h"
#include "fuzz.h"
#include "net/http-parser.h"

static const size_t max_bodies[] = { 0, 16, 1024, 65536 };

struct outcome {
	int r;
	struct http_response resp;
};

static void parse_pieces(const uint8_t *data, size_t size, size_t max_body, size_t step,
			 struct outcome *o)
{
	struct http_parser *p = malloc(sizeof(*p));
	struct error e = { 0 };
	int r = 0;

	fuzz_check(p, "malloc");
	memset(o, 0, sizeof(*o));
	http_parser_init(p, max_body);
	for (size_t i = 0; i < size && r == 0; i += step)
		r = http_parser_feed(p, data + i, size - i < step ? size - i : step, &e);
	if (r == 0)
		r = http_parser_finish(p, &e);
	if (r < 0)
		fuzz_check(e.code == r && e.msg[0], "an error comes with its message");
	else
		http_parser_take(p, &o->resp);
	http_parser_free(p);
	free(p);
	o->r = r < 0 ? r : 0;
}

static bool str_eq(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

static void check_value(const char *v)
{
	size_t n;

	if (!v)
		return;
	n = strlen(v);
	for (size_t i = 0; i < n; i++)
		fuzz_check(v[i] == '\t' || ((unsigned char)v[i] >= 0x20 && v[i] != 0x7f),
			   "a field value holds no control character but HTAB");
	fuzz_check(n == 0 || (v[0] != ' ' && v[0] != '\t' && v[n - 1] != ' ' && v[n - 1] != '\t'),
		   "a field value has no blanks around it");
}

/* The body again as "HTTP/1.1 200 OK" with chunks of 1, 2, 3... bytes, or a Content-Length. */
static void reframe(const struct http_response *resp, size_t max_body, bool chunked)
{
	size_t cap = 128 + resp->body_len * 16, len = 0, i = 0, piece = 1;
	uint8_t *buf = malloc(cap);
	struct http_response again = { 0 };
	struct error e = { 0 };

	fuzz_check(buf, "malloc");
	if (chunked) {
		len += (size_t)sprintf((char *)buf,
				       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
		for (; i < resp->body_len; i += piece, piece++) {
			size_t n = resp->body_len - i < piece ? resp->body_len - i : piece;

			len += (size_t)sprintf((char *)buf + len, "%zX;i=%zu\r\n", n, i);
			memcpy(buf + len, resp->body + i, n);
			len += n;
			len += (size_t)sprintf((char *)buf + len, "\r\n");
		}
		len += (size_t)sprintf((char *)buf + len, "0\r\nT: x\r\n\r\n");
	} else {
		len += (size_t)sprintf((char *)buf,
				       "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n",
				       resp->body_len);
		memcpy(buf + len, resp->body, resp->body_len);
		len += resp->body_len;
	}
	fuzz_check(len <= cap, "the reframed response fits");
	fuzz_check(http_response_parse(buf, len, max_body, &again, &e) == 0,
		   "the body reframed parses");
	fuzz_check(again.body_len == resp->body_len &&
			   memcmp(again.body, resp->body, resp->body_len) == 0,
		   "the body reframed parses back to the same bytes");
	http_response_free(&again);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome whole, pieces;
	size_t max_body, step;

	if (size < 1)
		return 0;
	max_body = max_bodies[data[0] & 3];
	step = (size_t)(data[0] >> 2) + 1;
	data++;
	size--;

	parse_pieces(data, size, max_body, size ? size : 1, &whole);
	parse_pieces(data, size, max_body, step, &pieces);
	fuzz_check(whole.r == pieces.r, "pieces or whole, the same result");
	if (whole.r == 0) {
		struct http_response *a = &whole.resp, *b = &pieces.resp;

		fuzz_check(a->status == b->status && a->body_len == b->body_len &&
				   memcmp(a->body, b->body, a->body_len) == 0 &&
				   str_eq(a->set_cookie, b->set_cookie) &&
				   str_eq(a->content_type, b->content_type) &&
				   str_eq(a->location, b->location),
			   "pieces or whole, the same response");
		fuzz_check(a->status >= 200 && a->status <= 599, "a final status is 200..599");
		fuzz_check(a->body && a->body_len <= max_body && a->body[a->body_len] == '\0',
			   "the body is within max_body and NUL-terminated");
		check_value(a->set_cookie);
		check_value(a->content_type);
		check_value(a->location);
		reframe(a, max_body, true);
		reframe(a, max_body, false);
	} else {
		fuzz_check(whole.r == -EPROTO || whole.r == -EMSGSIZE,
			   "a refusal is -EPROTO or -EMSGSIZE");
	}
	http_response_free(&whole.resp);
	http_response_free(&pieces.resp);
	return 0;
}
