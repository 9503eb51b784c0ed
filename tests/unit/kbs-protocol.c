/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The KBS RCAR 0.4.0 messages (agent/kbs/protocol.h) against the protocol as Trustee defines
 * it (DESIGN.md section 6, kbs/docs/kbs_attestation_protocol.md, guest-components'
 * rcar_client.rs): the exact bytes sent, and every malformed answer refused by name.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "json/json.h"
#include "jose/jwk.h"
#include "kbs/protocol.h"
#include "tap.h"

#define NONCE "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" /* bytes 0..31 */

/* RFC 7517 appendix A.2 P-256 key. */
static const char test_jwk[] = "{\"kty\":\"EC\",\"crv\":\"P-256\","
			       "\"x\":\"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4\","
			       "\"y\":\"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM\","
			       "\"d\":\"870MB6gfuTJ4HtUnUvYMyJpr5eUZNP4Bk43bVdj3eAE\"}";

static int import_test_key(struct jwk_key *key)
{
	struct json_arena a;
	const struct json_value *v;
	struct error e = { 0 };
	int r;

	json_arena_init(&a, 1 << 16);
	r = json_parse(&a, test_jwk, strlen(test_jwk), &v, &e);
	if (r == 0)
		r = jwk_import_private(key, v, &e);
	if (r < 0)
		tap_diag("importing the test key: %s", e.msg);
	json_arena_free(&a);
	return r;
}

static void test_auth_request(void)
{
	struct json_writer w;
	struct error e = { 0 };

	json_writer_init(&w, 4096);
	kbs_auth_request_write(&w, "tdx");
	tap_ok(json_writer_finish(&w, &e) == 0, "auth request: written");
	tap_is_str(w.buf, "{\"version\":\"0.4.0\",\"tee\":\"tdx\",\"extra-params\":{}}",
		   "auth request: version 0.4.0, the TEE, empty extra-params");
	json_writer_free(&w);
}

static int challenge(const char *json, struct kbs_challenge *c, struct error *e)
{
	*e = (struct error){ 0 };
	return kbs_challenge_parse(json, strlen(json), c, e);
}

static void test_challenge(void)
{
	struct kbs_challenge c;
	struct error e;

	tap_is_int(challenge("{\"nonce\":\"" NONCE "\",\"extra-params\":\"\"}", &c, &e), 0,
		   "challenge: Trustee's shape is accepted");
	tap_is_str(c.nonce, NONCE, "challenge: the nonce is kept as text, as it is hashed");
	tap_is_int(c.hash, HASH_SHA384, "challenge: SHA-384 unless the broker selects another");
	tap_is_int(challenge("{\"nonce\":\"" NONCE "\",\"extra-params\":"
			     "{\"selected-hash-algorithm\":\"Sha512\"}}",
			     &c, &e),
		   0, "challenge: extra-params may select the hash");
	tap_is_int(c.hash, HASH_SHA512, "challenge: Sha512 selects SHA-512, case aside");
	tap_is_int(challenge("{\"nonce\":\"" NONCE "\",\"extra-params\":"
			     "{\"selected-hash-algorithm\":\"md5\"}}",
			     &c, &e),
		   -EINVAL, "challenge: an unknown hash is refused");
	tap_ok(strstr(e.msg, "'md5'") != NULL, "challenge: naming it (%s)", e.msg);
	tap_is_int(
		challenge("{\"nonce\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\"}", &c, &e),
		-EINVAL, "challenge: a nonce of 31 bytes is refused");
	tap_ok(strstr(e.msg, "32 bytes") != NULL, "challenge: saying what a nonce must be (%s)",
	       e.msg);
	tap_is_int(challenge("{\"nonce\":\"not base64!\"}", &c, &e), -EINVAL,
		   "challenge: a nonce that is not base64 is refused");
	tap_is_int(challenge("{\"extra-params\":\"\"}", &c, &e), -ENOENT,
		   "challenge: a missing nonce is refused");
	tap_ok(strstr(e.msg, "nonce") != NULL, "challenge: naming the member (%s)", e.msg);
	tap_is_int(challenge("{\"nonce\":\"" NONCE "\",\"extra\":1}", &c, &e), -EINVAL,
		   "challenge: an unknown member is refused");
	/* Found by fuzz-kbs: the name was compared as a C string, which ends at the NUL. */
	tap_is_int(challenge("{\"nonce\":\"" NONCE "\",\"nonce\\u0000x\":1}", &c, &e), -EINVAL,
		   "challenge: a member named \"nonce\" + NUL + more is unknown, not the nonce");
	tap_ok(strstr(e.msg, "a NUL") != NULL, "challenge: saying the name holds a NUL (%s)",
	       e.msg);
	tap_is_int(challenge("[\"" NONCE "\"]", &c, &e), -EINVAL, "challenge: an array is refused");
	tap_is_int(challenge("{\"nonce\":\"" NONCE "\"", &c, &e), -EINVAL,
		   "challenge: truncated JSON is refused");
	tap_ok(strstr(e.msg, "not JSON") != NULL, "challenge: as not JSON (%s)", e.msg);
}

static void test_cookie(void)
{
	char out[KBS_COOKIE_MAX + 1];
	struct error e = { 0 };

	tap_is_int(kbs_cookie_parse("kbs-session-id=0123456789abcdef0123456789abcdef; "
				    "Expires=Mon, 23 Nov 2026 10:00:00 GMT",
				    out, &e),
		   0, "cookie: Trustee's Set-Cookie is accepted");
	tap_is_str(out, "kbs-session-id=0123456789abcdef0123456789abcdef",
		   "cookie: sent back as name=value, attributes dropped");
	tap_is_int(kbs_cookie_parse("session=1", out, &e), -EPROTO,
		   "cookie: another cookie name is refused");
	tap_is_int(kbs_cookie_parse("kbs-session-id=; Expires=x", out, &e), -EPROTO,
		   "cookie: an empty session id is refused");
	tap_is_int(kbs_cookie_parse("kbs-session-id=a b", out, &e), -EPROTO,
		   "cookie: a space in the id is refused (RFC 6265 cookie-octet)");
}

static void test_runtime_data(void)
{
	/* RFC 8785 by hand: members sorted, no whitespace; the JWK as the broker rebuilds it. */
	static const char canonical[] =
		"{\"additional-evidence\":\"\",\"nonce\":\"" NONCE "\",\"tee-pubkey\":"
		"{\"alg\":\"ECDH-ES+A256KW\",\"crv\":\"P-256\",\"kty\":\"EC\","
		"\"x\":\"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4\","
		"\"y\":\"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM\"}}";
	/* python3: hashlib.sha384(json.dumps(obj, sort_keys=True, separators=(",",":"))) */
	static const char sha384_hex[] = "8a6244441b1b1171b3a1d56a693d4ce116c1f9ca1ae558bc5f59d46d"
					 "ada54cf49e92a361ab2472c434652fed5887f16d";
	struct jwk_key key = { 0 };
	uint8_t got[HASH_MAX_SIZE], want[HASH_MAX_SIZE];
	char hex[2 * HASH_MAX_SIZE + 1];
	struct error e = { 0 };

	if (import_test_key(&key) < 0) {
		tap_ok(0, "runtime data: test key");
		return;
	}
	tap_is_int(kbs_runtime_data_hash(NONCE, &key, HASH_SHA384, got, &e), 0,
		   "runtime data: hashed");
	hex_encode(hex, got, 48);
	tap_is_str(hex, sha384_hex, "runtime data: SHA-384 as Python's canonical JSON gives it");
	hash_buffer(HASH_SHA384, canonical, strlen(canonical), want);
	tap_is_mem(got, want, 48, "runtime data: SHA-384 of the RFC 8785 text written by hand");
	tap_is_int(kbs_runtime_data_hash(NONCE, &key, HASH_SHA256, got, &e), 0,
		   "runtime data: with SHA-256 when selected");
	hash_buffer(HASH_SHA256, canonical, strlen(canonical), want);
	tap_is_mem(got, want, 32, "runtime data: SHA-256 of the same text");
	jwk_key_free(&key);
}

static void test_attest_request(void)
{
	struct jwk_key key = { 0 };
	struct json_writer w;
	struct error e = { 0 };

	if (import_test_key(&key) < 0) {
		tap_ok(0, "attest request: test key");
		return;
	}
	json_writer_init(&w, 1 << 16);
	kbs_attest_request_write(&w, NONCE, &key, "{\"svn\":\"1\"}", 11);
	tap_ok(json_writer_finish(&w, &e) == 0, "attest request: written");
	tap_is_str(w.buf,
		   "{\"runtime-data\":{\"nonce\":\"" NONCE "\",\"tee-pubkey\":{\"kty\":\"EC\","
		   "\"crv\":\"P-256\",\"alg\":\"ECDH-ES+A256KW\","
		   "\"x\":\"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4\","
		   "\"y\":\"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM\"}},"
		   "\"tee-evidence\":{\"primary_evidence\":{\"svn\":\"1\"},"
		   "\"additional_evidence\":\"\"}}",
		   "attest request: runtime data, then the evidence with no additional evidence");
	json_writer_free(&w);
	jwk_key_free(&key);
}

static void test_token(void)
{
	struct error e = { 0 };
	char *token = NULL;
	const char *good = "{\"token\":\"eyJhbGciOiJFUzI1NiJ9.eyJleHAiOjF9.c2ln\"}";

	tap_is_int(kbs_token_parse(good, strlen(good), &token, &e), 0, "token: a JWT is accepted");
	tap_is_str(token ? token : "", "eyJhbGciOiJFUzI1NiJ9.eyJleHAiOjF9.c2ln", "token: kept");
	free(token);
	tap_is_int(kbs_token_parse("{\"token\":\"a.b\"}", 15, &token, &e), -EINVAL,
		   "token: two parts are refused");
	tap_is_int(kbs_token_parse("{\"token\":\"a.b+.c\"}", 17, &token, &e), -EINVAL,
		   "token: a character outside base64url is refused");
	tap_is_int(kbs_token_parse("{\"jwt\":\"a.b.c\"}", 15, &token, &e), -ENOENT,
		   "token: a missing token member is refused");
	tap_ok(token == NULL, "token: nothing is returned on failure");
}

static void test_problem(void)
{
	char out[KBS_PROBLEM_MAX];
	const char *trustee = "{\"type\":\"https://github.com/confidential-containers/kbs/errors/"
			      "PolicyDeny\",\"detail\":\"Resource policy denied\"}";

	kbs_problem_describe(trustee, strlen(trustee), out, sizeof(out));
	tap_is_str(out, "PolicyDeny: Resource policy denied",
		   "problem: the variant and the detail of Trustee's error");
	kbs_problem_describe("<html>\x01</html>", 14, out, sizeof(out));
	tap_is_str(out, "a 14-byte body that is not a problem report: <html>?</html>",
		   "problem: anything else described, control bytes replaced");
	kbs_problem_describe("", 0, out, sizeof(out));
	tap_is_str(out, "an empty body", "problem: an empty body said so");
	kbs_problem_describe(trustee, strlen(trustee), out, 12);
	tap_is_str(out, "PolicyDeny:", "problem: cut to the room given");
}

static void test_resource_path(void)
{
	char out[KBS_RESOURCE_PATH_MAX];
	struct error e = { 0 };

	tap_is_int(kbs_resource_path("default/mrboot/{volume}", "root", out, &e), 0,
		   "resource: with the volume");
	tap_is_str(out, "/kbs/v0/resource/default/mrboot/root", "resource: the path");
	tap_is_int(kbs_resource_path("repo/key/luks-1.0_a", NULL, out, &e), 0,
		   "resource: . _ - are allowed");
	tap_is_int(kbs_resource_path("a/b", NULL, out, &e), -EINVAL,
		   "resource: two parts are refused");
	tap_is_int(kbs_resource_path("a/b/c/d", NULL, out, &e), -EINVAL,
		   "resource: four parts are refused");
	tap_is_int(kbs_resource_path("a/../c", NULL, out, &e), -EINVAL,
		   "resource: '..' is refused");
	tap_is_int(kbs_resource_path("a//c", NULL, out, &e), -EINVAL,
		   "resource: an empty part is refused");
	tap_is_int(kbs_resource_path("a/b/c?x=1", NULL, out, &e), -EINVAL,
		   "resource: a query is refused");
	tap_is_int(kbs_resource_path("a/b/{volume}", "x/y", out, &e), -EINVAL,
		   "resource: a volume name cannot add a part");
	tap_is_int(kbs_resource_path("a/b/{volume}", NULL, out, &e), -EINVAL,
		   "resource: {volume} without a volume is refused");
}

int main(void)
{
	test_auth_request();
	test_challenge();
	test_cookie();
	test_runtime_data();
	test_attest_request();
	test_token();
	test_problem();
	test_resource_path();
	return tap_done();
}
