/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * url_parse() on any text. Properties: what it accepts has a non-zero port, a host within
 * URL_HOST_MAX that is an address exactly when url_host_address() says so, a path that is
 * empty or starts but does not end with '/'; url_format() of it parses back to the same URL.
 */
#include <string.h>

#include "basic/error.h"
#include "fuzz.h"
#include "net/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), formatted[URL_TEXT_MAX + 64];
	struct url u, again;
	struct error e = { 0 };
	uint8_t addr[16];
	size_t alen;
	int r;

	fuzz_check(text, "malloc");
	memcpy(text, data, size);
	text[size] = '\0';
	r = url_parse(&u, text, &e);
	if (r < 0) {
		fuzz_check(e.code == r && e.msg[0], "a refusal comes with its message");
		free(text);
		return 0;
	}
	fuzz_check(u.port != 0, "port 1..65535");
	fuzz_check(strlen(u.host) > 0 && strlen(u.host) <= URL_HOST_MAX, "host length");
	fuzz_check(u.path[0] == '\0' || (u.path[0] == '/' && u.path[strlen(u.path) - 1] != '/'),
		   "path empty or /prefix without a trailing slash");
	alen = url_host_address(&u, addr);
	fuzz_check(alen == 0 || alen == 4 || alen == 16, "an address has 4 or 16 bytes");
	fuzz_check((alen == 16) == (strchr(u.host, ':') != NULL), "IPv6 exactly with a colon");

	url_format(&u, formatted, sizeof(formatted));
	fuzz_check(url_parse(&again, formatted, &e) == 0, "the formatted URL parses");
	fuzz_check(again.https == u.https && again.port == u.port &&
			   strcmp(again.host, u.host) == 0 && strcmp(again.path, u.path) == 0,
		   "the formatted URL parses back to the same URL");
	free(text);
	return 0;
}
