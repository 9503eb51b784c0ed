/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "tap.h"

/* RFC 4648 section 10 test vectors. */
static const struct {
	const char *raw, *b64, *b16;
} rfc4648[] = {
	{ "", "", "" },
	{ "f", "Zg==", "66" },
	{ "fo", "Zm8=", "666F" },
	{ "foo", "Zm9v", "666F6F" },
	{ "foob", "Zm9vYg==", "666F6F62" },
	{ "fooba", "Zm9vYmE=", "666F6F6261" },
	{ "foobar", "Zm9vYmFy", "666F6F626172" },
};

static void test_rfc4648(void)
{
	char out[64];
	uint8_t buf[64];
	size_t n;

	for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		const char *raw = rfc4648[i].raw, *b64 = rfc4648[i].b64;
		size_t len = strlen(raw);

		base64_encode(out, raw, len, BASE64_STD);
		tap_is_str(out, b64, "base64 of \"%s\" (RFC 4648)", raw);
		tap_is_int((intmax_t)base64_encoded_len(len, BASE64_STD), (intmax_t)strlen(b64),
			   "base64_encoded_len for %zu bytes", len);
		tap_ok(base64_decode(buf, sizeof(buf), b64, strlen(b64), BASE64_STD, &n, NULL) ==
				       0 &&
			       n == len && memcmp(buf, raw, len) == 0,
		       "base64 \"%s\" decodes to \"%s\"", b64, raw);

		tap_ok(hex_decode(buf, sizeof(buf), rfc4648[i].b16, strlen(rfc4648[i].b16), &n,
				  NULL) == 0 &&
			       n == len && memcmp(buf, raw, len) == 0,
		       "uppercase hex \"%s\" decodes", rfc4648[i].b16);
	}
	hex_encode(out, "foobar", 6);
	tap_is_str(out, "666f6f626172", "hex encodes lowercase");
}

/* RFC 7515 appendix C: the octets 3, 236, 255, 224, 193 are "A-z_4ME" in base64url. */
static void test_base64url(void)
{
	static const uint8_t raw[] = { 3, 236, 255, 224, 193 };
	char out[16];
	uint8_t buf[16];
	size_t n;

	base64_encode(out, raw, sizeof(raw), BASE64_URL);
	tap_is_str(out, "A-z_4ME", "base64url of the RFC 7515 appendix C octets");
	tap_ok(base64_decode(buf, sizeof(buf), "A-z_4ME", 7, BASE64_URL, &n, NULL) == 0 &&
		       n == sizeof(raw) && memcmp(buf, raw, n) == 0,
	       "base64url decodes the RFC 7515 appendix C string");
	base64_encode(out, "f", 1, BASE64_URL);
	tap_is_str(out, "Zg", "base64url writes no padding");
}

static void expect_reject(const char *in, enum base64_variant v, const char *word, const char *what)
{
	struct error e = { 0 };
	uint8_t buf[64];
	size_t n;
	int r = base64_decode(buf, sizeof(buf), in, strlen(in), v, &n, &e);

	tap_ok(r < 0 && strstr(e.msg, word), "%s is rejected (%s)", what, e.msg);
}

static void test_rejects(void)
{
	struct error e = { 0 };
	uint8_t small[2];
	size_t n;

	expect_reject("Zg=", BASE64_STD, "multiple of 4", "base64 with short padding");
	expect_reject("Zg", BASE64_STD, "multiple of 4", "base64 without padding");
	expect_reject("Zh==", BASE64_STD, "non-zero bits", "base64 with non-canonical last char");
	expect_reject("Z===", BASE64_STD, "offset 1", "base64 with three padding chars");
	expect_reject("Zg==Zg==", BASE64_STD, "offset 2", "base64 with padding in the middle");
	expect_reject("Zm9v\nYmFy", BASE64_STD, "multiple of 4", "base64 with a newline");
	expect_reject("Zm-v", BASE64_STD, "offset 2", "base64 with a base64url character");
	expect_reject("Zm+v", BASE64_URL, "offset 2", "base64url with a base64 character");
	expect_reject("Zg==", BASE64_URL, "offset 2", "base64url with padding");
	expect_reject("Zm9vY", BASE64_URL, "whole bytes", "base64url of impossible length");
	tap_is_int(base64_decode(small, sizeof(small), "Zm9v", 4, BASE64_STD, &n, &e), -EMSGSIZE,
		   "base64 larger than the buffer is refused before writing");

	tap_is_int(hex_decode(small, sizeof(small), "abc", 3, &n, &e), -EINVAL,
		   "hex with an odd number of digits is rejected");
	tap_ok(hex_decode(small, sizeof(small), "a_", 2, &n, &e) == -EINVAL &&
		       strstr(e.msg, "offset 1"),
	       "hex with a non-digit names its offset (%s)", e.msg);
	tap_is_int(hex_decode(small, sizeof(small), "aabbcc", 6, &n, &e), -EMSGSIZE,
		   "hex larger than the buffer is refused");
}

static void test_roundtrip(void)
{
	uint8_t raw[256], back[256];
	char txt[400];
	int good = 1;
	size_t n;

	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)(i * 131 + 7);
	for (size_t len = 0; len <= sizeof(raw); len++)
		for (int v = BASE64_STD; v <= BASE64_URL; v++) {
			base64_encode(txt, raw, len, (enum base64_variant)v);
			if (base64_decode(back, sizeof(back), txt, strlen(txt),
					  (enum base64_variant)v, &n, NULL) < 0 ||
			    n != len || memcmp(back, raw, len) != 0 ||
			    base64_decoded_max(strlen(txt)) < len)
				good = 0;
		}
	tap_ok(good, "every length 0..256 round-trips in both variants");
}

int main(void)
{
	test_rfc4648();
	test_base64url();
	test_rejects();
	test_roundtrip();
	return tap_done();
}
