/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "jose/jwk.h"

#include <bearssl_ec.h>
#include <bearssl_hash.h>
#include <bearssl_rand.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "crypto/ec.h"
#include "basic/encoding.h"
#include "basic/error.h"
#include "jose/jose.h"

static const struct jwk_curve_info curves[JWK_CURVE_COUNT] = {
	[JWK_P256] = { "P-256", BR_EC_secp256r1, 32, "ec-p256" },
	[JWK_P521] = { "P-521", BR_EC_secp521r1, 66, "ec-p521" },
};

/* The exponent every generated RSA key gets: the one all JOSE implementations expect. */
#define RSA_EXPONENT 65537

const struct jwk_curve_info *jwk_curve_info(enum jwk_curve curve)
{
	if ((unsigned)curve >= JWK_CURVE_COUNT)
		return NULL;
	return &curves[curve];
}

int jwk_curve_from_name(const char *name, size_t len, enum jwk_curve *ret)
{
	for (size_t i = 0; i < JWK_CURVE_COUNT; i++)
		if (strlen(curves[i].name) == len && memcmp(curves[i].name, name, len) == 0) {
			*ret = (enum jwk_curve)i;
			return 0;
		}
	return -EINVAL;
}

const char *jwk_key_alg(const struct jwk_key *key)
{
	return key->type == JWK_EC ? "ECDH-ES+A256KW" : "RSA-OAEP-256";
}

void jwk_key_free(struct jwk_key *key)
{
	secret_free(&key->priv);
	*key = (struct jwk_key){ 0 };
}

/*
 * One key generation's random state, kept in secret memory: whoever learns the DRBG state
 * learns the key. 48 seed bytes give HMAC-DRBG its 256-bit strength plus the 128-bit nonce
 * SP 800-90A asks for.
 */
struct keygen_work {
	br_hmac_drbg_context drbg;
	uint8_t seed[48];
};

static int keygen_work_new(struct secret *work, struct keygen_work **ret, struct error *e)
{
	struct keygen_work *w;
	size_t done = 0;
	int r;

	r = secret_alloc(work, sizeof(*w), e);
	if (r < 0)
		return r;
	w = (struct keygen_work *)(void *)work->data;
	/* Blocks only until the kernel's pool is first initialised, never afterwards. */
	while (done < sizeof(w->seed)) {
		ssize_t n = getrandom(w->seed + done, sizeof(w->seed) - done, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return error_set_errno(e, -errno, "cannot read random bytes");
		}
		done += (size_t)n;
	}
	br_hmac_drbg_init(&w->drbg, &br_sha256_vtable, w->seed, sizeof(w->seed));
	explicit_bzero(w->seed, sizeof(w->seed));
	*ret = w;
	return 0;
}

static int generate_ec(struct jwk_key *key, enum jwk_curve curve, struct error *e)
{
	const struct jwk_curve_info *ci = jwk_curve_info(curve);
	const br_ec_impl *impl = &ec_i31;
	_cleanup_secret_ struct secret work = { 0 };
	struct keygen_work *w;
	br_ec_private_key sk;
	int r;

	*key = (struct jwk_key){ .type = JWK_EC, .curve = curve };
	if (!ci)
		return error_set(e, -EINVAL, "EC curve %d is not one of ours", (int)curve);
	r = keygen_work_new(&work, &w, e);
	if (r < 0)
		return r;
	r = secret_alloc(&key->priv, BR_EC_KBUF_PRIV_MAX_SIZE, e);
	if (r < 0)
		return r;
	key->priv.len = br_ec_keygen(&w->drbg.vtable, impl, &sk, key->priv.data, ci->br_curve);
	if (key->priv.len != ci->size) {
		jwk_key_free(key);
		return error_set(e, -EOPNOTSUPP, "cannot generate a key on %s", ci->name);
	}
	key->pub_len = br_ec_compute_pub(impl, NULL, key->pub, &sk);
	return 0;
}

/* Moves e right behind n in key->pub, as jwk_write_public() expects them. */
static void rsa_set_public(struct jwk_key *key, const br_rsa_public_key *pk)
{
	const uint8_t *n = pk->n, *ex = pk->e;
	size_t nlen = pk->nlen, elen = pk->elen;
	uint8_t e[4] = { 0 };

	/* Base64urlUInt (RFC 7518 section 2) is the shortest big-endian form. */
	for (; nlen > 0 && *n == 0; n++, nlen--)
		;
	for (; elen > 0 && *ex == 0; ex++, elen--)
		;
	memcpy(e, ex, elen);
	memmove(key->pub, n, nlen);
	memcpy(key->pub + nlen, e, elen);
	key->n_len = nlen;
	key->pub_len = nlen + elen;
}

static int generate_rsa(struct jwk_key *key, unsigned bits, struct error *e)
{
	_cleanup_secret_ struct secret work = { 0 };
	br_rsa_keygen keygen = br_rsa_keygen_get_default();
	struct keygen_work *w;
	br_rsa_public_key pk;
	int r;

	*key = (struct jwk_key){ .type = JWK_RSA };
	if (bits < JWK_RSA_MIN_BITS || bits > JWK_RSA_MAX_BITS || bits % 8)
		return error_set(e, -EINVAL,
				 "RSA key of %u bits is not supported (%d to %d, a multiple of 8)",
				 bits, JWK_RSA_MIN_BITS, JWK_RSA_MAX_BITS);
	r = keygen_work_new(&work, &w, e);
	if (r < 0)
		return r;
	r = secret_alloc(&key->priv, BR_RSA_KBUF_PRIV_SIZE(bits), e);
	if (r < 0)
		return r;
	if (!keygen(&w->drbg.vtable, &key->rsa, key->priv.data, &pk, key->pub, bits,
		    RSA_EXPONENT)) {
		jwk_key_free(key);
		return error_set(e, -EOPNOTSUPP, "cannot generate an RSA key of %u bits", bits);
	}
	key->priv.len = BR_RSA_KBUF_PRIV_SIZE(bits);
	rsa_set_public(key, &pk);
	return 0;
}

/* kty, crv, x and y of an EC JWK, as 0x04 || X || Y; the caller checks the member set. */
static int parse_ec_point(const struct json_value *jwk, enum jwk_curve *curve, uint8_t *point,
			  struct error *e)
{
	char what[JOSE_DESCRIBE_MAX];
	const struct jwk_curve_info *ci;
	const char *crv;
	size_t crv_len;
	int r;

	r = jose_member_expect(jwk, "kty", "EC", e);
	if (r < 0)
		return r;
	r = json_object_get_string(jwk, "crv", &crv, &crv_len, e);
	if (r < 0)
		return r;
	if (jwk_curve_from_name(crv, crv_len, curve) < 0)
		return error_set(e, -EINVAL, "crv '%s' is not accepted (only P-256 and P-521)",
				 jose_describe(crv, crv_len, what));
	ci = jwk_curve_info(*curve);
	/* RFC 7518 section 6.2.1.2: coordinates are always full length. */
	point[0] = 0x04;
	r = jose_member_bytes_exact(jwk, "x", point + 1, ci->size, e);
	if (r < 0)
		return r;
	return jose_member_bytes_exact(jwk, "y", point + 1 + ci->size, ci->size, e);
}

/* 1 when 0 < d < order (both big-endian, len bytes), without a branch on d's bytes. */
static uint32_t scalar_in_range(const uint8_t *d, const uint8_t *order, size_t len)
{
	uint32_t borrow = 0, bits = 0;

	for (size_t i = len; i-- > 0;) {
		uint32_t diff = (uint32_t)d[i] - order[i] - borrow;

		borrow = diff >> 31;
		bits |= d[i];
	}
	return borrow & ((bits | (0u - bits)) >> 31);
}

static int import_ec(struct jwk_key *key, const struct json_value *jwk, struct error *e)
{
	static const char *const members[] = { "kty", "crv", "x", "y", "d", "alg" };
	const br_ec_impl *impl = &ec_i31;
	const struct jwk_curve_info *ci;
	uint8_t point[JWK_EC_POINT_MAX];
	const uint8_t *order;
	br_ec_private_key sk;
	size_t order_len;
	int r;

	r = jose_check_members(jwk, members, sizeof(members) / sizeof(members[0]), e);
	if (r < 0)
		return r;
	r = parse_ec_point(jwk, &key->curve, point, e);
	if (r < 0)
		return r;
	ci = jwk_curve_info(key->curve);
	r = secret_alloc(&key->priv, ci->size, e);
	if (r < 0)
		return r;
	r = jose_member_bytes_exact(jwk, "d", key->priv.data, ci->size, e);
	if (r < 0)
		return r;
	key->priv.len = ci->size;
	order = impl->order(ci->br_curve, &order_len);
	if (order_len != ci->size || !scalar_in_range(key->priv.data, order, ci->size))
		return error_set(e, -EINVAL, "member 'd' is not a private key on %s", ci->name);
	sk = (br_ec_private_key){ .curve = ci->br_curve, .x = key->priv.data, .xlen = ci->size };
	key->pub_len = br_ec_compute_pub(impl, NULL, key->pub, &sk);
	if (key->pub_len != 1 + 2 * (size_t)ci->size || memcmp(key->pub, point, key->pub_len) != 0)
		return error_set(e, -EINVAL, "members 'x' and 'y' are not the public key of 'd'");
	return 0;
}

/* Appends the RSA private key part name to key->priv; its place in *at, its size in *len. */
static int import_rsa_part(struct jwk_key *key, const struct json_value *jwk, const char *name,
			   unsigned char **at, size_t *len, struct error *e)
{
	uint8_t *p = key->priv.data + key->priv.len;
	int r;

	r = jose_member_bytes(jwk, name, p, key->priv.cap - key->priv.len, len, e);
	if (r < 0)
		return r;
	if (*len == 0 || p[0] == 0)
		return error_set(e, -EINVAL,
				 "member '%s' is not a positive integer in shortest form", name);
	*at = p;
	key->priv.len += *len;
	return 0;
}

static int import_rsa(struct jwk_key *key, const struct json_value *jwk, struct error *e)
{
	static const char *const members[] = { "kty", "n",  "e",  "d",	"p",
					       "q",   "dp", "dq", "qi", "alg" };
	uint8_t n[JWK_RSA_MAX_BITS / 8], ebytes[4];
	br_rsa_public_key pk = { .n = n, .e = ebytes };
	br_rsa_private_key *sk = &key->rsa;
	uint32_t exponent = 0;
	const char *d;
	int r;

	r = jose_check_members(jwk, members, sizeof(members) / sizeof(members[0]), e);
	if (r < 0)
		return r;
	r = jose_member_bytes(jwk, "n", n, sizeof(n), &pk.nlen, e);
	if (r < 0)
		return r;
	r = jose_member_bytes(jwk, "e", ebytes, sizeof(ebytes), &pk.elen, e);
	if (r < 0)
		return r;
	if (pk.nlen == 0 || n[0] == 0 || pk.elen == 0 || ebytes[0] == 0)
		return error_set(e, -EINVAL,
				 "members 'n' and 'e' must be positive integers in shortest form");
	sk->n_bitlen = (uint32_t)pk.nlen * 8;
	for (uint8_t top = n[0]; !(top & 0x80); top <<= 1)
		sk->n_bitlen--;
	if (sk->n_bitlen < JWK_RSA_MIN_BITS || sk->n_bitlen > JWK_RSA_MAX_BITS)
		return error_set(e, -EINVAL, "RSA key of %u bits is not accepted (%d to %d)",
				 (unsigned)sk->n_bitlen, JWK_RSA_MIN_BITS, JWK_RSA_MAX_BITS);
	for (size_t i = 0; i < pk.elen; i++)
		exponent = exponent << 8 | ebytes[i];
	/* Required by RFC 7518 section 6.3.2.1, unused: the CRT parts below are faster. */
	r = json_object_get_string(jwk, "d", &d, NULL, e);
	if (r < 0)
		return r;

	r = secret_alloc(&key->priv, 5 * sizeof(n), e);
	if (r < 0)
		return r;
	r = import_rsa_part(key, jwk, "p", &sk->p, &sk->plen, e);
	if (r >= 0)
		r = import_rsa_part(key, jwk, "q", &sk->q, &sk->qlen, e);
	if (r >= 0)
		r = import_rsa_part(key, jwk, "dp", &sk->dp, &sk->dplen, e);
	if (r >= 0)
		r = import_rsa_part(key, jwk, "dq", &sk->dq, &sk->dqlen, e);
	if (r >= 0)
		r = import_rsa_part(key, jwk, "qi", &sk->iq, &sk->iqlen, e);
	if (r < 0)
		return r;

	/*
	 * The private parts must belong to the public key, else decryption fails in obscure ways:
	 * a value raised to e with n must come back through the CRT parts. (BearSSL's
	 * compute_modulus cannot multiply two 2048-bit primes, so no check of p * q alone.)
	 */
	{
		uint8_t x[JWK_RSA_MAX_BITS / 8];
		size_t len = pk.nlen;

		for (size_t i = 0; i < len; i++)
			x[i] = (uint8_t)i; /* x[0] is 0: the value is below n */
		/* The implementation jwe.c decrypts with (31-bit integers, see net/tls.c). */
		if (!br_rsa_i31_public(x, len, &pk) || !br_rsa_i31_private(x, sk))
			return error_set(e, -EINVAL,
					 "members 'p', 'q', 'dp', 'dq', 'qi' do not belong to 'n' "
					 "and 'e'");
		for (size_t i = 0; i < len; i++)
			if (x[i] != (uint8_t)i)
				return error_set(
					e, -EINVAL,
					"members 'p', 'q', 'dp', 'dq', 'qi' do not belong to "
					"'n' and 'e'");
	}
	rsa_set_public(key, &pk);
	return 0;
}

static int import_private(struct jwk_key *key, const struct json_value *jwk, struct error *e)
{
	char what[JOSE_DESCRIBE_MAX];
	const char *kty;
	size_t kty_len;
	int r;

	*key = (struct jwk_key){ 0 };
	r = json_object_get_string(jwk, "kty", &kty, &kty_len, e);
	if (r < 0)
		return r;
	if (kty_len == 2 && memcmp(kty, "EC", 2) == 0)
		key->type = JWK_EC;
	else if (kty_len == 3 && memcmp(kty, "RSA", 3) == 0)
		key->type = JWK_RSA;
	else
		return error_set(e, -EINVAL, "kty '%s' is not accepted (only EC and RSA)",
				 jose_describe(kty, kty_len, what));
	if (json_object_get(jwk, "alg")) {
		r = jose_member_expect(jwk, "alg", jwk_key_alg(key), e);
		if (r < 0)
			return r;
	}
	r = key->type == JWK_EC ? import_ec(key, jwk, e) : import_rsa(key, jwk, e);
	if (r < 0)
		jwk_key_free(key);
	return r;
}

int jwk_generate_ec(struct jwk_key *key, enum jwk_curve curve, struct error *e)
{
	int r = generate_ec(key, curve, e);

	jose_wipe_stack();
	return r;
}

int jwk_generate_rsa(struct jwk_key *key, unsigned bits, struct error *e)
{
	int r = generate_rsa(key, bits, e);

	jose_wipe_stack();
	return r;
}

int jwk_import_private(struct jwk_key *key, const struct json_value *jwk, struct error *e)
{
	int r = import_private(key, jwk, e);

	jose_wipe_stack();
	return r;
}

int jwk_parse_ec_public(const struct json_value *jwk, enum jwk_curve *curve, uint8_t *point,
			struct error *e)
{
	static const char *const members[] = { "kty", "crv", "x", "y" };
	int r;

	r = jose_check_members(jwk, members, sizeof(members) / sizeof(members[0]), e);
	if (r < 0)
		return r;
	return parse_ec_point(jwk, curve, point, e);
}

static int write_base64url(struct json_writer *w, const char *key, const uint8_t *p, size_t n)
{
	char text[JWK_PUBLIC_MAX / 3 * 4 + 8];

	base64_encode(text, p, n, BASE64_URL);
	json_writer_key(w, key);
	return json_writer_string(w, text);
}

int jwk_write_public(const struct jwk_key *key, struct json_writer *w)
{
	json_writer_begin_object(w);
	if (key->type == JWK_EC) {
		const struct jwk_curve_info *ci = jwk_curve_info(key->curve);

		if (!ci || key->pub_len != 1 + 2 * (size_t)ci->size)
			return json_writer_fail(w, -EINVAL, "EC key has no public point");
		json_writer_key(w, "kty");
		json_writer_string(w, "EC");
		json_writer_key(w, "crv");
		json_writer_string(w, ci->name);
		json_writer_key(w, "alg");
		json_writer_string(w, jwk_key_alg(key));
		write_base64url(w, "x", key->pub + 1, ci->size);
		write_base64url(w, "y", key->pub + 1 + ci->size, ci->size);
	} else {
		if (key->n_len == 0 || key->pub_len <= key->n_len)
			return json_writer_fail(w, -EINVAL, "RSA key has no public key");
		json_writer_key(w, "kty");
		json_writer_string(w, "RSA");
		json_writer_key(w, "alg");
		json_writer_string(w, jwk_key_alg(key));
		write_base64url(w, "n", key->pub, key->n_len);
		write_base64url(w, "e", key->pub + key->n_len, key->pub_len - key->n_len);
	}
	return json_writer_end_object(w);
}
