/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_JOURNAL_H
#define MRBOOT_JOURNAL_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

struct error;

/*
 * An append-only JSON text sequence (RFC 7464: each record is 0x1E, one JSON text, 0x0A)
 * held open under an exclusive flock(), so that one writer at a time appends whole records.
 * mrboot's own event log and systemd's /run/log/systemd/tpm2-measure.log both use it: systemd
 * takes the same lock on the same file. The journal does not look inside the records.
 */
#define JOURNAL_SIZE_MAX (16u << 20)
#define JOURNAL_RECORD_MAX (1u << 20)

struct journal {
	int fd;
	char path[PATH_MAX]; /* root prefix included */
};

/*
 * Opens (creating it and its parent directories, mode 0600 / 0755) <root><path> and waits
 * up to lock_timeout_ms for the exclusive lock.
 */
int journal_open(struct journal *j, const char *root, const char *path, unsigned lock_timeout_ms,
		 struct error *e);
void journal_close(struct journal *j);

/* Appends one record in one write() and waits until it is on stable storage. */
int journal_append(struct journal *j, const char *json, size_t len, struct error *e);

/*
 * Calls fn for every record in order with the JSON text (without RS and LF, NUL-terminated)
 * and its byte offset; a non-zero return stops and is returned. A record without its LF (a
 * writer that died inside write()) is not passed on: *torn is set to the offset of the
 * first, or to -1 when there is none. Anything else out of place is an error naming the
 * offset.
 */
typedef int (*journal_record_fn)(const char *json, size_t len, uint64_t offset, void *userdata);
int journal_read(struct journal *j, journal_record_fn fn, void *userdata, int64_t *torn,
		 struct error *e);

#endif
