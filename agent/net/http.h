/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_NET_HTTP_H
#define MRBOOT_NET_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http-parser.h"

struct error;
struct trust_anchors;
struct url;

/*
 * HTTP/1.1 exchanges with a key broker: one request per connection, over TLS 1.2 (tls.h) or,
 * only when the caller allows it, plain TCP.
 */
struct http_request {
	const char *method; /* "GET" or "POST" (any token) */
	const char *target; /* origin-form path, e.g. "/kbs/v0/auth"; the base URL's path is put
			       before it */
	const char *const *headers; /* NULL-terminated extra header lines WITHOUT CRLF, or NULL;
				       each checked for CR/LF/NUL (refused, -EINVAL) */
	const char *content_type;   /* with a body, else NULL */
	const void *body;
	size_t body_len;
};

struct http_options {
	const struct trust_anchors *anchors; /* required for https */
	bool allow_plain;		     /* http:// refused with -EPERM unless set */
	size_t max_body;		     /* bodies above it: -EMSGSIZE */
	uint64_t deadline; /* absolute (deadline_after_ms()): bounds connect, handshake, send,
			      receive */
};

/*
 * One request on its own connection: "Connection: close", Host, "User-Agent: mrboot/VERSION",
 * "Accept: application/json", Content-Type and Content-Length with a body (Content-Length: 0
 * for a POST without one). Returns 0 with any status (a 401 or 500 is not an error here),
 * else a negative errno with a message that starts with the URL's host:port:
 *   -EINVAL        bad request (header with CR/LF/NUL, target not starting with '/', ...)
 *   -EPERM         http:// without allow_plain
 *   -EHOSTUNREACH  the host name does not resolve
 *   -ECONNREFUSED, -ENETUNREACH, ...  the connection attempt's errno
 *   -ETIMEDOUT     the deadline passed (connect, handshake, send or receive)
 *   -ECONNRESET    the connection was reset or closed during the handshake or request
 *   -EPIPE         the server closed before the request was sent
 *   -EKEYREJECTED  the server's certificate was refused (untrusted, expired, wrong name)
 *   -ECONNABORTED  any other TLS failure (an alert from the server, named; a bad record)
 *   -EPROTO        malformed or truncated response (what, and at which line)
 *   -EMSGSIZE      the response is over a limit (max_body, line, field count, head size)
 *   -ENOMEM
 */
int http_exchange(const struct url *base, const struct http_request *req,
		  const struct http_options *opt, struct http_response *resp, struct error *e);

#endif
