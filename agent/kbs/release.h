/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_KBS_RELEASE_H
#define MRBOOT_KBS_RELEASE_H

/*
 * The whole way from evidence to a released secret (DESIGN.md section 1, steps 5 and 6):
 * for each broker URL in turn, auth -> an ephemeral key pair -> the runtime-data hash ->
 * evidence bound to it -> attest -> each resource as a JWE -> decrypted with the ephemeral
 * key into a struct secret. One attested session serves every resource: several volumes
 * cost one piece of evidence, not one each. All of it under one deadline, with exponential backoff
 * and jitter between rounds over the URLs; a 401 on the resource re-runs the handshake once. It
 * fails closed: no evidence, no key.
 *
 * What is worth another try and what is not:
 *  - the network, a 5xx, a malformed answer: the URL is tried again in the next round;
 *  - the broker said no (401 on auth or attest, 404 for the resource, a JWE that does not
 *    decrypt or is of the wrong shape, an empty secret), or its certificate is refused: that
 *    URL is not asked again; the others are. That includes a certificate not valid at the
 *    time checked (agent/net/tls.c: the later of the clock and the build's time): the clock
 *    is the host's, and waiting for it to change is waiting on the adversary (issue 13,
 *    part 7); the message says what the clock said;
 *  - the evidence or the key pair cannot be made here: nothing is tried again.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attest/tee.h"
#include "jose/jwk.h"
#include "kbs/client.h"

struct error;
struct secret;

/* Pauses between rounds: from BACKOFF_MIN_MS, doubling, at most BACKOFF_MAX_MS, with jitter. */
#define KBS_BACKOFF_MIN_MS 250
#define KBS_BACKOFF_MAX_MS 8000
#define KBS_URLS_MAX 16

struct kbs_release_options {
	char *const *urls; /* NULL-terminated, at most KBS_URLS_MAX */
	const struct trust_anchors *anchors;
	bool allow_plain;
	/*
	 * The ephemeral key is EC (ECDH-ES+A256KW): an RSA key of a strength worth having takes
	 * seconds to generate in the boot path, and its generator would be one of the agent's
	 * largest pieces of code. jwe.h decrypts RSA-OAEP-256 for callers that bring an RSA key.
	 */
	enum jwk_curve curve;
	struct tee_evidence_input evidence; /* hash and hash_len are filled in per handshake */
	const char *const *resource_paths;  /* n_resources, each from kbs_resource_path() */
	size_t n_resources;		    /* 0: attest only */
	uint64_t deadline;		    /* deadline_after_ms() */
	/* Progress and retries, one line each, for the log; may be NULL. */
	void (*report)(void *userdata, int priority, const char *message);
	void *userdata;
};

/*
 * Runs the protocol until every resource is released into secrets[0..n_resources) (each
 * allocated here with room for KBS_SECRET_MAX bytes; the caller frees them with secret_free()),
 * or until every URL has refused or the deadline has passed. A resource one broker refuses is
 * asked of the next; those already released are kept. With no resources it stops after
 * attest and hands the token to *token (heap; may be NULL otherwise). On failure no secret is
 * left allocated, and the error names the last failure.
 */
#define KBS_SECRET_MAX 4096
#define KBS_RESOURCES_MAX 16
int kbs_release(const struct kbs_release_options *opt, struct secret *secrets, char **token,
		struct error *e);

/* Whether a failure of one attempt is worth another (see above). */
bool kbs_error_retryable(int r);

#endif
