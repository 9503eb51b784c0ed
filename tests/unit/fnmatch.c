/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fnmatch() as libkmod calls it: in the static musl build that is agent/platform/fnmatch.c,
 * elsewhere the C library's. The expected answers are those of musl's and glibc's own
 * fnmatch() (the cases were run through both when written); where the two differ, musl's
 * rules are the ones agent/platform/fnmatch.c keeps, checked in musl builds only.
 */
#include <fnmatch.h>

#include "tap.h"

struct fnmatch_case {
	const char *pattern;
	const char *string;
	int flags;
	int match;
};

/* Both C libraries agree: module aliases as modules.alias writes them, and POSIX's rules. */
static const struct fnmatch_case common[] = {
	{ "", "", 0, 1 },
	{ "", "a", 0, 0 },
	{ "*", "", 0, 1 },
	{ "*", "any/thing.ko", 0, 1 },
	{ "a*", "a", 0, 1 },
	{ "*a", "ba", 0, 1 },
	{ "*a", "ab", 0, 0 },
	{ "*a*b", "xaxxb", 0, 1 },
	{ "a*b*c", "abcbc", 0, 1 },
	{ "a*b", "abc", 0, 0 },
	{ "a**b", "axyb", 0, 1 },
	{ "?", "", 0, 0 },
	{ "??", "ab", 0, 1 },
	{ "a?c", "abc", 0, 1 },
	{ "a?c", "ac", 0, 0 },
	{ "[abc]", "b", 0, 1 },
	{ "[abc]", "d", 0, 0 },
	{ "[!abc]", "b", 0, 0 },
	{ "[!abc]", "d", 0, 1 },
	{ "[^abc]", "d", 0, 1 },
	{ "[a-c]", "b", 0, 1 },
	{ "[a-c]", "d", 0, 0 },
	{ "[z-a]", "m", 0, 0 },
	{ "[]]", "]", 0, 1 },
	{ "[]a]", "a", 0, 1 },
	{ "[!]]", "]", 0, 0 },
	{ "[!]]", "x", 0, 1 },
	{ "[a-]", "-", 0, 1 },
	{ "[-a]", "-", 0, 1 },
	{ "[]-a]", "_", 0, 1 },
	{ "[[:digit:]]", "7", 0, 1 },
	{ "[[:alpha:]]", "7", 0, 0 },
	{ "[[:upper:][:digit:]]", "Q", 0, 1 },
	{ "[[:upper:][:digit:]]", "q", 0, 0 },
	{ "[[:space:]]", " ", 0, 1 },
	{ "[[:xdigit:]]", "F", 0, 1 },
	{ "[[:xdigit:]]", "g", 0, 0 },
	{ "[[:punct:]]", "_", 0, 1 },
	{ "[[:alnum:]]", "_", 0, 0 },
	{ "[[:bogus:]]", "b", 0, 0 },
	{ "[[:alpha:]]", "\xe9", 0, 0 },
	{ "[\x80-\xff]", "\xc3", 0, 1 },
	{ "[\x80-\xff]", "c", 0, 0 },
	{ "\xc3\xa9*", "\xc3\xa9t\xc3\xa9", 0, 1 },
	{ "[a", "[a", 0, 1 },
	{ "[a", "a", 0, 0 },
	{ "[", "[", 0, 1 },
	{ "\\*", "*", 0, 1 },
	{ "\\*", "a", 0, 0 },
	{ "\\?", "?", 0, 1 },
	{ "\\[a]", "[a]", 0, 1 },
	{ "a\\b", "ab", 0, 1 },
	{ "\\*", "\\x", FNM_NOESCAPE, 1 },
	{ "\\*", "*", FNM_NOESCAPE, 0 },
	{ "*.ko", "tdx-guest.ko", 0, 1 },
	{ "*/*", "kernel/drivers", 0, 1 },
	{ "tdx_guest", "tdx_guest", 0, 1 },
	{ "sev_guest", "sev-guest", 0, 0 },
	{ "pci:v00008086d*sv*sd*bc*sc*i*", "pci:v00008086d00001234sv00001AF4sd00001100bc01sc06i00",
	  0, 1 },
	{ "pci:v00008086d*sv*sd*bc*sc*i*", "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00",
	  0, 0 },
	{ "usb:v05ACp021Ad0[0-1]*dc*dsc*dp*ic*isc*ip*in*",
	  "usb:v05ACp021Ad0100dc00dsc00dp00ic03isc01ip01in00", 0, 1 },
	{ "usb:v05ACp021Ad0[0-1]*dc*dsc*dp*ic*isc*ip*in*",
	  "usb:v05ACp021Ad0200dc00dsc00dp00ic03isc01ip01in00", 0, 0 },
	{ "acpi*:PNP0C0[0-9A-F]:*", "acpi:PNP0C0A:", 0, 1 },
	{ "acpi*:PNP0C0[0-9A-F]:*", "acpi:PNP0C0G:", 0, 0 },
	{ "virtio:d00000003v*", "virtio:d00000003v00001AF4", 0, 1 },
	{ "cpu:type:x86,ven*fam*mod*:feature:*0081*",
	  "cpu:type:x86,ven0000fam0006mod008F:feature:,0000,0001,0081,0100", 0, 1 },
};

#ifndef __GLIBC__
/* musl's answers, which glibc does not give: a trailing '\' is itself, no escapes inside
 * brackets, "[=a=]" and "[.a.]" match nothing, a range's last end is also a member. */
static const struct fnmatch_case musl_only[] = {
	{ "a\\", "a\\", 0, 1 },	  { "[\\]]", "\\]", 0, 1 }, { "[\\]]", "]", 0, 0 },
	{ "[[=a=]]", "a", 0, 0 }, { "[[.a.]]", "a", 0, 0 }, { "[a-c-e]", "d", 0, 1 },
	{ "[z-ab]", "a", 0, 1 },
};
#endif

/* The bytes from 0x80 as \xHH, so that the TAP stream stays ASCII. */
static const char *printable(const char *s, char *buf, size_t size)
{
	size_t n = 0;

	for (; *s && n + 5 < size; s++)
		n += (size_t)snprintf(buf + n, size - n,
				      (unsigned char)*s < 0x80 ? "%c" : "\\x%02x",
				      (unsigned char)*s);
	buf[n] = '\0';
	return buf;
}

static void check(const struct fnmatch_case *c)
{
	char pattern[128], string[128];
	int got = fnmatch(c->pattern, c->string, c->flags) == 0;

	tap_ok(got == c->match, "fnmatch(\"%s\", \"%s\", %s) %s",
	       printable(c->pattern, pattern, sizeof(pattern)),
	       printable(c->string, string, sizeof(string)), c->flags ? "FNM_NOESCAPE" : "0",
	       c->match ? "matches" : "does not match");
}

int main(void)
{
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		check(&common[i]);
#ifndef __GLIBC__
	for (size_t i = 0; i < sizeof(musl_only) / sizeof(musl_only[0]); i++)
		check(&musl_only[i]);
#endif
	return tap_done();
}
