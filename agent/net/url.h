/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_NET_URL_H
#define MRBOOT_NET_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct error;

/*
 * The base URL of a key broker, as the configuration gives it: http or https, a host, an
 * optional port and an optional path prefix that every request target is put under.
 */
#define URL_HOST_MAX 253 /* the longest DNS name (RFC 1035 section 2.3.4, without the dot) */
#define URL_PATH_MAX 1024
#define URL_TEXT_MAX 2048 /* longest URL text url_parse() looks at */

struct url {
	bool https;
	char host[URL_HOST_MAX + 1]; /* DNS name, IPv4 literal, or IPv6 literal WITHOUT brackets */
	uint16_t port;		     /* explicit, or 443/80 */
	char path[URL_PATH_MAX + 1]; /* "" or "/prefix" without a trailing slash */
};

/*
 * Strict parse of "scheme://host[:port][/path]": scheme http or https (either case), no
 * userinfo, no query or fragment, port 1..65535, a host that is a DNS name (letters, digits
 * and hyphens in labels of 1..63, RFC 1123), a dotted-quad IPv4 address or a bracketed IPv6
 * address (no zone), and a path of RFC 3986 path characters with valid percent escapes.
 * Trailing slashes of the path are dropped. Errors name the URL and what is wrong with it.
 */
int url_parse(struct url *u, const char *text, struct error *e);

/* "https://host:port/path" (an IPv6 host in brackets) for messages; truncated safely. */
void url_format(const struct url *u, char *buf, size_t size);

/*
 * Whether the host is an IP literal: copies its 4 (IPv4) or 16 (IPv6) bytes into addr and
 * returns that count, or returns 0 for a DNS name.
 */
size_t url_host_address(const struct url *u, uint8_t addr[16]);

#endif
