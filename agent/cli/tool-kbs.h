/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_TOOL_KBS_H
#define MRBOOT_TOOL_KBS_H

/* What `mrboot attest` and `mrboot unlock` share: the broker settings turned into options. */

#include <stdbool.h>

#include "evlog/eventlog.h"
#include "kbs/release.h"
#include "net/trust-anchors.h"
#include "cli/tool.h"

struct tool_kbs {
	struct tool_registers tr;
	bool regs_open;
	struct eventlog log;
	bool log_open;
	struct trust_anchors anchors;
	struct kbs_release_options opt;
};

/* Command-line choices that override the configuration; NULL members leave it. */
struct tool_kbs_overrides {
	const char *tee;
	char **urls;
	const char *resource;
};

/*
 * Resolves the TEE (configured, or detected: never sample unless named), opens what its
 * evidence needs (registers, TPM, event log), loads the trust anchors for https URLs and fills
 * k->opt with the deadline starting now. Logs what failed; returns EXIT_OK, EXIT_CONFIG or
 * EXIT_FAILED.
 */
int tool_kbs_prepare(struct tool *tool, const struct settings *s,
		     const struct tool_kbs_overrides *o, struct tool_kbs *k);
void tool_kbs_close(struct tool_kbs *k);

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
int tool_unlock(struct tool *tool, const struct settings *s, const struct tool_unlock_request *req);

#endif
