/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The mrboot LUKS2 token (luks/token.h): the JSON enroll writes, byte for byte as written out
 * by hand from the documented shape, with and without the optional members; that JSON read
 * back and written again unchanged; every refusal, one member at a time, with the member
 * named; the members of tokens before the trust boundary (an anchor or TEE of the token's own,
 * which the host could have written) refused as such (-EPROTO) with a message that says to
 * re-enroll; and the brokers a token may ask: the configured ones, or its choice among them,
 * never one of its own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/error.h"
#include "json/json.h"
#include "luks/token.h"
#include "tap.h"

#define FULL                                                                                          \
	"{\"type\":\"mrboot\",\"keyslots\":[\"3\"],\"mrboot-kbs-url\":[\"https://kbs.example:8080\"," \
	"\"https://10.0.0.1\"],\"mrboot-resource\":\"default/mrboot/root\",\"mrboot-timeout\":7}"
#define MINIMAL \
	"{\"type\":\"mrboot\",\"keyslots\":[\"3\"],\"mrboot-resource\":\"default/mrboot/root\"}"

/* luks_token_write() of t into a malloc()ed string, NULL when the writer fails. */
static char *written(const struct luks_token *t)
{
	struct json_writer w;
	struct error e = { 0 };
	char *text = NULL;

	json_writer_init(&w, LUKS_TOKEN_JSON_MAX);
	luks_token_write(t, &w);
	if (json_writer_finish(&w, &e) == 0) {
		text = w.buf;
		w.buf = NULL;
	} else {
		tap_diag("writer: %s", e.msg);
	}
	json_writer_free(&w);
	return text;
}

static void test_write(void)
{
	struct luks_token t = {
		.keyslot = 3,
		.urls = { "https://kbs.example:8080", "https://10.0.0.1", NULL },
		.resource = "default/mrboot/root",
		.timeout = 7,
	};
	char *text;

	text = written(&t);
	tap_is_str(text, FULL, "write: every member, in the documented order");
	free(text);

	t.urls[0] = NULL;
	t.timeout = 0;
	text = written(&t);
	tap_is_str(text, MINIMAL,
		   "write: no broker selection and no timeout: both members left out");
	free(text);

	t.keyslot = 31;
	t.timeout = LUKS_TOKEN_TIMEOUT_MAX;
	text = written(&t);
	tap_is_str(
		text,
		"{\"type\":\"mrboot\",\"keyslots\":[\"31\"],\"mrboot-resource\":\"default/mrboot/"
		"root\",\"mrboot-timeout\":300}",
		"write: the timeout without a broker selection");
	free(text);
}

static void test_parse(void)
{
	struct json_arena arena = { 0 };
	struct error e = { 0 };
	struct luks_token t;
	char *text;
	int r;

	r = luks_token_parse(&t, &arena, FULL, strlen(FULL), &e);
	tap_is_int(r, 0, "parse: the full token (%s)", e.msg);
	if (r == 0) {
		tap_is_int(t.keyslot, 3, "parse: key slot");
		tap_is_str(t.urls[0], "https://kbs.example:8080", "parse: first broker");
		tap_is_str(t.urls[1], "https://10.0.0.1", "parse: second broker");
		tap_ok(t.urls[2] == NULL, "parse: the broker list ends");
		tap_is_str(t.resource, "default/mrboot/root", "parse: resource");
		tap_is_int(t.timeout, 7, "parse: timeout");
		text = written(&t);
		tap_is_str(text, FULL, "parse: written again, the same bytes");
		free(text);
	}
	json_arena_free(&arena);

	r = luks_token_parse(&t, &arena, MINIMAL, strlen(MINIMAL), &e);
	tap_is_int(r, 0, "parse: the minimal token (%s)", e.msg);
	if (r == 0) {
		tap_is_int(t.keyslot, 3, "parse minimal: key slot");
		tap_ok(t.urls[0] == NULL,
		       "parse minimal: no broker selection (every configured one)");
		tap_is_str(t.resource, "default/mrboot/root", "parse minimal: resource");
		tap_is_int(t.timeout, 0, "parse minimal: no timeout (the default)");
		text = written(&t);
		tap_is_str(text, MINIMAL, "parse minimal: written again, the same bytes");
		free(text);
	}
	json_arena_free(&arena);
}

#define T(members) "{\"type\":\"mrboot\",\"keyslots\":[\"1\"]," members "}"
#define URL "\"mrboot-kbs-url\":[\"https://kbs\"]"
#define RES "\"mrboot-resource\":\"r/t/g\""

/* Accepted at the bounds, and in any member order: written back in the documented one. */
static const struct {
	const char *what;
	const char *json;
	const char *canonical; /* luks_token_write() of what was parsed */
} good[] = {
	{ "key slot 0", "{\"type\":\"mrboot\",\"keyslots\":[\"0\"]," RES "}",
	  "{\"type\":\"mrboot\",\"keyslots\":[\"0\"]," RES "}" },
	{ "key slot 31", "{\"type\":\"mrboot\",\"keyslots\":[\"31\"]," RES "}",
	  "{\"type\":\"mrboot\",\"keyslots\":[\"31\"]," RES "}" },
	{ "a timeout of 1", T(RES ",\"mrboot-timeout\":1"), T(RES ",\"mrboot-timeout\":1") },
	{ "a timeout of 300", T(RES ",\"mrboot-timeout\":300"), T(RES ",\"mrboot-timeout\":300") },
	{ "16 brokers",
	  T("\"mrboot-kbs-url\":[\"https://a\",\"https://a\",\"https://a\",\"https://a\","
	    "\"https://a\",\"https://a\",\"https://a\",\"https://a\",\"https://a\",\"https://a\","
	    "\"https://a\",\"https://a\",\"https://a\",\"https://a\",\"https://a\",\"https://a\"]," RES),
	  T("\"mrboot-kbs-url\":[\"https://a\",\"https://a\",\"https://a\",\"https://a\","
	    "\"https://a\",\"https://a\",\"https://a\",\"https://a\",\"https://a\",\"https://a\","
	    "\"https://a\",\"https://a\",\"https://a\",\"https://a\",\"https://a\",\"https://a\"]," RES) },
	{ "the members in another order",
	  "{\"mrboot-timeout\":9," RES "," URL ",\"keyslots\":[\"2\"],\"type\":\"mrboot\"}",
	  "{\"type\":\"mrboot\",\"keyslots\":[\"2\"]," URL "," RES ",\"mrboot-timeout\":9}" },
	{ "white space", " {\"type\" : \"mrboot\",\n\"keyslots\":[ \"1\" ],\t" RES " } ", T(RES) },
};

static void test_good(void)
{
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct json_arena arena = { 0 };
		struct error e = { 0 };
		struct luks_token t;
		char *text = NULL;
		int r = luks_token_parse(&t, &arena, good[i].json, strlen(good[i].json), &e);

		if (r == 0)
			text = written(&t);
		tap_ok(r == 0 && text && strcmp(text, good[i].canonical) == 0,
		       "accepted: %s, written back as documented (%s)", good[i].what,
		       r == 0 ? (text ? text : "(writer failed)") : e.msg);
		free(text);
		json_arena_free(&arena);
	}
}

#define REENROLL "enroll the volume again with mrboot enroll"

static const struct {
	const char *what;
	const char *json;
	int code;
	const char *message; /* a part of the error */
} bad[] = {
	{ "not an object", "[]", -EINVAL, "expected an object" },
	{ "not JSON", "{\"type\":", -EINVAL, "offset" },
	{ "a member twice", "{\"type\":\"mrboot\",\"type\":\"mrboot\"}", -EINVAL, "offset" },
	{ "no type", "{\"keyslots\":[\"1\"]," URL "," RES "}", -EINVAL,
	  "member 'type' is missing" },
	{ "another type", "{\"type\":\"systemd-tpm2\"}", -EINVAL,
	  "is 'systemd-tpm2', not 'mrboot'" },
	{ "no key slot list", "{\"type\":\"mrboot\"," URL "," RES "}", -EINVAL,
	  "member 'keyslots' is missing" },
	{ "no key slot", "{\"type\":\"mrboot\",\"keyslots\":[]}", -EINVAL,
	  "array of one key slot" },
	{ "two key slots", "{\"type\":\"mrboot\",\"keyslots\":[\"1\",\"2\"]}", -EINVAL,
	  "array of one key slot" },
	{ "a key slot as a number", "{\"type\":\"mrboot\",\"keyslots\":[1]}", -EINVAL,
	  "expected a string" },
	{ "key slot 32", "{\"type\":\"mrboot\",\"keyslots\":[\"32\"]}", -EINVAL,
	  "key slot 32 is not 0..31" },
	{ "a signed key slot", "{\"type\":\"mrboot\",\"keyslots\":[\"-1\"]}", -EINVAL,
	  "'-1' is not a key slot number" },
	{ "a leading zero", "{\"type\":\"mrboot\",\"keyslots\":[\"01\"]}", -EINVAL,
	  "'01' is not a key slot number" },
	{ "an empty broker selection", T("\"mrboot-kbs-url\":[]," RES), -EINVAL,
	  "1 to 16 broker URLs" },
	{ "17 URLs",
	  T("\"mrboot-kbs-url\":[\"https://a\",\"https://a\",\"https://a\",\"https://a\","
	    "\"https://a\",\"https://a\",\"https://a\",\"https://a\",\"https://a\",\"https://a\","
	    "\"https://a\",\"https://a\",\"https://a\",\"https://a\",\"https://a\",\"https://a\","
	    "\"https://a\"]," RES),
	  -EINVAL, "1 to 16 broker URLs" },
	{ "a URL string", T("\"mrboot-kbs-url\":\"https://kbs\"," RES), -EINVAL, "1 to 16" },
	{ "a URL as a number", T("\"mrboot-kbs-url\":[443]," RES), -EINVAL,
	  "member 'mrboot-kbs-url' is a number, expected a string" },
	{ "plain HTTP", T("\"mrboot-kbs-url\":[\"http://kbs\"]," RES), -EINVAL, "is not https" },
	{ "a NUL in a URL", T("\"mrboot-kbs-url\":[\"https://kbs\\u0000x\"]," RES), -EINVAL,
	  "holds a NUL character" },
	{ "a URL with a query", T("\"mrboot-kbs-url\":[\"https://kbs/?a\"]," RES), -EINVAL,
	  "member 'mrboot-kbs-url'" },
	{ "no resource", T(URL), -EINVAL, "member 'mrboot-resource' is missing" },
	{ "no resource, no selection", T("\"mrboot-timeout\":5"), -EINVAL,
	  "member 'mrboot-resource' is missing" },
	{ "a resource of two parts", T(URL ",\"mrboot-resource\":\"a/b\""), -EINVAL,
	  "is not repository/type/tag" },
	{ "a resource naming {volume}", T(URL ",\"mrboot-resource\":\"a/b/{volume}\""), -EINVAL,
	  "names {volume}" },
	{ "a resource with ..", T(URL ",\"mrboot-resource\":\"a/../c\""), -EINVAL,
	  "member 'mrboot-resource'" },
	{ "a timeout of 0", T(URL "," RES ",\"mrboot-timeout\":0"), -EINVAL, "is not 1..300" },
	{ "a timeout of 301", T(URL "," RES ",\"mrboot-timeout\":301"), -EINVAL, "is not 1..300" },
	{ "a fractional timeout", T(URL "," RES ",\"mrboot-timeout\":1.5"), -EINVAL,
	  "member 'mrboot-timeout'" },
	{ "a timeout as a string", T(URL "," RES ",\"mrboot-timeout\":\"5\""), -EINVAL,
	  "member 'mrboot-timeout'" },
	{ "an unknown member", T(URL "," RES ",\"mrboot-pin\":true"), -EINVAL,
	  "unknown member 'mrboot-pin'" },
	{ "a member by another spelling", T(RES ",\"mrboot-kbs-URL\":[\"https://kbs\"]"), -EINVAL,
	  "unknown member 'mrboot-kbs-URL'" },
	/* Tokens of mrboot before the trust boundary: refused as such, whatever the value. */
	{ "an old token's trust anchor (a path)",
	  T(URL "," RES ",\"mrboot-trust-anchor\":\"/etc/mrboot/kbs-ca.pem\""), -EPROTO,
	  "member 'mrboot-trust-anchor': this token names its own trust anchor, which the host "
	  "could have written" },
	{ "an old token's trust anchor (PEM text)",
	  T(URL "," RES ",\"mrboot-trust-anchor\":\"-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END "
		"CERTIFICATE-----\\n\""),
	  -EPROTO, REENROLL },
	{ "a trust anchor that is no string", T(URL "," RES ",\"mrboot-trust-anchor\":1"), -EPROTO,
	  "member 'mrboot-trust-anchor': this token names its own trust anchor" },
	{ "an old token's TEE", T(URL "," RES ",\"mrboot-tee\":\"sample\""), -EPROTO,
	  "member 'mrboot-tee': this token names its own TEE, which the host could have written" },
	{ "an old token's TEE (re-enroll)", T(URL "," RES ",\"mrboot-tee\":\"tdx\""), -EPROTO,
	  REENROLL },
	{ "an unknown TEE in an old token", T(URL "," RES ",\"mrboot-tee\":\"sgx\""), -EPROTO,
	  "member 'mrboot-tee': this token names its own TEE" },
	/* What enroll wrote before, member for member: the anchor comes first, and is refused. */
	{ "an old enrolled token",
	  "{\"type\":\"mrboot\",\"keyslots\":[\"3\"],\"mrboot-kbs-url\":[\"https://kbs.example:"
	  "8080\"],\"mrboot-resource\":\"default/mrboot/root\",\"mrboot-trust-anchor\":\"/etc/"
	  "mrboot/kbs-ca.pem\",\"mrboot-tee\":\"sample\",\"mrboot-timeout\":7}",
	  -EPROTO, "member 'mrboot-trust-anchor'" },
	{ "an old token with only its own TEE and anchor",
	  T("\"mrboot-tee\":\"sample\",\"mrboot-trust-anchor\":\"/ca.pem\""), -EPROTO,
	  "member 'mrboot-tee'" },
};

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct json_arena arena = { 0 };
		struct error e = { 0 };
		struct luks_token t;
		int r = luks_token_parse(&t, &arena, bad[i].json, strlen(bad[i].json), &e);

		tap_ok(r == bad[i].code && e.code == r && strstr(e.msg, bad[i].message),
		       "refused (%s): %s (%d: %s)", bad[i].code == -EPROTO ? "-EPROTO" : "-EINVAL",
		       bad[i].what, r, e.msg);
		json_arena_free(&arena);
	}
}

/* The re-enroll message in full: what an operator reads in the boot log. */
static void test_old_message(void)
{
	static const char json[] = T(URL "," RES ",\"mrboot-tee\":\"sample\"");
	struct json_arena arena = { 0 };
	struct error e = { 0 };
	struct luks_token t;
	int r = luks_token_parse(&t, &arena, json, strlen(json), &e);

	tap_is_int(r, -EPROTO, "old TEE: -EPROTO");
	tap_is_str(e.msg,
		   "member 'mrboot-tee': this token names its own TEE, which the host could have "
		   "written; mrboot now takes brokers, trust anchors and the TEE from the initrd's "
		   "configuration only: enroll the volume again with mrboot enroll",
		   "old TEE: the message says why and what to do");
	json_arena_free(&arena);
}

#define A "https://a.example"
#define B "https://b.example:8443"
#define C "https://10.0.0.3"

/* Which brokers a token may ask: out[] compared pointer by pointer to where it must point. */
static void test_brokers(void)
{
	char *configured[] = { A, B, C, NULL };
	char *none[] = { NULL };
	char *many[KBS_URLS_MAX + 5];
	char *out[KBS_URLS_MAX + 1];
	struct luks_token t = { .keyslot = 1, .resource = "r/t/g" };
	struct error e = { 0 };
	int r;

	r = luks_token_brokers(&t, configured, out, &e);
	tap_is_int(r, 0, "brokers: no selection (%s)", e.msg);
	tap_ok(r == 0 && out[0] == configured[0] && out[1] == configured[1] &&
		       out[2] == configured[2] && out[3] == NULL,
	       "brokers: no selection: every configured broker, in the configuration's order");

	/* A subset, in the token's order, pointing at the configuration's strings. */
	char c_copy[] = C, a_copy[] = A;
	t.urls[0] = c_copy;
	t.urls[1] = a_copy;
	t.urls[2] = NULL;
	e = (struct error){ 0 };
	r = luks_token_brokers(&t, configured, out, &e);
	tap_is_int(r, 0, "brokers: a selection of configured ones (%s)", e.msg);
	tap_ok(r == 0 && out[0] == configured[2] && out[1] == configured[0] && out[2] == NULL,
	       "brokers: those, in the token's order, the configuration's strings");

	t.urls[0] = B;
	t.urls[1] = NULL;
	e = (struct error){ 0 };
	r = luks_token_brokers(&t, configured, out, &e);
	tap_ok(r == 0 && out[0] == configured[1] && out[1] == NULL,
	       "brokers: a selection of one: that one only (%s)", e.msg);

	/* A broker the configuration does not list: the host's own, refused by name. */
	t.urls[0] = A;
	t.urls[1] = "https://evil.example";
	t.urls[2] = NULL;
	e = (struct error){ 0 };
	r = luks_token_brokers(&t, configured, out, &e);
	tap_is_int(r, -ENOENT, "brokers: one broker not configured: -ENOENT");
	tap_is_int(e.code, -ENOENT, "brokers: the error's code too");
	tap_ok(strstr(e.msg, "the token names broker https://evil.example, which the "
			     "configuration does not list") != NULL,
	       "brokers: naming it (%s)", e.msg);

	/* Exact strings: no prefix, case or trailing-slash match stands for a configured one. */
	static const char *const near[] = {
		"https://a.example.evil.example", "https://a.example/", "https://A.example",
		"https://b.example:8444",	  "https://b.example",	"https://10.0.0.3:443",
	};
	for (size_t i = 0; i < sizeof(near) / sizeof(near[0]); i++) {
		t.urls[0] = (char *)near[i];
		t.urls[1] = NULL;
		e = (struct error){ 0 };
		r = luks_token_brokers(&t, configured, out, &e);
		tap_ok(r == -ENOENT && strstr(e.msg, near[i]),
		       "brokers: %s is not a configured broker (%s)", near[i], e.msg);
	}

	/* No configured broker: nothing to ask, with or without a selection. */
	t.urls[0] = NULL;
	e = (struct error){ 0 };
	r = luks_token_brokers(&t, none, out, &e);
	tap_ok(r == -ENOENT && strstr(e.msg, "the configuration names no broker ([kbs] url)"),
	       "brokers: none configured, no selection: -ENOENT (%s)", e.msg);
	e = (struct error){ 0 };
	r = luks_token_brokers(&t, NULL, out, &e);
	tap_ok(r == -ENOENT && strstr(e.msg, "names no broker"),
	       "brokers: no list at all (a configuration without [kbs] url): -ENOENT (%s)", e.msg);
	t.urls[0] = A;
	t.urls[1] = NULL;
	e = (struct error){ 0 };
	r = luks_token_brokers(&t, none, out, &e);
	tap_ok(r == -ENOENT && strstr(e.msg, "names no broker"),
	       "brokers: none configured, a selection: -ENOENT (%s)", e.msg);

	/* More configured than a release takes: the first KBS_URLS_MAX, and the list ends. */
	for (size_t i = 0; i < KBS_URLS_MAX + 4; i++)
		many[i] = i % 2 ? B : A;
	many[KBS_URLS_MAX + 4] = NULL;
	t.urls[0] = NULL;
	e = (struct error){ 0 };
	r = luks_token_brokers(&t, many, out, &e);
	tap_ok(r == 0 && out[0] == many[0] && out[KBS_URLS_MAX - 1] == many[KBS_URLS_MAX - 1] &&
		       out[KBS_URLS_MAX] == NULL,
	       "brokers: %d configured, no selection: the first %d (%s)", KBS_URLS_MAX + 4,
	       KBS_URLS_MAX, e.msg);
}

/* From the header to the brokers: a parsed token's selection, checked against the list. */
static void test_parse_brokers(void)
{
	static const char json[] =
		T("\"mrboot-kbs-url\":[\"" B "\",\"https://host.example\"]," RES);
	char *configured[] = { A, B, NULL };
	char *out[KBS_URLS_MAX + 1];
	struct json_arena arena = { 0 };
	struct error e = { 0 };
	struct luks_token t;
	int r = luks_token_parse(&t, &arena, json, strlen(json), &e);

	tap_is_int(r, 0, "parse then brokers: the token parses: the parser knows no configuration");
	if (r == 0) {
		r = luks_token_brokers(&t, configured, out, &e);
		tap_ok(r == -ENOENT && strstr(e.msg, "https://host.example"),
		       "parse then brokers: the host's broker refused (%s)", e.msg);
	}
	json_arena_free(&arena);
}

int main(void)
{
	test_write();
	test_parse();
	test_good();
	test_bad();
	test_old_message();
	test_brokers();
	test_parse_brokers();
	return tap_done();
}
