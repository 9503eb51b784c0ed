/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A driver for tests/http.sh: one http_exchange() with the options given, the outcome printed
 * as "key value" lines for the shell to compare against what the peer did.
 * Usage: test-http-client [--ca FILE] [--allow-plain] [--max-body N] [--timeout-ms N]
 *                         [--header LINE]... [--content-type TYPE] URL METHOD TARGET [BODY]
 * Prints: status, set-cookie, content-type, location, body-length, elapsed-ms, then
 * "body <bytes>" last; or "error <ERRNO-NAME>", "message <text>" and elapsed-ms, exit 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
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
		"[--header LINE]... [--content-type TYPE] URL METHOD TARGET [BODY]\n",
		argv0);
	return 2;
}

static void print_field(const char *key, const char *value)
{
	printf("%s %s\n", key, value ? value : "-");
}

int main(int argc, char **argv)
{
	struct http_options opt = { .max_body = 1 << 20 };
	struct trust_anchors ta = { 0 };
	struct http_request req = { 0 };
	struct http_response resp = { 0 };
	const char *headers[16] = { 0 };
	const char *ca = NULL;
	struct error e = { 0 };
	uint64_t timeout_ms = 10000, start;
	size_t nheaders = 0;
	struct url url;
	int i = 1, r;

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
	r = http_exchange(&url, &req, &opt, &resp, &e);
	if (r < 0) {
		printf("error %s\nmessage %s\nelapsed-ms %llu\n", errno_name(r), e.msg,
		       (unsigned long long)(deadline_now_ms() - start));
		trust_anchors_free(&ta);
		return 1;
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
	trust_anchors_free(&ta);
	return 0;
}
