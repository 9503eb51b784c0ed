/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
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
		      struct error *e)
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
	head_puts(h, "\r\nUser-Agent: mrboot/" MRBOOT_VERSION "\r\nAccept: application/json\r\n"
		     "Connection: close\r\n");
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

/* The connection: a socket, and the TLS client on it for https. */
struct conn {
	int fd;
	struct tls_client *tls;
};

static int conn_send(struct conn *c, const void *buf, size_t len, uint64_t deadline,
		     struct error *e)
{
	if (c->tls)
		return tls_client_write(c->tls, buf, len, deadline, e);
	return socket_send_all(c->fd, buf, len, deadline, e);
}

static ssize_t conn_recv(struct conn *c, void *buf, size_t len, uint64_t deadline, struct error *e)
{
	if (c->tls)
		return tls_client_read(c->tls, buf, len, deadline, e);
	return socket_recv(c->fd, buf, len, deadline, e);
}

static int request_send(struct conn *c, const struct head *h, const struct http_request *req,
			uint64_t deadline, struct error *e)
{
	int r = conn_send(c, h->p, h->len, deadline, e);

	if (r == 0 && req->body_len > 0)
		r = conn_send(c, req->body, req->body_len, deadline, e);
	if (r == 0 && c->tls)
		r = tls_client_flush(c->tls, deadline, e);
	if (r < 0)
		error_prefix(e, "sending the request");
	return r;
}

static int response_receive(struct conn *c, struct http_parser *p, uint64_t deadline,
			    struct error *e)
{
	uint8_t buf[HTTP_RECV_CHUNK];

	for (;;) {
		ssize_t n = conn_recv(c, buf, sizeof(buf), deadline, e);
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
			if (c->tls && http_parser_reads_to_eof(p) &&
			    !tls_client_closed_cleanly(c->tls))
				return error_set(
					e, -EPROTO,
					"response body (read to the end of the stream) ended without TLS close_notify: maybe truncated");
			r = http_parser_finish(p, e);
			return r < 0 ? r : 0;
		}
		r = http_parser_feed(p, buf, (size_t)n, e);
		if (r != 0)
			return r < 0 ? r : 0;
	}
}

static int exchange(const struct url *base, const struct http_request *req,
		    const struct http_options *opt, struct http_response *resp, struct error *e)
{
	struct head h = { 0 };
	struct http_parser *p;
	struct conn c = { .fd = -1 };
	int r;

	if (!base->https && !opt->allow_plain)
		return error_set(e, -EPERM, "plain http:// is not allowed (use https://)");
	if (base->https && (!opt->anchors || opt->anchors->count == 0))
		return error_set(e, -EINVAL, "https:// without trust anchors");
	r = request_check(req, e);
	if (r < 0)
		return r;
	p = malloc(sizeof(*p));
	if (!p)
		return error_set(e, -ENOMEM, "response parser: out of memory");
	http_parser_init(p, opt->max_body);
	r = head_build(&h, base, req, e);

	if (r == 0)
		r = socket_connect(base->host, base->port, opt->deadline, &c.fd, e);
	if (r == 0 && base->https) {
		r = tls_client_new(&c.tls, c.fd, opt->anchors, base->host, e);
		if (r == 0)
			r = tls_client_handshake(c.tls, opt->deadline, e);
	}
	if (r == 0)
		r = request_send(&c, &h, req, opt->deadline, e);
	if (r == 0)
		r = response_receive(&c, p, opt->deadline, e);
	if (r == 0)
		http_parser_take(p, resp);
	http_parser_free(p);
	free(p);
	tls_client_free(c.tls);
	if (c.fd >= 0)
		close(c.fd);
	head_free(&h);
	return r;
}

int http_exchange(const struct url *base, const struct http_request *req,
		  const struct http_options *opt, struct http_response *resp, struct error *e)
{
	bool v6 = strchr(base->host, ':') != NULL;
	int r;

	*resp = (struct http_response){ 0 };
	r = exchange(base, req, opt, resp, e);
	if (r < 0)
		error_prefix(e, "%s%s%s:%u", v6 ? "[" : "", base->host, v6 ? "]" : "", base->port);
	return r;
}
