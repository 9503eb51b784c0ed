/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_EVENTLOG_H
#define MRBOOT_EVENTLOG_H

#include <stddef.h>
#include <stdint.h>

#include "evlog/journal.h"
#include "evlog/record.h"

struct error;
struct registers;

#define EVENTLOG_PATH "/run/log/mrboot/events.jsonseq"
#define EVENTLOG_SYSTEMD_PATH "/run/log/systemd/tpm2-measure.log"
#define EVENTLOG_LOCK_MS 10000

/*
 * mrboot's event log: every extend is written ahead as a pending record, then made, then
 * committed; a pending record a crashed writer left behind is settled at the next open by
 * the register's own value (committed if it holds the expected value, aborted if it still
 * holds the old one) or reported when it holds neither. One writer at a time (flock).
 */
struct eventlog {
	struct journal journal;
	struct journal *systemd; /* systemd's log, while a TPM measurement holds its lock */
	const char *root;
	struct record *records; /* one per seq, with its final state, in seq order */
	size_t count, cap;
	int64_t torn; /* offset of a record a writer died writing, or -1 */
};

int eventlog_open(struct eventlog *log, const char *root, struct error *e);
void eventlog_close(struct eventlog *log);

/*
 * Settles pending records against the registers. *settled counts them; each settled record
 * has its state and reason set, so the caller can say what happened to it.
 */
int eventlog_recover(struct eventlog *log, struct registers *regs, unsigned *settled,
		     struct error *e);

/* This boot's id (<root>/proc/sys/kernel/random/boot_id), or "" where there is none. */
void eventlog_boot_id(const char *root, char *out, size_t size);

/* Measures one event: write-ahead record, extend, commit. */
int eventlog_measure(struct eventlog *log, struct registers *regs, const struct record_event *ev,
		     const struct record **out, struct error *e);

#endif
