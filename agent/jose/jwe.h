/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_JWE_H
#define MRBOOT_JWE_H

/*
 * JSON Web Encryption (RFC 7516) as the Trustee key broker sends a released secret
 * (DESIGN.md section 7): the flattened JSON serialization
 * {"protected","encrypted_key","iv","ciphertext","tag"} (section 7.2.2, no "aad"), content
 * encrypted with A256GCM, its key encrypted to the agent's key (agent/jwk.h) with
 * ECDH-ES+A256KW or RSA-OAEP-256 (RFC 7518 sections 4.6 and 4.3). Any other algorithm,
 * member or shape is refused, by name.
 */

#include <stddef.h>
#include <stdint.h>

#include "jose/jwk.h"
#include "basic/secret.h"

struct error;

#define JWE_CEK_SIZE 32 /* A256GCM */
#define JWE_IV_SIZE 12
#define JWE_TAG_SIZE 16

/* The largest JWE jwe_decrypt() reads: far above a disk key, far below a memory problem. */
#define JWE_MAX_SIZE (4u << 20)

/*
 * Decrypts the len bytes of JSON at json with key, appending the plaintext to *plaintext
 * after its used part. The caller allocates plaintext (secret_alloc()) with the room it is
 * willing to give a released secret; -ENOBUFS when the ciphertext needs more.
 *
 * Errors: -EINVAL for a JWE that is not of the accepted shape (-ENOENT for a missing member,
 * -EMSGSIZE for one too long), the message naming the member, algorithm or curve; -EBADMSG when it
 * does not authenticate with key: the one outcome that depends on secret data, so every such
 * failure (wrong key, altered encrypted_key, iv, ciphertext, tag or protected header) has the same
 * message and takes the same steps. On any failure, the room after plaintext's used part is wiped
 * and its length is as it was.
 */
int jwe_decrypt(const void *json, size_t len, const struct jwk_key *key, struct secret *plaintext,
		struct error *e);

/*
 * The building blocks, each exposed so that tests can hold it to its published vectors.
 * Their secret outputs go to caller memory, which should be a struct secret's.
 */

/*
 * The Concat KDF of NIST SP 800-56A with SHA-256, as RFC 7518 section 4.6.2 parameterises it:
 * out (1 to 1024 bytes) from the shared secret z, the algorithm name alg, PartyUInfo apu and
 * PartyVInfo apv (each may be empty), and SuppPubInfo = the output size in bits.
 */
int jwe_concat_kdf(const void *z, size_t zlen, const char *alg, const void *apu, size_t apu_len,
		   const void *apv, size_t apv_len, void *out, size_t out_len, struct error *e);

/*
 * AES key unwrap (RFC 3394 section 2.2.2) with a 256-bit KEK and the default initial value:
 * wrapped holds 24 to 40 bytes (a multiple of 8), out gets len - 8. -EBADMSG when the integrity
 * check fails; it is made in constant time.
 */
int jwe_aes256_key_unwrap(const uint8_t kek[32], const void *wrapped, size_t len, void *out,
			  struct error *e);

/*
 * A256GCM decryption (RFC 7518 section 5.3): appends the plaintext of the ct_len bytes at ct
 * to *plaintext, authenticated with aad and the 16-byte tag (checked in constant time).
 * -EBADMSG on a tag mismatch, -ENOBUFS without room; on failure as jwe_decrypt().
 */
int jwe_a256gcm_decrypt(const uint8_t cek[JWE_CEK_SIZE], const void *aad, size_t aad_len,
			const uint8_t iv[JWE_IV_SIZE], const void *ct, size_t ct_len,
			const uint8_t tag[JWE_TAG_SIZE], struct secret *plaintext, struct error *e);

#endif
