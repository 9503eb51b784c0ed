/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * TAP: JWE decryption (agent/jose/jwe.c) and the agent's keys (agent/jose/jwk.c).
 *
 * The building blocks against published vectors: AES key unwrap (RFC 3394 section 4), the
 * Concat KDF (RFC 7518 appendix C), A256GCM with a JWE's AAD (RFC 7516 appendix A.1). Whole
 * JWEs from two producers that share no code with mrboot (tests/witness/jwe-make.py: python3-
 * cryptography's primitives composed by hand, and python3-jwcrypto), made for their keys and
 * for keys the agent generated; python checks the agent's public JWKs. Then every kind of
 * damage to those JWEs: each refused, with a message naming what was wrong, the plaintext
 * room wiped and its used part untouched.
 *
 * Usage: test-jwe JWE-MAKE.PY  (MRBOOT_PYTHON picks the interpreter, else /usr/bin/python3:
 * Debian's, with python3-cryptography and python3-jwcrypto.)
 */
#include <bearssl_ec.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "basic/file.h"
#include "json/json.h"
#include "jose/jwe.h"
#include "jose/jwk.h"
#include "basic/secret.h"
#include "tap.h"

/* Room given to a plaintext: the largest case is 1000 bytes. */
#define ROOM 4096
/* Bytes already in the secret before a decryption: they must survive every outcome. */
static const char kept[] = "KEEP";
#define CANARY 0x5a

static uint8_t *unhex(const char *hex, size_t *len)
{
	size_t n = strlen(hex) / 2 + 1;
	uint8_t *p = malloc(n);

	if (!p || hex_decode(p, n, hex, strlen(hex), len, NULL) < 0)
		abort();
	return p;
}

static uint8_t *unb64u(const char *s, size_t *len)
{
	size_t cap = base64_decoded_max(strlen(s)) + 1;
	uint8_t *p = malloc(cap);

	if (!p || base64_decode(p, cap, s, strlen(s), BASE64_URL, len, NULL) < 0)
		abort();
	return p;
}

static char *b64u(const void *p, size_t n)
{
	char *s = malloc(base64_encoded_len(n, BASE64_URL) + 1);

	if (!s)
		abort();
	base64_encode(s, p, n, BASE64_URL);
	return s;
}

__attribute__((format(printf, 1, 2))) static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

/* ---- the plaintext secret ---- */

static void room_prepare(struct secret *s)
{
	secret_free(s);
	if (secret_alloc(s, ROOM, NULL) < 0 || secret_append(s, kept, 4, NULL) < 0)
		abort();
	memset(s->data + s->len, CANARY, s->cap - s->len);
}

/* After a refusal: the used part as it was, every byte after it zero (the canary wiped). */
static int room_wiped(const struct secret *s)
{
	if (s->len != 4 || memcmp(s->data, kept, 4) != 0)
		return 0;
	for (size_t i = s->len; i < s->cap; i++)
		if (s->data[i])
			return 0;
	return 1;
}

static void expect_plaintext(const char *what, const char *json, const struct jwk_key *key,
			     const uint8_t *want, size_t want_len)
{
	struct secret s = { 0 };
	struct error e = { 0 };
	int r, pass;

	room_prepare(&s);
	r = jwe_decrypt(json, strlen(json), key, &s, &e);
	pass = r == 0 && s.len == 4 + want_len && memcmp(s.data, kept, 4) == 0 &&
	       (want_len == 0 || memcmp(s.data + 4, want, want_len) == 0);
	tap_ok(pass, "%s: decrypts to the producer's plaintext", what);
	if (!pass)
		tap_diag("r=%d len=%zu (want %zu): %s", r, s.len, 4 + want_len, e.msg);
	secret_free(&s);
}

/* want_r 0: any error. want_msg NULL: any message. */
static void expect_refused(const char *what, const char *json, const struct jwk_key *key,
			   int want_r, const char *want_msg)
{
	struct secret s = { 0 };
	struct error e = { 0 };
	int r, pass;

	room_prepare(&s);
	r = jwe_decrypt(json, strlen(json), key, &s, &e);
	pass = r < 0 && (want_r == 0 || r == want_r) && (!want_msg || strstr(e.msg, want_msg)) &&
	       room_wiped(&s);
	tap_ok(pass, "%s: refused (%s), the room wiped", what, want_msg ? want_msg : "any reason");
	if (!pass)
		tap_diag("r=%d (want %d), wiped=%d: %s", r, want_r, room_wiped(&s), e.msg);
	secret_free(&s);
}

/* ---- published vectors ---- */

static void test_key_unwrap(void)
{
	/* RFC 3394 section 4: the vectors with a 256-bit KEK. */
	static const struct {
		const char *section, *data, *wrapped;
	} v[] = {
		{ "4.3", "00112233445566778899aabbccddeeff",
		  "64e8c3f9ce0f5ba263e9777905818a2a93c8191e7d6e8ae7" },
		{ "4.5", "00112233445566778899aabbccddeeff0001020304050607",
		  "a8f9bc1612c68b3ff6e6f4fbe30e71e4769c8b80a32cb8958cd5d17d6b254da1" },
		{ "4.6", "00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f",
		  "28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21" },
	};
	size_t kek_len, len, data_len;
	uint8_t *kek =
		unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", &kek_len);
	uint8_t out[32];
	struct error e = { 0 };

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		uint8_t *wrapped = unhex(v[i].wrapped, &len), *data = unhex(v[i].data, &data_len);
		int r = jwe_aes256_key_unwrap(kek, wrapped, len, out, &e);

		tap_ok(r == 0 && memcmp(out, data, data_len) == 0,
		       "AES key unwrap: RFC 3394 section %s (%zu-bit key data, 256-bit KEK)",
		       v[i].section, data_len * 8);
		if (i == ARRAY_SIZE(v) - 1) {
			static const uint8_t zero[32];

			wrapped[len - 1] ^= 1;
			r = jwe_aes256_key_unwrap(kek, wrapped, len, out, &e);
			tap_ok(r == -EBADMSG && memcmp(out, zero, 32) == 0,
			       "AES key unwrap: one bit changed fails the integrity check, output wiped");
			wrapped[len - 1] ^= 1;
			kek[31] ^= 0x80;
			r = jwe_aes256_key_unwrap(kek, wrapped, len, out, &e);
			tap_is_int(r, -EBADMSG,
				   "AES key unwrap: another KEK fails the integrity check");
			kek[31] ^= 0x80;
			tap_is_int(jwe_aes256_key_unwrap(kek, wrapped, 20, out, &e), -EINVAL,
				   "AES key unwrap: 20 bytes are not a wrapped key");
		}
		free(wrapped);
		free(data);
	}
	free(kek);
}

/* RFC 7518 appendix C: Alice's ephemeral key, Bob's static key, apu "Alice", apv "Bob". */
static const char *const bob_jwk =
	"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ\","
	"\"y\":\"e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck\","
	"\"d\":\"VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw\"}";
static const char *const alice_x = "gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0";
static const char *const alice_y = "SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps";

static int import_text(struct jwk_key *key, const char *text, struct error *e)
{
	struct json_arena a;
	const struct json_value *v;
	int r;

	json_arena_init(&a, 1 << 20);
	r = json_parse(&a, text, strlen(text), &v, e);
	if (r >= 0)
		r = jwk_import_private(key, v, e);
	json_arena_free(&a);
	return r;
}

static void test_concat_kdf(void)
{
	uint8_t point[65], out[16];
	size_t len, dlen;
	uint8_t *x = unb64u(alice_x, &len), *y = unb64u(alice_y, &len);
	uint8_t *d = unb64u("VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw", &dlen);
	struct jwk_key key = { 0 };
	struct error e = { 0 };
	char *derived, *bad;
	int r;

	/* Z straight from BearSSL, so that only the KDF is under test here. */
	point[0] = 4;
	memcpy(point + 1, x, 32);
	memcpy(point + 33, y, 32);
	if (!br_ec_p256_m31.mul(point, sizeof(point), d, dlen, BR_EC_secp256r1))
		abort();
	r = jwe_concat_kdf(point + 1, 32, "A128GCM", "Alice", 5, "Bob", 3, out, sizeof(out), &e);
	derived = b64u(out, sizeof(out));
	tap_ok(r == 0 && strcmp(derived, "VqqN6vgjbSBcIijNcacQGg") == 0,
	       "Concat KDF: RFC 7518 appendix C derives VqqN6vgjbSBcIijNcacQGg");
	free(derived);
	tap_is_int(jwe_concat_kdf(point + 1, 32, "A128GCM", NULL, 0, NULL, 0, out, 0, &e), -EINVAL,
		   "Concat KDF: an empty output is refused");

	tap_is_int(import_text(&key, bob_jwk, &e), 0,
		   "JWK import: RFC 7518 appendix C's private key for Bob");
	free(x);
	x = unb64u("weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ", &len);
	tap_ok(key.type == JWK_EC && key.curve == JWK_P256 && key.pub_len == 65 &&
		       memcmp(key.pub + 1, x, 32) == 0,
	       "JWK import: its public point is the one the RFC gives");
	jwk_key_free(&key);
	bad = fmt("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"d\":\"%s\"}",
		  alice_x, alice_y, "VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw");
	r = import_text(&key, bad, &e);
	tap_ok(r == -EINVAL && strstr(e.msg, "not the public key of 'd'") && !key.priv.data,
	       "JWK import: Alice's x and y with Bob's d are refused");
	free(bad);
	free(x);
	free(y);
	free(d);
}

static void test_a256gcm(void)
{
	/* RFC 7516 appendix A.1: the CEK of A.1.2 and the parts of A.1.7. */
	static const uint8_t cek[32] = { 177, 161, 244, 128, 84,  143, 225, 115, 63, 180, 3,
					 255, 107, 154, 212, 246, 138, 7,   110, 91, 112, 46,
					 34,  105, 47,	130, 203, 46,  122, 234, 64, 252 };
	static const char aad[] = "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ";
	static const char text[] =
		"The true sign of intelligence is not knowledge but imagination.";
	size_t iv_len, ct_len, tag_len;
	uint8_t *iv = unb64u("48V1_ALb6US04U3b", &iv_len);
	uint8_t *ct = unb64u("5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6jiSdiwk"
			     "Ir3ajwQzaBtQD_A",
			     &ct_len);
	uint8_t *tag = unb64u("XFBoMYUZodetZdvTiFvSkQ", &tag_len);
	struct secret s = { 0 };
	struct error e = { 0 };
	int r;

	room_prepare(&s);
	r = jwe_a256gcm_decrypt(cek, aad, strlen(aad), iv, ct, ct_len, tag, &s, &e);
	tap_ok(r == 0 && s.len == 4 + strlen(text) && memcmp(s.data + 4, text, strlen(text)) == 0,
	       "A256GCM: RFC 7516 appendix A.1 decrypts to its plaintext");
	room_prepare(&s);
	tag[15] ^= 1;
	r = jwe_a256gcm_decrypt(cek, aad, strlen(aad), iv, ct, ct_len, tag, &s, &e);
	tap_ok(r == -EBADMSG && room_wiped(&s), "A256GCM: a changed tag bit is a mismatch, wiped");
	tag[15] ^= 1;
	room_prepare(&s);
	r = jwe_a256gcm_decrypt(cek, aad, strlen(aad) - 1, iv, ct, ct_len, tag, &s, &e);
	tap_ok(r == -EBADMSG && room_wiped(&s),
	       "A256GCM: an AAD one character short is a mismatch, wiped");
	secret_free(&s);
	free(iv);
	free(ct);
	free(tag);
}

/* ---- the agent's keys ---- */

struct named_key {
	const char *name;
	struct jwk_key key;
};

static struct named_key keys[16];
static size_t n_keys;

static struct jwk_key *key_find(const char *name)
{
	for (size_t i = 0; i < n_keys; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i].key;
	return NULL;
}

/* Another key of the same type and curve, for "wrong key". */
static const struct jwk_key *key_other(const struct jwk_key *k)
{
	for (size_t i = 0; i < n_keys; i++) {
		const struct jwk_key *o = &keys[i].key;

		if (o != k && o->type == k->type &&
		    (k->type == JWK_EC ? o->curve == k->curve : o->n_len == k->n_len))
			return o;
	}
	return NULL;
}

static int write_public_jwk(const char *dir, const char *name, const struct jwk_key *key)
{
	struct json_writer w;
	struct error e = { 0 };
	char *path = fmt("%s/%s.jwk", dir, name);
	FILE *f;
	int r;

	json_writer_init(&w, 1 << 16);
	jwk_write_public(key, &w);
	r = json_writer_finish(&w, &e);
	if (r >= 0) {
		f = fopen(path, "we");
		if (!f || fwrite(w.buf, 1, w.len, f) != w.len || fclose(f) != 0)
			r = -EIO;
	}
	json_writer_free(&w);
	free(path);
	return r;
}

static void test_keygen(const char *dir)
{
	struct jwk_key a = { 0 }, b = { 0 };
	struct error e = { 0 };
	int r;

	r = jwk_generate_ec(&a, JWK_P256, &e);
	tap_ok(r == 0 && a.priv.len == 32 && a.pub_len == 65 && a.pub[0] == 4,
	       "keygen: a P-256 key, a 32-byte scalar and an uncompressed point");
	r = jwk_generate_ec(&b, JWK_P256, &e);
	tap_ok(r == 0 && memcmp(a.priv.data, b.priv.data, 32) != 0 && memcmp(a.pub, b.pub, 65) != 0,
	       "keygen: a second P-256 key differs from the first");
	jwk_key_free(&b);
	tap_ok(!b.priv.data && b.pub_len == 0, "keygen: free leaves the key empty");
	keys[n_keys++] = (struct named_key){ strdup("agent-ec-p256"), a };

	r = jwk_generate_ec(&a, JWK_P521, &e);
	tap_ok(r == 0 && a.priv.len == 66 && a.pub_len == 133,
	       "keygen: a P-521 key, a 66-byte scalar and a 133-byte point");
	keys[n_keys++] = (struct named_key){ strdup("agent-ec-p521"), a };

	r = jwk_generate_rsa(&a, 2048, &e);
	tap_ok(r == 0 && a.n_len == 256 && a.pub_len == 259 &&
		       memcmp(a.pub + 256, "\x01\x00\x01", 3) == 0 && a.rsa.n_bitlen == 2048,
	       "keygen: an RSA-2048 key with exponent 65537");
	keys[n_keys++] = (struct named_key){ strdup("agent-rsa-2048"), a };

	tap_is_int(jwk_generate_rsa(&b, 1024, &e), -EINVAL, "keygen: RSA-1024 is refused");
	tap_is_int(jwk_generate_ec(&b, JWK_CURVE_COUNT, &e), -EINVAL,
		   "keygen: an unknown curve is refused");

	for (size_t i = 0; i < n_keys; i++)
		if (write_public_jwk(dir, keys[i].name, &keys[i].key) < 0)
			tap_diag("cannot write %s/%s.jwk", dir, keys[i].name);
}

/* ---- the independent producer ---- */

static int run_producer(const char *script, const char *dir)
{
	const char *python = getenv("MRBOOT_PYTHON");
	int status;
	pid_t pid;

	if (!python)
		python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execlp(python, python, script, dir, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* ---- damage, done to one JWE ---- */

static const char *const part_names[5] = { "protected", "encrypted_key", "iv", "ciphertext",
					   "tag" };
enum {
	PROTECTED,
	ENCRYPTED_KEY,
	IV,
	CIPHERTEXT,
	TAG
};

/* The members as JSON value texts (quoted strings), so that a test can put any value in. */
struct parts {
	char *v[5];
};

static int parts_from_json(struct parts *p, const char *json)
{
	struct json_arena a;
	const struct json_value *top;
	int r = 0;

	json_arena_init(&a, 1 << 22);
	if (json_parse(&a, json, strlen(json), &top, NULL) < 0)
		r = -EINVAL;
	for (size_t i = 0; r == 0 && i < 5; i++) {
		const char *s;

		if (json_object_get_string(top, part_names[i], &s, NULL, NULL) < 0)
			r = -EINVAL;
		else
			p->v[i] = fmt("\"%s\"", s);
	}
	json_arena_free(&a);
	return r;
}

static void parts_free(struct parts *p)
{
	for (size_t i = 0; i < 5; i++)
		free(p->v[i]);
}

/* The JWE with member omit left out (-1: none) and extra appended (",\"aad\":\"\""). */
static char *join(const struct parts *p, int omit, const char *extra)
{
	const char *sep = "";
	char *s = strdup("{"), *t;

	for (int i = 0; i < 5; i++)
		if (i != omit) {
			t = fmt("%s%s\"%s\":%s", s, sep, part_names[i], p->v[i]);
			free(s);
			s = t;
			sep = ",";
		}
	t = fmt("%s%s}", s, extra);
	free(s);
	return t;
}

/* The JWE with member i's value replaced by the JSON text value. */
static char *with_value(const struct parts *p, int i, const char *value)
{
	struct parts q = *p;

	q.v[i] = (char *)value;
	return join(&q, -1, "");
}

/* The JWE with member i's bytes passed through change(). */
static char *with_bytes(const struct parts *p, int i, void (*change)(uint8_t *, size_t *, int),
			int arg)
{
	char *quoted = p->v[i], *inner = strndup(quoted + 1, strlen(quoted) - 2), *enc, *val, *s;
	size_t len;
	uint8_t *b = unb64u(inner, &len);

	b = realloc(b, len + 8);
	if (!b)
		abort();
	change(b, &len, arg);
	enc = b64u(b, len);
	val = fmt("\"%s\"", enc);
	s = with_value(p, i, val);
	free(inner);
	free(b);
	free(enc);
	free(val);
	return s;
}

static void flip_first(uint8_t *b, size_t *len, int arg)
{
	b[0] ^= 0x01;
}

static void flip_last(uint8_t *b, size_t *len, int arg)
{
	b[*len - 1] ^= 0x80;
}

static void resize(uint8_t *b, size_t *len, int delta)
{
	if (delta > 0)
		memset(b + *len, 0, (size_t)delta);
	*len = (size_t)((int)*len + delta);
}

/* Base64url text with one character changed or added: never the bytes' one spelling. */
static char *with_text(const struct parts *p, int i, const char *how)
{
	const char *q = p->v[i];
	size_t n = strlen(q);
	char *val, *s;

	if (strcmp(how, "padding") == 0)
		val = fmt("%.*s=\"", (int)(n - 1), q);
	else if (strcmp(how, "plus") == 0)
		val = fmt("\"+%s", q + 2);
	else if (strcmp(how, "space") == 0)
		val = fmt("%.*s %s", 3, q, q + 3);
	else { /* stray bits: the last character's unused low bits set */
		static const char alphabet[] =
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		size_t chars = n - 2;
		int v = (int)(strchr(alphabet, q[n - 2]) - alphabet);

		if (chars % 4 == 0)
			return NULL;
		v |= chars % 4 == 2 ? 0x0f : 0x03;
		val = fmt("%.*s%c\"", (int)(n - 2), q, alphabet[v]);
	}
	s = with_value(p, i, val);
	free(val);
	return s;
}

/* The parts of the protected header the damage below starts from. */
struct header {
	char alg[32], enc[32], crv[16], x[96], y[96];
	int ec;
};

static int header_read(struct header *h, const struct parts *p)
{
	char *inner = strndup(p->v[PROTECTED] + 1, strlen(p->v[PROTECTED]) - 2);
	size_t len;
	uint8_t *text = unb64u(inner, &len);
	struct json_arena a;
	const struct json_value *v, *epk;
	const char *s;
	int r = 0;

	json_arena_init(&a, 1 << 20);
	memset(h, 0, sizeof(*h));
	if (json_parse(&a, text, len, &v, NULL) < 0 ||
	    json_object_get_string(v, "alg", &s, NULL, NULL) < 0)
		r = -EINVAL;
	else {
		snprintf(h->alg, sizeof(h->alg), "%s", s);
		if (json_object_get_string(v, "enc", &s, NULL, NULL) == 0)
			snprintf(h->enc, sizeof(h->enc), "%s", s);
		if (json_object_get_object(v, "epk", &epk, NULL) == 0) {
			h->ec = 1;
			if (json_object_get_string(epk, "crv", &s, NULL, NULL) == 0)
				snprintf(h->crv, sizeof(h->crv), "%s", s);
			if (json_object_get_string(epk, "x", &s, NULL, NULL) == 0)
				snprintf(h->x, sizeof(h->x), "%s", s);
			if (json_object_get_string(epk, "y", &s, NULL, NULL) == 0)
				snprintf(h->y, sizeof(h->y), "%s", s);
		}
	}
	json_arena_free(&a);
	free(text);
	free(inner);
	return r;
}

/* The JWE with the protected header replaced by the JSON text header. */
static char *with_header(const struct parts *p, const char *header)
{
	char *enc = b64u(header, strlen(header)), *val = fmt("\"%s\"", enc), *s;

	s = with_value(p, PROTECTED, val);
	free(enc);
	free(val);
	return s;
}

/* An EC header as the broker writes it, with members changed: NULL keeps the original. */
static char *ec_header(const struct header *h, const char *alg, const char *enc, const char *crv,
		       const char *kty, const char *x, const char *y, const char *extra_epk,
		       const char *extra)
{
	return fmt("{\"alg\":\"%s\",\"enc\":\"%s\",\"epk\":{\"crv\":\"%s\",\"kty\":\"%s\","
		   "\"x\":\"%s\",\"y\":\"%s\"%s}%s}",
		   alg ? alg : h->alg, enc ? enc : h->enc, crv ? crv : h->crv, kty ? kty : "EC",
		   x ? x : h->x, y ? y : h->y, extra_epk ? extra_epk : "", extra ? extra : "");
}

/* Takes ownership of json. */
static void refused(const char *what, const char *detail, char *json, const struct jwk_key *key,
		    int want_r, const char *want_msg)
{
	char *name = fmt("%s, %s", what, detail);

	/* Not every damage exists for every length (stray bits need a partial last group). */
	if (json)
		expect_refused(name, json, key, want_r, want_msg);
	free(name);
	free(json);
}

static void damage_members(const char *what, const struct parts *p, const struct jwk_key *key)
{
	for (int i = 0; i < 5; i++) {
		char *msg = fmt("member '%s'", part_names[i]);
		char *d, *extra, *dup;

		d = fmt("%s changed in its first byte", part_names[i]);
		refused(what, d, with_bytes(p, i, flip_first, 0), key,
			i == PROTECTED ? 0 : -EBADMSG,
			i == PROTECTED ? "JWE" : "does not authenticate");
		free(d);
		d = fmt("%s changed in its last byte", part_names[i]);
		refused(what, d, with_bytes(p, i, flip_last, 0), key, i == PROTECTED ? 0 : -EBADMSG,
			i == PROTECTED ? "JWE" : "does not authenticate");
		free(d);
		d = fmt("%s missing", part_names[i]);
		refused(what, d, join(p, i, ""), key, -ENOENT, msg);
		free(d);
		/* -EINVAL, or -EMSGSIZE where the longer text no longer fits the member. */
		d = fmt("%s padded with '='", part_names[i]);
		refused(what, d, with_text(p, i, "padding"), key, 0, msg);
		free(d);
		d = fmt("%s with a '+' (standard base64)", part_names[i]);
		refused(what, d, with_text(p, i, "plus"), key, -EINVAL, msg);
		free(d);
		d = fmt("%s with a space", part_names[i]);
		refused(what, d, with_text(p, i, "space"), key, 0, msg);
		free(d);
		d = fmt("%s with stray bits after its last byte", part_names[i]);
		refused(what, d, with_text(p, i, "stray"), key, -EINVAL, msg);
		free(d);
		d = fmt("%s as a number", part_names[i]);
		refused(what, d, with_value(p, i, "12"), key, -EINVAL, msg);
		free(d);
		d = fmt("%s twice", part_names[i]);
		extra = fmt(",\"%s\":%s", part_names[i], p->v[i]);
		dup = fmt("duplicate member '%s'", part_names[i]);
		refused(what, d, join(p, -1, extra), key, -EINVAL, dup);
		free(d);
		free(extra);
		free(dup);
		free(msg);
	}
	refused(what, "tag one byte short", with_bytes(p, TAG, resize, -1), key, -EINVAL,
		"member 'tag' is 15 bytes, expected 16");
	refused(what, "tag one byte long", with_bytes(p, TAG, resize, 1), key, -EMSGSIZE,
		"member 'tag'");
	refused(what, "iv of 16 bytes", with_bytes(p, IV, resize, 4), key, -EMSGSIZE,
		"member 'iv'");
	refused(what, "iv one byte short", with_bytes(p, IV, resize, -1), key, -EINVAL,
		"member 'iv' is 11 bytes, expected 12");
	refused(what, "encrypted_key one byte short", with_bytes(p, ENCRYPTED_KEY, resize, -1), key,
		-EINVAL, "member 'encrypted_key' is");
	refused(what, "an \"aad\" member", join(p, -1, ",\"aad\":\"\""), key, -EINVAL,
		"member 'aad' is not accepted");
	refused(what, "a \"header\" member", join(p, -1, ",\"header\":{}"), key, -EINVAL,
		"member 'header' is not accepted");
	refused(what, "a \"recipients\" member", join(p, -1, ",\"recipients\":[]"), key, -EINVAL,
		"member 'recipients' is not accepted");
	refused(what, "trailing text after the object", join(p, -1, "}"), key, -EINVAL, "JWE");
}

static void damage_header(const char *what, const struct parts *p, const struct header *h,
			  const struct jwk_key *key)
{
	static const char *const algs[] = { "RSA1_5", "RSA-OAEP", "ECDH-ES", "ECDH-ES+A128KW",
					    "A256KW", "dir",	  "none",    "ecdh-es+a256kw" };
	static const char *const encs[] = { "A128GCM", "A192GCM", "A256CBC-HS512", "a256gcm" };
	char *hdr, *msg;

	for (size_t i = 0; i < ARRAY_SIZE(algs); i++) {
		hdr = h->ec ? ec_header(h, algs[i], NULL, NULL, NULL, NULL, NULL, NULL, NULL)
			    : fmt("{\"alg\":\"%s\",\"enc\":\"%s\"}", algs[i], h->enc);
		msg = fmt("alg '%s' is not accepted", algs[i]);
		refused(what, msg, with_header(p, hdr), key, -EINVAL, msg);
		free(hdr);
		free(msg);
	}
	for (size_t i = 0; i < ARRAY_SIZE(encs); i++) {
		hdr = h->ec ? ec_header(h, NULL, encs[i], NULL, NULL, NULL, NULL, NULL, NULL)
			    : fmt("{\"alg\":\"%s\",\"enc\":\"%s\"}", h->alg, encs[i]);
		msg = fmt("enc '%s' is not accepted", encs[i]);
		refused(what, msg, with_header(p, hdr), key, -EINVAL, msg);
		free(hdr);
		free(msg);
	}
	/* The same header with one more space: the AAD is the text received, not the values. */
	{
		char *inner = strndup(p->v[PROTECTED] + 1, strlen(p->v[PROTECTED]) - 2);
		size_t len;
		uint8_t *text = unb64u(inner, &len);

		hdr = fmt(" %.*s", (int)len, (const char *)text);
		refused(what, "the same header with a space in front (another AAD)",
			with_header(p, hdr), key, -EBADMSG, "does not authenticate");
		free(hdr);
		free(text);
		/* A JSON escape changes the member's text, not its value: still the AAD. */
		hdr = fmt("\"\\u%04x%s\"", inner[0], inner + 1);
		{
			char *json = with_value(p, PROTECTED, hdr);
			struct secret s = { 0 };
			struct error e = { 0 };

			room_prepare(&s);
			tap_is_int(jwe_decrypt(json, strlen(json), key, &s, &e), 0,
				   "%s, protected spelt with a \\u escape: the value is the AAD",
				   what);
			secret_free(&s);
			free(json);
		}
		free(hdr);
		free(inner);
	}
	refused(what, "a header that is an array", with_header(p, "[]"), key, -EINVAL,
		"protected header is an array");
	refused(what, "a header that is not JSON", with_header(p, "{\"alg\""), key, -EINVAL,
		"JWE protected header: offset");
	if (!h->ec) {
		hdr = fmt("{\"alg\":\"%s\",\"enc\":\"%s\",\"epk\":{\"kty\":\"EC\"}}", h->alg,
			  h->enc);
		refused(what, "an epk with RSA-OAEP-256", with_header(p, hdr), key, -EINVAL,
			"member 'epk' does not belong with alg 'RSA-OAEP-256'");
		free(hdr);
		hdr = fmt("{\"alg\":\"%s\",\"enc\":\"%s\",\"kid\":\"1\"}", h->alg, h->enc);
		refused(what, "a \"kid\" header member", with_header(p, hdr), key, -EINVAL,
			"member 'kid' is not accepted");
		free(hdr);
		hdr = fmt("{\"alg\":\"%s\"}", h->alg);
		refused(what, "no enc", with_header(p, hdr), key, -ENOENT,
			"member 'enc' is missing");
		free(hdr);
		hdr = fmt("{\"alg\":\"%s\",\"enc\":\"%s\",\"alg\":\"%s\"}", h->alg, h->enc, h->alg);
		refused(what, "alg twice", with_header(p, hdr), key, -EINVAL,
			"duplicate member 'alg'");
		free(hdr);
		return;
	}

	{
		const struct jwk_curve_info *ci = jwk_curve_info(key->curve);
		size_t len;
		uint8_t *y = unb64u(h->y, &len);
		char *y1, *x_short, *not_on;

		/* y + 1: off the curve (y and p - y are the only two on it for this x). */
		for (size_t i = len; i-- > 0 && ++y[i] == 0;)
			;
		y1 = b64u(y, len);
		hdr = ec_header(h, NULL, NULL, NULL, NULL, NULL, y1, NULL, NULL);
		not_on = fmt("JWE epk is not a point on %s", ci->name);
		refused(what, "epk y + 1, off the curve", with_header(p, hdr), key, -EINVAL,
			not_on);
		free(hdr);
		free(y1);
		free(not_on);
		{
			uint8_t *x = unb64u(h->x, &len);

			x_short = b64u(x, len - 1);
			free(x);
		}
		hdr = ec_header(h, NULL, NULL, NULL, NULL, x_short, NULL, NULL, NULL);
		msg = fmt("member 'x' is %d bytes, expected %d", ci->size - 1, ci->size);
		refused(what, "epk x one byte short", with_header(p, hdr), key, -EINVAL, msg);
		free(hdr);
		free(msg);
		free(x_short);
		memset(y, 0, len);
		y1 = b64u(y, len);
		hdr = ec_header(h, NULL, NULL, NULL, NULL, y1, y1, NULL, NULL);
		refused(what, "epk (0, 0)", with_header(p, hdr), key, -EINVAL, "not a point on");
		free(hdr);
		free(y1);
		free(y);
	}
	hdr = ec_header(h, NULL, NULL, "P-384", NULL, NULL, NULL, NULL, NULL);
	refused(what, "epk crv P-384", with_header(p, hdr), key, -EINVAL,
		"JWE epk: crv 'P-384' is not accepted");
	free(hdr);
	hdr = ec_header(h, NULL, NULL, "p-256", NULL, NULL, NULL, NULL, NULL);
	refused(what, "epk crv p-256", with_header(p, hdr), key, -EINVAL,
		"crv 'p-256' is not accepted");
	free(hdr);
	hdr = ec_header(h, NULL, NULL, NULL, "OKP", NULL, NULL, NULL, NULL);
	refused(what, "epk kty OKP", with_header(p, hdr), key, -EINVAL,
		"kty 'OKP' is not accepted");
	free(hdr);
	hdr = ec_header(h, NULL, NULL, NULL, NULL, NULL, NULL, ",\"d\":\"AAAA\"", NULL);
	refused(what, "epk with a private d", with_header(p, hdr), key, -EINVAL,
		"JWE epk: member 'd' is not accepted");
	free(hdr);
	hdr = fmt("{\"alg\":\"%s\",\"enc\":\"%s\"}", h->alg, h->enc);
	refused(what, "no epk", with_header(p, hdr), key, -ENOENT, "member 'epk' is missing");
	free(hdr);
	hdr = fmt("{\"alg\":\"%s\",\"enc\":\"%s\",\"epk\":\"%s\"}", h->alg, h->enc, h->x);
	refused(what, "epk a string", with_header(p, hdr), key, -EINVAL,
		"member 'epk' is a string, expected an object");
	free(hdr);
	hdr = ec_header(h, NULL, NULL, NULL, NULL, NULL, NULL, NULL, ",\"apu\":\"QWxpY2U\"");
	refused(what, "an apu header member", with_header(p, hdr), key, -EINVAL,
		"member 'apu' is not accepted");
	free(hdr);
	hdr = ec_header(h, NULL, NULL, NULL, NULL, NULL, NULL, NULL, ",\"zip\":\"DEF\"");
	refused(what, "a zip header member", with_header(p, hdr), key, -EINVAL,
		"member 'zip' is not accepted");
	free(hdr);
	hdr = ec_header(h, NULL, NULL, NULL, NULL, NULL, NULL, NULL, ",\"crit\":[\"exp\"]");
	refused(what, "a crit header member", with_header(p, hdr), key, -EINVAL,
		"member 'crit' is not accepted");
	free(hdr);
	hdr = ec_header(h, NULL, NULL, NULL, NULL, NULL, NULL, NULL, ",\"alg\":\"dir\"");
	refused(what, "alg twice", with_header(p, hdr), key, -EINVAL, "duplicate member 'alg'");
	free(hdr);
	hdr = ec_header(h, "RSA-OAEP-256", NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	refused(what, "alg RSA-OAEP-256 for our EC key", with_header(p, hdr), key, -EINVAL,
		"alg 'RSA-OAEP-256' does not fit our EC key");
	free(hdr);
}

static void damage(const char *what, const char *json, const struct jwk_key *key)
{
	const struct jwk_key *other = key_other(key);
	struct parts p = { 0 };
	struct header h;

	if (parts_from_json(&p, json) < 0 || header_read(&h, &p) < 0) {
		tap_ok(0, "%s: the producer's JWE reads back", what);
		parts_free(&p);
		return;
	}
	damage_members(what, &p, key);
	damage_header(what, &p, &h, key);
	if (other) {
		char *name = fmt("%s, another key of the same kind", what);

		expect_refused(name, json, other, -EBADMSG, "does not authenticate with our key");
		free(name);
	}
	parts_free(&p);
}

/* A JWE whose plaintext needs more room than the caller gave. */
static void test_no_room(const char *json, const struct jwk_key *key, size_t plaintext_len)
{
	struct secret s = { 0 };
	struct error e = { 0 };
	int r;

	if (secret_alloc(&s, plaintext_len - 1, NULL) < 0)
		abort();
	r = jwe_decrypt(json, strlen(json), key, &s, &e);
	tap_ok(r == -ENOBUFS && s.len == 0 && strstr(e.msg, "bytes left for the plaintext"),
	       "jwe_decrypt: a plaintext of %zu bytes in a secret of %zu is refused", plaintext_len,
	       plaintext_len - 1);
	secret_free(&s);
}

/* ---- the manifest ---- */

static void run_cases(const char *dir)
{
	struct json_arena a;
	const struct json_value *top, *v, *m;
	char *path = fmt("%s/manifest.json", dir), *text = NULL;
	struct error e = { 0 };
	size_t len;
	bool jwcrypto = false, no_room_done = false;

	json_arena_init(&a, 1 << 26);
	if (file_read_all(path, 1 << 24, &text, &len, &e) < 0 ||
	    json_parse(&a, text, len, &top, &e) < 0) {
		tap_ok(0, "the producer's manifest reads: %s", e.msg);
		goto out;
	}
	if (json_object_get_bool(top, "jwcrypto", &jwcrypto, NULL) < 0 || !jwcrypto)
		tap_skip("python3-jwcrypto is not installed: one producer only");

	if (json_object_get_object(top, "keys", &v, &e) == 0)
		json_foreach(m, v)
		{
			struct jwk_key k = { 0 };
			int r = jwk_import_private(&k, m, &e);

			tap_ok(r == 0, "JWK import: the producer's private key %s", m->key);
			if (r < 0)
				tap_diag("%s", e.msg);
			else if (n_keys < ARRAY_SIZE(keys))
				keys[n_keys++] = (struct named_key){ strdup(m->key), k };
		}

	if (json_object_get_object(top, "agent_keys", &v, &e) == 0)
		json_foreach(m, v)
		{
			bool accepted = false;
			const char *why = "";

			json_object_get_bool(m, "accepted", &accepted, NULL);
			json_object_get_string(m, "why", &why, NULL, NULL);
			tap_ok(accepted,
			       "%s: python reads the public JWK: exactly the broker's members, a "
			       "valid key",
			       m->key);
			if (!accepted)
				tap_diag("%s", why);
		}

	if (json_object_get_array(top, "cases", &v, &e) == 0)
		json_foreach(m, v)
		{
			const char *name = "", *keyname = "", *jwe = "", *hex = "", *msg;
			const struct jwk_key *key;
			bool mutate = false;
			uint8_t *want;
			size_t want_len;

			json_object_get_string(m, "name", &name, NULL, NULL);
			json_object_get_string(m, "key", &keyname, NULL, NULL);
			json_object_get_string(m, "jwe", &jwe, NULL, NULL);
			json_object_get_string(m, "plaintext", &hex, NULL, NULL);
			json_object_get_bool(m, "mutate", &mutate, NULL);
			key = key_find(keyname);
			if (!key) {
				tap_ok(0, "%s: key %s is known", name, keyname);
				continue;
			}
			if (json_object_get_string(m, "refused", &msg, NULL, NULL) == 0) {
				expect_refused(name, jwe, key,
					       strstr(msg, "does not authenticate") ? -EBADMSG
										    : -EINVAL,
					       msg);
				continue;
			}
			want = unhex(hex, &want_len);
			expect_plaintext(name, jwe, key, want, want_len);
			free(want);
			if (want_len == 1000 && !no_room_done) {
				test_no_room(jwe, key, want_len);
				no_room_done = true;
			}
			if (mutate)
				damage(name, jwe, key);
		}
out:
	json_arena_free(&a);
	free(text);
	free(path);
}

static void test_import_refusals(void)
{
	static const struct {
		const char *what, *jwk, *msg;
	} v[] = {
		{ "a member it does not know",
		  "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_"
		  "PxMQ\",\"y\":\"e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck\",\"d\":"
		  "\"VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw\",\"use\":\"enc\"}",
		  "member 'use' is not accepted" },
		{ "an alg for another key type",
		  "{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"RSA-OAEP-256\"}",
		  "alg 'RSA-OAEP-256' is not accepted (only ECDH-ES+A256KW)" },
		{ "d equal to the group order",
		  "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_"
		  "PxMQ\",\"y\":\"e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck\",\"d\":"
		  "\"_____wAAAAD__________7zm-q2nF56E87nKwvxjJVE\"}",
		  "member 'd' is not a private key on P-256" },
		{ "d of zero",
		  "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_"
		  "PxMQ\",\"y\":\"e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck\",\"d\":"
		  "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
		  "member 'd' is not a private key on P-256" },
		{ "kty oct", "{\"kty\":\"oct\",\"k\":\"AAAA\"}", "kty 'oct' is not accepted" },
	};
	struct jwk_key key = { 0 };
	struct error e = { 0 };

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		int r = import_text(&key, v[i].jwk, &e);

		tap_ok(r == -EINVAL && strstr(e.msg, v[i].msg) && !key.priv.data,
		       "JWK import: %s is refused (%s)", v[i].what, v[i].msg);
		if (r != -EINVAL || !strstr(e.msg, v[i].msg))
			tap_diag("r=%d: %s", r, e.msg);
		jwk_key_free(&key);
	}
}

/* An RSA key of the producer's, with the private parts of the other key or a changed n. */
static void test_import_rsa_refusals(void)
{
	const struct jwk_key *a = key_find("rsa-2048"), *b = key_find("agent-rsa-2048");
	struct jwk_key key = { 0 };
	struct error e = { 0 };
	char *n_a, *n_b, *e_a, *p, *q, *dp, *dq, *qi, *json;
	int r;

	if (!a || !b) {
		tap_skip("the producer's RSA key is missing");
		return;
	}
	n_a = b64u(a->pub, a->n_len);
	n_b = b64u(b->pub, b->n_len);
	e_a = b64u(a->pub + a->n_len, a->pub_len - a->n_len);
	p = b64u(a->rsa.p, a->rsa.plen);
	q = b64u(a->rsa.q, a->rsa.qlen);
	dp = b64u(a->rsa.dp, a->rsa.dplen);
	dq = b64u(a->rsa.dq, a->rsa.dqlen);
	qi = b64u(a->rsa.iq, a->rsa.iqlen);
	json = fmt("{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\",\"d\":\"AQ\",\"p\":\"%s\",\"q\":"
		   "\"%s\",\"dp\":\"%s\",\"dq\":\"%s\",\"qi\":\"%s\"}",
		   n_a, e_a, p, q, dp, dq, qi);
	tap_is_int(import_text(&key, json, &e), 0, "JWK import: an RSA key rebuilt from its parts");
	jwk_key_free(&key);
	free(json);
	json = fmt("{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\",\"d\":\"AQ\",\"p\":\"%s\",\"q\":"
		   "\"%s\",\"dp\":\"%s\",\"dq\":\"%s\",\"qi\":\"%s\"}",
		   n_b, e_a, p, q, dp, dq, qi);
	r = import_text(&key, json, &e);
	tap_ok(r == -EINVAL && strstr(e.msg, "do not belong to 'n' and 'e'") && !key.priv.data,
	       "JWK import: primes that do not make n are refused");
	free(json);
	json = fmt("{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"Aw\",\"d\":\"AQ\",\"p\":\"%s\",\"q\":"
		   "\"%s\",\"dp\":\"%s\",\"dq\":\"%s\",\"qi\":\"%s\"}",
		   n_a, p, q, dp, dq, qi);
	r = import_text(&key, json, &e);
	tap_ok(r == -EINVAL && strstr(e.msg, "do not belong to 'n' and 'e'") && !key.priv.data,
	       "JWK import: exponents that do not belong to e are refused");
	free(json);
	json = fmt("{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\",\"d\":\"AQ\",\"p\":\"%s\",\"q\":"
		   "\"%s\",\"dp\":\"%s\",\"dq\":\"%s\",\"qi\":\"%s\",\"oth\":[]}",
		   n_a, e_a, p, q, dp, dq, qi);
	r = import_text(&key, json, &e);
	tap_ok(r == -EINVAL && strstr(e.msg, "member 'oth' is not accepted"),
	       "JWK import: a multi-prime key (\"oth\") is refused");
	free(json);
	free(n_a);
	free(n_b);
	free(e_a);
	free(p);
	free(q);
	free(dp);
	free(dq);
	free(qi);
}

static void test_misuse(void)
{
	struct jwk_key *key = key_find("agent-ec-p256");
	struct secret s = { 0 };
	struct error e = { 0 };
	char *big = calloc(1, JWE_MAX_SIZE + 1);

	tap_is_int(jwe_decrypt("{}", 2, key, &s, &e), -EINVAL,
		   "jwe_decrypt: an unallocated plaintext secret is refused");
	if (secret_alloc(&s, 8, NULL) < 0)
		abort();
	if (!big)
		abort();
	tap_is_int(jwe_decrypt("[]", 2, key, &s, &e), -EINVAL, "jwe_decrypt: an array is refused");
	tap_ok(strstr(e.msg, "JWE is an array, expected an object") != NULL,
	       "jwe_decrypt: the message says what the JWE is");
	tap_is_int(jwe_decrypt(big, JWE_MAX_SIZE + 1, key, &s, &e), -EMSGSIZE,
		   "jwe_decrypt: more than JWE_MAX_SIZE bytes are refused unread");
	secret_free(&s);
	free(big);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/test-jwe.XXXXXX";
	int status;

	test_key_unwrap();
	test_concat_kdf();
	test_a256gcm();
	test_import_refusals();

	if (argc < 2 || !mkdtemp(dir)) {
		tap_skip("no producer script given, or no temporary directory");
		return tap_done();
	}
	test_keygen(dir);
	test_misuse();
	status = run_producer(argv[1], dir);
	if (status == 77)
		tap_skip("python3-cryptography is not installed (scripts/setup installs it)");
	else if (!tap_is_int(status, 0, "the independent producer ran (%s)", argv[1]))
		;
	else {
		run_cases(dir);
		test_import_rsa_refusals();
	}

	for (size_t i = 0; i < n_keys; i++) {
		char *path = fmt("%s/%s.jwk", dir, keys[i].name);

		unlink(path);
		free(path);
		free((char *)keys[i].name);
		jwk_key_free(&keys[i].key);
	}
	{
		char *path = fmt("%s/manifest.json", dir);

		unlink(path);
		free(path);
	}
	if (rmdir(dir) < 0)
		tap_diag("cannot remove %s", dir);
	return tap_done();
}
