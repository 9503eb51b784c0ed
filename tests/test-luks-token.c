/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The mrboot LUKS2 token (luks/token.h): the JSON enroll writes, byte for byte as written out
 * by hand from the documented shape; that JSON read back; a PEM trust anchor from the
 * openssl-made fixtures of tests/fixtures/pem; and every refusal, one member at a time, with
 * the member named.
 * Usage: test-luks-token FIXTURES_PEM_DIR
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "file.h"
#include "json.h"
#include "luks/token.h"
#include "net/trust-anchors.h"
#include "tap.h"

#define FULL                                                                                          \
	"{\"type\":\"mrboot\",\"keyslots\":[\"3\"],\"mrboot-kbs-url\":[\"https://kbs.example:8080\"," \
	"\"https://10.0.0.1\"],\"mrboot-resource\":\"default/mrboot/root\","                          \
	"\"mrboot-trust-anchor\":\"/etc/mrboot/kbs-ca.pem\",\"mrboot-tee\":\"sample\","               \
	"\"mrboot-timeout\":7}"

static void test_write(void)
{
	struct luks_token t = {
		.keyslot = 3,
		.urls = { "https://kbs.example:8080", "https://10.0.0.1", NULL },
		.resource = "default/mrboot/root",
		.trust_anchor = "/etc/mrboot/kbs-ca.pem",
		.has_tee = true,
		.tee = TEE_SAMPLE,
		.timeout = 7,
	};
	struct json_writer w;
	struct error e = { 0 };

	json_writer_init(&w, LUKS_TOKEN_JSON_MAX);
	luks_token_write(&t, &w);
	tap_ok(json_writer_finish(&w, &e) == 0, "write: a complete document");
	tap_is_str(w.buf, FULL, "write: every member, in the documented order");
	json_writer_free(&w);

	t.has_tee = false;
	t.timeout = 0;
	json_writer_init(&w, LUKS_TOKEN_JSON_MAX);
	luks_token_write(&t, &w);
	tap_ok(json_writer_finish(&w, &e) == 0, "write: without TEE and timeout");
	tap_is_str(w.buf,
		   "{\"type\":\"mrboot\",\"keyslots\":[\"3\"],\"mrboot-kbs-url\":[\"https://"
		   "kbs.example:8080\",\"https://10.0.0.1\"],\"mrboot-resource\":\"default/mrboot/"
		   "root\",\"mrboot-trust-anchor\":\"/etc/mrboot/kbs-ca.pem\"}",
		   "write: the optional members left out");
	json_writer_free(&w);
}

static void test_parse(void)
{
	struct json_arena arena = { 0 };
	struct error e = { 0 };
	struct luks_token t;
	int r = luks_token_parse(&t, &arena, FULL, strlen(FULL), &e);

	tap_is_int(r, 0, "parse: the full token (%s)", e.msg);
	if (r == 0) {
		tap_is_int(t.keyslot, 3, "parse: key slot");
		tap_is_str(t.urls[0], "https://kbs.example:8080", "parse: first URL");
		tap_is_str(t.urls[1], "https://10.0.0.1", "parse: second URL");
		tap_ok(t.urls[2] == NULL, "parse: the URL list ends");
		tap_is_str(t.resource, "default/mrboot/root", "parse: resource");
		tap_is_str(t.trust_anchor, "/etc/mrboot/kbs-ca.pem", "parse: trust anchor path");
		tap_ok(luks_token_anchor_is_path(t.trust_anchor), "parse: the anchor is a path");
		tap_ok(t.has_tee && t.tee == TEE_SAMPLE, "parse: tee sample");
		tap_is_int(t.timeout, 7, "parse: timeout");
	}
	json_arena_free(&arena);
}

/* A token around the PEM text of an openssl-made CA certificate: one anchor from it. */
static void test_pem(const char *dir)
{
	char path[4096], *pem = NULL;
	struct json_arena arena = { 0 };
	struct trust_anchors ta = { 0 };
	struct error e = { 0 };
	struct json_writer w;
	struct luks_token t = {
		.keyslot = 0,
		.urls = { "https://localhost:1", NULL },
		.resource = "a/b/c",
	};
	size_t len;
	int r;

	snprintf(path, sizeof(path), "%s/ca-ec-p256.pem", dir);
	if (file_read_all(path, 1 << 20, &pem, &len, &e) < 0) {
		tap_ok(0, "pem: fixture %s (%s)", path, e.msg);
		return;
	}
	t.trust_anchor = pem;
	json_writer_init(&w, LUKS_TOKEN_JSON_MAX);
	luks_token_write(&t, &w);
	r = json_writer_finish(&w, &e);
	if (r == 0)
		r = luks_token_parse(&t, &arena, w.buf, w.len, &e);
	tap_is_int(r, 0, "pem: a token with an embedded certificate parses (%s)", e.msg);
	tap_ok(r == 0 && !luks_token_anchor_is_path(t.trust_anchor), "pem: as PEM text");
	tap_is_str(r == 0 ? t.trust_anchor : NULL, pem, "pem: the text unchanged");
	r = r == 0 ? luks_token_load_anchors(&t, "/", &ta, &e) : -1;
	tap_ok(r == 0 && ta.count == 1, "pem: one trust anchor from it (%s)", e.msg);
	trust_anchors_free(&ta);
	json_arena_free(&arena);
	json_writer_free(&w);
	free(pem);
}

#define T(members) "{\"type\":\"mrboot\",\"keyslots\":[\"1\"]," members "}"
#define URL "\"mrboot-kbs-url\":[\"https://kbs\"]"
#define RES "\"mrboot-resource\":\"r/t/g\""
#define TA "\"mrboot-trust-anchor\":\"/ca.pem\""

static const struct {
	const char *what;
	const char *json;
	const char *message; /* a part of the error */
} bad[] = {
	{ "not an object", "[]", "expected an object" },
	{ "not JSON", "{\"type\":", "offset" },
	{ "a member twice", "{\"type\":\"mrboot\",\"type\":\"mrboot\"}", "offset" },
	{ "no type", "{\"keyslots\":[\"1\"]," URL "," RES "," TA "}", "member 'type' is missing" },
	{ "another type", "{\"type\":\"systemd-tpm2\"}", "is 'systemd-tpm2', not 'mrboot'" },
	{ "no key slot list", "{\"type\":\"mrboot\"," URL "," RES "," TA "}",
	  "member 'keyslots' is missing" },
	{ "no key slot", "{\"type\":\"mrboot\",\"keyslots\":[]}", "array of one key slot" },
	{ "two key slots", "{\"type\":\"mrboot\",\"keyslots\":[\"1\",\"2\"]}",
	  "array of one key slot" },
	{ "a key slot as a number", "{\"type\":\"mrboot\",\"keyslots\":[1]}", "expected a string" },
	{ "key slot 32", "{\"type\":\"mrboot\",\"keyslots\":[\"32\"]}",
	  "key slot 32 is not 0..31" },
	{ "a signed key slot", "{\"type\":\"mrboot\",\"keyslots\":[\"-1\"]}",
	  "'-1' is not a key slot number" },
	{ "a leading zero", "{\"type\":\"mrboot\",\"keyslots\":[\"01\"]}",
	  "'01' is not a key slot number" },
	{ "no URL", T("\"mrboot-kbs-url\":[]," RES "," TA), "1 to 16 broker URLs" },
	{ "17 URLs",
	  T("\"mrboot-kbs-url\":[\"https://a\",\"https://a\",\"https://a\",\"https://a\","
	    "\"https://a\",\"https://a\",\"https://a\",\"https://a\",\"https://a\",\"https://a\","
	    "\"https://a\",\"https://a\",\"https://a\",\"https://a\",\"https://a\",\"https://a\","
	    "\"https://a\"]," RES "," TA),
	  "1 to 16 broker URLs" },
	{ "a URL string", T("\"mrboot-kbs-url\":\"https://kbs\"," RES "," TA), "1 to 16" },
	{ "plain HTTP", T("\"mrboot-kbs-url\":[\"http://kbs\"]," RES "," TA), "is not https" },
	{ "a NUL in a URL", T("\"mrboot-kbs-url\":[\"https://kbs\\u0000x\"]," RES "," TA),
	  "holds a NUL character" },
	{ "a URL with a query", T("\"mrboot-kbs-url\":[\"https://kbs/?a\"]," RES "," TA),
	  "member 'mrboot-kbs-url'" },
	{ "no resource", T(URL "," TA), "member 'mrboot-resource' is missing" },
	{ "a resource of two parts", T(URL ",\"mrboot-resource\":\"a/b\"," TA),
	  "is not repository/type/tag" },
	{ "a resource naming {volume}", T(URL ",\"mrboot-resource\":\"a/b/{volume}\"," TA),
	  "names {volume}" },
	{ "a resource with ..", T(URL ",\"mrboot-resource\":\"a/../c\"," TA),
	  "member 'mrboot-resource'" },
	{ "no trust anchor", T(URL "," RES), "member 'mrboot-trust-anchor' is missing" },
	{ "a relative anchor path", T(URL "," RES ",\"mrboot-trust-anchor\":\"ca.pem\""),
	  "neither PEM text nor an absolute path" },
	{ "PEM that is no certificate",
	  T(URL "," RES ",\"mrboot-trust-anchor\":\"-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END "
		"CERTIFICATE-----\\n\""),
	  "member 'mrboot-trust-anchor'" },
	{ "an unknown TEE", T(URL "," RES "," TA ",\"mrboot-tee\":\"sgx\""),
	  "member 'mrboot-tee'" },
	{ "a timeout of 0", T(URL "," RES "," TA ",\"mrboot-timeout\":0"), "is not 1..300" },
	{ "a timeout of 301", T(URL "," RES "," TA ",\"mrboot-timeout\":301"), "is not 1..300" },
	{ "a fractional timeout", T(URL "," RES "," TA ",\"mrboot-timeout\":1.5"),
	  "member 'mrboot-timeout'" },
	{ "a timeout as a string", T(URL "," RES "," TA ",\"mrboot-timeout\":\"5\""),
	  "member 'mrboot-timeout'" },
	{ "an unknown member", T(URL "," RES "," TA ",\"mrboot-pin\":true"),
	  "unknown member 'mrboot-pin'" },
};

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct json_arena arena = { 0 };
		struct error e = { 0 };
		struct luks_token t;
		int r = luks_token_parse(&t, &arena, bad[i].json, strlen(bad[i].json), &e);

		tap_ok(r == -EINVAL && strstr(e.msg, bad[i].message), "refused: %s (%s)",
		       bad[i].what, e.msg);
		json_arena_free(&arena);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s FIXTURES_PEM_DIR\n", argv[0]);
		return 2;
	}
	test_write();
	test_parse();
	test_pem(argv[1]);
	test_bad();
	return tap_done();
}
