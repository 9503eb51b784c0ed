/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "url.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "basic/error.h"

__attribute__((format(printf, 3, 4))) static int url_fail(struct error *e, const char *text,
							  const char *fmt, ...)
{
	char reason[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return error_set(e, -EINVAL, "URL '%.200s'%s: %s", text, strlen(text) > 200 ? "..." : "",
			 reason);
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 3986 section 3.3: pchar = unreserved / pct-encoded / sub-delims / ":" / "@", and "/". */
static bool is_path_char(char c)
{
	return is_alnum(c) || strchr("-._~!$&'()*+,;=:@/", c);
}

/*
 * A dotted quad of four decimal numbers 0..255 without leading zeros: the one IPv4 spelling,
 * checked here rather than by inet_pton(), whose leniency differs between C libraries.
 */
static bool ipv4_valid(const char *s, size_t len)
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		size_t start = i;
		unsigned v = 0;

		if (part > 0) {
			if (i >= len || s[i] != '.')
				return false;
			start = ++i;
		}
		while (i < len && is_digit(s[i]) && i - start < 3)
			v = v * 10 + (unsigned)(s[i++] - '0');
		if (i == start || v > 255 || (s[start] == '0' && i - start > 1))
			return false;
	}
	return i == len;
}

/* RFC 1123 section 2.1 host names; a name whose last label is numeric must be an IPv4 address. */
static int host_check_name(const char *host, size_t len, const char *text, struct error *e)
{
	size_t label = 0;
	bool numeric = true;

	if (len > URL_HOST_MAX)
		return url_fail(e, text, "host name longer than %d characters", URL_HOST_MAX);
	for (size_t i = 0; i <= len; i++) {
		if (i == len || host[i] == '.') {
			if (label == 0)
				return url_fail(e, text, "host name has an empty label");
			if (label > 63)
				return url_fail(e, text,
						"host name label longer than 63 characters");
			if (host[i - label] == '-' || host[i - 1] == '-')
				return url_fail(e, text,
						"host name label starts or ends with a hyphen");
			if (i < len) {
				label = 0;
				numeric = true;
			}
			continue;
		}
		if (!is_alnum(host[i]) && host[i] != '-')
			return url_fail(e, text, "host holds '%c', not a letter, digit or hyphen",
					host[i]);
		if (!is_digit(host[i]))
			numeric = false;
		label++;
	}
	if (numeric && !ipv4_valid(host, len))
		return url_fail(e, text, "host is not a valid IPv4 address");
	return 0;
}

static int host_check_ipv6(const char *host, size_t len, const char *text, struct error *e)
{
	char buf[64];
	uint8_t addr[16];

	if (memchr(host, '%', len))
		return url_fail(e, text, "IPv6 zone identifiers are not supported");
	if (len == 0 || len >= sizeof(buf))
		return url_fail(e, text, "not a valid IPv6 address");
	for (size_t i = 0; i < len; i++)
		if (!is_hex(host[i]) && host[i] != ':' && host[i] != '.')
			return url_fail(e, text, "not a valid IPv6 address");
	memcpy(buf, host, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET6, buf, addr) != 1)
		return url_fail(e, text, "not a valid IPv6 address");
	return 0;
}

static int port_parse(const char *s, size_t len, uint16_t *port, const char *text, struct error *e)
{
	unsigned v = 0;

	if (len == 0 || len > 5)
		return url_fail(e, text, "port must be a number 1..65535");
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return url_fail(e, text, "port must be a number 1..65535");
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return url_fail(e, text, "port must be a number 1..65535");
	*port = (uint16_t)v;
	return 0;
}

/* Splits the authority into host and port; the host lands in u->host. */
static int authority_parse(struct url *u, const char *s, size_t len, const char *text,
			   struct error *e)
{
	const char *host = s, *colon;
	size_t host_len;
	int r;

	if (memchr(s, '@', len))
		return url_fail(e, text, "user information is not allowed");
	if (len > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (!close)
			return url_fail(e, text, "IPv6 address without its closing ']'");
		host = s + 1;
		host_len = (size_t)(close - host);
		r = host_check_ipv6(host, host_len, text, e);
		if (r < 0)
			return r;
		colon = close + 1 < s + len ? close + 1 : NULL;
		if (colon && *colon != ':')
			return url_fail(e, text, "'%c' after the IPv6 address", *colon);
	} else {
		colon = memchr(s, ':', len);
		host_len = colon ? (size_t)(colon - s) : len;
		if (host_len == 0)
			return url_fail(e, text, "no host");
		r = host_check_name(host, host_len, text, e);
		if (r < 0)
			return r;
	}
	memcpy(u->host, host, host_len);
	u->host[host_len] = '\0';
	u->port = u->https ? 443 : 80;
	if (colon)
		return port_parse(colon + 1, (size_t)(s + len - colon - 1), &u->port, text, e);
	return 0;
}

static int path_parse(struct url *u, const char *s, size_t len, const char *text, struct error *e)
{
	/* Trailing slashes go: every request target starts with one of its own. */
	while (len > 0 && s[len - 1] == '/')
		len--;
	if (len > URL_PATH_MAX)
		return url_fail(e, text, "path longer than %d characters", URL_PATH_MAX);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%') {
			if (i + 2 >= len || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
				return url_fail(e, text, "bad percent escape in the path");
			i += 2;
		} else if (!is_path_char(s[i])) {
			return url_fail(e, text, "path holds '%c'", s[i]);
		}
	}
	/* Dot segments would be resolved away by the peer (RFC 3986 section 5.2.4). */
	for (size_t i = 0; i < len; i++) {
		size_t seg;

		if (s[i] != '/')
			continue;
		seg = strcspn(s + i + 1, "/");
		if (i + 1 + seg > len)
			seg = len - i - 1;
		if ((seg == 1 && s[i + 1] == '.') ||
		    (seg == 2 && s[i + 1] == '.' && s[i + 2] == '.'))
			return url_fail(e, text, "path segment '.' or '..' is not allowed");
	}
	memcpy(u->path, s, len);
	u->path[len] = '\0';
	return 0;
}

int url_parse(struct url *u, const char *text, struct error *e)
{
	size_t len = strnlen(text, URL_TEXT_MAX + 1), scheme_len, auth_len;
	const char *sep, *auth, *path;
	struct url v = { 0 };
	int r;

	if (len > URL_TEXT_MAX)
		return error_set(e, -EINVAL, "URL longer than %d characters", URL_TEXT_MAX);
	for (size_t i = 0; i < len; i++)
		if (text[i] <= ' ' || text[i] >= 0x7f)
			return error_set(
				e, -EINVAL,
				"URL holds a space, control or non-ASCII character at offset %zu",
				i);
	sep = strstr(text, "://");
	scheme_len = sep ? (size_t)(sep - text) : 0;
	if (sep && scheme_len == 5 && strncasecmp(text, "https", 5) == 0)
		v.https = true;
	else if (!(sep && scheme_len == 4 && strncasecmp(text, "http", 4) == 0))
		return url_fail(e, text, "scheme must be http:// or https://");
	auth = sep + 3;
	if (strpbrk(auth, "?#"))
		return url_fail(e, text, "a query or fragment is not allowed");
	path = strchr(auth, '/');
	auth_len = path ? (size_t)(path - auth) : strlen(auth);
	r = authority_parse(&v, auth, auth_len, text, e);
	if (r < 0)
		return r;
	r = path_parse(&v, path ? path : "", path ? strlen(path) : 0, text, e);
	if (r < 0)
		return r;
	*u = v;
	return 0;
}

void url_format(const struct url *u, char *buf, size_t size)
{
	bool v6 = strchr(u->host, ':') != NULL;

	if (size == 0)
		return;
	snprintf(buf, size, "%s://%s%s%s:%u%s", u->https ? "https" : "http", v6 ? "[" : "", u->host,
		 v6 ? "]" : "", u->port, u->path);
}

size_t url_host_address(const struct url *u, uint8_t addr[16])
{
	const char *last = strrchr(u->host, '.');

	if (strchr(u->host, ':'))
		return inet_pton(AF_INET6, u->host, addr) == 1 ? 16 : 0;
	/* url_parse() let a numeric last label through only as a dotted quad. */
	if (last && is_digit(last[1]) && inet_pton(AF_INET, u->host, addr) == 1)
		return 4;
	return 0;
}
