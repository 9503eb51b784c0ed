/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "jose/jwe.h"

#include <bearssl_aead.h>
#include <bearssl_block.h>
#include <bearssl_ec.h>
#include <bearssl_hash.h>
#include <bearssl_rsa.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/ec.h"
#include "basic/encoding.h"
#include "basic/error.h"
#include "crypto/hash.h"
#include "jose/jose.h"
#include "json/json.h"
#include "basic/macro.h"

/* RFC 3394 section 2.2.3.1: the default initial value, the unwrapped A must equal it. */
static const uint8_t kw_default_iv[8] = { 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6 };

#define KW_WRAPPED_MIN 24
#define KW_WRAPPED_MAX (JWE_CEK_SIZE + 8)

/*
 * Everything derived from the agent's key while one JWE is decrypted, kept together in one
 * struct secret so that one wipe covers it: the shared point, the KDF state, KEK and CEK,
 * the AES key schedules, the GHASH key, the RSA plaintext.
 */
struct jwe_work {
	uint8_t point[JWK_EC_POINT_MAX]; /* the epk, then the shared point */
	struct hash_ctx hash;
	uint8_t digest[32];
	uint8_t kek[32];
	br_aes_ct64_cbcdec_keys aes_dec;
	uint8_t block[64]; /* one AES block, and three more the bitsliced AES decrypts alongside */
	uint8_t chain[16];
	uint8_t unwrapped[KW_WRAPPED_MAX]; /* A || R[1] .. R[n] */
	uint8_t rsa[JWK_RSA_MAX_BITS / 8];
	uint8_t cek[JWE_CEK_SIZE];
	br_aes_ct64_ctr_keys aes_ctr;
	br_gcm_context gcm;
};

/* What the envelope and its protected header hold, checked but not yet decrypted. */
struct jwe_parts {
	const char *protected; /* the base64url text as received: the AAD */
	size_t protected_len;
	const struct jwe_alg *alg;
	uint8_t iv[JWE_IV_SIZE];
	uint8_t tag[JWE_TAG_SIZE];
	uint8_t encrypted_key[JWK_RSA_MAX_BITS / 8];
	size_t encrypted_key_len;
	const char *ciphertext; /* base64url */
	size_t ciphertext_len;
};

/*
 * Recovers the CEK into w->cek. A negative errno for what public data decides (the epk is not
 * on the curve); otherwise 0 with *ok 1 or 0, a verdict on secret data that the caller folds
 * into the tag check rather than act on, so that no path tells a wrong key from a wrong tag.
 */
typedef int jwe_cek_func(struct jwe_work *w, const struct jwk_key *key, const struct jwe_parts *p,
			 uint32_t *ok, struct error *e);

struct jwe_alg {
	const char *name;
	enum jwk_type key_type;
	jwe_cek_func *recover_cek;
};

static uint32_t ct_is_zero(uint32_t x)
{
	return ((x | (0u - x)) >> 31) ^ 1;
}

static uint32_t ct_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint32_t diff = 0;

	for (size_t i = 0; i < n; i++)
		diff |= (uint32_t)(a[i] ^ b[i]);
	return ct_is_zero(diff);
}

static int work_new(struct secret *s, struct jwe_work **ret, struct error *e)
{
	int r = secret_alloc(s, sizeof(struct jwe_work), e);

	if (r < 0)
		return r;
	/* A fresh mapping: page-aligned, so fit for any member. */
	*ret = (struct jwe_work *)(void *)s->data;
	return 0;
}

static void hash_be32(struct hash_ctx *h, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	hash_update(h, b, sizeof(b));
}

/* A length-prefixed datum of OtherInfo (RFC 7518 section 4.6.2). */
static void hash_datum(struct hash_ctx *h, const void *p, size_t len)
{
	hash_be32(h, (uint32_t)len);
	if (len)
		hash_update(h, p, len);
}

static void concat_kdf(struct jwe_work *w, const void *z, size_t zlen, const char *alg,
		       const void *apu, size_t apu_len, const void *apv, size_t apv_len,
		       uint8_t *out, size_t out_len)
{
	size_t done = 0;

	for (uint32_t round = 1; done < out_len; round++) {
		size_t n = out_len - done < sizeof(w->digest) ? out_len - done : sizeof(w->digest);

		hash_init(&w->hash, HASH_SHA256);
		hash_be32(&w->hash, round);
		hash_update(&w->hash, z, zlen);
		hash_datum(&w->hash, alg, strlen(alg));
		hash_datum(&w->hash, apu, apu_len);
		hash_datum(&w->hash, apv, apv_len);
		hash_be32(&w->hash, (uint32_t)(out_len * 8)); /* SuppPubInfo: keydatalen */
		hash_final(&w->hash, w->digest);
		memcpy(out + done, w->digest, n);
		done += n;
	}
	explicit_bzero(w->digest, sizeof(w->digest));
}

/* RFC 3394 section 2.2.2, index-based; len is 24..40 and a multiple of 8. */
static uint32_t kw_unwrap(struct jwe_work *w, const uint8_t *kek, const uint8_t *in, size_t len,
			  uint8_t *out)
{
	size_t n = len / 8 - 1;
	uint8_t *a = w->unwrapped, *r = w->unwrapped + 8;

	memcpy(w->unwrapped, in, len);
	br_aes_ct64_cbcdec_init(&w->aes_dec, kek, 32);
	for (unsigned j = 6; j-- > 0;)
		for (size_t i = n; i >= 1; i--) {
			uint64_t t = (uint64_t)n * j + i;

			memcpy(w->block, a, 8);
			for (unsigned k = 0; k < 8; k++)
				w->block[7 - k] ^= (uint8_t)(t >> (8 * k));
			memcpy(w->block + 8, r + 8 * (i - 1), 8);
			/*
			 * BearSSL has no bare block API: the first CBC block from a zero IV is one.
			 * Four blocks, because ct64 decrypts four at once and, given fewer, works
			 * on uninitialised lanes (harmless, but not to valgrind); the other three
			 * are zeros whose output is not used.
			 */
			memset(w->chain, 0, sizeof(w->chain));
			memset(w->block + 16, 0, sizeof(w->block) - 16);
			br_aes_ct64_cbcdec_run(&w->aes_dec, w->chain, w->block, sizeof(w->block));
			memcpy(a, w->block, 8);
			memcpy(r + 8 * (i - 1), w->block + 8, 8);
		}
	memcpy(out, r, len - 8);
	return ct_equal(a, kw_default_iv, sizeof(kw_default_iv));
}

/* Decrypts len bytes of data in place; 1 when the tag matches, checked in constant time. */
static uint32_t gcm_open(struct jwe_work *w, const uint8_t *cek, const void *aad, size_t aad_len,
			 const uint8_t *iv, uint8_t *data, size_t len, const uint8_t *tag)
{
	br_aes_ct64_ctr_init(&w->aes_ctr, cek, JWE_CEK_SIZE);
	br_gcm_init(&w->gcm, &w->aes_ctr.vtable, br_ghash_ctmul64);
	br_gcm_reset(&w->gcm, iv, JWE_IV_SIZE);
	br_gcm_aad_inject(&w->gcm, aad, aad_len);
	br_gcm_flip(&w->gcm);
	br_gcm_run(&w->gcm, 0, data, len);
	return br_gcm_check_tag(&w->gcm, tag);
}

static int cek_ecdh_es_a256kw(struct jwe_work *w, const struct jwk_key *key,
			      const struct jwe_parts *p, uint32_t *ok, struct error *e)
{
	const struct jwk_curve_info *ci = jwk_curve_info(key->curve);
	const br_ec_impl *impl = &ec_i31;
	size_t xoff, xlen;

	if (p->encrypted_key_len != KW_WRAPPED_MAX)
		return error_set(e, -EINVAL,
				 "JWE: member 'encrypted_key' is %zu bytes, expected %d (a wrapped "
				 "256-bit key)",
				 p->encrypted_key_len, KW_WRAPPED_MAX);
	/* mul() checks that the point is on the curve: no invalid-curve attack gets through. */
	if (!impl->mul(w->point, 1 + 2 * (size_t)ci->size, key->priv.data, key->priv.len,
		       ci->br_curve))
		return error_set(e, -EINVAL, "JWE epk is not a point on %s", ci->name);
	/* RFC 7518 section 4.6.2: Z is the x coordinate; no apu, apv members are accepted. */
	xoff = impl->xoff(ci->br_curve, &xlen);
	concat_kdf(w, w->point + xoff, xlen, p->alg->name, NULL, 0, NULL, 0, w->kek,
		   sizeof(w->kek));
	*ok = kw_unwrap(w, w->kek, p->encrypted_key, p->encrypted_key_len, w->cek);
	return 0;
}

static int cek_rsa_oaep_256(struct jwe_work *w, const struct jwk_key *key,
			    const struct jwe_parts *p, uint32_t *ok, struct error *e)
{
	size_t modulus = (key->rsa.n_bitlen + 7) / 8, len = p->encrypted_key_len;
	uint32_t good;
	uint8_t mask;

	if (p->encrypted_key_len != modulus)
		return error_set(e, -EINVAL,
				 "JWE: member 'encrypted_key' is %zu bytes, expected %zu (our RSA "
				 "modulus)",
				 p->encrypted_key_len, modulus);
	memcpy(w->rsa, p->encrypted_key, len);
	/* 31-bit integers, as net/tls.c says why; one decryption a release. */
	good = br_rsa_i31_oaep_decrypt(&br_sha256_vtable, NULL, 0, &key->rsa, w->rsa, &len);
	/* A well-padded message of the wrong size fails the same way, with a zero key. */
	good &= ct_is_zero((uint32_t)(len ^ JWE_CEK_SIZE));
	mask = (uint8_t)(0u - good);
	for (size_t i = 0; i < JWE_CEK_SIZE; i++)
		w->cek[i] = w->rsa[i] & mask;
	*ok = good;
	return 0;
}

static const struct jwe_alg algs[] = {
	{ "ECDH-ES+A256KW", JWK_EC, cek_ecdh_es_a256kw },
	{ "RSA-OAEP-256", JWK_RSA, cek_rsa_oaep_256 },
};

static const char *key_type_name(enum jwk_type type)
{
	return type == JWK_EC ? "EC" : "RSA";
}

/* The protected header: alg, enc and (for ECDH-ES) epk, whose point goes to w->point. */
static int parse_header(struct json_arena *arena, const struct jwk_key *key, struct jwe_parts *p,
			struct jwe_work *w, struct error *e)
{
	static const char *const members[] = { "alg", "enc", "epk" };
	_cleanup_free_ uint8_t *text = NULL;
	char what[JOSE_DESCRIBE_MAX];
	const struct json_value *header, *epk;
	enum jwk_curve curve;
	const char *alg;
	size_t len, alg_len;
	int r;

	text = malloc(base64_decoded_max(p->protected_len) + 1);
	if (!text)
		return error_set_errno(e, -ENOMEM, "JWE protected header");
	r = base64_decode(text, base64_decoded_max(p->protected_len), p->protected,
			  p->protected_len, BASE64_URL, &len, e);
	if (r < 0)
		return error_prefix(e, "JWE: member 'protected'");
	r = json_parse(arena, text, len, &header, e);
	if (r < 0)
		return error_prefix(e, "JWE protected header");
	if (header->type != JSON_OBJECT)
		return error_set(e, -EINVAL, "JWE protected header is %s, expected an object",
				 json_type_name(header->type));
	r = jose_check_members(header, members, ARRAY_SIZE(members), e);
	if (r < 0)
		return error_prefix(e, "JWE protected header");

	r = json_object_get_string(header, "alg", &alg, &alg_len, e);
	if (r < 0)
		return error_prefix(e, "JWE protected header");
	for (size_t i = 0; i < ARRAY_SIZE(algs) && !p->alg; i++)
		if (strlen(algs[i].name) == alg_len && memcmp(algs[i].name, alg, alg_len) == 0)
			p->alg = &algs[i];
	if (!p->alg)
		return error_set(e, -EINVAL,
				 "JWE protected header: alg '%s' is not accepted (only "
				 "ECDH-ES+A256KW and RSA-OAEP-256)",
				 jose_describe(alg, alg_len, what));
	r = jose_member_expect(header, "enc", "A256GCM", e);
	if (r < 0)
		return error_prefix(e, "JWE protected header");
	if (p->alg->key_type != key->type)
		return error_set(e, -EINVAL,
				 "JWE protected header: alg '%s' does not fit our %s key",
				 p->alg->name, key_type_name(key->type));

	if (p->alg->key_type != JWK_EC) {
		if (json_object_get(header, "epk"))
			return error_set(e, -EINVAL,
					 "JWE protected header: member 'epk' does not belong with "
					 "alg '%s'",
					 p->alg->name);
		return 0;
	}
	r = json_object_get_object(header, "epk", &epk, e);
	if (r < 0)
		return error_prefix(e, "JWE protected header");
	r = jwk_parse_ec_public(epk, &curve, w->point, e);
	if (r < 0)
		return error_prefix(e, "JWE epk");
	if (curve != key->curve)
		return error_set(e, -EINVAL, "JWE epk: crv '%s' does not match our %s key",
				 jwk_curve_info(curve)->name, jwk_curve_info(key->curve)->name);
	return 0;
}

static int parse(struct json_arena *arena, const void *json, size_t len, const struct jwk_key *key,
		 struct jwe_parts *p, struct jwe_work *w, struct error *e)
{
	static const char *const members[] = { "protected", "encrypted_key", "iv", "ciphertext",
					       "tag" };
	const struct json_value *top;
	int r;

	if (len > JWE_MAX_SIZE)
		return error_set(e, -EMSGSIZE, "JWE of %zu bytes exceeds the limit of %u", len,
				 JWE_MAX_SIZE);
	r = json_parse(arena, json, len, &top, e);
	if (r < 0)
		return error_prefix(e, "JWE");
	if (top->type != JSON_OBJECT)
		return error_set(e, -EINVAL, "JWE is %s, expected an object",
				 json_type_name(top->type));
	r = jose_check_members(top, members, ARRAY_SIZE(members), e);
	if (r >= 0)
		r = json_object_get_string(top, "protected", &p->protected, &p->protected_len, e);
	if (r < 0)
		return error_prefix(e, "JWE");
	/* The header first: alg and enc say what the other members must hold. */
	r = parse_header(arena, key, p, w, e);
	if (r < 0)
		return r;
	r = json_object_get_string(top, "ciphertext", &p->ciphertext, &p->ciphertext_len, e);
	if (r >= 0)
		r = jose_member_bytes(top, "encrypted_key", p->encrypted_key,
				      sizeof(p->encrypted_key), &p->encrypted_key_len, e);
	if (r >= 0)
		r = jose_member_bytes_exact(top, "iv", p->iv, sizeof(p->iv), e);
	if (r >= 0)
		r = jose_member_bytes_exact(top, "tag", p->tag, sizeof(p->tag), e);
	if (r < 0)
		return error_prefix(e, "JWE");
	return 0;
}

static int decrypt(const void *json, size_t len, const struct jwk_key *key,
		   struct secret *plaintext, struct error *e)
{
	_cleanup_(json_arena_free) struct json_arena arena;
	_cleanup_secret_ struct secret work = { 0 };
	struct jwe_parts p = { 0 };
	struct jwe_work *w;
	uint8_t *data = plaintext->data + plaintext->len;
	size_t room = plaintext->cap - plaintext->len, data_len;
	uint32_t ok = 0;
	int r;

	/* Densest case: every input byte a node of the envelope or of the header (json.h). */
	json_arena_init(&arena, 128 * len + 4096);
	r = work_new(&work, &w, e);
	if (r < 0)
		return r;
	r = parse(&arena, json, len, key, &p, w, e);
	if (r < 0)
		return r;
	if (base64_decoded_max(p.ciphertext_len) > room)
		return error_set(e, -ENOBUFS,
				 "JWE ciphertext of %zu bytes exceeds the %zu bytes left for the "
				 "plaintext",
				 base64_decoded_max(p.ciphertext_len), room);
	r = base64_decode(data, room, p.ciphertext, p.ciphertext_len, BASE64_URL, &data_len, e);
	if (r < 0)
		return error_prefix(e, "JWE: member 'ciphertext'");

	r = p.alg->recover_cek(w, key, &p, &ok, e);
	if (r < 0)
		return r;
	/* RFC 7516 section 5.2 step 14: the AAD is the protected member's text as received. */
	ok &= gcm_open(w, w->cek, p.protected, p.protected_len, p.iv, data, data_len, p.tag);
	if (!ok)
		return error_set(e, -EBADMSG,
				 "JWE does not authenticate with our key: made for another key, "
				 "or altered");
	plaintext->len += data_len;
	return 0;
}

int jwe_decrypt(const void *json, size_t len, const struct jwk_key *key, struct secret *plaintext,
		struct error *e)
{
	size_t used = plaintext->len;
	int r;

	if (!plaintext->data || used > plaintext->cap)
		return error_set(e, -EINVAL, "JWE plaintext needs an allocated secret");
	r = decrypt(json, len, key, plaintext, e);
	jose_wipe_stack();
	if (r < 0) {
		explicit_bzero(plaintext->data + used, plaintext->cap - used);
		plaintext->len = used;
	}
	return r;
}

int jwe_concat_kdf(const void *z, size_t zlen, const char *alg, const void *apu, size_t apu_len,
		   const void *apv, size_t apv_len, void *out, size_t out_len, struct error *e)
{
	_cleanup_secret_ struct secret work = { 0 };
	struct jwe_work *w;
	int r;

	if (out_len == 0 || out_len > 1024)
		return error_set(e, -EINVAL, "Concat KDF output of %zu bytes is out of range",
				 out_len);
	r = work_new(&work, &w, e);
	if (r < 0)
		return r;
	concat_kdf(w, z, zlen, alg, apu, apu_len, apv, apv_len, out, out_len);
	jose_wipe_stack();
	return 0;
}

int jwe_aes256_key_unwrap(const uint8_t kek[32], const void *wrapped, size_t len, void *out,
			  struct error *e)
{
	_cleanup_secret_ struct secret work = { 0 };
	struct jwe_work *w;
	uint32_t ok;
	int r;

	if (len < KW_WRAPPED_MIN || len > KW_WRAPPED_MAX || len % 8)
		return error_set(e, -EINVAL, "wrapped key of %zu bytes is not supported", len);
	r = work_new(&work, &w, e);
	if (r < 0)
		return r;
	ok = kw_unwrap(w, kek, wrapped, len, out);
	jose_wipe_stack();
	if (!ok) {
		explicit_bzero(out, len - 8);
		return error_set(e, -EBADMSG, "key unwrap integrity check failed");
	}
	return 0;
}

int jwe_a256gcm_decrypt(const uint8_t cek[JWE_CEK_SIZE], const void *aad, size_t aad_len,
			const uint8_t iv[JWE_IV_SIZE], const void *ct, size_t ct_len,
			const uint8_t tag[JWE_TAG_SIZE], struct secret *plaintext, struct error *e)
{
	_cleanup_secret_ struct secret work = { 0 };
	struct jwe_work *w;
	uint8_t *data;
	uint32_t ok;
	int r;

	if (!plaintext->data || plaintext->len > plaintext->cap)
		return error_set(e, -EINVAL, "A256GCM plaintext needs an allocated secret");
	if (ct_len > plaintext->cap - plaintext->len)
		return error_set(e, -ENOBUFS,
				 "A256GCM ciphertext of %zu bytes exceeds the %zu left", ct_len,
				 plaintext->cap - plaintext->len);
	r = work_new(&work, &w, e);
	if (r < 0)
		return r;
	data = plaintext->data + plaintext->len;
	if (ct_len)
		memcpy(data, ct, ct_len);
	ok = gcm_open(w, cek, aad, aad_len, iv, data, ct_len, tag);
	jose_wipe_stack();
	if (!ok) {
		explicit_bzero(data, plaintext->cap - plaintext->len);
		return error_set(e, -EBADMSG, "A256GCM tag mismatch");
	}
	plaintext->len += ct_len;
	return 0;
}
