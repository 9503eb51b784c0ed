/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "crypto/hash.h"
#include "json/jcs.h"
#include "json/json.h"
#include "tap.h"

#define BUDGET (1024 * 1024)

/* Parses in and compares its canonical form with want. */
static void expect_jcs(const char *in, const char *want, size_t want_len, const char *what)
{
	struct json_arena a;
	struct json_writer w;
	struct error e = { 0 };
	const struct json_value *v;
	int r;

	json_arena_init(&a, BUDGET);
	json_writer_init(&w, BUDGET);
	r = json_parse(&a, in, strlen(in), &v, &e);
	if (r == 0) {
		jcs_write(&w, v);
		r = json_writer_finish(&w, &e);
	}
	tap_ok(r == 0 && w.len == want_len && memcmp(w.buf, want, want_len) == 0, "%s (%s)", what,
	       r < 0 ? e.msg : w.buf);
	json_writer_free(&w);
	json_arena_free(&a);
}

#define EXPECT_JCS(in, want, what) expect_jcs(in, want, sizeof(want) - 1, what)

static void test_documents(void)
{
	/* RFC 8785 section 3.2.3: sorting by UTF-16 code units puts U+1F600 before U+FB33. */
	EXPECT_JCS("{\n"
		   "  \"\\u20ac\": \"Euro Sign\",\n"
		   "  \"\\r\": \"Carriage Return\",\n"
		   "  \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\",\n"
		   "  \"1\": \"One\",\n"
		   "  \"\\ud83d\\ude00\": \"Emoji: Grinning Face\",\n"
		   "  \"\\u0080\": \"Control\",\n"
		   "  \"\\u00f6\": \"Latin Small Letter O With Diaeresis\"\n"
		   "}",
		   "{\"\\r\":\"Carriage Return\","
		   "\"1\":\"One\","
		   "\"\xc2\x80\":\"Control\","
		   "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\","
		   "\"\xe2\x82\xac\":\"Euro Sign\","
		   "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
		   "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}",
		   "RFC 8785 section 3.2.3 sorting example");

	/* RFC 8785 section 3.2.4, its numbers the integers jcs_write() takes. */
	EXPECT_JCS("{\n"
		   "  \"numbers\": [333333333, -0, 4, 0, 999999999999999],\n"
		   "  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n"
		   "  \"literals\": [null, true, false]\n"
		   "}",
		   "{\"literals\":[null,true,false],"
		   "\"numbers\":[333333333,0,4,0,999999999999999],"
		   "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}",
		   "RFC 8785 section 3.2.4 example, with integers");

	EXPECT_JCS("{\"\\ufb33\":1,\"\\ud83d\\ude00\":2,\"\\ue000\":3,\"\\ud7ff\":4}",
		   "{\"\xed\x9f\xbf\":4,\"\xf0\x9f\x98\x80\":2,\"\xee\x80\x80\":3,"
		   "\"\xef\xac\xb3\":1}",
		   "U+D7FF < U+1F600 (D83D) < U+E000 < U+FB33 in UTF-16 order");
	EXPECT_JCS("[{\"b\":1,\"a\":[3,{\"d\":0,\"c\":-0}]}]",
		   "[{\"a\":[3,{\"c\":0,\"d\":0}],\"b\":1}]",
		   "nested objects are sorted, arrays keep their order, -0 is 0");
	EXPECT_JCS("{\"s\":\"\\u00e9\\u001F\\/\\u007f\"}", "{\"s\":\"\xc3\xa9\\u001f/\x7f\"}",
		   "strings use the minimal escapes");
	EXPECT_JCS("[-999999999999999,-1,0,7]", "[-999999999999999,-1,0,7]",
		   "integers of up to 15 digits are written as parsed");
	EXPECT_JCS("{\"b\":\"\",\"a\":\"\",\"\":\"\"}", "{\"\":\"\",\"a\":\"\",\"b\":\"\"}",
		   "the empty name sorts first");
	EXPECT_JCS("{\"ab\":1,\"a\":2}", "{\"a\":2,\"ab\":1}",
		   "a prefix sorts before its extension");
}

static void test_name_order(void)
{
	/* UTF-16 of U+1F600 is D83D DE00, of U+FB33 is FB33: the byte order is the other way. */
	tap_ok(json_name_compare("\xf0\x9f\x98\x80", 4, "\xef\xac\xb3", 3) < 0,
	       "U+1F600 sorts before U+FB33");
	tap_ok(json_name_compare("\xee\x80\x80", 3, "\xf4\x8f\xbf\xbf", 4) > 0,
	       "U+E000 sorts after U+10FFFF");
	tap_ok(json_name_compare("\xed\x9f\xbf", 3, "\xf0\x90\x80\x80", 4) < 0,
	       "U+D7FF sorts before U+10000");
	tap_ok(json_name_compare("\xf0\x90\x80\x80", 4, "\xf0\x90\x80\x81", 4) < 0,
	       "U+10000 sorts before U+10001");
	tap_ok(json_name_compare("a", 1, "a\0", 2) < 0, "a NUL extends a name");
	tap_is_int(json_name_compare("nonce", 5, "nonce", 5), 0, "equal names compare equal");
}

static void test_errors(void)
{
	struct json_arena a;
	struct json_writer w;
	struct error e = { 0 };
	const struct json_value *v;
	int r;

	json_arena_init(&a, BUDGET);
	json_writer_init(&w, BUDGET);
	/* Each number ECMAScript would write in another form than its text, or round. */
	static const char *const refused[] = {
		"1.5", "1e3", "1E21", "0.1", "-1.5e-9", "1000000000000000", "18446744073709551615",
	};
	char doc[64];

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		snprintf(doc, sizeof(doc), "[1,%s]", refused[i]);
		json_arena_free(&a);
		json_writer_free(&w);
		json_writer_init(&w, BUDGET);
		json_parse(&a, doc, strlen(doc), &v, &e);
		r = jcs_write(&w, v);
		tap_ok(r == -ERANGE && json_writer_finish(&w, &e) == -ERANGE &&
			       strstr(e.msg, "offset 3: number ") && strstr(e.msg, refused[i]) &&
			       strstr(e.msg, "up to 15 digits"),
		       "%s fails the document, named (%s)", refused[i], e.msg);
	}
	json_writer_free(&w);

	/* The canonical form embeds in a larger document as one value. */
	json_writer_init(&w, BUDGET);
	json_parse(&a, "{\"y\":1,\"x\":2}", 13, &v, &e);
	json_writer_begin_array(&w);
	jcs_write(&w, v);
	json_writer_null(&w);
	json_writer_end_array(&w);
	tap_ok(json_writer_finish(&w, &e) == 0 && strcmp(w.buf, "[{\"x\":2,\"y\":1},null]") == 0,
	       "jcs_write writes one value of an enclosing document (%s)", w.buf);
	json_writer_free(&w);
	json_arena_free(&a);
}

/*
 * The KBS runtime data as the broker hashes it (DESIGN.md section 6). The JWK is RFC 7517
 * appendix A.1's P-256 key; the nonce is base64 of the bytes 0..31. The digest comes from
 * Python: hashlib.sha384(json.dumps(obj, sort_keys=True, separators=(",", ":"),
 * ensure_ascii=False).encode()), which is JCS for an object of strings with ASCII names.
 */
static void test_runtime_data(void)
{
	static const char runtime_data[] =
		"{\"tee-pubkey\": {\"kty\": \"EC\", \"crv\": \"P-256\", \"alg\": \"ES256\", "
		"\"x\": \"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4\", "
		"\"y\": \"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM\"}, "
		"\"nonce\": \"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\", "
		"\"additional-evidence\": \"\"}";
	static const char want_hex[] = "c2e3cc5f0fc83da4ef7dc93e737ccef78ea35f5d7c11d057"
				       "52d0131e41433108bfbb03f0a96fb38f88aee8e700ddf684";
	uint8_t want[48], got[48];
	struct json_arena a;
	struct json_writer w;
	struct error e = { 0 };
	const struct json_value *v;
	size_t n;
	int r;

	hex_decode(want, sizeof(want), want_hex, strlen(want_hex), &n, NULL);
	json_arena_init(&a, BUDGET);
	json_writer_init(&w, BUDGET);
	r = json_parse(&a, runtime_data, strlen(runtime_data), &v, &e);
	if (r == 0) {
		jcs_write(&w, v);
		r = json_writer_finish(&w, &e);
	}
	if (!tap_ok(r == 0, "runtime data canonicalises (%s)", e.msg))
		goto out;
	tap_is_str(w.buf,
		   "{\"additional-evidence\":\"\","
		   "\"nonce\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\","
		   "\"tee-pubkey\":{\"alg\":\"ES256\",\"crv\":\"P-256\",\"kty\":\"EC\","
		   "\"x\":\"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4\","
		   "\"y\":\"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM\"}}",
		   "runtime data in canonical form");
	hash_buffer(HASH_SHA384, w.buf, w.len, got);
	tap_is_mem(got, want, sizeof(want), "SHA-384 of the canonical runtime data (Python)");
out:
	json_writer_free(&w);
	json_arena_free(&a);
}

int main(void)
{
	test_documents();
	test_name_order();
	test_errors();
	test_runtime_data();
	return tap_done();
}
