/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "tap.h"
#include "basic/utf8.h"

/* The boundaries of Unicode table 3-7 ("Well-Formed UTF-8 Byte Sequences"). */
static const struct {
	const char *bytes;
	size_t len;
	uint32_t cp;
} valid[] = {
	{ "\x00", 1, 0x0000 },
	{ "\x7f", 1, 0x007f },
	{ "\xc2\x80", 2, 0x0080 },
	{ "\xdf\xbf", 2, 0x07ff },
	{ "\xe0\xa0\x80", 3, 0x0800 },
	{ "\xed\x9f\xbf", 3, 0xd7ff },
	{ "\xee\x80\x80", 3, 0xe000 },
	{ "\xef\xbf\xbf", 3, 0xffff },
	{ "\xf0\x90\x80\x80", 4, 0x10000 },
	{ "\xf4\x8f\xbf\xbf", 4, 0x10ffff },
};

static const struct {
	const char *bytes;
	size_t len;
	const char *why;
} invalid[] = {
	{ "\xc0\x80", 2, "overlong" },
	{ "\xc1\xbf", 2, "overlong" },
	{ "\xe0\x9f\xbf", 3, "overlong" },
	{ "\xf0\x8f\xbf\xbf", 4, "overlong" },
	{ "\xed\xa0\x80", 3, "surrogate" },
	{ "\xed\xbf\xbf", 3, "surrogate" },
	{ "\xf4\x90\x80\x80", 4, "above U+10FFFF" },
	{ "\xf7\xbf\xbf\xbf", 4, "above U+10FFFF" },
	{ "\xf8\x88\x80\x80\x80", 5, "invalid lead byte" },
	{ "\xff", 1, "invalid lead byte" },
	{ "\x80", 1, "continuation" },
	{ "\xe2\x82", 2, "truncated" },
	{ "\xe2\x82\x41", 3, "truncated" },
};

static void test_decode(void)
{
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		const char *why = NULL;
		uint32_t cp = 0xffffffff;
		int r = utf8_decode((const uint8_t *)valid[i].bytes, valid[i].len, &cp, &why);

		tap_ok(r == (int)valid[i].len && cp == valid[i].cp, "U+%04X decodes from %zu bytes",
		       (unsigned)valid[i].cp, valid[i].len);
	}
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		const char *why = "";
		uint32_t cp;
		int r = utf8_decode((const uint8_t *)invalid[i].bytes, invalid[i].len, &cp, &why);

		tap_ok(r == -EILSEQ && strstr(why, invalid[i].why), "%02x... is refused: %s",
		       (uint8_t)invalid[i].bytes[0], why);
	}
}

/* RFC 3629 section 7 examples. */
static void test_rfc3629(void)
{
	static const uint32_t alpha[] = { 0x0041, 0x2262, 0x0391, 0x002e };
	static const uint32_t korean[] = { 0xd55c, 0xad6d, 0xc5b4 };
	static const uint32_t japanese[] = { 0x65e5, 0x672c, 0x8a9e };
	static const uint32_t stump[] = { 0x233b4 };
	static const struct {
		const uint32_t *cps;
		size_t n;
		const char *want;
		const char *what;
	} examples[] = {
		{ alpha, 4, "\x41\xe2\x89\xa2\xce\x91\x2e", "A<NOT IDENTICAL TO><ALPHA>." },
		{ korean, 3, "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4", "Korean hangugeo" },
		{ japanese, 3, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "Japanese nihongo" },
		{ stump, 1, "\xf0\xa3\x8e\xb4", "Chinese U+233B4" },
	};

	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		uint8_t out[16] = { 0 };
		size_t n = 0, bad = 0;
		const char *why = NULL;

		for (size_t k = 0; k < examples[i].n; k++)
			n += utf8_encode(out + n, examples[i].cps[k]);
		tap_ok(n == strlen(examples[i].want) && memcmp(out, examples[i].want, n) == 0,
		       "%s encodes as RFC 3629 section 7 shows", examples[i].what);
		tap_is_int(utf8_validate(examples[i].want, strlen(examples[i].want), &bad, &why), 0,
			   "%s validates", examples[i].what);
	}
}

static void test_validate(void)
{
	size_t bad = 0;
	const char *why = NULL;
	int r = utf8_validate("ab\xc3\xa9\xed\xa0\x80z", 8, &bad, &why);

	tap_ok(r == -EILSEQ && bad == 4 && strstr(why, "surrogate"),
	       "validation names the offset of the first bad sequence");
	tap_is_int(utf8_validate("", 0, &bad, &why), 0, "the empty string is UTF-8");
	r = utf8_validate("a\xf0\x9f\x98", 4, &bad, &why);
	tap_ok(r == -EILSEQ && bad == 1 && strstr(why, "truncated"),
	       "a sequence cut by the end of the input is refused");
}

int main(void)
{
	test_decode();
	test_rfc3629();
	test_validate();
	return tap_done();
}
