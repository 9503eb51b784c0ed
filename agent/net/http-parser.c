/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "http-parser.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "basic/encoding.h"
#include "basic/error.h"

void http_response_free(struct http_response *resp)
{
	free(resp->set_cookie);
	free(resp->content_type);
	free(resp->location);
	free(resp->body);
	*resp = (struct http_response){ 0 };
}

void http_parser_init(struct http_parser *p, size_t max_body)
{
	memset(p, 0, offsetof(struct http_parser, buf));
	/* One byte stays free for the NUL after the body, so no size computation can wrap. */
	p->max_body = max_body < SIZE_MAX ? max_body : SIZE_MAX - 1;
	p->line = 1;
}

void http_parser_free(struct http_parser *p)
{
	http_response_free(&p->resp);
	p->body_cap = 0;
}

__attribute__((format(printf, 4, 5))) static int fail(struct http_parser *p, struct error *e,
						      int code, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	p->state = HTTP_PARSE_FAILED;
	return error_set(e, code, "response %s", what);
}

/* RFC 9110 section 5.6.2: tchar */
static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* field-vchar, SP and HTAB (RFC 9110 section 5.5): anything but the other controls and DEL. */
static bool is_text(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int body_reserve(struct http_parser *p, size_t more, struct error *e)
{
	struct http_response *r = &p->resp;
	size_t need, cap;
	uint8_t *b;

	if (more > p->max_body - r->body_len)
		return fail(p, e, -EMSGSIZE, "body is over the limit of %zu bytes", p->max_body);
	need = r->body_len + more + 1;
	if (need <= p->body_cap)
		return 0;
	/* Exactly what a Content-Length asks for; doubling for bodies that come in pieces. */
	cap = p->body_cap > SIZE_MAX / 2 ? need : 2 * p->body_cap;
	if (cap < need)
		cap = need;
	if (cap - 1 > p->max_body)
		cap = p->max_body + 1;
	b = realloc(r->body, cap);
	if (!b)
		return fail(p, e, -ENOMEM, "body: out of memory");
	r->body = b;
	p->body_cap = cap;
	return 0;
}

static int body_append(struct http_parser *p, const uint8_t *data, size_t n, struct error *e)
{
	int r = body_reserve(p, n, e);

	if (r < 0)
		return r;
	memcpy(p->resp.body + p->resp.body_len, data, n);
	p->resp.body_len += n;
	p->resp.body[p->resp.body_len] = '\0';
	return 0;
}

static int complete(struct http_parser *p, struct error *e)
{
	int r = body_reserve(p, 0, e); /* an empty body is still an allocated "" */

	if (r < 0)
		return r;
	p->resp.body[p->resp.body_len] = '\0';
	p->state = HTTP_PARSE_DONE;
	return 1;
}

/* "HTTP/1.1 200 OK" (RFC 9112 section 4). */
static int status_line(struct http_parser *p, const char *s, size_t n, struct error *e)
{
	if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || (s[7] != '0' && s[7] != '1') || s[8] != ' ')
		return fail(p, e, -EPROTO, "line %u: not an HTTP/1.0 or HTTP/1.1 status line",
			    p->line);
	if (s[9] < '1' || s[9] > '5' || s[10] < '0' || s[10] > '9' || s[11] < '0' || s[11] > '9')
		return fail(p, e, -EPROTO, "line %u: status code is not 100..599", p->line);
	if (n > 12 && s[12] != ' ')
		return fail(p, e, -EPROTO, "line %u: no space after the status code", p->line);
	for (size_t i = 13; i < n; i++)
		if (!is_text((unsigned char)s[i]))
			return fail(p, e, -EPROTO,
				    "line %u: control character in the reason phrase", p->line);
	p->http10 = s[7] == '0';
	p->resp.status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	p->state = HTTP_PARSE_FIELD;
	return 0;
}

/* 1*DIGIT (RFC 9110 section 8.6); a value over the limit is refused here, before any body. */
static int content_length(struct http_parser *p, const char *v, size_t n, struct error *e)
{
	uint64_t x = 0;

	if (n == 0)
		return fail(p, e, -EPROTO, "line %u: empty Content-Length", p->line);
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return fail(p, e, -EPROTO, "line %u: Content-Length is not a number",
				    p->line);
		if (x > (UINT64_MAX - 9) / 10)
			return fail(p, e, -EMSGSIZE,
				    "line %u: Content-Length is over the limit of %zu bytes",
				    p->line, p->max_body);
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (p->have_length && x != p->content_length)
		return fail(p, e, -EPROTO, "line %u: conflicting Content-Length fields", p->line);
	p->have_length = true;
	p->content_length = x;
	return 0;
}

static int keep_first(struct http_parser *p, char **slot, const char *v, size_t n, struct error *e)
{
	if (*slot)
		return 0;
	*slot = strndup(v, n);
	if (!*slot)
		return fail(p, e, -ENOMEM, "out of memory");
	return 0;
}

/* The options of a Connection field, a list of tokens (RFC 9110 section 7.6.1). */
static int connection_options(struct http_parser *p, const char *v, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t len = 0;

		while (i < n && (v[i] == ',' || v[i] == ' ' || v[i] == '\t'))
			i++;
		while (i + len < n && v[i + len] != ',' && v[i + len] != ' ' && v[i + len] != '\t')
			len++;
		if (len == 5 && strncasecmp(v + i, "close", 5) == 0)
			p->conn_close = true;
		if (len == 10 && strncasecmp(v + i, "keep-alive", 10) == 0)
			p->conn_keep_alive = true;
		i += len;
	}
	return 0;
}

/* "name: value" of a header or trailer field (RFC 9112 section 5). */
static int field_line(struct http_parser *p, const char *s, size_t n, bool trailer, struct error *e)
{
	size_t name_len = 0, start, end;

	if (s[0] == ' ' || s[0] == '\t')
		return fail(p, e, -EPROTO, "line %u: obsolete line folding", p->line);
	while (name_len < n && is_tchar((unsigned char)s[name_len]))
		name_len++;
	if (name_len == n || s[name_len] != ':')
		return fail(p, e, -EPROTO, "line %u: %s", p->line,
			    name_len < n && (s[name_len] == ' ' || s[name_len] == '\t')
				    ? "whitespace before the colon"
				    : "not a 'name: value' field");
	if (name_len == 0)
		return fail(p, e, -EPROTO, "line %u: empty field name", p->line);
	if (++p->fields > HTTP_FIELDS_MAX)
		return fail(p, e, -EMSGSIZE, "line %u: more than %d fields", p->line,
			    HTTP_FIELDS_MAX);
	start = name_len + 1;
	end = n;
	while (start < end && (s[start] == ' ' || s[start] == '\t'))
		start++;
	while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t'))
		end--;
	for (size_t i = start; i < end; i++)
		if (!is_text((unsigned char)s[i]))
			return fail(p, e, -EPROTO, "line %u: control character in a field value",
				    p->line);
	if (trailer)
		return 0; /* checked, and ignored: nothing we need comes in a trailer */
#define FIELD_IS(name) (name_len == strlen(name) && strncasecmp(s, name, name_len) == 0)
	if (FIELD_IS("Content-Length"))
		return content_length(p, s + start, end - start, e);
	if (FIELD_IS("Transfer-Encoding")) {
		if (p->chunked || end - start != 7 || strncasecmp(s + start, "chunked", 7) != 0)
			return fail(p, e, -EPROTO,
				    "line %u: unsupported Transfer-Encoding (only one 'chunked')",
				    p->line);
		p->chunked = true;
		return 0;
	}
	if (FIELD_IS("Connection"))
		return connection_options(p, s + start, end - start);
	if (FIELD_IS("Set-Cookie"))
		return keep_first(p, &p->resp.set_cookie, s + start, end - start, e);
	if (FIELD_IS("Content-Type"))
		return keep_first(p, &p->resp.content_type, s + start, end - start, e);
	if (FIELD_IS("Location"))
		return keep_first(p, &p->resp.location, s + start, end - start, e);
#undef FIELD_IS
	return 0;
}

/* Starts over for the final response after a 1xx (RFC 9110 section 15.2). */
static int interim_skip(struct http_parser *p, struct error *e)
{
	if (p->resp.status == 101)
		return fail(p, e, -EPROTO,
			    "line %u: 101 Switching Protocols, which was not asked for", p->line);
	if (++p->interim > HTTP_INTERIM_MAX)
		return fail(p, e, -EMSGSIZE, "line %u: more than %d interim responses", p->line,
			    HTTP_INTERIM_MAX);
	http_response_free(&p->resp);
	p->body_cap = 0;
	p->have_length = p->chunked = p->conn_close = p->conn_keep_alive = false;
	p->fields = 0;
	p->head_bytes = 0;
	p->state = HTTP_PARSE_STATUS;
	return 0;
}

/* The empty line after the header fields: how the body is framed (RFC 9112 section 6.3). */
static int head_end(struct http_parser *p, struct error *e)
{
	int status = p->resp.status;

	if (status < 200)
		return interim_skip(p, e);
	if (status == 204 || status == 304)
		return complete(p, e);
	if (p->chunked && p->http10)
		return fail(p, e, -EPROTO, "line %u: Transfer-Encoding in an HTTP/1.0 response",
			    p->line);
	if (p->chunked && p->have_length)
		return fail(p, e, -EPROTO, "line %u: both Transfer-Encoding and Content-Length",
			    p->line);
	if (p->chunked) {
		p->state = HTTP_PARSE_CHUNK_SIZE;
		return 0;
	}
	if (!p->have_length) {
		p->state = HTTP_PARSE_BODY_EOF;
		return 0;
	}
	if (p->content_length > p->max_body)
		return fail(p, e, -EMSGSIZE, "line %u: body of %llu bytes is over the limit of %zu",
			    p->line, (unsigned long long)p->content_length, p->max_body);
	if (p->content_length == 0)
		return complete(p, e);
	p->state = HTTP_PARSE_BODY_LENGTH;
	return body_reserve(p, (size_t)p->content_length, e);
}

/* chunk-size [ chunk-ext ] (RFC 9112 section 7.1); extensions are ignored. */
static int chunk_size_line(struct http_parser *p, const char *s, size_t n, struct error *e)
{
	uint64_t size = 0;
	size_t i = 0;

	for (; i < n && hex_digit_value((unsigned char)s[i]) >= 0; i++) {
		if (size > UINT64_MAX >> 4)
			return fail(p, e, -EMSGSIZE, "chunk size overflows (after %zu body bytes)",
				    p->resp.body_len);
		size = size << 4 | (uint64_t)hex_digit_value((unsigned char)s[i]);
	}
	if (i == 0)
		return fail(p, e, -EPROTO, "chunk size is not hexadecimal (after %zu body bytes)",
			    p->resp.body_len);
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i < n && s[i] != ';')
		return fail(p, e, -EPROTO, "junk after the chunk size (after %zu body bytes)",
			    p->resp.body_len);
	for (; i < n; i++)
		if (!is_text((unsigned char)s[i]))
			return fail(p, e, -EPROTO,
				    "control character in a chunk extension (after %zu body bytes)",
				    p->resp.body_len);
	if (size == 0) {
		p->state = HTTP_PARSE_TRAILER;
		p->fields = 0;
		return 0;
	}
	if (size > p->max_body - p->resp.body_len)
		return fail(p, e, -EMSGSIZE, "body is over the limit of %zu bytes", p->max_body);
	p->chunk_left = size;
	p->state = HTTP_PARSE_CHUNK_DATA;
	return body_reserve(p, (size_t)size, e);
}

static int line_done(struct http_parser *p, struct error *e)
{
	const char *s = p->buf;
	size_t n = p->line_len;

	p->line_len = 0;
	switch (p->state) {
	case HTTP_PARSE_STATUS:
	case HTTP_PARSE_FIELD:
	case HTTP_PARSE_TRAILER:
		p->head_bytes += n + 2;
		if (p->head_bytes > HTTP_HEAD_MAX)
			return fail(p, e, -EMSGSIZE, "line %u: head over %d bytes", p->line,
				    HTTP_HEAD_MAX);
		if (p->state == HTTP_PARSE_STATUS)
			return status_line(p, s, n, e);
		if (p->state == HTTP_PARSE_TRAILER)
			return n == 0 ? complete(p, e) : field_line(p, s, n, true, e);
		return n == 0 ? head_end(p, e) : field_line(p, s, n, false, e);
	case HTTP_PARSE_CHUNK_SIZE:
		return chunk_size_line(p, s, n, e);
	case HTTP_PARSE_CHUNK_END:
		if (n != 0)
			return fail(p, e, -EPROTO,
				    "chunk longer than its size (after %zu body bytes)",
				    p->resp.body_len);
		p->state = HTTP_PARSE_CHUNK_SIZE;
		return 0;
	default:
		return fail(p, e, -EPROTO, "parser state %d", (int)p->state);
	}
}

/* One byte of a line: CRLF ends it, a bare CR or LF is refused. */
static int line_byte(struct http_parser *p, unsigned char c, struct error *e)
{
	bool head;
	int r;

	if (p->cr) {
		p->cr = false;
		if (c != '\n')
			return fail(p, e, -EPROTO, "line %u: CR without LF", p->line);
		head = p->state == HTTP_PARSE_STATUS || p->state == HTTP_PARSE_FIELD ||
		       p->state == HTTP_PARSE_TRAILER;
		r = line_done(p, e);
		if (r >= 0 && head)
			p->line++;
		return r;
	}
	if (c == '\r') {
		p->cr = true;
		return 0;
	}
	if (c == '\n')
		return fail(p, e, -EPROTO, "line %u: LF without CR", p->line);
	if (p->line_len == sizeof(p->buf))
		return fail(p, e, -EMSGSIZE, "line %u: longer than %d bytes", p->line,
			    HTTP_LINE_MAX);
	p->buf[p->line_len++] = (char)c;
	return 0;
}

int http_parser_feed(struct http_parser *p, const void *buf, size_t len, struct error *e)
{
	const uint8_t *b = buf;
	size_t i = 0;
	int r;

	if (p->state == HTTP_PARSE_FAILED)
		return error_set(e, -EPROTO, "response parser used after an error");
	p->received += len;
	while (i < len && p->state != HTTP_PARSE_DONE) {
		size_t take = len - i;

		switch (p->state) {
		case HTTP_PARSE_BODY_LENGTH:
			if (take > p->content_length - p->resp.body_len)
				take = (size_t)(p->content_length - p->resp.body_len);
			memcpy(p->resp.body + p->resp.body_len, b + i, take);
			p->resp.body_len += take;
			i += take;
			if (p->resp.body_len == p->content_length)
				complete(p, e);
			continue;
		case HTTP_PARSE_CHUNK_DATA:
			if (take > p->chunk_left)
				take = (size_t)p->chunk_left;
			r = body_append(p, b + i, take, e);
			if (r < 0)
				return r;
			p->chunk_left -= take;
			i += take;
			if (p->chunk_left == 0)
				p->state = HTTP_PARSE_CHUNK_END;
			continue;
		case HTTP_PARSE_BODY_EOF:
			r = body_append(p, b + i, take, e);
			if (r < 0)
				return r;
			i += take;
			continue;
		default:
			r = line_byte(p, b[i++], e);
			if (r < 0)
				return r;
		}
	}
	if (p->state != HTTP_PARSE_DONE)
		return 0;
	p->extra = p->extra || i < len;
	return 1;
}

bool http_parser_reads_to_eof(const struct http_parser *p)
{
	return p->state == HTTP_PARSE_BODY_EOF;
}

bool http_parser_keeps_connection(const struct http_parser *p)
{
	return p->state == HTTP_PARSE_DONE && !p->extra && !p->conn_close &&
	       (!p->http10 || p->conn_keep_alive);
}

int http_parser_finish(struct http_parser *p, struct error *e)
{
	switch (p->state) {
	case HTTP_PARSE_DONE:
		return 1;
	case HTTP_PARSE_BODY_EOF:
		return complete(p, e);
	case HTTP_PARSE_STATUS:
	case HTTP_PARSE_FIELD:
		if (p->received == 0)
			return fail(p, e, -EPROTO, "missing: connection closed before any byte");
		return fail(p, e, -EPROTO, "cut short: connection closed in the head (line %u)",
			    p->line);
	case HTTP_PARSE_BODY_LENGTH:
		return fail(p, e, -EPROTO,
			    "cut short: connection closed after %zu of %llu body bytes",
			    p->resp.body_len, (unsigned long long)p->content_length);
	case HTTP_PARSE_FAILED:
		return error_set(e, -EPROTO, "response parser used after an error");
	default:
		return fail(p, e, -EPROTO,
			    "cut short: connection closed inside the chunked body after %zu bytes",
			    p->resp.body_len);
	}
}

void http_parser_take(struct http_parser *p, struct http_response *resp)
{
	*resp = p->resp;
	p->resp = (struct http_response){ 0 };
	p->body_cap = 0;
}

int http_response_parse(const void *buf, size_t len, size_t max_body, struct http_response *resp,
			struct error *e)
{
	struct http_parser *p = malloc(sizeof(*p));
	int r;

	if (!p)
		return error_set(e, -ENOMEM, "response parser: out of memory");
	http_parser_init(p, max_body);
	r = http_parser_feed(p, buf, len, e);
	if (r == 0)
		r = http_parser_finish(p, e);
	if (r > 0)
		http_parser_take(p, resp);
	http_parser_free(p);
	free(p);
	return r < 0 ? r : 0;
}
