/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * url_parse() against the URL grammar of RFC 3986 (scheme, authority, path) and RFC 1123
 * host names, with the restrictions net/url.h adds (http or https only, no userinfo, query
 * or fragment); the expected parts are written out from the grammar.
 */
#include <errno.h>
#include <string.h>

#include "basic/error.h"
#include "net/url.h"
#include "tap.h"

static const struct {
	const char *text;
	int https;
	const char *host;
	int port;
	const char *path;
	const char *formatted;
} good[] = {
	{ "https://kbs.example:8080", 1, "kbs.example", 8080, "", "https://kbs.example:8080" },
	{ "https://kbs.example", 1, "kbs.example", 443, "", "https://kbs.example:443" },
	{ "http://kbs.example", 0, "kbs.example", 80, "", "http://kbs.example:80" },
	/* RFC 3986 section 3.1: schemes are case-insensitive. */
	{ "HTTPS://kbs.example/", 1, "kbs.example", 443, "", "https://kbs.example:443" },
	{ "HtTp://a:1/", 0, "a", 1, "", "http://a:1" },
	{ "https://kbs.example:65535/prefix", 1, "kbs.example", 65535, "/prefix",
	  "https://kbs.example:65535/prefix" },
	/* Trailing slashes go: targets bring their own. */
	{ "https://kbs.example/a/b//", 1, "kbs.example", 443, "/a/b",
	  "https://kbs.example:443/a/b" },
	{ "https://10.0.0.1:8080/kbs", 1, "10.0.0.1", 8080, "/kbs", "https://10.0.0.1:8080/kbs" },
	{ "https://[::1]:8443", 1, "::1", 8443, "", "https://[::1]:8443" },
	{ "https://[2001:db8::7]/x", 1, "2001:db8::7", 443, "/x", "https://[2001:db8::7]:443/x" },
	{ "https://[::ffff:192.0.2.1]", 1, "::ffff:192.0.2.1", 443, "",
	  "https://[::ffff:192.0.2.1]:443" },
	{ "https://a-b.c-d.example", 1, "a-b.c-d.example", 443, "", "https://a-b.c-d.example:443" },
	/* A label may start with a digit (RFC 1123 section 2.1). */
	{ "https://1kbs.example", 1, "1kbs.example", 443, "", "https://1kbs.example:443" },
	/* pchar: unreserved, sub-delims, ':', '@' and percent escapes. */
	{ "https://h/a%2Fb/~x_y.z-(1)!$&'*+,;=:@", 1, "h", 443, "/a%2Fb/~x_y.z-(1)!$&'*+,;=:@",
	  "https://h:443/a%2Fb/~x_y.z-(1)!$&'*+,;=:@" },
	{ "https://h:00443", 1, "h", 443, "", "https://h:443" },
};

static const struct {
	const char *text;
	const char *why; /* a part of the message */
} bad[] = {
	{ "", "scheme" },
	{ "kbs.example", "scheme" },
	{ "ftp://kbs.example", "scheme" },
	{ "https:/kbs.example", "scheme" },
	{ "httpss://kbs.example", "scheme" },
	{ "https://", "no host" },
	{ "https:///path", "no host" },
	{ "https://:443", "no host" },
	{ "https://user@kbs.example", "user information" },
	{ "https://user:pw@kbs.example", "user information" },
	{ "https://kbs.example/?q=1", "query or fragment" },
	{ "https://kbs.example#frag", "query or fragment" },
	{ "https://kbs.example:0", "port" },
	{ "https://kbs.example:65536", "port" },
	{ "https://kbs.example:", "port" },
	{ "https://kbs.example:+1", "port" },
	{ "https://kbs.example:123456", "port" },
	{ "https://kbs.example:80a", "port" },
	{ "https://kbs .example", "space" },
	{ "https://kbs.example/a b", "space" },
	{ "https://kbs.example/\x01", "control" },
	{ "https://kbs.ex\xc3\xa4mple", "non-ASCII" },
	{ "https://kbs_1.example", "'_'" },
	{ "https://kbs..example", "empty label" },
	{ "https://.kbs.example", "empty label" },
	{ "https://kbs.example.", "empty label" },
	{ "https://-kbs.example", "hyphen" },
	{ "https://kbs-.example", "hyphen" },
	{ "https://0123456789012345678901234567890123456789012345678901234567890123.example",
	  "63" },
	/* A numeric last label makes the host an IPv4 address, which must be a dotted quad. */
	{ "https://1.2.3", "IPv4" },
	{ "https://256.1.1.1", "IPv4" },
	{ "https://01.2.3.4", "IPv4" },
	{ "https://1.2.3.4.5", "IPv4" },
	{ "https://example.123", "IPv4" },
	{ "https://[::1", "closing" },
	{ "https://[::g]", "IPv6" },
	{ "https://[1:2:3:4:5:6:7:8:9]", "IPv6" },
	{ "https://[]", "IPv6" },
	{ "https://[fe80::1%25eth0]", "zone" },
	{ "https://[::1]x", "after the IPv6" },
	{ "https://[::1]:0", "port" },
	{ "https://h/%2", "percent" },
	{ "https://h/%zz", "percent" },
	{ "https://h/a\"b", "'\"'" },
	{ "https://h/a<b", "'<'" },
	{ "https://h/a/../b", "'..'" },
	{ "https://h/./b", "'.'" },
};

static void test_good(void)
{
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct url u;
		struct error e = { 0 };
		char text[URL_TEXT_MAX + 16];
		int r = url_parse(&u, good[i].text, &e);

		if (!tap_is_int(r, 0, "'%s' parses", good[i].text)) {
			tap_diag("%s", e.msg);
			continue;
		}
		tap_ok(u.https == (good[i].https != 0) && strcmp(u.host, good[i].host) == 0 &&
			       u.port == good[i].port && strcmp(u.path, good[i].path) == 0,
		       "'%s': https=%d host '%s' port %d path '%s'", good[i].text, good[i].https,
		       good[i].host, good[i].port, good[i].path);
		url_format(&u, text, sizeof(text));
		tap_is_str(text, good[i].formatted, "'%s' formats as '%s'", good[i].text,
			   good[i].formatted);
	}
}

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct url u = { .port = 7 };
		struct error e = { 0 };
		int r = url_parse(&u, bad[i].text, &e);

		tap_ok(r == -EINVAL && e.code == -EINVAL && strstr(e.msg, bad[i].why) &&
			       u.port == 7,
		       "refused with a message naming %s: '%s'", bad[i].why, bad[i].text);
		if (r != -EINVAL || !strstr(e.msg, bad[i].why))
			tap_diag("r=%d msg '%s'", r, e.msg);
	}
}

static void test_lengths(void)
{
	char host[300], text[400], path[URL_PATH_MAX + 64];
	struct url u;
	struct error e = { 0 };

	/* 253 characters: four labels of 63 and one "x" (RFC 1035 section 2.3.4). */
	memset(host, 'a', 253);
	host[63] = host[127] = host[191] = host[251] = '.';
	host[253] = '\0';
	snprintf(text, sizeof(text), "https://%s", host);
	tap_is_int(url_parse(&u, text, &e), 0, "a 253-character host name parses");
	tap_is_int((intmax_t)strlen(u.host), 253, "and is kept whole");
	snprintf(text, sizeof(text), "https://%s.b", host);
	tap_is_int(url_parse(&u, text, &e), -EINVAL, "a 255-character host name is refused");

	memset(path, 'p', sizeof(path));
	path[0] = '/';
	path[URL_PATH_MAX] = '\0';
	snprintf(text, sizeof(text), "https://h");
	{
		char big[URL_PATH_MAX + 32];

		snprintf(big, sizeof(big), "https://h%s", path);
		tap_is_int(url_parse(&u, big, &e), 0, "a path of %d characters parses",
			   URL_PATH_MAX);
		path[URL_PATH_MAX] = 'p';
		path[URL_PATH_MAX + 1] = '\0';
		snprintf(big, sizeof(big), "https://h%s", path);
		tap_is_int(url_parse(&u, big, &e), -EINVAL, "a path of %d characters is refused",
			   URL_PATH_MAX + 1);
	}
}

static void test_format_truncates(void)
{
	struct url u;
	char small[12];

	url_parse(&u, "https://kbs.example:8080/prefix", NULL);
	memset(small, 'x', sizeof(small));
	url_format(&u, small, sizeof(small));
	tap_is_str(small, "https://kbs", "url_format truncates to the buffer, NUL-terminated");
}

static void test_host_address(void)
{
	static const uint8_t v4[4] = { 192, 0, 2, 1 };
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 };
	uint8_t addr[16];
	struct url u;

	url_parse(&u, "https://192.0.2.1", NULL);
	tap_ok(url_host_address(&u, addr) == 4 && memcmp(addr, v4, 4) == 0,
	       "192.0.2.1 is the IPv4 address c0000201");
	url_parse(&u, "https://[2001:db8::7]", NULL);
	tap_ok(url_host_address(&u, addr) == 16 && memcmp(addr, v6, 16) == 0,
	       "[2001:db8::7] is the IPv6 address 20010db8...07");
	url_parse(&u, "https://kbs.example", NULL);
	tap_is_int((intmax_t)url_host_address(&u, addr), 0, "kbs.example is a name");
	url_parse(&u, "https://1.2.3.x4", NULL);
	tap_is_int((intmax_t)url_host_address(&u, addr), 0, "1.2.3.x4 is a name");
}

int main(void)
{
	test_good();
	test_bad();
	test_lengths();
	test_format_truncates();
	test_host_address();
	return tap_done();
}
