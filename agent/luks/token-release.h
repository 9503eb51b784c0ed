/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_LUKS_TOKEN_RELEASE_H
#define MRBOOT_LUKS_TOKEN_RELEASE_H

/*
 * The key of a token's key slot, from its brokers: what the token plugin does when
 * libcryptsetup asks it, and what `mrboot enroll` does once to prove that the brokers release
 * the key to this machine before it adds the key slot. One function for both, so that an
 * enrolment that succeeds is an unlock that would.
 */

#include "luks/token.h"

struct detect;
struct error;
struct secret;
struct settings;

struct luks_token_release_options {
	const char *root; /* prefix for every kernel and system path ("/") */
	/* The initrd's configuration: brokers, trust anchors, the TEE, the TPM. */
	const struct settings *settings;
	/* The platform, detected by the caller; NULL: detected here, read-only. */
	const struct detect *detect;
	/* The kernel command line, for detection's note of a blacklisted platform module. */
	const char *cmdline;
	/* Progress, retries and the TEE chosen, one line each; may be NULL. */
	void (*report)(void *userdata, int priority, const char *message);
	void *userdata;
};

/*
 * Resolves the brokers (the configuration's, or the token's choice among them: -ENOENT for
 * one it does not list), the TEE (the configuration's, else detected: -ENODEV when this
 * machine has none), opens what its evidence needs (the event log for tdx and tpm, the TPM for
 * tpm), loads the configuration's trust anchors and runs kbs_release() under the token's
 * timeout, which starts here. On success
 * *key holds the secret (secret_free() it). Errors are kbs_release()'s and the message says
 * which step failed.
 */
int luks_token_release(const struct luks_token *t, const struct luks_token_release_options *o,
		       struct secret *key, struct error *e);

#endif
