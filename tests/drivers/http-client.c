/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A driver for tests/integration/http.sh: one http_exchange() with the options given, the outcome
 * printed as "key value" lines for the shell to compare against what the peer did; or, with --then,
 * several requests on one struct http_session.
 * Usage: http-client [--ca FILE] [--allow-plain] [--max-body N] [--timeout-ms N]
 *                         [--header LINE]... [--content-type TYPE]
 *                         [--then "METHOD TARGET [BODY]"]... [--pause-ms N]
 *                         URL METHOD TARGET [BODY]
 * Prints: status, set-cookie, content-type, location, body-length, elapsed-ms, then
 * "body <bytes>" last; or "error <ERRNO-NAME>", "message <text>" and elapsed-ms, exit 1.
 * With --then, the first request on a session as above (body last but for the lines below),
 * then each further one, after a pause of --pause-ms, as "N.status", "N.body-length",
 * "N.body" or "N.error", "N.message" (N = 2, 3, ...; the first error ends the run), and last
 * "connections N" and "resumed N" as the session counted them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/error.h"
#include "net/deadline.h"
#include "net/http.h"
#include "net/trust-anchors.h"
#include "net/url.h"

static const struct {
	int code;
	const char *name;
} errno_names[] = {
	{ EINVAL, "EINVAL" },
	{ EPERM, "EPERM" },
	{ ENOENT, "ENOENT" },
	{ EHOSTUNREACH, "EHOSTUNREACH" },
	{ ENETUNREACH, "ENETUNREACH" },
	{ ECONNREFUSED, "ECONNREFUSED" },
	{ ECONNRESET, "ECONNRESET" },
	{ ECONNABORTED, "ECONNABORTED" },
	{ ETIMEDOUT, "ETIMEDOUT" },
	{ EPIPE, "EPIPE" },
	{ EKEYREJECTED, "EKEYREJECTED" },
	{ EPROTO, "EPROTO" },
	{ EMSGSIZE, "EMSGSIZE" },
	{ ENOMEM, "ENOMEM" },
};

static const char *errno_name(int code)
{
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (errno_names[i].code == -code)
			return errno_names[i].name;
	return "OTHER";
}

static int usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [--ca FILE] [--allow-plain] [--max-body N] [--timeout-ms N] "
		"[--header LINE]... [--content-type TYPE] [--then \"METHOD TARGET [BODY]\"]... "
		"[--pause-ms N] URL METHOD TARGET [BODY]\n",
		argv0);
	return 2;
}

static void print_field(const char *key, const char *value)
{
	printf("%s %s\n", key, value ? value : "-");
}

/* "METHOD TARGET [BODY]" (the body may hold spaces) into req; the text is modified. */
static int request_split(char *text, struct http_request *req)
{
	char *target = strchr(text, ' '), *body;

	if (!target)
		return -1;
	*target++ = '\0';
	body = strchr(target, ' ');
	if (body) {
		*body++ = '\0';
		req->body = body;
		req->body_len = strlen(body);
	}
	req->method = text;
	req->target = target;
	return 0;
}

/* The requests after the first, on the same session; 0, or 1 after the first error. */
static int session_rest(struct http_session *s, struct http_request *req, char **then, size_t nthen,
			unsigned pause_ms, uint64_t deadline)
{
	for (size_t k = 0; k < nthen; k++) {
		struct http_response resp = { 0 };
		struct error e = { 0 };
		unsigned n = (unsigned)k + 2;

		req->body = NULL;
		req->body_len = 0;
		if (request_split(then[k], req) < 0) {
			printf("%u.error usage\n", n);
			return 1;
		}
		if (pause_ms)
			usleep(pause_ms * 1000);
		if (http_session_exchange(s, req, deadline, &resp, &e) < 0) {
			printf("%u.error %s\n%u.message %s\n", n, errno_name(e.code), n, e.msg);
			return 1;
		}
		printf("%u.status %d\n%u.body-length %zu\n%u.body ", n, resp.status, n,
		       resp.body_len, n);
		fwrite(resp.body, 1, resp.body_len, stdout);
		putchar('\n');
		http_response_free(&resp);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct http_options opt = { .max_body = 1 << 20 };
	struct trust_anchors ta = { 0 };
	struct http_request req = { 0 };
	struct http_response resp = { 0 };
	struct http_session session = { .fd = -1 };
	const char *headers[16] = { 0 };
	char *then[16] = { 0 };
	const char *ca = NULL;
	struct error e = { 0 };
	uint64_t timeout_ms = 10000, start;
	size_t nheaders = 0, nthen = 0;
	unsigned pause_ms = 0;
	struct url url;
	int i = 1, r, status = 0;

	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--allow-plain") == 0)
			opt.allow_plain = true;
		else if (i + 1 >= argc)
			return usage(argv[0]);
		else if (strcmp(argv[i], "--ca") == 0)
			ca = argv[++i];
		else if (strcmp(argv[i], "--max-body") == 0)
			opt.max_body = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--timeout-ms") == 0)
			timeout_ms = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--header") == 0 && nheaders < 15)
			headers[nheaders++] = argv[++i];
		else if (strcmp(argv[i], "--content-type") == 0)
			req.content_type = argv[++i];
		else if (strcmp(argv[i], "--then") == 0 && nthen < 16)
			then[nthen++] = argv[++i];
		else if (strcmp(argv[i], "--pause-ms") == 0)
			pause_ms = (unsigned)strtoul(argv[++i], NULL, 10);
		else
			return usage(argv[0]);
	}
	if (argc - i < 3 || argc - i > 4)
		return usage(argv[0]);
	if (url_parse(&url, argv[i], &e) < 0 || (ca && trust_anchors_load(&ta, ca, &e) < 0)) {
		printf("error %s\nmessage %s\n", errno_name(e.code), e.msg);
		return 1;
	}
	req.method = argv[i + 1];
	req.target = argv[i + 2];
	req.headers = headers;
	if (argc - i == 4) {
		req.body = argv[i + 3];
		req.body_len = strlen(argv[i + 3]);
	}
	opt.anchors = ca ? &ta : NULL;

	start = deadline_now_ms();
	opt.deadline = deadline_after_ms(timeout_ms);
	if (nthen == 0) {
		r = http_exchange(&url, &req, &opt, &resp, &e);
	} else {
		r = http_session_init(&session, &url, &opt, &e);
		if (r == 0)
			r = http_session_exchange(&session, &req, opt.deadline, &resp, &e);
	}
	if (r < 0) {
		printf("error %s\nmessage %s\nelapsed-ms %llu\n", errno_name(r), e.msg,
		       (unsigned long long)(deadline_now_ms() - start));
		status = 1;
		goto out;
	}
	printf("status %d\n", resp.status);
	print_field("set-cookie", resp.set_cookie);
	print_field("content-type", resp.content_type);
	print_field("location", resp.location);
	printf("body-length %zu\nelapsed-ms %llu\nbody ", resp.body_len,
	       (unsigned long long)(deadline_now_ms() - start));
	fwrite(resp.body, 1, resp.body_len, stdout);
	putchar('\n');
	http_response_free(&resp);
	if (nthen > 0)
		status = session_rest(&session, &req, then, nthen, pause_ms, opt.deadline);
out:
	if (nthen > 0)
		printf("connections %u\nresumed %u\n", session.connections, session.resumed);
	http_session_close(&session);
	trust_anchors_free(&ta);
	return status;
}
