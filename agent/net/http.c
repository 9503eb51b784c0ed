/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/error.h"
#include "mrboot-config.h"
#include "socket.h"
#include "tls.h"
#include "trust-anchors.h"
#include "url.h"

#define HTTP_RECV_CHUNK 16384

/* The request head being written; it may hold a bearer token, so it is wiped when freed. */
struct head {
	char *p;
	size_t len, cap;
	bool failed;
};

static void head_add(struct head *h, const char *s, size_t n)
{
	if (h->failed)
		return;
	if (n >= h->cap - h->len) {
		size_t cap = h->cap + n + 512;
		char *p = malloc(cap);

		if (!p) {
			h->failed = true;
			return;
		}
		if (h->p) {
			memcpy(p, h->p, h->len);
			explicit_bzero(h->p, h->cap);
			free(h->p);
		}
		h->p = p;
		h->cap = cap;
	}
	memcpy(h->p + h->len, s, n);
	h->len += n;
	h->p[h->len] = '\0';
}

static void head_puts(struct head *h, const char *s)
{
	head_add(h, s, strlen(s));
}

static void head_free(struct head *h)
{
	if (h->p)
		explicit_bzero(h->p, h->cap);
	free(h->p);
	*h = (struct head){ 0 };
}

static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* A header line the caller passes: "Name: value" without CR, LF or NUL (no injection). */
static int header_check(const char *line, struct error *e)
{
	size_t name = 0;

	if (strpbrk(line, "\r\n"))
		return error_set(e, -EINVAL, "request header holds CR or LF");
	while (is_tchar(line[name]))
		name++;
	if (name == 0 || line[name] != ':')
		return error_set(e, -EINVAL, "request header is not a 'Name: value' line");
	for (const char *c = line + name + 1; *c; c++)
		if ((unsigned char)*c < 0x20 && *c != '\t')
			return error_set(e, -EINVAL, "request header holds a control character");
	return 0;
}

static int request_check(const struct http_request *req, struct error *e)
{
	if (!req->method || !*req->method)
		return error_set(e, -EINVAL, "request without a method");
	for (const char *c = req->method; *c; c++)
		if (!is_tchar(*c))
			return error_set(e, -EINVAL, "request method is not a token");
	if (!req->target || req->target[0] != '/')
		return error_set(e, -EINVAL, "request target must start with '/'");
	for (const char *c = req->target; *c; c++)
		if (*c <= ' ' || *c >= 0x7f)
			return error_set(
				e, -EINVAL,
				"request target holds a space, control or non-ASCII character");
	for (const char *const *h = req->headers; h && *h; h++) {
		int r = header_check(*h, e);

		if (r < 0)
			return r;
	}
	if (req->content_type && strpbrk(req->content_type, "\r\n"))
		return error_set(e, -EINVAL, "request Content-Type holds CR or LF");
	if (req->body_len > 0 && !req->body)
		return error_set(e, -EINVAL, "request body length without a body");
	return 0;
}

/* Request line and header fields (RFC 9112 sections 3 and 5, RFC 9110 section 7.2). */
static int head_build(struct head *h, const struct url *base, const struct http_request *req,
		      bool keep_alive, struct error *e)
{
	bool v6 = strchr(base->host, ':') != NULL;
	bool default_port = base->port == (base->https ? 443 : 80);
	char line[64];

	head_puts(h, req->method);
	head_puts(h, " ");
	head_puts(h, base->path);
	head_puts(h, req->target);
	head_puts(h, " HTTP/1.1\r\nHost: ");
	head_puts(h, v6 ? "[" : "");
	head_puts(h, base->host);
	head_puts(h, v6 ? "]" : "");
	if (!default_port) {
		snprintf(line, sizeof(line), ":%u", base->port);
		head_puts(h, line);
	}
	head_puts(h, "\r\nUser-Agent: mrboot/" MRBOOT_VERSION "\r\nAccept: application/json\r\n");
	head_puts(h, keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
	if (req->content_type) {
		head_puts(h, "Content-Type: ");
		head_puts(h, req->content_type);
		head_puts(h, "\r\n");
	}
	/* A POST says it has no content rather than leave the server to guess (RFC 9110 8.6). */
	if (req->body_len > 0 || strcmp(req->method, "POST") == 0) {
		snprintf(line, sizeof(line), "Content-Length: %zu\r\n", req->body_len);
		head_puts(h, line);
	}
	for (const char *const *x = req->headers; x && *x; x++) {
		head_puts(h, *x);
		head_puts(h, "\r\n");
	}
	head_puts(h, "\r\n");
	if (h->failed) {
		head_free(h);
		return error_set(e, -ENOMEM, "request: out of memory");
	}
	return 0;
}

static int conn_send(struct http_session *s, const void *buf, size_t len, uint64_t deadline,
		     struct error *e)
{
	if (s->tls)
		return tls_client_write(s->tls, buf, len, deadline, e);
	return socket_send_all(s->fd, buf, len, deadline, e);
}

static ssize_t conn_recv(struct http_session *s, void *buf, size_t len, uint64_t deadline,
			 struct error *e)
{
	if (s->tls)
		return tls_client_read(s->tls, buf, len, deadline, e);
	return socket_recv(s->fd, buf, len, deadline, e);
}

static int request_send(struct http_session *s, const struct head *h,
			const struct http_request *req, uint64_t deadline, struct error *e)
{
	int r = conn_send(s, h->p, h->len, deadline, e);

	if (r == 0 && req->body_len > 0)
		r = conn_send(s, req->body, req->body_len, deadline, e);
	if (r == 0 && s->tls)
		r = tls_client_flush(s->tls, deadline, e);
	if (r < 0)
		error_prefix(e, "sending the request");
	return r;
}

/* The response, whole: 0, with *ended when the stream ended (it delimited the body). */
static int response_receive(struct http_session *s, struct http_parser *p, uint64_t deadline,
			    bool *ended, struct error *e)
{
	uint8_t buf[HTTP_RECV_CHUNK];

	for (;;) {
		ssize_t n = conn_recv(s, buf, sizeof(buf), deadline, e);
		int r;

		if (n < 0) {
			error_prefix(e, "reading the response");
			return (int)n;
		}
		if (n == 0) {
			/*
			 * Only close_notify proves that a body delimited by the end of the stream
			 * is whole: without it, an attacker on the path can cut it short.
			 */
			if (s->tls && http_parser_reads_to_eof(p) &&
			    !tls_client_closed_cleanly(s->tls))
				return error_set(
					e, -EPROTO,
					"response body (read to the end of the stream) ended without TLS close_notify: maybe truncated");
			*ended = true;
			r = http_parser_finish(p, e);
			return r < 0 ? r : 0;
		}
		r = http_parser_feed(p, buf, (size_t)n, e);
		if (r != 0)
			return r < 0 ? r : 0;
	}
}

/*
 * Ends the connection: in order (close_notify) unless it failed, when the TLS context goes
 * too, so that its session is never offered again.
 */
static void session_disconnect(struct http_session *s, bool failed)
{
	if (s->fd >= 0) {
		if (s->tls && !failed)
			tls_client_close(s->tls);
		close(s->fd);
		s->fd = -1;
	}
	if (failed) {
		tls_client_free(s->tls);
		s->tls = NULL;
	}
}

/* A connection, and over https a handshake that resumes the last session if it can. */
static int session_connect(struct http_session *s, uint64_t deadline, struct error *e)
{
	int r = socket_connect(s->url.host, s->url.port, deadline, &s->fd, e);

	if (r < 0)
		return r;
	s->connections++;
	if (!s->url.https)
		return 0;
	if (s->tls)
		r = tls_client_restart(s->tls, s->fd, e);
	else
		r = tls_client_new(&s->tls, s->fd, s->anchors, s->url.host, e);
	if (r == 0)
		r = tls_client_handshake(s->tls, deadline, e);
	if (r == 0 && tls_client_resumed(s->tls))
		s->resumed++;
	return r;
}

/*
 * The reused connection ended before any byte of the response: the server closed it as the
 * request crossed (EOF is -EPROTO from the parser, with nothing received).
 */
static bool closed_before_answer(int r, const struct http_parser *p)
{
	return p->received == 0 && (r == -EPIPE || r == -ECONNRESET || r == -EPROTO);
}

static int session_request(struct http_session *s, const struct http_request *req,
			   uint64_t deadline, bool keep_alive, struct http_response *resp,
			   struct error *e)
{
	struct head h = { 0 };
	struct http_parser *p;
	bool ended = false, reused;
	int r;

	*resp = (struct http_response){ 0 };
	r = request_check(req, e);
	if (r < 0)
		return r;
	p = malloc(sizeof(*p));
	if (!p)
		return error_set(e, -ENOMEM, "response parser: out of memory");
	r = head_build(&h, &s->url, req, keep_alive, e);
	for (unsigned attempt = 0; r == 0; attempt++) {
		/* Anything from the server on an idle connection is its end (FIN, alert). */
		if (s->fd >= 0 && !socket_is_idle(s->fd))
			session_disconnect(s, false);
		reused = s->fd >= 0;
		ended = false;
		http_parser_init(p, s->max_body);
		if (s->fd < 0)
			r = session_connect(s, deadline, e);
		if (r == 0)
			r = request_send(s, &h, req, deadline, e);
		if (r == 0)
			r = response_receive(s, p, deadline, &ended, e);
		if (r == 0 || !reused || attempt > 0 || !closed_before_answer(r, p))
			break;
		session_disconnect(s, false); /* and once more on a new connection */
		http_parser_free(p);
		r = 0;
	}
	if (r == 0) {
		http_parser_take(p, resp);
		if (ended || !http_parser_keeps_connection(p))
			session_disconnect(s, false);
	} else {
		session_disconnect(s, true);
	}
	http_parser_free(p);
	free(p);
	head_free(&h);
	return r;
}

/* Messages start with the server's host:port. */
static int host_prefix(const struct url *u, struct error *e)
{
	bool v6 = strchr(u->host, ':') != NULL;

	return error_prefix(e, "%s%s%s:%u", v6 ? "[" : "", u->host, v6 ? "]" : "", u->port);
}

int http_session_init(struct http_session *s, const struct url *base,
		      const struct http_options *opt, struct error *e)
{
	*s = (struct http_session){
		.url = *base,
		.anchors = opt->anchors,
		.allow_plain = opt->allow_plain,
		.max_body = opt->max_body,
		.fd = -1,
	};
	if (!base->https && !opt->allow_plain)
		return error_set(e, -EPERM, "plain http:// is not allowed (use https://)");
	if (base->https && (!opt->anchors || opt->anchors->count == 0))
		return error_set(e, -EINVAL, "https:// without trust anchors");
	return 0;
}

int http_session_exchange(struct http_session *s, const struct http_request *req, uint64_t deadline,
			  struct http_response *resp, struct error *e)
{
	int r = session_request(s, req, deadline, true, resp, e);

	return r < 0 ? host_prefix(&s->url, e) : 0;
}

void http_session_close(struct http_session *s)
{
	session_disconnect(s, false);
	tls_client_free(s->tls);
	s->tls = NULL;
}

int http_exchange(const struct url *base, const struct http_request *req,
		  const struct http_options *opt, struct http_response *resp, struct error *e)
{
	struct http_session s;
	int r = http_session_init(&s, base, opt, e);

	*resp = (struct http_response){ 0 };
	if (r == 0)
		r = session_request(&s, req, opt->deadline, false, resp, e);
	http_session_close(&s);
	return r < 0 ? host_prefix(base, e) : 0;
}
