/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_KBS_SESSION_H
#define MRBOOT_KBS_SESSION_H

/*
 * Everything a broker session needs before kbs_release() runs, chosen one way for `unlock`,
 * `run`, `attest`, `enroll` and the token plugin: the brokers, the trust anchors for https,
 * the TEE (the caller's choice, else the configuration's, else the TPM at [tpm] socket, else
 * the one detection found: never "sample" unless named), what its evidence needs open (the
 * TPM for tpm, mrboot's event log for tdx and tpm: the caller's when it has them open, else
 * opened here), the ephemeral key's curve and the deadline. The library never prints: progress
 * goes to the report callback, failures to the error.
 */

#include <stdbool.h>
#include <stdint.h>

#include "attest/tee.h"
#include "evlog/eventlog.h"
#include "kbs/release.h"
#include "mr/tpm2.h"
#include "net/trust-anchors.h"

struct detect;
struct evlog_firmware;
struct error;
struct settings;

struct kbs_session_options {
	const char *root;		 /* prefix for every kernel and system path ("/") */
	const struct settings *settings; /* [kbs], [tpm]: the initrd's configuration */
	char *const *urls;		 /* NULL-terminated; NULL: [kbs] url */
	const char *tee;		 /* a name (--tee); NULL: [kbs] tee */
	const struct detect *detect;	 /* for [kbs] tee = auto; NULL: none was run */
	struct tpm2 *tpm;		 /* the caller's open TPM, or NULL */
	const struct eventlog *log;	 /* the caller's open event log, or NULL */
	/* The firmware log the TEE's evidence sends (tdx: the CCEL, tpm: the TPM's), read by
	 * the caller; NULL: read when the evidence is made. */
	const struct evlog_firmware *firmware;
	uint64_t deadline;						   /* deadline_after_ms() */
	void (*report)(void *userdata, int priority, const char *message); /* may be NULL */
	void *userdata;
};

struct kbs_session {
	struct kbs_release_options opt; /* for kbs_release(), with the resources to add */
	struct trust_anchors anchors;
	struct tpm2 tpm;
	bool tpm_open;
	struct eventlog log;
	bool log_open;
	/* The failure was the configuration's (no broker, no trust anchor, an unknown TEE). */
	bool config_error;
};

/*
 * Resolves and opens all of it into ks (kbs_session_close() it, also after a failure). Errors:
 * -ENOENT no broker or no trust anchor, -EINVAL an unknown TEE name, -ENODEV no TEE detected,
 * and the TPM's, the event log's and the trust anchors' own; the message names the step.
 */
int kbs_session_open(struct kbs_session *ks, const struct kbs_session_options *o, struct error *e);
void kbs_session_close(struct kbs_session *ks);

/*
 * The TEE kbs_session_open() will choose: for a caller that opens what its evidence needs
 * itself. -EINVAL for an unknown name, -ENODEV when none was detected.
 */
int kbs_session_tee(const struct kbs_session_options *o, enum tee_type *tee, struct error *e);

#endif
