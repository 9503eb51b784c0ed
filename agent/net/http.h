/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_NET_HTTP_H
#define MRBOOT_NET_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http-parser.h"
#include "url.h"

struct error;
struct tls_client;
struct trust_anchors;

/*
 * HTTP/1.1 exchanges with a key broker over TLS 1.2 (tls.h) or, only when the caller allows
 * it, plain TCP: several requests on one persistent connection (struct http_session), or one
 * request on its own connection (http_exchange()).
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
			      receive (http_exchange() only: a session takes one per exchange) */
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

/*
 * Requests to one server on a persistent connection (RFC 9112 section 9.3), so that the
 * three requests of a key broker exchange pay for one TCP and one TLS handshake. Requests go
 * out as with http_exchange() but with "Connection: keep-alive"; each response ends by its
 * framing (Content-Length, chunked), and the connection is kept for the next request unless
 * the response says "Connection: close", is HTTP/1.0 without keep-alive, runs to the end of
 * the stream or is followed by bytes nobody asked for.
 *
 * A new connection is made when there is none: at the first request, after the server ended
 * the last one, and after a failure. Over https it offers the TLS session of the last
 * connection that ended well (tls_client_restart()): the server skips the key exchange and
 * the certificate, both done in the handshake that made the session, for this same host and
 * port; a server that does not resume gets a full handshake, checked as the first. A
 * connection that failed (any error of http_session_exchange()) is never resumed.
 *
 * A request is sent again, once, on a new connection, only when it went out on a reused
 * connection and that connection ended (end of stream, reset, or EPIPE) before any byte of
 * its response: the server closed an idle connection as the request crossed it (RFC 9112
 * section 9.3.1). Nothing of the answer came back, so the request was most likely never
 * processed; for the key broker protocol a second copy is harmless even if it was: a repeated
 * POST /auth opens another session (the first one is abandoned and expires), a repeated POST
 * /attest on the same cookie returns the session's token, and GET is safe. A response cut
 * short after its first byte, a timeout, or a TLS failure is never resent: it is returned.
 * Before a request goes out on an idle connection, one that the server has visibly closed
 * (end of stream or data waiting) is replaced without sending on it.
 */
struct http_session {
	struct url url;
	const struct trust_anchors *anchors;
	bool allow_plain;
	size_t max_body;
	int fd;			/* -1: no connection */
	struct tls_client *tls; /* https: kept between connections for its session */
	unsigned connections;	/* read-only: connections made */
	unsigned resumed;	/* read-only: of them, TLS handshakes that resumed a session */
};

/*
 * Takes the URL (copied), anchors (kept: they must outlive the session), allow_plain and
 * max_body from opt; connects nothing yet. Errors: -EPERM (http:// without allow_plain),
 * -EINVAL (https:// without trust anchors).
 */
int http_session_init(struct http_session *s, const struct url *base,
		      const struct http_options *opt, struct error *e);

/*
 * One request and its response, on the session's connection, every wait bounded by deadline
 * (absolute, deadline_after_ms()). Returns and errors as http_exchange(); on an error the
 * connection is closed and its TLS session forgotten.
 */
int http_session_exchange(struct http_session *s, const struct http_request *req, uint64_t deadline,
			  struct http_response *resp, struct error *e);

/*
 * Ends the connection (close_notify, without waiting) and wipes the TLS state. The session
 * stays usable: a later exchange connects again, with a full handshake.
 */
void http_session_close(struct http_session *s);

#endif
