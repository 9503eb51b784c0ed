/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * utf8_validate() and utf8_decode() on any bytes against Unicode's table 3-7 (well-formed
 * UTF-8 byte sequences) written out here as ranges, and utf8_encode() as decode's inverse.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "basic/utf8.h"

/* Table 3-7: the lead byte range, then the range of each following byte. */
static const struct {
	uint8_t lead_lo, lead_hi;
	uint8_t len;
	uint8_t lo[3], hi[3];
} table_3_7[] = {
	{ 0x00, 0x7f, 1, { 0 }, { 0 } },
	{ 0xc2, 0xdf, 2, { 0x80 }, { 0xbf } },
	{ 0xe0, 0xe0, 3, { 0xa0, 0x80 }, { 0xbf, 0xbf } },
	{ 0xe1, 0xec, 3, { 0x80, 0x80 }, { 0xbf, 0xbf } },
	{ 0xed, 0xed, 3, { 0x80, 0x80 }, { 0x9f, 0xbf } },
	{ 0xee, 0xef, 3, { 0x80, 0x80 }, { 0xbf, 0xbf } },
	{ 0xf0, 0xf0, 4, { 0x90, 0x80, 0x80 }, { 0xbf, 0xbf, 0xbf } },
	{ 0xf1, 0xf3, 4, { 0x80, 0x80, 0x80 }, { 0xbf, 0xbf, 0xbf } },
	{ 0xf4, 0xf4, 4, { 0x80, 0x80, 0x80 }, { 0x8f, 0xbf, 0xbf } },
};

/* Length of the well-formed sequence at s (n > 0 bytes), or 0. */
static size_t reference_length(const uint8_t *s, size_t n)
{
	for (size_t t = 0; t < sizeof(table_3_7) / sizeof(table_3_7[0]); t++) {
		if (s[0] < table_3_7[t].lead_lo || s[0] > table_3_7[t].lead_hi)
			continue;
		if (n < table_3_7[t].len)
			return 0;
		for (size_t i = 1; i < table_3_7[t].len; i++)
			if (s[i] < table_3_7[t].lo[i - 1] || s[i] > table_3_7[t].hi[i - 1])
				return 0;
		return table_3_7[t].len;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t bad = SIZE_MAX, want_bad = SIZE_MAX;
	const char *why = NULL;
	int r;

	for (size_t i = 0; i < size;) {
		size_t want = reference_length(data + i, size - i);
		uint8_t again[UTF8_MAX_SEQUENCE];
		uint32_t cp;
		int k = utf8_decode(data + i, size - i, &cp, &why);

		if (!want) {
			fuzz_check(k == -EILSEQ && why,
				   "an ill-formed sequence is refused, saying why");
			want_bad = i;
			break;
		}
		fuzz_check(k == (int)want, "a well-formed sequence decodes whole");
		fuzz_check(utf8_encode(again, cp) == want && memcmp(again, data + i, want) == 0,
			   "the code point encodes back to the same bytes");
		i += want;
	}
	r = utf8_validate(data, size, &bad, &why);
	fuzz_check((r == 0) == (want_bad == SIZE_MAX), "utf8_validate() agrees with table 3-7");
	if (r < 0)
		fuzz_check(r == -EILSEQ && bad == want_bad && why,
			   "the first bad sequence is named where it starts");
	return 0;
}
