/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fnmatch() for the static musl build, in place of musl's own.
 *
 * libkmod is its only caller (module names and aliases against the patterns of
 * modules.alias and modprobe.d, flags 0). musl's fnmatch() decodes characters with mbtowc()
 * and tests classes with iswctype(), which links the Unicode case and class tables: 16 KiB
 * of the agent's 400 KiB, for a process that never calls setlocale(). In the C locale musl
 * decodes every byte as one character, bytes from 0x80 to code points that keep their order
 * and belong to no class, so matching bytes, with <ctype.h> for the classes, gives the same
 * answers. The rules are musl's: '\' escapes the next character (a trailing '\' is itself),
 * a '[' without its ']' is an ordinary character, no escapes inside brackets, "[.x.]" and
 * "[=x=]" match nothing. tests/unit/fnmatch.c holds the cases, checked against musl's and
 * glibc's fnmatch() when written; meson.build links this file into musl builds only.
 */
#include <assert.h>
#include <ctype.h>
#include <fnmatch.h>
#include <stddef.h>
#include <string.h>

static const struct {
	const char *name;
	int (*is)(int c);
} fnmatch_classes[] = {
	{ "alnum", isalnum }, { "alpha", isalpha }, { "blank", isblank }, { "cntrl", iscntrl },
	{ "digit", isdigit }, { "graph", isgraph }, { "lower", islower }, { "print", isprint },
	{ "punct", ispunct }, { "space", isspace }, { "upper", isupper }, { "xdigit", isxdigit },
};

static int fnmatch_class(const char *name, size_t len, unsigned char c)
{
	for (size_t i = 0; i < sizeof(fnmatch_classes) / sizeof(fnmatch_classes[0]); i++)
		if (strlen(fnmatch_classes[i].name) == len &&
		    memcmp(fnmatch_classes[i].name, name, len) == 0)
			return fnmatch_classes[i].is(c) != 0;
	return 0;
}

/* The end of the bracket expression that starts at p ('['), past its ']'; NULL if none. */
static const char *fnmatch_bracket_end(const char *p)
{
	const char *q = p + 1;
	char z;

	if (*q == '!' || *q == '^')
		q++;
	if (*q == ']')
		q++;
	for (; *q && *q != ']'; q++) {
		if (q[0] != '[' || (q[1] != ':' && q[1] != '.' && q[1] != '='))
			continue;
		z = q[1];
		q += 2;
		if (*q)
			q++;
		while (*q && (q[-1] != z || q[0] != ']'))
			q++;
		if (!*q)
			return NULL;
	}
	return *q ? q + 1 : NULL;
}

/* Whether c is in the bracket expression at p, which fnmatch_bracket_end() found closed. */
static int fnmatch_bracket(const char *p, unsigned char c)
{
	int inv = 0;
	char z;
	unsigned char lo;
	const char *name;

	p++;
	if (*p == '!' || *p == '^') {
		inv = 1;
		p++;
	}
	if (*p == ']' || *p == '-') {
		if (c == (unsigned char)*p)
			return !inv;
		p++;
	}
	/* A range's first end: the previous member, or the ']' or '-' taken literally. */
	lo = (unsigned char)p[-1];
	for (; *p != ']'; p++) {
		if (p[0] == '-' && p[1] != ']') {
			/* The range's last end is looked at once more as a member of its own. */
			if (lo <= c && c <= (unsigned char)p[1])
				return !inv;
			continue;
		}
		if (p[0] == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
			name = p + 2;
			z = p[1];
			p += 3;
			while (p[-1] != z || p[0] != ']')
				p++;
			if (z == ':' && fnmatch_class(name, (size_t)(p - 1 - name), c))
				return !inv;
			continue;
		}
		lo = (unsigned char)*p;
		if (lo == c)
			return !inv;
	}
	return inv;
}

int fnmatch(const char *pattern, const char *string, int flags)
{
	const char *p = pattern, *s = string, *star_p = NULL, *star_s = NULL, *end;
	int match;
	size_t step;

	/* libkmod passes 0; FNM_PATHNAME, FNM_PERIOD and FNM_CASEFOLD are not implemented. */
	assert((flags & ~FNM_NOESCAPE) == 0);
	for (;;) {
		if (*p == '*') {
			/* Every other token matches one character: the latest star takes the
			 * fewest characters that let the rest match, so no other needs to grow. */
			star_p = ++p;
			star_s = s;
			continue;
		}
		if (*p && *s) {
			step = 1;
			if (*p == '?') {
				match = 1;
			} else if (*p == '\\' && p[1] && !(flags & FNM_NOESCAPE)) {
				match = p[1] == *s;
				step = 2;
			} else if (*p == '[' && (end = fnmatch_bracket_end(p))) {
				match = fnmatch_bracket(p, (unsigned char)*s);
				step = (size_t)(end - p);
			} else {
				match = *p == *s;
			}
			if (match) {
				p += step;
				s++;
				continue;
			}
		} else if (!*p && !*s) {
			return 0;
		} else if (!*s) {
			/* Pattern left over, string used up: a star taking more cannot help. */
			return FNM_NOMATCH;
		}
		if (!star_p || !*star_s)
			return FNM_NOMATCH;
		p = star_p;
		s = ++star_s;
	}
}
