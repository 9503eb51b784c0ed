/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hex_decode() on any text against the rule written out here (an even number of hex digits of
 * either case), and the round trip: what it accepts encodes back to the text in lowercase,
 * any bytes encode to a text that decodes back to them.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "fuzz.h"

static bool reference_valid(const uint8_t *data, size_t size)
{
	if (size % 2)
		return false;
	for (size_t i = 0; i < size; i++)
		if (!isxdigit(data[i]))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *out = malloc(size / 2 + 1);
	char *text = malloc(2 * size + 1);
	struct error e = { 0 };
	size_t n = 0;
	int r;

	fuzz_check(out && text, "malloc");
	r = hex_decode(out, size / 2, (const char *)data, size, &n, &e);
	fuzz_check((r == 0) == reference_valid(data, size), "hex_decode() follows the rule");
	if (r == 0) {
		fuzz_check(n == size / 2, "two digits make a byte");
		hex_encode(text, out, n);
		for (size_t i = 0; i < size; i++)
			fuzz_check(text[i] == tolower(data[i]),
				   "the bytes encode back to the text");
		for (size_t i = 0; i < size; i++)
			fuzz_check(hex_digit_value(data[i]) >= 0, "every digit has a value");
		if (n > 0)
			fuzz_check(hex_decode(out, n - 1, (const char *)data, size, &n, &e) < 0,
				   "a decode that does not fit is refused");
	}

	hex_encode(text, data, size);
	fuzz_check(strlen(text) == 2 * size, "two digits per byte");
	{
		uint8_t *back = malloc(size + 1);

		fuzz_check(back, "malloc");
		fuzz_check(hex_decode(back, size, text, 2 * size, &n, &e) == 0 && n == size &&
				   memcmp(back, data, size) == 0,
			   "any bytes round-trip through the text");
		free(back);
	}
	free(text);
	free(out);
	return 0;
}
