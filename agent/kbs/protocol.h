/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_KBS_PROTOCOL_H
#define MRBOOT_KBS_PROTOCOL_H

/*
 * The messages of Trustee's KBS attestation protocol (RCAR), version 0.4.0 (DESIGN.md
 * section 6), built and parsed without any I/O, so that each rule can be tested and fuzzed on
 * its own. agent/kbs/client.h sends them.
 */

#include <stddef.h>
#include <stdint.h>

#include "crypto/hash.h"

struct error;
struct json_writer;
struct jwk_key;

#define KBS_PROTOCOL_VERSION "0.4.0"
#define KBS_NONCE_SIZE 32 /* bytes under the challenge's base64 */
#define KBS_NONCE_TEXT_MAX 64
#define KBS_COOKIE_NAME "kbs-session-id"
#define KBS_COOKIE_MAX 160 /* "kbs-session-id=" and the value */
#define KBS_TOKEN_MAX (64u * 1024)
#define KBS_PROBLEM_MAX 320 /* a broker's problem report as the agent repeats it */
#define KBS_RESOURCE_PATH_MAX 512

/* {"version":"0.4.0","tee":TEE,"extra-params":{}} */
int kbs_auth_request_write(struct json_writer *w, const char *tee);

struct kbs_challenge {
	char nonce[KBS_NONCE_TEXT_MAX + 1]; /* as received: it is hashed as text */
	enum hash_alg hash;		    /* for the runtime data: SHA-384 unless selected */
};

/*
 * The broker's challenge {"nonce":"<base64 of 32 bytes>","extra-params":""|{...}}. A
 * "selected-hash-algorithm" in extra-params (Sha256, Sha384, Sha512, any case) chooses the
 * runtime-data hash. Anything else is refused with the member named.
 */
int kbs_challenge_parse(const void *body, size_t len, struct kbs_challenge *c, struct error *e);

/*
 * The session cookie from a Set-Cookie value "kbs-session-id=<value>; Expires=...": writes
 * "kbs-session-id=<value>" to out, as the Cookie header sends it back.
 */
int kbs_cookie_parse(const char *set_cookie, char out[KBS_COOKIE_MAX + 1], struct error *e);

/*
 * The runtime data the evidence binds: JCS (RFC 8785) of
 * {"additional-evidence":"","nonce":NONCE,"tee-pubkey":JWK}, hashed with alg into out
 * (hash_info(alg)->size bytes). This is what Trustee's client hashes for the primary
 * evidence; the request itself carries only nonce and tee-pubkey.
 */
int kbs_runtime_data_hash(const char *nonce, const struct jwk_key *key, enum hash_alg alg,
			  uint8_t *out, struct error *e);

/*
 * {"runtime-data":{"nonce":..,"tee-pubkey":..},"tee-evidence":{"primary_evidence":EVIDENCE,
 * "additional_evidence":""}}; evidence is one JSON value made by tee_evidence_write().
 */
int kbs_attest_request_write(struct json_writer *w, const char *nonce, const struct jwk_key *key,
			     const char *evidence, size_t evidence_len);

/* {"token":"<JWT>"}: a heap copy of the token to *token, checked to be three base64url parts. */
int kbs_token_parse(const void *body, size_t len, char **token, struct error *e);

/*
 * A broker's error body, RFC 7807-style {"type":".../errors/<Variant>","detail":"..."}, as
 * "<Variant>: <detail>" in out, printable ASCII only and cut to size; a body of another
 * shape is described by its length and first bytes, so that the user still sees something.
 */
void kbs_problem_describe(const void *body, size_t len, char *out, size_t size);

/*
 * "/kbs/v0/resource/<repository>/<type>/<tag>" from "repository/type/tag", with "{volume}"
 * replaced by volume (may be NULL when the resource does not name it). Each part is
 * [A-Za-z0-9._-]+ and not "." or "..": nothing that could leave the resource namespace.
 */
int kbs_resource_path(const char *resource, const char *volume, char out[KBS_RESOURCE_PATH_MAX],
		      struct error *e);

#endif
