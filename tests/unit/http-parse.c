/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The response parser (net/http-parser.h) against RFC 9112's message syntax: status line
 * (section 4), field lines (section 5), framing (section 6.3), chunked coding (section 7.1),
 * 1xx interim responses (RFC 9110 section 15.2). Each case is fed whole and then byte by
 * byte; both must give the result written out here from the RFC.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "basic/error.h"
#include "net/http-parser.h"
#include "tap.h"

#define OK 0
#define MAX 1024      /* max_body of the cases unless they say otherwise */
#define ZERO SIZE_MAX /* in a case: max_body 0 */

struct parse_case {
	const char *name;
	const char *in;
	size_t max_body; /* 0: MAX, ZERO: 0 */
	int result;
	int status;
	const char *body;
	const char *why; /* part of the error message */
	const char *set_cookie, *content_type, *location;
};

static const struct parse_case cases[] = {
	/* Section 4: status-line = HTTP-version SP status-code SP [ reason-phrase ] */
	{ .name = "Content-Length body",
	  .in = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
	  .result = OK,
	  .status = 200,
	  .body = "hello" },
	{ .name = "HTTP/1.0, body to the end of the stream",
	  .in = "HTTP/1.0 200 OK\r\n\r\nabc",
	  .result = OK,
	  .status = 200,
	  .body = "abc" },
	{ .name = "HTTP/1.1 without framing reads to the end",
	  .in = "HTTP/1.1 500 Oops\r\nX: y\r\n\r\nfail",
	  .result = OK,
	  .status = 500,
	  .body = "fail" },
	{ .name = "empty reason phrase",
	  .in = "HTTP/1.1 401 \r\nContent-Length: 0\r\n\r\n",
	  .result = OK,
	  .status = 401,
	  .body = "" },
	{ .name = "reason phrase and its space left out",
	  .in = "HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n",
	  .result = OK,
	  .status = 404,
	  .body = "" },
	{ .name = "reason phrase with HTAB and obs-text",
	  .in = "HTTP/1.1 200 \tO\xc3\xa4K\r\n\r\n",
	  .result = OK,
	  .status = 200,
	  .body = "" },
	{ .name = "status 99",
	  .in = "HTTP/1.1 099 X\r\n\r\n",
	  .result = -EPROTO,
	  .why = "100..599" },
	{ .name = "status 600",
	  .in = "HTTP/1.1 600 X\r\n\r\n",
	  .result = -EPROTO,
	  .why = "100..599" },
	{ .name = "four-digit status",
	  .in = "HTTP/1.1 2000 OK\r\n\r\n",
	  .result = -EPROTO,
	  .why = "no space" },
	{ .name = "two-digit status",
	  .in = "HTTP/1.1 20 OK\r\n\r\n",
	  .result = -EPROTO,
	  .why = "100..599" },
	{ .name = "HTTP/2",
	  .in = "HTTP/2 200 OK\r\n\r\n",
	  .result = -EPROTO,
	  .why = "status line" },
	{ .name = "HTTP/1.2",
	  .in = "HTTP/1.2 200 OK\r\n\r\n",
	  .result = -EPROTO,
	  .why = "status line" },
	/* Section 2.3: HTTP-name is case-sensitive. */
	{ .name = "lowercase http",
	  .in = "http/1.1 200 OK\r\n\r\n",
	  .result = -EPROTO,
	  .why = "status line" },
	{ .name = "two spaces after the version",
	  .in = "HTTP/1.1  200 OK\r\n\r\n",
	  .result = -EPROTO,
	  .why = "100..599" },
	{ .name = "control character in the reason",
	  .in = "HTTP/1.1 200 O\x01K\r\n\r\n",
	  .result = -EPROTO,
	  .why = "reason" },
	{ .name = "leading empty line",
	  .in = "\r\nHTTP/1.1 200 OK\r\n\r\n",
	  .result = -EPROTO,
	  .why = "line 1" },
	/* Section 2.2: line ends. This parser takes CRLF only. */
	{ .name = "LF-only line ends refused",
	  .in = "HTTP/1.1 200 OK\nContent-Length: 0\n\n",
	  .result = -EPROTO,
	  .why = "line 1: LF without CR" },
	{ .name = "bare CR in a field",
	  .in = "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
	  .result = -EPROTO,
	  .why = "line 2: CR without LF" },
	/* Section 5.1: no whitespace between field name and colon. */
	{ .name = "whitespace before the colon",
	  .in = "HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello",
	  .result = -EPROTO,
	  .why = "line 2: whitespace before the colon" },
	/* Section 5.2: obs-fold (refused here rather than replaced by spaces). */
	{ .name = "obsolete line folding",
	  .in = "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
	  .result = -EPROTO,
	  .why = "line 3: obsolete line folding" },
	{ .name = "field without colon",
	  .in = "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
	  .result = -EPROTO,
	  .why = "line 2" },
	{ .name = "empty field name",
	  .in = "HTTP/1.1 200 OK\r\n: x\r\n\r\n",
	  .result = -EPROTO,
	  .why = "empty field" },
	{ .name = "non-token field name",
	  .in = "HTTP/1.1 200 OK\r\nX(y): z\r\n\r\n",
	  .result = -EPROTO,
	  .why = "line 2" },
	{ .name = "control character in a value",
	  .in = "HTTP/1.1 200 OK\r\nX: a\x01z\r\n\r\n",
	  .result = -EPROTO,
	  .why = "control character" },
	{ .name = "DEL in a value",
	  .in = "HTTP/1.1 200 OK\r\nX: a\x7fz\r\n\r\n",
	  .result = -EPROTO,
	  .why = "control character" },
	{ .name = "HTAB and obs-text in a value",
	  .in = "HTTP/1.1 200 OK\r\nContent-Type: a\tb\xff\r\nContent-Length: 0\r\n\r\n",
	  .result = OK,
	  .status = 200,
	  .body = "",
	  .content_type = "a\tb\xff" },
	/* Section 5.1: OWS around the value is not part of it. */
	{ .name = "value trimmed",
	  .in = "HTTP/1.1 200 OK\r\nContent-Type: \t application/json \t\r\nContent-Length: 2\r\n\r\n{}",
	  .result = OK,
	  .status = 200,
	  .body = "{}",
	  .content_type = "application/json" },
	{ .name = "names are case-insensitive",
	  .in = "HTTP/1.1 302 Found\r\nlOcAtIoN: /elsewhere\r\nSET-COOKIE: a=b\r\ncontent-length: 0\r\n\r\n",
	  .result = OK,
	  .status = 302,
	  .body = "",
	  .set_cookie = "a=b",
	  .location = "/elsewhere" },
	{ .name = "the first Set-Cookie wins",
	  .in = "HTTP/1.1 200 OK\r\nSet-Cookie: kbs-session-id=0123; Expires=Wed, 21 Oct 2015 07:28:00 GMT\r\n"
		"Set-Cookie: other=1\r\nContent-Length: 0\r\n\r\n",
	  .result = OK,
	  .status = 200,
	  .body = "",
	  .set_cookie = "kbs-session-id=0123; Expires=Wed, 21 Oct 2015 07:28:00 GMT" },
	{ .name = "empty field value",
	  .in = "HTTP/1.1 200 OK\r\nSet-Cookie:\r\nContent-Length: 0\r\n\r\n",
	  .result = OK,
	  .status = 200,
	  .body = "",
	  .set_cookie = "" },
	/* Section 6.3 and RFC 9110 section 8.6: Content-Length. */
	{ .name = "repeated equal Content-Length",
	  .in = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
	  .result = OK,
	  .status = 200,
	  .body = "abc" },
	{ .name = "conflicting Content-Length",
	  .in = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
	  .result = -EPROTO,
	  .why = "line 3: conflicting Content-Length" },
	{ .name = "Content-Length list",
	  .in = "HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc",
	  .result = -EPROTO,
	  .why = "not a number" },
	{ .name = "Content-Length with a sign",
	  .in = "HTTP/1.1 200 OK\r\nContent-Length: +3\r\n\r\nabc",
	  .result = -EPROTO,
	  .why = "not a number" },
	{ .name = "negative Content-Length",
	  .in = "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
	  .result = -EPROTO,
	  .why = "not a number" },
	{ .name = "hex Content-Length",
	  .in = "HTTP/1.1 200 OK\r\nContent-Length: 0x3\r\n\r\nabc",
	  .result = -EPROTO,
	  .why = "not a number" },
	{ .name = "empty Content-Length",
	  .in = "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n",
	  .result = -EPROTO,
	  .why = "empty Content-Length" },
	{ .name = "Content-Length beyond 64 bits",
	  .in = "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
	  .result = -EMSGSIZE,
	  .why = "over the limit" },
	{ .name = "Content-Length over max_body",
	  .in = "HTTP/1.1 200 OK\r\nContent-Length: 1025\r\n\r\n",
	  .result = -EMSGSIZE,
	  .why = "1025 bytes is over the limit of 1024" },
	{ .name = "Content-Length at max_body",
	  .in = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd",
	  .max_body = 4,
	  .result = OK,
	  .status = 200,
	  .body = "abcd" },
	{ .name = "leading zeros in Content-Length",
	  .in = "HTTP/1.1 200 OK\r\nContent-Length: 007\r\n\r\n1234567",
	  .result = OK,
	  .status = 200,
	  .body = "1234567" },
	{ .name = "bytes after the body are ignored",
	  .in = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabEXTRA",
	  .result = OK,
	  .status = 200,
	  .body = "ab" },
	{ .name = "max_body 0 with an empty body",
	  .in = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
	  .max_body = ZERO,
	  .result = OK,
	  .status = 200,
	  .body = "" },
	{ .name = "max_body 0 with a body",
	  .in = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
	  .max_body = ZERO,
	  .result = -EMSGSIZE,
	  .why = "over the limit of 0" },
	{ .name = "body to the end over max_body",
	  .in = "HTTP/1.0 200 OK\r\n\r\n12345",
	  .max_body = 4,
	  .result = -EMSGSIZE,
	  .why = "over the limit of 4" },
	/* Section 6.1 and 6.3: Transfer-Encoding. */
	{ .name = "Transfer-Encoding and Content-Length",
	  .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	  .result = -EPROTO,
	  .why = "both Transfer-Encoding and Content-Length" },
	{ .name = "Transfer-Encoding gzip",
	  .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
	  .result = -EPROTO,
	  .why = "Transfer-Encoding" },
	{ .name = "Transfer-Encoding gzip, chunked",
	  .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
	  .result = -EPROTO,
	  .why = "Transfer-Encoding" },
	{ .name = "chunked twice",
	  .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
	  .result = -EPROTO,
	  .why = "line 3" },
	{ .name = "Transfer-Encoding in HTTP/1.0",
	  .in = "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	  .result = -EPROTO,
	  .why = "HTTP/1.0" },
	/* Section 7.1: chunked. */
	{ .name = "chunked body",
	  .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
	  .result = OK,
	  .status = 200,
	  .body = "hello world" },
	{ .name = "chunked is case-insensitive",
	  .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: ChUnKeD\r\n\r\n1\r\nx\r\n0\r\n\r\n",
	  .result = OK,
	  .status = 200,
	  .body = "x" },
	{ .name = "hex sizes of either case and leading zeros",
	  .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n000B\r\nabcdefghijk\r\n0\r\n\r\n",
	  .result = OK,
	  .status = 200,
	  .body = "0123456789abcdefghijk" },
	{ .name = "chunk extensions ignored",
	  .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;name=value\r\nabc\r\n2 ; a ; b=\"q\"\r\nde\r\n0;last\r\n\r\n",
	  .result = OK,
	  .status = 200,
	  .body = "abcde" },
	{ .name = "trailer fields ignored",
	  .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-Checksum: 1\r\nSet-Cookie: late=1\r\n\r\n",
	  .result = OK,
	  .status = 200,
	  .body = "ok" },
	{ .name = "malformed trailer",
	  .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nbad trailer\r\n\r\n",
	  .result = -EPROTO,
	  .why = "line 4" },
	{ .name = "empty chunked body",
	  .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	  .result = OK,
	  .status = 200,
	  .body = "" },
	{ .name = "chunk size not hex",
	  .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nx\r\n",
	  .result = -EPROTO,
	  .why = "not hexadecimal" },
	{ .name = "empty chunk size",
	  .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
	  .result = -EPROTO,
	  .why = "not hexadecimal" },
	{ .name = "signed chunk size",
	  .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n",
	  .result = -EPROTO,
	  .why = "not hexadecimal" },
	{ .name = "junk after the chunk size",
	  .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5x\r\nhello\r\n0\r\n\r\n",
	  .result = -EPROTO,
	  .why = "junk" },
	{ .name = "chunk size of 17 hex digits",
	  .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n",
	  .result = -EMSGSIZE,
	  .why = "overflows" },
	{ .name = "chunk size 2^64-1",
	  .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
	  .result = -EMSGSIZE,
	  .why = "over the limit" },
	{ .name = "chunks adding up over max_body",
	  .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
	  .max_body = 4,
	  .result = -EMSGSIZE,
	  .why = "over the limit of 4" },
	{ .name = "chunk longer than its size",
	  .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n",
	  .result = -EPROTO,
	  .why = "chunk longer" },
	{ .name = "chunk data without CRLF",
	  .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc0\r\n\r\n",
	  .result = -EPROTO,
	  .why = "chunk longer" },
	/* Truncation: the stream ends early. */
	{ .name = "no byte at all", .in = "", .result = -EPROTO, .why = "before any byte" },
	{ .name = "cut in the status line",
	  .in = "HTTP/1.1 20",
	  .result = -EPROTO,
	  .why = "line 1" },
	{ .name = "cut in the head",
	  .in = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n",
	  .result = -EPROTO,
	  .why = "in the head (line 3)" },
	{ .name = "cut in a Content-Length body",
	  .in = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello",
	  .result = -EPROTO,
	  .why = "connection closed after 5 of 10 body bytes" },
	{ .name = "cut in a chunk",
	  .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n wo",
	  .result = -EPROTO,
	  .why = "inside the chunked body after 8 bytes" },
	{ .name = "no last chunk",
	  .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
	  .result = -EPROTO,
	  .why = "inside the chunked body after 5 bytes" },
	{ .name = "no end of the trailer",
	  .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n",
	  .result = -EPROTO,
	  .why = "chunked body" },
	/* RFC 9110 section 15.2: interim responses. */
	{ .name = "100 Continue skipped",
	  .in = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
	  .result = OK,
	  .status = 200,
	  .body = "ok" },
	{ .name = "103 with fields skipped, its fields forgotten",
	  .in = "HTTP/1.1 103 Early Hints\r\nSet-Cookie: early=1\r\nLink: </s.css>\r\n\r\n"
		"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
	  .result = OK,
	  .status = 201,
	  .body = "" },
	{ .name = "101 refused",
	  .in = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n",
	  .result = -EPROTO,
	  .why = "101" },
	{ .name = "nine interim responses",
	  .in = "HTTP/1.1 100 A\r\n\r\nHTTP/1.1 100 A\r\n\r\nHTTP/1.1 100 A\r\n\r\nHTTP/1.1 100 A\r\n\r\n"
		"HTTP/1.1 100 A\r\n\r\nHTTP/1.1 100 A\r\n\r\nHTTP/1.1 100 A\r\n\r\nHTTP/1.1 100 A\r\n\r\n"
		"HTTP/1.1 100 A\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
	  .result = -EMSGSIZE,
	  .why = "interim" },
	/* RFC 9110 sections 15.3.5 and 15.4.5: 204 and 304 have no content. */
	{ .name = "204 without a body",
	  .in = "HTTP/1.1 204 No Content\r\n\r\nNEXT",
	  .result = OK,
	  .status = 204,
	  .body = "" },
	{ .name = "304 ignores its Content-Length",
	  .in = "HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n",
	  .result = OK,
	  .status = 304,
	  .body = "" },
	{ .name = "a 302 is returned with its Location",
	  .in = "HTTP/1.1 302 Found\r\nLocation: https://elsewhere.example/\r\nContent-Length: 0\r\n\r\n",
	  .result = OK,
	  .status = 302,
	  .body = "",
	  .location = "https://elsewhere.example/" },
};

struct outcome {
	int r;
	struct http_response resp;
	struct error e;
};

/* Whole input, then stream end. */
static size_t max_body_of(const struct parse_case *c)
{
	return c->max_body == 0 ? MAX : c->max_body == ZERO ? 0 : c->max_body;
}

static void parse_whole(const struct parse_case *c, struct outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->r = http_response_parse(c->in, strlen(c->in), max_body_of(c), &o->resp, &o->e);
}

/* One byte at a time, the way a slow peer sends it. */
static void parse_bytewise(const struct parse_case *c, struct outcome *o)
{
	struct http_parser *p = malloc(sizeof(*p));
	size_t n = strlen(c->in);
	int r = 0;

	memset(o, 0, sizeof(*o));
	http_parser_init(p, max_body_of(c));
	for (size_t i = 0; i < n && r == 0; i++)
		r = http_parser_feed(p, c->in + i, 1, &o->e);
	if (r == 0)
		r = http_parser_finish(p, &o->e);
	if (r > 0)
		http_parser_take(p, &o->resp);
	http_parser_free(p);
	free(p);
	o->r = r < 0 ? r : 0;
}

static bool str_eq(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

static void check(const struct parse_case *c, struct outcome *o, const char *how)
{
	bool pass;

	if (c->result != OK) {
		pass = o->r == c->result && o->e.code == c->result && strstr(o->e.msg, c->why);
		tap_ok(pass, "%s (%s): refused with %d naming '%s'", c->name, how, c->result,
		       c->why);
		if (!pass)
			tap_diag("got %d '%s'", o->r, o->e.msg);
		return;
	}
	pass = o->r == 0 && o->resp.status == c->status && o->resp.body &&
	       o->resp.body_len == strlen(c->body) && strcmp((char *)o->resp.body, c->body) == 0 &&
	       str_eq(o->resp.set_cookie, c->set_cookie) &&
	       str_eq(o->resp.content_type, c->content_type) &&
	       str_eq(o->resp.location, c->location);
	tap_ok(pass, "%s (%s): status %d, body '%s'", c->name, how, c->status, c->body);
	if (!pass)
		tap_diag("got %d '%s' status %d body '%s' cookie '%s' type '%s' location '%s'",
			 o->r, o->e.msg, o->resp.status,
			 o->resp.body ? (char *)o->resp.body : "(null)",
			 o->resp.set_cookie ? o->resp.set_cookie : "(null)",
			 o->resp.content_type ? o->resp.content_type : "(null)",
			 o->resp.location ? o->resp.location : "(null)");
}

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct outcome o;

		parse_whole(&cases[i], &o);
		check(&cases[i], &o, "whole");
		http_response_free(&o.resp);
		parse_bytewise(&cases[i], &o);
		check(&cases[i], &o, "byte by byte");
		http_response_free(&o.resp);
	}
}

/* Builds "HTTP/1.1 200 OK\r\n" + fields + "\r\n" with the given field lines. */
static char *head_with(unsigned fields, size_t value_len)
{
	size_t cap = 64 + fields * (value_len + 8);
	char *s = malloc(cap), *p = s;

	p += sprintf(p, "HTTP/1.1 200 OK\r\n");
	for (unsigned i = 0; i < fields; i++) {
		p += sprintf(p, "X: ");
		memset(p, 'v', value_len);
		p += value_len;
		p += sprintf(p, "\r\n");
	}
	sprintf(p, "Content-Length: 0\r\n\r\n");
	return s;
}

static void test_limits(void)
{
	struct http_response resp;
	struct error e = { 0 };
	char *s;

	/* "X: " + value = the whole line without CRLF. */
	s = head_with(1, HTTP_LINE_MAX - 3);
	tap_is_int(http_response_parse(s, strlen(s), MAX, &resp, &e), 0,
		   "a field line of %d bytes is accepted", HTTP_LINE_MAX);
	http_response_free(&resp);
	free(s);
	s = head_with(1, HTTP_LINE_MAX - 2);
	tap_ok(http_response_parse(s, strlen(s), MAX, &resp, &e) == -EMSGSIZE &&
		       strstr(e.msg, "line 2: longer than 8192"),
	       "a field line of %d bytes is refused (%s)", HTTP_LINE_MAX + 1, e.msg);
	free(s);
	/* Content-Length is one more field. */
	s = head_with(HTTP_FIELDS_MAX - 1, 1);
	tap_is_int(http_response_parse(s, strlen(s), MAX, &resp, &e), 0, "%d fields are accepted",
		   HTTP_FIELDS_MAX);
	http_response_free(&resp);
	free(s);
	s = head_with(HTTP_FIELDS_MAX, 1);
	tap_ok(http_response_parse(s, strlen(s), MAX, &resp, &e) == -EMSGSIZE &&
		       strstr(e.msg, "more than 100 fields"),
	       "%d fields are refused (%s)", HTTP_FIELDS_MAX + 1, e.msg);
	free(s);
	/* Nine lines of 8000 bytes: 72 kB of head. */
	s = head_with(9, 7997);
	tap_ok(http_response_parse(s, strlen(s), MAX, &resp, &e) == -EMSGSIZE &&
		       strstr(e.msg, "head over 65536 bytes"),
	       "a head over %d bytes is refused (%s)", HTTP_HEAD_MAX, e.msg);
	free(s);
}

static void test_nul(void)
{
	static const char in[] = "HTTP/1.1 200 OK\r\nX: a\0b\r\nContent-Length: 0\r\n\r\n";
	struct http_response resp;
	struct error e = { 0 };

	tap_ok(http_response_parse(in, sizeof(in) - 1, MAX, &resp, &e) == -EPROTO &&
		       strstr(e.msg, "line 2: control character"),
	       "a NUL in a field value is refused (%s)", e.msg);
}

/* A body may hold any bytes, NUL among them; the NUL after it is extra. */
static void test_binary_body(void)
{
	static const char in[] = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n\0\r\n\xff";
	struct http_response resp;

	tap_ok(http_response_parse(in, sizeof(in) - 1, MAX, &resp, NULL) == 0 &&
		       resp.body_len == 4 && memcmp(resp.body, "\0\r\n\xff", 5) == 0,
	       "a binary body is kept byte for byte and NUL-terminated");
	http_response_free(&resp);
}

static void test_state(void)
{
	static const char head[] = "HTTP/1.0 200 OK\r\n\r\n";
	struct http_parser *p = malloc(sizeof(*p));
	struct error e = { 0 };

	http_parser_init(p, MAX);
	tap_is_int(http_parser_feed(p, head, sizeof(head) - 1, &e), 0,
		   "a response without framing wants more");
	tap_ok(http_parser_reads_to_eof(p), "and reads its body to the end of the stream");
	tap_is_int(http_parser_finish(p, &e), 1, "the end of the stream completes it");
	http_parser_free(p);

	http_parser_init(p, MAX);
	tap_is_int(http_parser_feed(p, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n", 38, &e), 0,
		   "a Content-Length response wants its body");
	tap_ok(!http_parser_reads_to_eof(p), "and does not read to the end of the stream");
	tap_is_int(http_parser_feed(p, "x", 1, &e), 1, "its last byte completes it");
	tap_is_int(http_parser_feed(p, "more", 4, &e), 1, "later bytes change nothing");
	http_parser_free(p);

	http_parser_init(p, MAX);
	tap_is_int(http_parser_feed(p, "HTTP/9\r\n", 8, &e), -EPROTO, "a bad status line fails");
	tap_is_int(http_parser_feed(p, "HTTP/1.1 200 OK\r\n\r\n", 19, &e), -EPROTO,
		   "an error is sticky");
	http_parser_free(p);
	free(p);
}

/*
 * RFC 9112 section 9.3: HTTP/1.1 persists unless "close" is among the Connection options;
 * HTTP/1.0 only with "keep-alive" (section 9.3 and appendix C.2.2). Options are
 * case-insensitive tokens in a list (RFC 9110 sections 5.6.1 and 7.6.1).
 */
static const struct {
	const char *in;
	bool keep;
	const char *why;
} persistence_cases[] = {
	{ "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true, "HTTP/1.1 by default" },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", true,
	  "HTTP/1.1 chunked" },
	{ "HTTP/1.1 204 No Content\r\n\r\n", true, "HTTP/1.1 204 without a body" },
	{ "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false,
	  "Connection: close" },
	{ "HTTP/1.1 200 OK\r\nconnection: Upgrade, CLOSE\r\nContent-Length: 0\r\n\r\n", false,
	  "close among other options, in capitals" },
	{ "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nConnection: close\r\n"
	  "Content-Length: 0\r\n\r\n",
	  false, "close in a second Connection field" },
	{ "HTTP/1.1 200 OK\r\nConnection: closed\r\nContent-Length: 0\r\n\r\n", true,
	  "'closed' is another token than close" },
	{ "HTTP/1.1 100 Continue\r\nConnection: close\r\n\r\n"
	  "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
	  true, "close in a 1xx response only: the final response's fields count" },
	{ "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", false, "HTTP/1.0 by default" },
	{ "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok", true,
	  "HTTP/1.0 with keep-alive" },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP", false,
	  "bytes after the response nobody asked for" },
};

static void test_persistence(void)
{
	struct http_parser *p = malloc(sizeof(*p));
	struct error e = { 0 };

	for (size_t i = 0; i < sizeof(persistence_cases) / sizeof(persistence_cases[0]); i++) {
		const char *in = persistence_cases[i].in;

		http_parser_init(p, MAX);
		tap_ok(http_parser_feed(p, in, strlen(in), &e) == 1 &&
			       http_parser_keeps_connection(p) == persistence_cases[i].keep,
		       "%s: the connection %s", persistence_cases[i].why,
		       persistence_cases[i].keep ? "persists" : "closes");
		http_parser_free(p);
	}
	http_parser_init(p, MAX);
	http_parser_feed(p, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\no", 39, &e);
	tap_ok(!http_parser_keeps_connection(p), "an incomplete response keeps nothing");
	http_parser_free(p);
	free(p);
}

int main(void)
{
	test_cases();
	test_limits();
	test_nul();
	test_binary_body();
	test_state();
	test_persistence();
	return tap_done();
}
