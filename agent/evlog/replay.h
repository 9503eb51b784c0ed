/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_EVLOG_REPLAY_H
#define MRBOOT_EVLOG_REPLAY_H

/*
 * Replay: for every register mrboot's log touched, start from zero, replay the firmware's log
 * (TDX/CCA: the CCEL ACPI table; TPM: the BIOS event log), then the userspace events (TDX/CCA:
 * mrboot's log; TPM: systemd's tpm2-measure.log, which has mrboot's events and everyone
 * else's), and compare with the live register. The verdicts are data: the caller prints them.
 * Each log is read once per replay, whatever the number of registers.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mr/registers.h"

struct error;
struct eventlog;
struct evlog_firmware;

#define REPLAY_STEPS_MAX 512
#define REPLAY_REGISTERS_MAX 24

/* One userspace extend of a register, from whichever log it comes. */
struct replay_step {
	uint64_t seq; /* mrboot's record number, or the systemd log's record number */
	char what[96];
	struct mr_digests digests;
};

struct replay_register {
	unsigned index;
	char name[16];
	struct mr_digests base; /* after the firmware log */
	unsigned firmware_events;
	unsigned n_steps;
	struct replay_step steps[REPLAY_STEPS_MAX];
	bool ok;
	char verdict[256]; /* "matches: ..." or "DIFFERS: ..." naming the first record at fault */
};

struct replay {
	unsigned n; /* registers replayed, in index order */
	struct replay_register *registers;
	bool all_ok;
};

/*
 * Replays every register of regs' family that a committed record of log names. log is open
 * and recovered (eventlog_recover()); firmware is the family's firmware log (evlog/firmware.h:
 * the CCEL for CC registers, the TPM's for PCRs), read once by the caller. On success *rp
 * holds the verdicts (replay_free() it); an error is a log that cannot be read or a register
 * that cannot, not a difference.
 */
int replay_run(struct replay *rp, const char *root, struct registers *regs,
	       const struct eventlog *log, const struct evlog_firmware *firmware, struct error *e);
void replay_free(struct replay *rp);

/*
 * Where register index of regs' family and banks stood when the OS began: the firmware log's
 * (len bytes at data; NULL: none, the register starts at zero) extends of it replayed, and
 * *events how many there were.
 */
int replay_firmware_base(const struct registers *regs, unsigned index, const char *data, size_t len,
			 struct mr_digests *base, unsigned *events, struct error *e);

#endif
