/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * jwk_parse_ec_public() and jwk_import_private() on any JSON document, as a JWE's "epk" and
 * a key kept at rest reach them. What they accept must be what the text says, to the byte:
 * the point of a public key encodes back to the input's x and y, and an imported private key
 * writes (jwk_write_public()) the input's curve or modulus and exponent and its public
 * coordinates, under the algorithm the input named, if it named one.
 */
#include <errno.h>
#include <string.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "fuzz.h"
#include "json/json.h"
#include "jose/jwk.h"

/* The member key of obj is the string base64url(p, n), spelled the one way it can be. */
static int member_encodes(const struct json_value *obj, const char *key, const uint8_t *p, size_t n)
{
	const struct json_value *m = json_object_get(obj, key);
	char text[JWK_PUBLIC_MAX / 3 * 4 + 8];

	if (!m || m->type != JSON_STRING || n > JWK_PUBLIC_MAX)
		return 0;
	base64_encode(text, p, n, BASE64_URL);
	return strlen(text) == m->u.string.len &&
	       memcmp(text, m->u.string.data, m->u.string.len) == 0;
}

/* The member key of a and of b are the same string. */
static int same_member(const struct json_value *a, const struct json_value *b, const char *key)
{
	const struct json_value *x = json_object_get(a, key), *y = json_object_get(b, key);

	return x && y && x->type == JSON_STRING && y->type == JSON_STRING &&
	       x->u.string.len == y->u.string.len &&
	       memcmp(x->u.string.data, y->u.string.data, x->u.string.len) == 0;
}

static void check_public(const struct json_value *v)
{
	uint8_t point[JWK_EC_POINT_MAX];
	const struct jwk_curve_info *ci;
	struct error e = { 0 };
	enum jwk_curve curve;
	int r;

	r = jwk_parse_ec_public(v, &curve, point, &e);
	if (r < 0) {
		fuzz_check(e.code == r && e.msg[0], "a refused public JWK says why");
		return;
	}
	ci = jwk_curve_info(curve);
	fuzz_check(ci != NULL, "an accepted public JWK is on a known curve");
	fuzz_check(point[0] == 0x04, "the point is written uncompressed");
	fuzz_check(member_encodes(v, "x", point + 1, ci->size) &&
			   member_encodes(v, "y", point + 1 + ci->size, ci->size),
		   "the point is the input's x and y");
}

static void check_private(const struct json_value *v)
{
	struct jwk_key key = { 0 };
	const struct json_value *pub, *alg;
	struct json_writer w;
	struct json_arena a;
	struct error e = { 0 };
	int r;

	r = jwk_import_private(&key, v, &e);
	if (r < 0) {
		fuzz_check(e.code == r && e.msg[0], "a refused private JWK says why");
		jwk_key_free(&key);
		return;
	}
	alg = json_object_get(v, "alg");
	fuzz_check(!alg || (alg->type == JSON_STRING &&
			    alg->u.string.len == strlen(jwk_key_alg(&key)) &&
			    memcmp(alg->u.string.data, jwk_key_alg(&key), alg->u.string.len) == 0),
		   "an imported key is used with the algorithm its JWK names");
	json_writer_init(&w, 4096);
	jwk_write_public(&key, &w);
	fuzz_check(json_writer_finish(&w, &e) == 0, "an imported key writes its public JWK");
	json_arena_init(&a, 64 * w.len + 4096);
	fuzz_check(json_parse(&a, w.buf, w.len, &pub, &e) == 0, "the public JWK is JSON");
	if (key.type == JWK_EC)
		fuzz_check(same_member(v, pub, "kty") && same_member(v, pub, "crv") &&
				   same_member(v, pub, "x") && same_member(v, pub, "y"),
			   "the public JWK has the input's curve and coordinates");
	else
		fuzz_check(same_member(v, pub, "kty") && same_member(v, pub, "n") &&
				   same_member(v, pub, "e"),
			   "the public JWK has the input's modulus and exponent");
	json_arena_free(&a);
	json_writer_free(&w);
	jwk_key_free(&key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct json_value *v;
	struct json_arena a;
	struct error e = { 0 };

	json_arena_init(&a, 64 * size + 4096);
	if (json_parse(&a, data, size, &v, &e) == 0) {
		check_public(v);
		check_private(v);
	}
	json_arena_free(&a);
	return 0;
}
