/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "basic/utf8.h"

#include <errno.h>

int utf8_decode(const uint8_t *s, size_t n, uint32_t *cp, const char **why)
{
	uint32_t c, min;
	size_t len;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	/* 0xc0 and 0xc1 could only start overlong forms of ASCII. */
	if (s[0] < 0xc0) {
		*why = "continuation byte without a lead byte";
		return -EILSEQ;
	}
	if (s[0] < 0xc2) {
		*why = "overlong encoding";
		return -EILSEQ;
	}
	if (s[0] < 0xe0) {
		len = 2, c = s[0] & 0x1f, min = 0x80;
	} else if (s[0] < 0xf0) {
		len = 3, c = s[0] & 0x0f, min = 0x800;
	} else if (s[0] < 0xf8) {
		len = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		*why = "invalid lead byte";
		return -EILSEQ;
	}
	for (size_t i = 1; i < len; i++) {
		if (i >= n || (s[i] & 0xc0) != 0x80) {
			*why = "truncated sequence";
			return -EILSEQ;
		}
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min) {
		*why = "overlong encoding";
		return -EILSEQ;
	}
	if (c >= 0xd800 && c <= 0xdfff) {
		*why = "surrogate code point encoded in UTF-8";
		return -EILSEQ;
	}
	if (c > 0x10ffff) {
		*why = "code point above U+10FFFF";
		return -EILSEQ;
	}
	*cp = c;
	return (int)len;
}

int utf8_validate(const void *s, size_t n, size_t *bad_offset, const char **why)
{
	const uint8_t *p = s;
	uint32_t cp;

	for (size_t i = 0; i < n;) {
		int r;

		if (p[i] < 0x80) {
			i++;
			continue;
		}
		r = utf8_decode(p + i, n - i, &cp, why);
		if (r < 0) {
			*bad_offset = i;
			return r;
		}
		i += (size_t)r;
	}
	return 0;
}

size_t utf8_encode(uint8_t out[UTF8_MAX_SEQUENCE], uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xc0 | cp >> 6);
		out[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xe0 | cp >> 12);
		out[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (uint8_t)(0xf0 | cp >> 18);
	out[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}
