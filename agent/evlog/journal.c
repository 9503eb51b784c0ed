/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "basic/error.h"
#include "basic/file.h"
#include "basic/macro.h"
#include "basic/path.h"

#define RS 0x1e

/* mkdir -p for the directories above path (not path itself). */
static int journal_make_parents(char *path, struct error *e)
{
	for (char *s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			int r = -errno;

			error_set_errno(e, r, "cannot create %s", path);
			*s = '/';
			return r;
		}
		*s = '/';
	}
	return 0;
}

static int journal_lock(struct journal *j, unsigned timeout_ms, struct error *e)
{
	struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };
	unsigned waited = 0;

	/* flock() has no timeout of its own; a stuck writer must not stall the boot forever. */
	while (flock(j->fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return error_set_errno(e, -errno, "cannot lock %s", j->path);
		if (waited >= timeout_ms)
			return error_set(e, -ETIMEDOUT,
					 "%s is locked by another writer for more than %u ms",
					 j->path, timeout_ms);
		nanosleep(&pause, NULL);
		waited += 10;
	}
	return 0;
}

int journal_open(struct journal *j, const char *root, const char *path, unsigned lock_timeout_ms,
		 struct error *e)
{
	int r;

	j->fd = -1;
	r = path_join_root(j->path, sizeof(j->path), root, path);
	if (r < 0)
		return error_set_errno(e, r, "%s under %s", path, root);
	r = journal_make_parents(j->path, e);
	if (r < 0)
		return r;
	/*
	 * 0600 as systemd creates its log: whoever can open a file can flock() it, and a reader
	 * holding the lock would stall every writer.
	 */
	j->fd = open(j->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW,
		     0600);
	if (j->fd < 0)
		return error_set_errno(e, -errno, "cannot open %s", j->path);
	r = journal_lock(j, lock_timeout_ms, e);
	if (r < 0) {
		journal_close(j);
		return r;
	}
	return 0;
}

void journal_close(struct journal *j)
{
	if (j->fd >= 0)
		close(j->fd); /* releases the lock */
	j->fd = -1;
}

int journal_append(struct journal *j, const char *json, size_t len, struct error *e)
{
	_cleanup_free_ char *buf = NULL;
	ssize_t k;

	if (len == 0 || len > JOURNAL_RECORD_MAX || memchr(json, RS, len) ||
	    memchr(json, '\n', len))
		return error_set(e, -EINVAL, "%s: a record must be one line of 1..%u bytes",
				 j->path, JOURNAL_RECORD_MAX);
	buf = malloc(len + 2);
	if (!buf)
		return error_set_errno(e, -ENOMEM, "%s", j->path);
	buf[0] = RS;
	memcpy(buf + 1, json, len);
	buf[len + 1] = '\n';
	/*
	 * One write() of the whole record with O_APPEND: a reader never sees half of it unless
	 * the writer dies inside the call, which journal_read() reports as a torn record.
	 */
	/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): _cleanup_free_ frees it */
	k = file_write_once(j->fd, buf, len + 2);
	if (k < 0)
		return error_set_errno(e, (int)k, "cannot append to %s", j->path);
	if ((size_t)k != len + 2)
		return error_set(e, -EIO, "%s: short write (%zd of %zu bytes)", j->path, k,
				 len + 2);
	if (fdatasync(j->fd) < 0)
		return error_set_errno(e, -errno, "cannot sync %s", j->path);
	return 0;
}

int journal_read(struct journal *j, journal_record_fn fn, void *userdata, int64_t *torn,
		 struct error *e)
{
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t size, pos = 0;
	ssize_t k;
	int r;

	*torn = -1;
	if (fstat(j->fd, &st) < 0)
		return error_set_errno(e, -errno, "cannot stat %s", j->path);
	if ((uint64_t)st.st_size > JOURNAL_SIZE_MAX)
		return error_set(e, -EFBIG, "%s is larger than %u bytes", j->path,
				 JOURNAL_SIZE_MAX);
	size = (size_t)st.st_size;
	buf = malloc(size + 1);
	if (!buf)
		return error_set_errno(e, -ENOMEM, "%s", j->path);
	while (pos < size) {
		k = pread(j->fd, buf + pos, size - pos, (off_t)pos);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return error_set_errno(e, -errno, "cannot read %s", j->path);
		if (k == 0)
			break;
		pos += (size_t)k;
	}
	size = pos;
	for (pos = 0; pos < size;) {
		char *end, *next;

		if (buf[pos] != RS)
			return error_set(e, -EBADMSG, "%s: byte %zu: expected a record separator",
					 j->path, pos);
		end = memchr(buf + pos + 1, '\n', size - pos - 1);
		next = memchr(buf + pos + 1, RS, (end ? (size_t)(end - buf) : size) - pos - 1);
		/*
		 * A record without its LF is one whose writer died inside write(); later writers
		 * append after it (RFC 7464 section 2.4: skip it). Report the first one.
		 */
		if (!end || next) {
			if (*torn < 0)
				*torn = (int64_t)pos;
			if (!next)
				break;
			pos = (size_t)(next - buf);
			continue;
		}
		*end = '\0';
		r = fn(buf + pos + 1, (size_t)(end - buf) - pos - 1, pos, userdata);
		if (r != 0)
			return r;
		pos = (size_t)(end - buf) + 1;
	}
	return 0; /* NOLINT(clang-analyzer-unix.Malloc): _cleanup_free_ frees it */
}
