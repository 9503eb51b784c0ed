/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * jwe_decrypt() on any bytes, with one fixed P-256 key (fuzz_jwk below; jwe-seeds.py makes the
 * seeds to it). Whatever the input, a failure keeps the plaintext's used part and wipes the
 * room after it (jwe.h). And what decrypts must have been authenticated: a JWE that
 * decrypts no longer does once any byte of it but JSON whitespace is changed, since every
 * other byte is under the AES key wrap's integrity check or the GCM tag (the protected header
 * as the AAD, the IV, the ciphertext, the tag itself), or makes the JSON or its shape wrong.
 */
#include <string.h>

#include "basic/error.h"
#include "fuzz.h"
#include "json/json.h"
#include "jose/jwe.h"
#include "jose/jwk.h"
#include "basic/secret.h"

/* A P-256 key made for this target only (python3-cryptography); it protects nothing. */
static const char fuzz_jwk[] =
	"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"1P7HfKmkE_5Ip2dSsULZ7icl7eHB3tmECHvA-wAs0C8\","
	"\"y\":\"vSWBjf0rCxxv-PQJHl7itXpcDmaumczZqBvKNiwogIE\","
	"\"d\":\"TQ-lnJTuCSN8OeN8Qnrev9yKZ8iDrKwKAPpvFHdejRY\"}";

/* Room for a plaintext, and bytes already in it that every outcome must leave alone. */
#define ROOM 4096
static const char kept[] = "KEEP";
/* Positions tried per decrypting input: each try is an ECDH and an unwrap. */
#define FLIPS 16

static const struct jwk_key *fuzz_key(void)
{
	static struct jwk_key key;
	static int ready;
	const struct json_value *v;
	struct json_arena a;
	struct error e = { 0 };

	if (ready)
		return &key;
	json_arena_init(&a, 64 * sizeof(fuzz_jwk));
	fuzz_check(json_parse(&a, fuzz_jwk, strlen(fuzz_jwk), &v, &e) == 0 &&
			   jwk_import_private(&key, v, &e) == 0,
		   "the target's key imports");
	json_arena_free(&a);
	ready = 1;
	return &key;
}

static int is_json_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Decrypts; checks what jwe.h promises of either outcome. Returns jwe_decrypt()'s result. */
static int decrypt(const uint8_t *data, size_t size, size_t *plaintext_len)
{
	struct secret pt = { 0 };
	struct error e = { 0 };
	int r;

	fuzz_check(secret_alloc(&pt, ROOM, &e) == 0 &&
			   secret_append(&pt, kept, sizeof(kept) - 1, &e) == 0,
		   "the plaintext secret is allocated");
	memset(pt.data + pt.len, 0x5a, pt.cap - pt.len);
	r = jwe_decrypt(data, size, fuzz_key(), &pt, &e);
	fuzz_check(memcmp(pt.data, kept, sizeof(kept) - 1) == 0, "the used part is left alone");
	if (r < 0) {
		fuzz_check(e.code == r && e.msg[0], "a refusal says why");
		fuzz_check(pt.len == sizeof(kept) - 1, "a refusal appends nothing");
		for (size_t i = pt.len; i < pt.cap; i++)
			fuzz_check(pt.data[i] == 0, "a refusal wipes the room");
	} else {
		fuzz_check(pt.len >= sizeof(kept) - 1 && pt.len <= pt.cap, "the plaintext fits");
		*plaintext_len = pt.len - (sizeof(kept) - 1);
	}
	secret_free(&pt);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t ignored;
	uint32_t h = 2166136261u;
	uint8_t *copy;
	int r;

	if (decrypt(data, size, &ignored) < 0)
		return 0;

	/* Positions and bit masks drawn from the input itself (FNV-1a), so runs repeat. */
	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	copy = malloc(size);
	fuzz_check(copy != NULL, "memory for the flipped copy");
	for (unsigned k = 0; k < FLIPS; k++) {
		size_t pos;
		uint8_t mask;

		h = h * 1103515245u + 12345u;
		pos = (h >> 8) % size;
		mask = (uint8_t)(1u << (h % 8));
		if (is_json_space(data[pos]))
			continue;
		memcpy(copy, data, size);
		copy[pos] ^= mask;
		r = decrypt(copy, size, &ignored);
		if (r >= 0)
			fprintf(stderr, "byte %zu changed (0x%02x -> 0x%02x) and still decrypts\n",
				pos, data[pos], copy[pos]);
		fuzz_check(r < 0, "a changed byte of a JWE that decrypts makes it fail");
	}
	free(copy);
	return 0;
}
