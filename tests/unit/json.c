/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "basic/error.h"
#include "json/json.h"
#include "tap.h"

#define BUDGET (1024 * 1024)

static int parse_str(struct json_arena *a, const char *in, const struct json_value **v,
		     struct error *e)
{
	return json_parse(a, in, strlen(in), v, e);
}

/* RFC 8259 section 13, first example. */
static const char rfc8259_image[] =
	"{\n"
	"  \"Image\": {\n"
	"      \"Width\":  800,\n"
	"      \"Height\": 600,\n"
	"      \"Title\":  \"View from 15th Floor\",\n"
	"      \"Thumbnail\": {\n"
	"          \"Url\":    \"http://www.example.com/image/481989943\",\n"
	"          \"Height\": 125,\n"
	"          \"Width\":  100\n"
	"      },\n"
	"      \"Animated\" : false,\n"
	"      \"IDs\": [116, 943, 234, 38793]\n"
	"    }\n"
	"}\n";

/* RFC 8259 section 13, second example. */
static const char rfc8259_places[] = "[\n"
				     "  {\n"
				     "     \"precision\": \"zip\",\n"
				     "     \"Latitude\":  37.7668,\n"
				     "     \"Longitude\": -122.3959,\n"
				     "     \"Address\":   \"\",\n"
				     "     \"City\":      \"SAN FRANCISCO\",\n"
				     "     \"State\":     \"CA\",\n"
				     "     \"Zip\":       \"94107\",\n"
				     "     \"Country\":   \"US\"\n"
				     "  },\n"
				     "  {\n"
				     "     \"precision\": \"zip\",\n"
				     "     \"Latitude\":  37.371991,\n"
				     "     \"Longitude\": -122.026020,\n"
				     "     \"Address\":   \"\",\n"
				     "     \"City\":      \"SUNNYVALE\",\n"
				     "     \"State\":     \"CA\",\n"
				     "     \"Zip\":       \"94085\",\n"
				     "     \"Country\":   \"US\"\n"
				     "  }\n"
				     "]\n";

static void test_rfc8259_image(void)
{
	static const char *const order[] = { "Width",	  "Height",   "Title",
					     "Thumbnail", "Animated", "IDs" };
	static const int64_t ids[] = { 116, 943, 234, 38793 };
	struct json_arena a;
	struct error e = { 0 };
	const struct json_value *doc, *image = NULL, *thumb = NULL, *arr = NULL, *m;
	const char *s = NULL;
	int64_t i64 = 0;
	bool b = true;
	size_t k = 0;
	int good = 1;

	json_arena_init(&a, BUDGET);
	if (!tap_ok(parse_str(&a, rfc8259_image, &doc, &e) == 0,
		    "RFC 8259 image example parses (%s)", e.msg)) {
		json_arena_free(&a);
		return;
	}
	tap_is_int(json_object_get_object(doc, "Image", &image, &e), 0,
		   "member Image is an object");
	tap_ok(json_object_get_int64(image, "Width", &i64, &e) == 0 && i64 == 800,
	       "Image.Width is 800");
	tap_ok(json_object_get_string(image, "Title", &s, NULL, &e) == 0 &&
		       strcmp(s, "View from 15th Floor") == 0,
	       "Image.Title is the string");
	tap_ok(json_object_get_object(image, "Thumbnail", &thumb, &e) == 0 &&
		       json_object_get_string(thumb, "Url", &s, NULL, &e) == 0 &&
		       strcmp(s, "http://www.example.com/image/481989943") == 0,
	       "Image.Thumbnail.Url is the URL");
	tap_ok(json_object_get_int64(thumb, "Width", &i64, &e) == 0 && i64 == 100,
	       "nested Width is 100, not the outer one");
	tap_ok(json_object_get_bool(image, "Animated", &b, &e) == 0 && !b,
	       "Image.Animated is false");
	tap_ok(json_object_get_array(image, "IDs", &arr, &e) == 0 && arr->u.container.count == 4,
	       "Image.IDs is an array of 4");
	json_foreach(m, arr) if (k >= 4 || json_get_int64(m, &i64, &e) < 0 || i64 != ids[k++])
		good = 0;
	tap_ok(good && k == 4, "Image.IDs holds 116, 943, 234, 38793 in order");
	k = 0;
	good = 1;
	json_foreach(m, image) if (k >= 6 || strcmp(m->key, order[k++]) != 0) good = 0;
	tap_ok(good && k == 6, "members are kept in document order");
	json_arena_free(&a);
}

static void test_rfc8259_places(void)
{
	struct json_arena a;
	struct error e = { 0 };
	const struct json_value *doc, *second;
	const char *s = NULL;
	size_t len = 99;
	double d = 0;

	json_arena_init(&a, BUDGET);
	if (!tap_ok(parse_str(&a, rfc8259_places, &doc, &e) == 0,
		    "RFC 8259 places example parses (%s)", e.msg)) {
		json_arena_free(&a);
		return;
	}
	tap_ok(doc->type == JSON_ARRAY && doc->u.container.count == 2,
	       "places example is an array of 2");
	tap_ok(json_get_double(json_object_get(doc->u.container.first, "Latitude"), &d, &e) == 0 &&
		       d == 37.7668,
	       "first Latitude is 37.7668");
	second = doc->u.container.first->next;
	tap_ok(json_get_double(json_object_get(second, "Longitude"), &d, &e) == 0 &&
		       d == -122.02602,
	       "second Longitude is -122.026020");
	tap_is_str(json_object_get(second, "Longitude")->u.number.text, "-122.026020",
		   "a number keeps its original text");
	tap_ok(json_object_get_string(second, "Address", &s, &len, &e) == 0 && len == 0 &&
		       s[0] == '\0',
	       "an empty string has length 0");
	tap_ok(json_object_get_string(second, "Zip", &s, NULL, &e) == 0 && strcmp(s, "94085") == 0,
	       "second Zip is \"94085\", a string");
	json_arena_free(&a);
}

static void test_scalars(void)
{
	struct json_arena a;
	struct error e = { 0 };
	const struct json_value *v;
	int64_t i64 = 0;

	json_arena_init(&a, BUDGET);
	/* RFC 8259 section 13: "Here are three small JSON texts containing only values". */
	tap_ok(parse_str(&a, "\"Hello world!\"", &v, &e) == 0 && v->type == JSON_STRING &&
		       strcmp(v->u.string.data, "Hello world!") == 0,
	       "a top-level string is a document");
	tap_ok(parse_str(&a, "42", &v, &e) == 0 && json_get_int64(v, &i64, &e) == 0 && i64 == 42,
	       "a top-level number is a document");
	tap_ok(parse_str(&a, "true", &v, &e) == 0 && v->type == JSON_BOOL && v->u.boolean,
	       "a top-level literal is a document");
	tap_ok(parse_str(&a, "null", &v, &e) == 0 && v->type == JSON_NULL, "null parses");
	tap_ok(parse_str(&a, " \t\r\n[ \t\r\n] \t\r\n", &v, &e) == 0 && v->type == JSON_ARRAY &&
		       v->u.container.count == 0,
	       "all four whitespace characters are skipped");
	tap_ok(json_parse(&a, "[7]]]", 3, &v, &e) == 0 && v->u.container.count == 1,
	       "only len bytes are read: no NUL terminator needed");
	tap_ok(parse_str(&a, "{\"a\": [10]}", &v, &e) == 0 &&
		       json_object_get(v, "a")->offset == 6 &&
		       json_object_get(v, "a")->u.container.first->offset == 7,
	       "values record their byte offset");
	tap_ok(parse_str(&a, "{}", &v, &e) == 0 && v->type == JSON_OBJECT &&
		       v->u.container.count == 0 && !json_object_get(v, "a"),
	       "an empty object has no members");
	json_arena_free(&a);
}

static void expect_string(const char *in, const char *want, size_t want_len, const char *what)
{
	struct json_arena a;
	struct error e = { 0 };
	const struct json_value *v;
	int r;

	json_arena_init(&a, BUDGET);
	r = parse_str(&a, in, &v, &e);
	tap_ok(r == 0 && v->type == JSON_STRING && v->u.string.len == want_len &&
		       memcmp(v->u.string.data, want, want_len) == 0 &&
		       v->u.string.data[want_len] == '\0',
	       "%s (%s)", what, r < 0 ? e.msg : "decoded");
	json_arena_free(&a);
}

static void test_strings(void)
{
	expect_string("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 8,
		      "the eight two-character escapes decode");
	expect_string("\"\\u00e9\"", "\xc3\xa9", 2, "\\u00e9 decodes to UTF-8 C3 A9");
	expect_string("\"\\u20AC\"", "\xe2\x82\xac", 3,
		      "\\u20AC (uppercase hex) decodes to E2 82 AC");
	expect_string("\"\\uFFFF\"", "\xef\xbf\xbf", 3, "\\uFFFF decodes to EF BF BF");
	expect_string("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4,
		      "a surrogate pair decodes to one 4-byte sequence (U+1F600)");
	expect_string("\"\\uDBFF\\uDFFF\"", "\xf4\x8f\xbf\xbf", 4, "\\uDBFF\\uDFFF is U+10FFFF");
	expect_string("\"a\\u0000b\"", "a\0b", 3, "\\u0000 gives a NUL inside the length");
	expect_string("\"\xf0\x9f\x98\x80\xc3\xa9\x7f\"", "\xf0\x9f\x98\x80\xc3\xa9\x7f", 7,
		      "literal UTF-8 and DEL pass through");
}

struct reject {
	const char *in;
	int code;
	size_t offset;
	const char *problem;
	const char *what;
};

static const struct reject rejects[] = {
	{ "\"\xc0\x80\"", -EINVAL, 1, "overlong", "2-byte overlong NUL" },
	{ "\"\xe0\x80\xaf\"", -EINVAL, 1, "overlong", "3-byte overlong '/'" },
	{ "\"\xf0\x8f\xbf\xbf\"", -EINVAL, 1, "overlong", "4-byte overlong U+FFFF" },
	{ "\"a\xed\xa0\x80\"", -EINVAL, 2, "surrogate", "UTF-8-encoded surrogate U+D800" },
	{ "\"\xf4\x90\x80\x80\"", -EINVAL, 1, "above U+10FFFF", "UTF-8 for U+110000" },
	{ "\"\xf5\x80\x80\x80\"", -EINVAL, 1, "above U+10FFFF", "UTF-8 lead byte F5" },
	{ "\"\xe2\x82\"", -EINVAL, 1, "truncated", "UTF-8 sequence cut by the quote" },
	{ "\"\xe2\x82x\"", -EINVAL, 1, "truncated", "UTF-8 sequence cut by ASCII" },
	{ "\"\x80\"", -EINVAL, 1, "continuation", "a lone continuation byte" },
	{ "\"\xff\"", -EINVAL, 1, "invalid lead byte", "byte FF" },
	{ "[\"\\x\"]", -EINVAL, 2, "invalid escape", "escape \\x" },
	{ "\"\\'\"", -EINVAL, 1, "invalid escape", "escape \\'" },
	{ "\"\\u12\"", -EINVAL, 1, "four hex digits", "\\u with two digits" },
	{ "\"\\uZZZZ\"", -EINVAL, 1, "four hex digits", "\\u with non-hex digits" },
	{ "\"\\ud800\"", -EINVAL, 1, "unpaired high surrogate", "lone high surrogate" },
	{ "\"\\ud800\\u0041\"", -EINVAL, 1, "unpaired high surrogate",
	  "high surrogate before a non-surrogate" },
	{ "\"\\ud800\\ud800\"", -EINVAL, 1, "unpaired high surrogate", "two high surrogates" },
	{ "\"ab\\udc00\"", -EINVAL, 3, "unpaired low surrogate", "lone low surrogate" },
	{ "\"a\tb\"", -EINVAL, 2, "control character 0x09", "raw tab in a string" },
	{ "\"\x1f\"", -EINVAL, 1, "control character 0x1f", "raw U+001F in a string" },
	{ "\"a\nb\"", -EINVAL, 2, "control character 0x0a", "raw newline in a string" },
	{ "01", -EINVAL, 0, "leading zero", "leading zero" },
	{ "[-01]", -EINVAL, 1, "leading zero", "negative leading zero" },
	{ "-", -EINVAL, 0, "'-' not followed by a digit", "lone '-'" },
	{ "[-]", -EINVAL, 1, "'-' not followed by a digit", "lone '-' in an array" },
	{ "-Infinity", -EINVAL, 0, "'-' not followed by a digit", "-Infinity" },
	{ "+1", -EINVAL, 0, "'+'", "leading '+'" },
	{ "NaN", -EINVAL, 0, "'N'", "NaN" },
	{ "Infinity", -EINVAL, 0, "'I'", "Infinity" },
	{ "1.", -EINVAL, 2, "decimal point", "fraction without digits" },
	{ ".5", -EINVAL, 0, "'.'", "fraction without integer part" },
	{ "1e", -EINVAL, 2, "exponent", "exponent without digits" },
	{ "1e+", -EINVAL, 3, "exponent", "signed exponent without digits" },
	{ "0x10", -EINVAL, 1, "'x' after the end", "hex number" },
	{ "[1,]", -EINVAL, 3, "trailing comma before ']'", "trailing comma in an array" },
	{ "{\"a\":1,}", -EINVAL, 7, "trailing comma before '}'", "trailing comma in an object" },
	{ "[,1]", -EINVAL, 1, "','", "leading comma in an array" },
	{ "/* c */ 1", -EINVAL, 0, "comments", "block comment" },
	{ "1 // c", -EINVAL, 2, "comment after the end", "line comment" },
	{ "[1] x", -EINVAL, 4, "'x' after the end", "garbage after the document" },
	{ "{} {}", -EINVAL, 3, "'{' after the end", "two documents" },
	{ "\xef\xbb\xbf{}", -EINVAL, 0, "byte 0xef", "byte order mark" },
	{ "tru", -EINVAL, 0, "invalid literal", "truncated true" },
	{ "nULL", -EINVAL, 0, "invalid literal", "literal in the wrong case" },
	{ "'a'", -EINVAL, 0, "where a value was expected", "single quotes" },
	{ "{a:1}", -EINVAL, 1, "'a' where a member name was expected", "unquoted name" },
	{ "{\"a\" 1}", -EINVAL, 5, "':' expected", "missing colon" },
	{ "[1 2]", -EINVAL, 3, "',' or ']' expected", "missing comma in an array" },
	{ "{\"a\":1 \"b\":2}", -EINVAL, 7, "',' or '}' expected", "missing comma in an object" },
	{ "\"abc", -EINVAL, 0, "unterminated string", "unterminated string" },
	{ "\"abc\\\"", -EINVAL, 0, "unterminated string", "string ending in an escaped quote" },
	{ "[1", -EINVAL, 0, "unterminated array", "unterminated array" },
	{ "[1,", -EINVAL, 3, "end of input", "array ending after a comma" },
	{ " {\"a\":1", -EINVAL, 1, "unterminated object", "unterminated object" },
	{ "", -EINVAL, 0, "end of input", "empty input" },
	{ "  ", -EINVAL, 2, "end of input", "whitespace only" },
	{ "{\"a\":1,\"b\":2,\"a\":3}", -EINVAL, 17, "duplicate member 'a'", "duplicate name" },
	{ "{\"a\":1,\"\\u0061\":2}", -EINVAL, 16, "duplicate member 'a'",
	  "duplicate name spelled with an escape" },
	{ "{\"\\u00e9\":1,\"\xc3\xa9\":2}", -EINVAL, 17, "duplicate member '\\xc3\\xa9'",
	  "duplicate non-ASCII name, escaped and literal" },
	{ "[{\"x\":{\"k\":1,\"k\":1}}]", -EINVAL, 17, "duplicate member 'k'",
	  "duplicate name in a nested object" },
};

static void test_rejects(void)
{
	struct json_arena a;

	json_arena_init(&a, BUDGET);
	for (size_t i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++) {
		const struct reject *t = &rejects[i];
		const struct json_value *v = NULL;
		struct error e = { 0 };
		char where[32];
		int r;

		snprintf(where, sizeof(where), "offset %zu: ", t->offset);
		r = json_parse(&a, t->in, strlen(t->in), &v, &e);
		tap_ok(r == t->code && strncmp(e.msg, where, strlen(where)) == 0 &&
			       strstr(e.msg, t->problem),
		       "rejects %s (%s)", t->what, e.msg);
	}
	{
		struct error e = { 0 };
		const struct json_value *v;
		int r = json_parse(&a, "1\0", 2, &v, &e);

		tap_ok(r == -EINVAL && strstr(e.msg, "offset 1: byte 0x00 after the end"),
		       "rejects a NUL after the document (%s)", e.msg);
	}
	json_arena_free(&a);
}

static void test_limits(void)
{
	char deep[2 * JSON_MAX_DEPTH + 3];
	struct json_arena a;
	struct error e = { 0 };
	const struct json_value *v;
	char big[4096];
	size_t n = 0;
	int r;

	json_arena_init(&a, BUDGET);
	memset(deep, '[', JSON_MAX_DEPTH);
	memset(deep + JSON_MAX_DEPTH, ']', JSON_MAX_DEPTH);
	tap_is_int(json_parse(&a, deep, 2 * JSON_MAX_DEPTH, &v, &e), 0,
		   "arrays nested %d deep are accepted", JSON_MAX_DEPTH);

	memset(deep, '[', JSON_MAX_DEPTH + 1);
	memset(deep + JSON_MAX_DEPTH + 1, ']', JSON_MAX_DEPTH + 1);
	r = json_parse(&a, deep, 2 * JSON_MAX_DEPTH + 2, &v, &e);
	tap_ok(r == -EINVAL && strstr(e.msg, "offset 64: nesting deeper than 64"),
	       "arrays nested %d deep are refused at the innermost '[' (%s)", JSON_MAX_DEPTH + 1,
	       e.msg);

	r = parse_str(&a, "{\"a\":[{\"b\":[{\"c\":[[[[[[1]]]]]]}]}]}", &v, &e);
	tap_is_int(r, 0, "mixed nesting below the limit is accepted");
	json_arena_free(&a);

	/* 1000 one-digit numbers: each needs a node, so 4 KiB cannot hold them. */
	big[n++] = '[';
	for (int i = 0; i < 1000; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "%s%d", i ? "," : "", i % 10);
	big[n++] = ']';
	json_arena_init(&a, 4096);
	r = json_parse(&a, big, n, &v, &e);
	tap_ok(r == -ENOBUFS && strstr(e.msg, "4096-byte budget"),
	       "a document beyond the arena budget is refused (%s)", e.msg);
	json_arena_free(&a);
	json_arena_init(&a, 0);
	r = parse_str(&a, "1", &v, &e);
	tap_ok(r == -ENOBUFS && strstr(e.msg, "offset 0: "), "a zero budget holds nothing (%s)",
	       e.msg);
	json_arena_free(&a);
	json_arena_init(&a, 64 * n);
	tap_is_int(json_parse(&a, big, n, &v, &e), 0,
		   "a budget of 64 bytes per input byte suffices");
	tap_is_int((intmax_t)v->u.container.count, 1000, "the array holds 1000 numbers");
	json_arena_free(&a);
}

static void test_numbers(void)
{
	static const struct {
		const char *in;
		int code;
		int64_t want;
	} i64[] = {
		{ "0", 0, 0 },
		{ "-0", 0, 0 },
		{ "9223372036854775807", 0, INT64_MAX },
		{ "-9223372036854775808", 0, INT64_MIN },
		{ "9223372036854775808", -ERANGE, 0 },
		{ "-9223372036854775809", -ERANGE, 0 },
		{ "99999999999999999999999", -ERANGE, 0 },
		{ "1.0", -EINVAL, 0 },
		{ "1e3", -EINVAL, 0 },
		{ "1E3", -EINVAL, 0 },
	};
	static const struct {
		const char *in;
		int code;
		uint64_t want;
	} u64[] = {
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "18446744073709551616", -ERANGE, 0 },
		{ "-1", -ERANGE, 0 },
		{ "-0", 0, 0 },
		{ "0.5", -EINVAL, 0 },
	};
	struct json_arena a;
	struct error e = { 0 };
	const struct json_value *v;
	double d = 0;
	int r;

	json_arena_init(&a, BUDGET);
	for (size_t i = 0; i < sizeof(i64) / sizeof(i64[0]); i++) {
		int64_t got = 0;

		r = parse_str(&a, i64[i].in, &v, &e);
		if (r == 0)
			r = json_get_int64(v, &got, &e);
		tap_ok(r == i64[i].code && (r < 0 || got == i64[i].want), "int64 of %s: %s",
		       i64[i].in, r < 0 ? e.msg : "value");
	}
	for (size_t i = 0; i < sizeof(u64) / sizeof(u64[0]); i++) {
		uint64_t got = 0;

		r = parse_str(&a, u64[i].in, &v, &e);
		if (r == 0)
			r = json_get_uint64(v, &got, &e);
		tap_ok(r == u64[i].code && (r < 0 || got == u64[i].want), "uint64 of %s: %s",
		       u64[i].in, r < 0 ? e.msg : "value");
	}
	parse_str(&a, "1.5", &v, &e);
	json_get_int64(v, &(int64_t){ 0 }, &e);
	tap_is_str(e.msg, "number 1.5 is not an integer", "a fraction's message quotes the number");

	tap_ok(parse_str(&a, "1.50E+3", &v, &e) == 0 && json_get_double(v, &d, &e) == 0 &&
		       d == 1500.0 && strcmp(v->u.number.text, "1.50E+3") == 0,
	       "1.50E+3 is 1500 and keeps its text");
	tap_ok(parse_str(&a, "-0", &v, &e) == 0 && json_get_double(v, &d, &e) == 0 && d == 0 &&
		       signbit(d),
	       "-0 is negative zero as a double");
	tap_ok(parse_str(&a, "1e-400", &v, &e) == 0 && json_get_double(v, &d, &e) == 0 && d == 0,
	       "1e-400 underflows to 0");
	r = parse_str(&a, "1e400", &v, &e);
	tap_ok(r == 0 && json_get_double(v, &d, &e) == -ERANGE && strstr(e.msg, "1e400"),
	       "1e400 parses but is beyond the double range (%s)", e.msg);
	r = parse_str(&a, "\"5\"", &v, &e);
	tap_ok(r == 0 && json_get_int64(v, &(int64_t){ 0 }, &e) == -EINVAL &&
		       strstr(e.msg, "a string, expected a number"),
	       "a string is not a number (%s)", e.msg);
	json_arena_free(&a);
}

static void test_getters(void)
{
	struct json_arena a;
	struct error e = { 0 };
	const struct json_value *v, *o;
	const char *s;
	char doc[2048];
	size_t len = 0, n = 0;
	int64_t i64;
	bool b;
	int good = 1;

	json_arena_init(&a, BUDGET);
	parse_str(&a, "{\"nonce\":5,\"n\":1.5,\"s\":\"a\\u0000b\",\"t\":true,\"o\":{},\"a\":[]}",
		  &v, &e);
	tap_is_int(json_object_get_string(v, "nonce", &s, NULL, &e), -EINVAL,
		   "a number is not a string");
	tap_is_str(e.msg, "member 'nonce' is a number, expected a string",
		   "the type error names the member and both types");
	tap_is_int(json_object_get_string(v, "Nonce", &s, NULL, &e), -ENOENT,
		   "names are case-sensitive");
	tap_is_str(e.msg, "member 'Nonce' is missing", "the missing member is named");
	tap_is_int(json_object_get_int64(v, "n", &i64, &e), -EINVAL, "1.5 is not an int64 member");
	tap_is_str(e.msg, "member 'n': number 1.5 is not an integer",
		   "a number error is prefixed with the member");
	tap_ok(json_object_get_string(v, "s", &s, NULL, &e) == -EINVAL && strstr(e.msg, "NUL"),
	       "a string holding NUL is refused as a C string (%s)", e.msg);
	tap_ok(json_object_get_string(v, "s", &s, &len, &e) == 0 && len == 3 &&
		       memcmp(s, "a\0b", 3) == 0,
	       "with a length, the string holding NUL is returned");
	tap_ok(json_object_get_bool(v, "t", &b, &e) == 0 && b, "bool member");
	tap_ok(json_object_get_object(v, "o", &o, &e) == 0 && o->type == JSON_OBJECT,
	       "object member");
	tap_ok(json_object_get_array(v, "a", &o, &e) == 0 && o->type == JSON_ARRAY, "array member");
	tap_ok(json_object_get_array(v, "o", &o, &e) == -EINVAL &&
		       strcmp(e.msg, "member 'o' is an object, expected an array") == 0,
	       "an object is not an array");
	tap_ok(json_object_get_bool(json_object_get(v, "a"), "x", &b, &e) == -EINVAL &&
		       strstr(e.msg, "not an object"),
	       "looking up a member of an array fails (%s)", e.msg);
	tap_ok(!json_object_get(json_object_get(v, "a"), "x"),
	       "json_object_get of an array is NULL");

	/* Every name of a 100-member object is found, with its own value. */
	n = (size_t)snprintf(doc, sizeof(doc), "{");
	for (int i = 99; i >= 0; i--)
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "\"k%d\":%d%s", i, i,
				      i ? "," : "}");
	parse_str(&a, doc, &v, &e);
	for (int i = 0; i < 100; i++) {
		char key[8];

		snprintf(key, sizeof(key), "k%d", i);
		if (json_object_get_int64(v, key, &i64, &e) < 0 || i64 != i)
			good = 0;
	}
	tap_ok(good && !json_object_get(v, "k100") && !json_object_get(v, "k"),
	       "lookup finds each of 100 members and nothing else");
	json_arena_free(&a);
}

/* Writer: each document compared with the bytes RFC 8259 prescribes, written out by hand. */
#define EXPECT_DOCUMENT(w, want, what) expect_document(w, want, sizeof(want) - 1, what)

static void expect_document(struct json_writer *w, const char *want, size_t want_len,
			    const char *what)
{
	struct error e = { 0 };
	int r = json_writer_finish(w, &e);

	tap_ok(r == 0 && w->len == want_len && memcmp(w->buf, want, want_len) == 0, "%s (%s)", what,
	       r < 0 ? e.msg : w->buf);
	json_writer_free(w);
}

static void test_writer(void)
{
	static const char tricky[] = "\"\\/\b\f\n\r\t\x01\x1f\x7f\xc3\xa9\xf0\x9f\x98\x80";
	struct json_arena a;
	struct error e = { 0 };
	const struct json_value *v;
	struct json_writer w;

	json_writer_init(&w, 4096);
	json_writer_begin_object(&w);
	json_writer_key(&w, "version");
	json_writer_string(&w, "0.4.0");
	json_writer_key(&w, "tee");
	json_writer_string(&w, "tdx");
	json_writer_key(&w, "extra-params");
	json_writer_begin_object(&w);
	json_writer_end_object(&w);
	json_writer_end_object(&w);
	EXPECT_DOCUMENT(&w, "{\"version\":\"0.4.0\",\"tee\":\"tdx\",\"extra-params\":{}}",
			"KBS auth request, compact and in call order");

	json_writer_init(&w, 4096);
	json_writer_begin_array(&w);
	json_writer_int64(&w, 0);
	json_writer_int64(&w, INT64_MIN);
	json_writer_uint64(&w, UINT64_MAX);
	json_writer_bool(&w, true);
	json_writer_bool(&w, false);
	json_writer_null(&w);
	json_writer_begin_array(&w);
	json_writer_end_array(&w);
	json_writer_end_array(&w);
	EXPECT_DOCUMENT(&w, "[0,-9223372036854775808,18446744073709551615,true,false,null,[]]",
			"integers, literals and an empty array");

	json_writer_init(&w, 4096);
	json_writer_string(&w, tricky);
	EXPECT_DOCUMENT(&w,
			"\"\\\"\\\\/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\xc3\xa9\xf0\x9f\x98\x80\"",
			"escapes: short forms, \\u00xx lowercase, '/', DEL and UTF-8 literal");

	json_writer_init(&w, 4096);
	json_writer_string_len(&w, "a\0b", 3);
	EXPECT_DOCUMENT(&w, "\"a\\u0000b\"", "a NUL inside the length is \\u0000");

	json_writer_init(&w, 4096);
	json_writer_begin_object(&w);
	json_writer_key(&w, "evidence");
	json_writer_raw(&w, "{\"a\":[1]}", 9);
	json_writer_key(&w, "n");
	json_writer_raw(&w, "1.5", 3);
	json_writer_end_object(&w);
	EXPECT_DOCUMENT(&w, "{\"evidence\":{\"a\":[1]},\"n\":1.5}", "raw JSON is a value");

	/* What the writer escapes, the parser decodes to the same bytes. */
	json_writer_init(&w, 4096);
	json_writer_string(&w, tricky);
	json_writer_finish(&w, &e);
	json_arena_init(&a, BUDGET);
	tap_ok(json_parse(&a, w.buf, w.len, &v, &e) == 0 && v->u.string.len == strlen(tricky) &&
		       memcmp(v->u.string.data, tricky, strlen(tricky)) == 0,
	       "the escaped string parses back to the original bytes");
	json_arena_free(&a);
	json_writer_free(&w);
}

static void test_writer_errors(void)
{
	struct error e = { 0 };
	struct json_writer w;
	int r;

	json_writer_init(&w, 4096);
	r = json_writer_string(&w, "a\xc0\x80");
	tap_ok(r == -EILSEQ && strstr(w.error.msg, "string value: invalid UTF-8 at byte 1") &&
		       strstr(w.error.msg, "overlong"),
	       "invalid UTF-8 in a string is refused (%s)", w.error.msg);
	json_writer_free(&w);

	json_writer_init(&w, 4096);
	json_writer_begin_object(&w);
	r = json_writer_key(&w, "\xed\xa0\x80");
	tap_ok(r == -EILSEQ && strstr(w.error.msg, "member name: invalid UTF-8 at byte 0"),
	       "invalid UTF-8 in a member name is refused (%s)", w.error.msg);
	json_writer_free(&w);

	json_writer_init(&w, 4096);
	r = json_writer_key(&w, "k");
	tap_ok(r == -EINVAL && strstr(w.error.msg, "member name 'k' outside an object"),
	       "a key at the top level is misuse (%s)", w.error.msg);
	json_writer_free(&w);

	json_writer_init(&w, 4096);
	json_writer_begin_array(&w);
	r = json_writer_key(&w, "k");
	tap_ok(r == -EINVAL && strstr(w.error.msg, "outside an object"),
	       "a key in an array is misuse (%s)", w.error.msg);
	json_writer_free(&w);

	json_writer_init(&w, 4096);
	json_writer_begin_object(&w);
	r = json_writer_int64(&w, 1);
	tap_ok(r == -EINVAL && strstr(w.error.msg, "without a member name"),
	       "a value in an object without a key is misuse (%s)", w.error.msg);
	json_writer_free(&w);

	json_writer_init(&w, 4096);
	json_writer_begin_object(&w);
	json_writer_key(&w, "a");
	r = json_writer_key(&w, "b");
	tap_ok(r == -EINVAL && strstr(w.error.msg, "member name 'b' after a member name"),
	       "two keys in a row are misuse (%s)", w.error.msg);
	json_writer_free(&w);

	json_writer_init(&w, 4096);
	json_writer_begin_object(&w);
	json_writer_key(&w, "a");
	r = json_writer_end_object(&w);
	tap_ok(r == -EINVAL && strstr(w.error.msg, "without its value"),
	       "ending an object after a key is misuse (%s)", w.error.msg);
	json_writer_free(&w);

	json_writer_init(&w, 4096);
	json_writer_begin_object(&w);
	r = json_writer_end_array(&w);
	tap_ok(r == -EINVAL && strstr(w.error.msg, "end of an array while an object is open"),
	       "ending the wrong container is misuse (%s)", w.error.msg);
	json_writer_free(&w);

	json_writer_init(&w, 4096);
	r = json_writer_end_object(&w);
	tap_ok(r == -EINVAL && strstr(w.error.msg, "not open"),
	       "ending a container never begun is misuse (%s)", w.error.msg);
	json_writer_free(&w);

	json_writer_init(&w, 4096);
	json_writer_begin_array(&w);
	json_writer_end_array(&w);
	r = json_writer_end_array(&w);
	tap_ok(r == -EINVAL && strstr(w.error.msg, "at output byte 2"),
	       "an extra end is misuse, named with the output offset (%s)", w.error.msg);
	json_writer_free(&w);

	json_writer_init(&w, 4096);
	json_writer_null(&w);
	r = json_writer_null(&w);
	tap_ok(r == -EINVAL && strstr(w.error.msg, "second top-level value"),
	       "a second top-level value is misuse (%s)", w.error.msg);
	tap_is_int(json_writer_begin_array(&w), -EINVAL, "after a failure every call fails");
	tap_ok(w.len == 4 && strcmp(w.buf, "null") == 0, "after a failure nothing is written");
	tap_ok(json_writer_finish(&w, &e) == -EINVAL && strstr(e.msg, "second top-level value"),
	       "finish reports the first failure (%s)", e.msg);
	json_writer_free(&w);

	json_writer_init(&w, 4096);
	json_writer_begin_array(&w);
	json_writer_begin_object(&w);
	tap_ok(json_writer_finish(&w, &e) == -EINVAL && strstr(e.msg, "2 unclosed containers"),
	       "finish refuses unclosed containers (%s)", e.msg);
	json_writer_free(&w);

	json_writer_init(&w, 4096);
	tap_ok(json_writer_finish(&w, &e) == -EINVAL && strstr(e.msg, "no value"),
	       "finish refuses an empty document (%s)", e.msg);
	json_writer_free(&w);

	json_writer_init(&w, 4096);
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		json_writer_begin_array(&w);
	r = json_writer_begin_array(&w);
	tap_ok(r == -EINVAL && strstr(w.error.msg, "nesting deeper than 64"),
	       "the writer refuses nesting deeper than %d (%s)", JSON_MAX_DEPTH, w.error.msg);
	json_writer_free(&w);

	/* "12345" is 7 bytes with its quotes. */
	json_writer_init(&w, 7);
	json_writer_string(&w, "12345");
	EXPECT_DOCUMENT(&w, "\"12345\"", "a document of exactly max bytes fits");
	json_writer_init(&w, 7);
	r = json_writer_string(&w, "123456");
	tap_ok(r == -EMSGSIZE && w.len <= 7 && strstr(w.error.msg, "exceeds 7 bytes"),
	       "a document beyond max bytes is refused (%s)", w.error.msg);
	json_writer_free(&w);
}

int main(void)
{
	test_rfc8259_image();
	test_rfc8259_places();
	test_scalars();
	test_strings();
	test_rejects();
	test_limits();
	test_numbers();
	test_getters();
	test_writer();
	test_writer_errors();
	return tap_done();
}
