/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_TOOL_KBS_H
#define MRBOOT_TOOL_KBS_H

/* What `mrboot attest` and `mrboot unlock` share: the broker settings turned into options. */

#include <stdbool.h>

#include "cli/context.h"
#include "kbs/session.h"

/* Command-line choices that override the configuration; NULL members leave it. */
struct tool_kbs_overrides {
	const char *tee;
	char **urls;
	const char *resource;
};

/*
 * Opens the broker session (kbs/session.h) with what the context has: detection for tee =
 * auto, its TPM for tpm evidence, its event log when it is open; the deadline starts now.
 * Logs what failed; returns EXIT_OK, EXIT_USAGE (--tee), EXIT_CONFIG or EXIT_FAILED.
 * kbs_session_close() ks also after a failure.
 */
int tool_kbs_open(struct tool *tool, struct context *ctx, const struct tool_kbs_overrides *o,
		  struct kbs_session *ks);

/* What `mrboot unlock` and `mrboot run` ask for; unset members fall back to the settings. */
struct tool_unlock_request {
	struct tool_kbs_overrides o;
	char *const *volumes; /* NULL-terminated */
	int handoff;	      /* enum handoff_mode, or -1 */
	int keyring;	      /* bool, or -1 */
	uint64_t timeout_s;   /* 0: [unlock] timeout */
	const char *key_dir;  /* NULL: [unlock] key-dir */
};

/*
 * Releases each volume's key from the broker, then offers them all at once (and to the
 * keyring if asked), tells systemd READY=1 once they are on offer, and waits until every
 * volume is open. Keys are wiped on every path. Logs what failed; returns EXIT_OK,
 * EXIT_ATTEST (no key), EXIT_HANDOFF (not taken in time) or another EXIT_ status.
 */
int tool_unlock(struct tool *tool, struct context *ctx, const struct tool_unlock_request *req);

#endif
