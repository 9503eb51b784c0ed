/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_JWK_H
#define MRBOOT_JWK_H

/*
 * The agent's key pair for key release and its public half as a JSON Web Key (RFC 7517,
 * RFC 7518 section 6). The key broker encrypts the released secret to it (agent/jwe.h): with
 * ECDH-ES+A256KW to an EC key, with RSA-OAEP-256 to an RSA key. The private half lives only
 * in the key's struct secret.
 */

#include <bearssl_rsa.h>
#include <stddef.h>
#include <stdint.h>

#include "json/json.h"
#include "basic/secret.h"

enum jwk_type {
	JWK_EC,
	JWK_RSA,
};

enum jwk_curve {
	JWK_P256,
	JWK_P521,
	JWK_CURVE_COUNT,
};

struct jwk_curve_info {
	const char *name;     /* as the JWK "crv" member spells it: "P-256" */
	int br_curve;	      /* BearSSL's curve id: BR_EC_secp256r1 */
	uint8_t size;	      /* bytes of a coordinate and of a private scalar */
	const char *key_name; /* an EC key on it as [kbs] key spells it: "ec-p256" */
};

/* NULL when curve is not one of enum jwk_curve. */
const struct jwk_curve_info *jwk_curve_info(enum jwk_curve curve);

/* The curve a "crv" value names; -EINVAL for any other (len bytes, need not end in NUL). */
int jwk_curve_from_name(const char *name, size_t len, enum jwk_curve *ret);

/* RSA moduli the agent generates or accepts, in bits. */
#define JWK_RSA_MIN_BITS 2048
#define JWK_RSA_MAX_BITS 4096

/* An uncompressed P-521 point (133 bytes), or the largest modulus and a 32-bit exponent. */
#define JWK_PUBLIC_MAX (JWK_RSA_MAX_BITS / 8 + 4)

/* May be moved (copied bit for bit, the original forgotten), never duplicated: one free. */
struct jwk_key {
	enum jwk_type type;
	enum jwk_curve curve;	     /* JWK_EC */
	struct secret priv;	     /* EC: the scalar d; RSA: p, q, dp, dq, qi back to back */
	br_rsa_private_key rsa;	     /* JWK_RSA: its pointers lead into priv */
	uint8_t pub[JWK_PUBLIC_MAX]; /* EC: 0x04 || X || Y; RSA: n, then e */
	size_t pub_len;
	size_t n_len; /* JWK_RSA: bytes of n at the start of pub, no leading zero */
};

/*
 * A fresh key pair from BearSSL's generators, driven by an HMAC-DRBG (SHA-256) seeded with
 * getrandom(). An EC key on curve, or an RSA key of bits (JWK_RSA_MIN_BITS to
 * JWK_RSA_MAX_BITS, a multiple of 8) with exponent 65537. *key must be zeroed or freed.
 */
int jwk_generate_ec(struct jwk_key *key, enum jwk_curve curve, struct error *e);
int jwk_generate_rsa(struct jwk_key *key, unsigned bits, struct error *e);

/*
 * A private key written as a JWK (RFC 7518 sections 6.2.2 and 6.3.2): EC with kty, crv, x, y
 * and d; RSA with kty, n, e, d, p, q, dp, dq and qi (no "oth": two primes only). An optional
 * "alg" must be the one this key is used with. Any other member is refused, and so is a key
 * whose public half does not follow from its private half. For keys kept at rest and for
 * tests: decoding base64url is not constant-time.
 */
int jwk_import_private(struct jwk_key *key, const struct json_value *jwk, struct error *e);

/* Bytes of an uncompressed point on the largest curve (P-521): 0x04 || X || Y. */
#define JWK_EC_POINT_MAX (1 + 2 * 66)

/*
 * An EC public key as a JWK, such as the "epk" of a JWE (RFC 7518 section 4.6.1.1): exactly
 * kty "EC", crv, x and y, the coordinates full length. Writes its curve to *curve and the
 * point 0x04 || X || Y (1 + 2 * size bytes, at most JWK_EC_POINT_MAX) to point. Whether the
 * point lies on the curve is left to the multiplication that uses it.
 */
int jwk_parse_ec_public(const struct json_value *jwk, enum jwk_curve *curve, uint8_t *point,
			struct error *e);

/* "ECDH-ES+A256KW" for an EC key, "RSA-OAEP-256" for an RSA key. */
const char *jwk_key_alg(const struct jwk_key *key);

/*
 * The public JWK as one value of w, with exactly the members the key broker rebuilds the
 * key from (DESIGN.md section 6): {"kty","crv","alg","x","y"} or {"kty","alg","n","e"}.
 */
int jwk_write_public(const struct jwk_key *key, struct json_writer *w);

/* Wipes the private half; leaves *key zeroed. Safe on a zeroed or already freed key. */
void jwk_key_free(struct jwk_key *key);

#define _cleanup_jwk_key_ _cleanup_(jwk_key_free)

#endif
