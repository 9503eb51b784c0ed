/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_NET_HTTP_PARSER_H
#define MRBOOT_NET_HTTP_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct error;

/*
 * An HTTP/1.1 response (RFC 9112) parsed byte by byte, as it arrives, without sockets, so
 * that tests and the fuzzer drive it directly. What it accepts:
 *   - status line "HTTP/1.1 NNN reason" or "HTTP/1.0 NNN reason", NNN 100..599; the reason
 *     may be empty and its space left out ("HTTP/1.1 200");
 *   - lines ending in CRLF only: a bare LF or a bare CR is refused (RFC 9112 section 2.2 lets
 *     a recipient accept a bare LF; a broker has no reason to send one, and refusing keeps
 *     every line's end unambiguous);
 *   - header fields "token: value" with no whitespace before the colon, no obsolete line
 *     folding, no control characters but HTAB in the value (RFC 9112 section 5);
 *   - framing (RFC 9112 section 6.3): 1xx interim responses skipped (101 refused), 204 and
 *     304 without a body, Transfer-Encoding exactly "chunked", else Content-Length (repeated
 *     only with the same value), else the body runs to the end of the stream; both
 *     Transfer-Encoding and Content-Length, or Transfer-Encoding in HTTP/1.0, are refused;
 *   - chunked bodies with hex sizes (overflow-checked), extensions ignored, trailer fields
 *     checked like header fields and ignored.
 * Limits: a line HTTP_LINE_MAX bytes, HTTP_FIELDS_MAX header (and trailer) fields,
 * HTTP_HEAD_MAX bytes of head, HTTP_INTERIM_MAX interim responses, and the caller's max_body.
 * Errors: -EPROTO for a malformed response (what and at which line), -EMSGSIZE over a limit,
 * -ENOMEM.
 */
#define HTTP_LINE_MAX 8192
#define HTTP_FIELDS_MAX 100
#define HTTP_HEAD_MAX 65536
#define HTTP_INTERIM_MAX 8

struct http_response {
	int status;	    /* 100..599 */
	char *set_cookie;   /* value of the FIRST Set-Cookie field (malloc'ed) or NULL */
	char *content_type; /* or NULL */
	char *location;	    /* or NULL (redirects are never followed; the caller reports them) */
	uint8_t *body;	    /* malloc'ed, NUL-terminated for convenience (len excludes the NUL) */
	size_t body_len;
};

void http_response_free(struct http_response *resp);

enum http_parser_state {
	HTTP_PARSE_STATUS,
	HTTP_PARSE_FIELD,
	HTTP_PARSE_BODY_LENGTH,
	HTTP_PARSE_BODY_EOF,
	HTTP_PARSE_CHUNK_SIZE,
	HTTP_PARSE_CHUNK_DATA,
	HTTP_PARSE_CHUNK_END,
	HTTP_PARSE_TRAILER,
	HTTP_PARSE_DONE,
	HTTP_PARSE_FAILED,
};

struct http_parser {
	enum http_parser_state state;
	size_t max_body;
	struct http_response resp;
	size_t body_cap;
	uint64_t content_length; /* with have_length */
	uint64_t chunk_left;	 /* bytes of the current chunk still to come */
	bool have_length, chunked, http10;
	unsigned line;	   /* 1-based number of the head line being read */
	unsigned fields;   /* header or trailer fields of the current message */
	unsigned interim;  /* 1xx responses skipped */
	size_t head_bytes; /* head bytes of the current message */
	uint64_t received; /* bytes fed so far */
	bool cr;	   /* the last byte was a CR */

	bool conn_close, conn_keep_alive; /* Connection options of the final response */
	bool extra;			  /* bytes came after the complete response */
	size_t line_len;
	char buf[HTTP_LINE_MAX];
};

void http_parser_init(struct http_parser *p, size_t max_body);

/*
 * Feeds len bytes: 0 when more are needed, 1 once the response is complete (bytes after it
 * are ignored), or a negative errno; errors are sticky.
 */
int http_parser_feed(struct http_parser *p, const void *buf, size_t len, struct error *e);

/*
 * The peer ended the stream: 1 if that completes the response (a body read to the end), or
 * -EPROTO naming how far the response got ("connection closed after 10 of 20 body bytes").
 */
int http_parser_finish(struct http_parser *p, struct error *e);

/* Whether the body in progress is delimited by the end of the stream (no length, not chunked). */
bool http_parser_reads_to_eof(const struct http_parser *p);

/*
 * Once http_parser_feed() returned 1: whether the connection may carry another request
 * (RFC 9112 section 9.3): an HTTP/1.1 response without "Connection: close", or an HTTP/1.0
 * one with "Connection: keep-alive", that ended by its framing with no byte after it.
 */
bool http_parser_keeps_connection(const struct http_parser *p);

/* Moves a complete response into *resp (the caller frees it with http_response_free()). */
void http_parser_take(struct http_parser *p, struct http_response *resp);

/* Frees what the parser holds. */
void http_parser_free(struct http_parser *p);

/* The whole exchange in one call: a complete response from len bytes, the stream ending there. */
int http_response_parse(const void *buf, size_t len, size_t max_body, struct http_response *resp,
			struct error *e);

#endif
