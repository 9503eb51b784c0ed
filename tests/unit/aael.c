/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "evlog/aael.h"
#include "tap.h"

static size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n;

	if (hex_decode(out, cap, hex, strlen(hex), &n, NULL) < 0)
		abort();
	return n;
}

static void expect_digest(enum hash_alg alg, const char *d, const char *o, const char *c,
			  const char *hex, const char *what)
{
	uint8_t want[HASH_MAX_SIZE], got[HASH_MAX_SIZE];
	size_t n = unhex(want, sizeof(want), hex);
	struct error e = { 0 };

	tap_ok(aael_digest(alg, d, o, c, got, &e) == 0 && n == hash_info(alg)->size &&
		       memcmp(got, want, n) == 0,
	       "%s", what);
}

/* DESIGN.md sec. 10, and Python: hashlib.sha512(struct.pack('<II', 0x4141454C, 24) + text). */
static void test_vectors(void)
{
	expect_digest(HASH_SHA384, "domain", "operation", "content",
		      "dad5f0e226318ffa9839b75a472c6aa7fdb5834949d0a0a22990cf04d5692440fb00f3aa06"
		      "09db7e49cd8d793f670d02",
		      "SHA-384 of the AAEL body of \"domain operation content\" (DESIGN vector)");
	expect_digest(HASH_SHA256, "domain", "operation", "content",
		      "46df8dacf00a07d34a83cdf56d7978697790787cf2ba1432ef7c38f22cd96351",
		      "SHA-256 of the AAEL body of \"domain operation content\" (DESIGN vector)");
	expect_digest(HASH_SHA512, "domain", "operation", "content",
		      "b708d222ca8bd44dfe6ba0c4ca2cbb72379276fba8091025217064be45a813e5d6124ccf07"
		      "3219edb617d1faf007d55061465bdf34b7437dbdc9a7405bd4e9c0",
		      "SHA-512 of the AAEL body of \"domain operation content\" (Python hashlib)");
}

/*
 * Trustee's test data (deps/eventlog/test_data/CCEL_AAEL_alibabacloud_out.json): an AAEL record
 * written by the attestation agent, its event data in base64 and its SHA-384 digest, which
 * Trustee reports as matching the event.
 */
static void test_trustee_record(void)
{
	static const char body_hex[] = "4c45414124000000636f636f2e636f6d20736f6d652d6f70657261"
				       "74696f6e20736f6d652d636f6e74656e74";
	uint8_t want[128], got[128];
	size_t n = unhex(want, sizeof(want), body_hex), len = 0;
	struct error e = { 0 };

	tap_ok(aael_body_write(got, sizeof(got), "coco.com", "some-operation", "some-content", &len,
			       &e) == 0 &&
		       len == n && memcmp(got, want, n) == 0,
	       "AAEL body is byte for byte the attestation agent's (Trustee test data)");
	tap_is_int((intmax_t)aael_body_size("coco.com", "some-operation", "some-content"),
		   (intmax_t)n, "aael_body_size counts header and text");
	expect_digest(HASH_SHA384, "coco.com", "some-operation", "some-content",
		      "2330183d89750c6a374ac9827d33a33636e7876733544584c8ccc88df0df87eada37e5d71d"
		      "0773502234c2b5fbc7448e",
		      "SHA-384 digest equals the one in Trustee's test log");
}

static void test_small_buffer(void)
{
	uint8_t buf[16];
	size_t len = 0;
	struct error e = { 0 };
	int r = aael_body_write(buf, sizeof(buf), "domain", "operation", "content", &len, &e);

	tap_is_int(r, -ENOBUFS, "a short buffer is -ENOBUFS");
	tap_is_int((intmax_t)len, 32, "and reports the 32 bytes needed");
}

static void expect_invalid(const char *d, const char *o, const char *c, const char *word,
			   const char *what)
{
	uint8_t out[HASH_MAX_SIZE];
	struct error e = { 0 };
	int r = aael_digest(HASH_SHA384, d, o, c, out, &e);

	tap_ok(r == -EINVAL && strstr(e.msg, word), "%s is refused (%s)", what, e.msg);
}

static void test_validation(void)
{
	expect_invalid("", "op", "{}", "domain is empty", "an empty domain");
	expect_invalid("do main", "op", "{}", "domain has a space at byte 2",
		       "a space in the domain");
	expect_invalid("d", "o p", "{}", "operation has a space at byte 1",
		       "a space in the operation");
	expect_invalid("d", "", "{}", "operation is empty", "an empty operation");
	expect_invalid("d", "o", "", "content is empty", "an empty content");
	expect_invalid("d", "o", "{\"a\":\n1}", "control character 0x0a at byte 5",
		       "a newline in the content");
	expect_invalid("d\x7f", "o", "{}", "control character 0x7f at byte 1", "DEL in the domain");
	expect_invalid("d", "o", "x\xc0\x80", "content is not UTF-8 at byte 1",
		       "an overlong NUL (C0 80)");
	expect_invalid("d", "o", "\xed\xa0\x80", "not UTF-8 at byte 0",
		       "a UTF-16 surrogate (ED A0 80)");
	expect_invalid("d", "o", "ab\xf4\x90\x80\x80", "not UTF-8 at byte 2",
		       "a code point above U+10FFFF");
	expect_invalid("d", "o", "abc\xe2\x82", "not UTF-8 at byte 3", "a cut-off sequence");
	expect_invalid("d\xff", "o", "c", "domain is not UTF-8 at byte 1", "byte FF in the domain");
}

static void test_utf8(void)
{
	/* U+00E9, U+20AC, U+1D11E, U+10FFFF: the longest of each length, all well formed. */
	static const char ok[] = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e \xf4\x8f\xbf\xbf";
	uint8_t out[HASH_MAX_SIZE];
	struct error e = { 0 };

	tap_is_int(aael_digest(HASH_SHA384, "d\xc3\xa9", "o", ok, out, &e), 0,
		   "two-, three- and four-byte UTF-8 up to U+10FFFF is accepted");
}

static void expect_parse_error(const char *hex, const char *word, const char *what)
{
	uint8_t body[128];
	size_t n = unhex(body, sizeof(body), hex);
	struct aael_view v;
	struct error e = { 0 };
	int r = aael_parse(body, n, &v, &e);

	tap_ok(r == -EBADMSG && strstr(e.msg, word), "%s is refused (%s)", what, e.msg);
}

static void test_parse(void)
{
	uint8_t body[128];
	size_t len = 0;
	struct aael_view v;
	struct error e = { 0 };
	int r;

	/* One of Trustee's own cases: the content is everything after the second space. */
	aael_body_write(body, sizeof(body), "domain", "operation", "con tent", &len, &e);
	r = aael_parse(body, len, &v, &e);
	tap_ok(r == 0 && v.domain_len == 6 && memcmp(v.domain, "domain", 6) == 0,
	       "parse: domain ends at the first space");
	tap_ok(r == 0 && v.operation_len == 9 && memcmp(v.operation, "operation", 9) == 0,
	       "parse: operation ends at the second space");
	tap_ok(r == 0 && v.content_len == 8 && memcmp(v.content, "con tent", 8) == 0,
	       "parse: content keeps its own spaces");

	/* "LEAA", size, text as in the Trustee record above, altered one way each. */
	expect_parse_error("4c454141", "shorter than its header", "a body without a full header");
	expect_parse_error("4c45414204000000612062", "byte 0: tagged event ID 0x4241454c",
			   "another tagged event ID");
	expect_parse_error("4c45414105000000612062", "byte 4: AAEL text size 5, but 3 bytes",
			   "a text size that does not match the body");
	expect_parse_error("4c4541410300000061206263", "byte 4:", "bytes after the text");
	expect_parse_error("4c45414103000000612062", "only one space", "a text with one space");
	expect_parse_error("4c45414103000000616263", "no space", "a text without spaces");
	expect_parse_error("4c454141060000006120622063ff", "byte 13: AAEL text is not UTF-8",
			   "a text that is not UTF-8");
}

int main(void)
{
	test_vectors();
	test_trustee_record();
	test_small_buffer();
	test_validation();
	test_utf8();
	test_parse();
	return tap_done();
}
