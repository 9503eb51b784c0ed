/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * base64_decode() of both variants on any text: what it accepts re-encodes to the same text
 * (one spelling per byte string), and any bytes encode to a text that decodes back to them.
 */
#include <string.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "fuzz.h"

static void variant(const uint8_t *data, size_t size, enum base64_variant v)
{
	size_t cap = base64_decoded_max(size), n = 0;
	/* Room for decoding the input and for decoding the input's own encoding. */
	uint8_t *out = malloc((cap > size ? cap : size) + 1);
	char *text = malloc(base64_encoded_len(size, v) + 1);
	struct error e = { 0 };

	fuzz_check(out && text, "malloc");
	if (base64_decode(out, cap, (const char *)data, size, v, &n, &e) == 0) {
		char *again = malloc(base64_encoded_len(n, v) + 1);

		fuzz_check(again && n <= cap, "the decoded bytes fit base64_decoded_max()");
		fuzz_check(base64_encoded_len(n, v) == size, "the text has the encoded length");
		base64_encode(again, out, n, v);
		fuzz_check(memcmp(again, data, size) == 0, "an accepted text re-encodes to itself");
		free(again);
		/* One byte less room must be refused, never overrun. */
		if (n > 0)
			fuzz_check(base64_decode(out, n - 1, (const char *)data, size, v, &n, &e) <
					   0,
				   "a decode that does not fit is refused");
	} else {
		fuzz_check(e.code < 0 && e.msg[0], "a refusal says why");
	}

	base64_encode(text, data, size, v);
	fuzz_check(strlen(text) == base64_encoded_len(size, v), "base64_encoded_len() is exact");
	fuzz_check(base64_decode(out, size, text, strlen(text), v, &n, &e) == 0 && n == size &&
			   memcmp(out, data, size) == 0,
		   "any bytes round-trip through the text");
	free(text);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	variant(data, size, BASE64_STD);
	variant(data, size, BASE64_URL);
	return 0;
}
