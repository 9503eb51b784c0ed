/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/error.h"
#include "evlog/journal.h"
#include "tap.h"

#define LOG "/run/log/mrboot/events.jsonseq"

struct seen {
	unsigned n;
	char text[8][64];
	uint64_t offset[8];
	unsigned total;
};

static int collect(const char *json, size_t len, uint64_t offset, void *userdata)
{
	struct seen *s = userdata;

	if (s->n < 8) {
		snprintf(s->text[s->n], sizeof(s->text[0]), "%.*s", (int)len, json);
		s->offset[s->n] = offset;
		s->n++;
	}
	s->total++;
	return 0;
}

static size_t slurp(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, cap);

	if (fd >= 0)
		close(fd);
	return n < 0 ? 0 : (size_t)n;
}

static void raw_append(const char *path, const char *bytes, size_t n)
{
	int fd = open(path, O_WRONLY | O_APPEND);

	if (fd < 0 || write(fd, bytes, n) != (ssize_t)n)
		abort();
	close(fd);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int main(void)
{
	char root[] = "/tmp/test-journal.XXXXXX", path[256], buf[512];
	struct journal j, j2;
	struct error e = { 0 };
	struct seen s = { 0 };
	struct stat st;
	int64_t torn;
	pid_t child;
	int r, wstatus;

	if (!mkdtemp(root))
		abort();
	snprintf(path, sizeof(path), "%s%s", root, LOG);

	r = journal_open(&j, root, LOG, 1000, &e);
	tap_is_int(r, 0, "the journal is opened, creating its directories (%s)", e.msg);
	tap_ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	       "the file exists under the root with mode 0600");
	tap_is_int(journal_append(&j, "{\"seq\":1}", 9, &e), 0, "a record is appended");
	tap_is_int(journal_append(&j, "{\"seq\":2}", 9, &e), 0, "a second record is appended");
	tap_ok(slurp(path, buf, sizeof(buf)) == 22 &&
		       memcmp(buf, "\x1e{\"seq\":1}\n\x1e{\"seq\":2}\n", 22) == 0,
	       "on disk: RS, the JSON text, LF for each record (RFC 7464)");
	tap_is_int(journal_append(&j, "{\"a\":\n1}", 8, &e), -EINVAL,
		   "a record with a newline is refused");
	tap_is_int(journal_append(&j, "", 0, &e), -EINVAL, "an empty record is refused");

	r = journal_read(&j, collect, &s, &torn, &e);
	tap_ok(r == 0 && s.n == 2 && strcmp(s.text[0], "{\"seq\":1}") == 0 &&
		       strcmp(s.text[1], "{\"seq\":2}") == 0,
	       "both records are read back in order");
	tap_ok(s.offset[0] == 0 && s.offset[1] == 11, "with their byte offsets");
	tap_is_int(torn, -1, "a cleanly ended journal has no torn record");

	/* A writer that died inside write(): no LF. Then a later writer appends. */
	raw_append(path, "\x1e{\"seq\":3,\"sta", 15);
	memset(&s, 0, sizeof(s));
	r = journal_read(&j, collect, &s, &torn, &e);
	tap_ok(r == 0 && s.n == 2, "a torn last record is not passed on");
	tap_is_int(torn, 22, "its offset is reported");
	tap_is_int(journal_append(&j, "{\"seq\":4}", 9, &e), 0,
		   "appending after a torn record works");
	memset(&s, 0, sizeof(s));
	r = journal_read(&j, collect, &s, &torn, &e);
	tap_ok(r == 0 && s.n == 3 && strcmp(s.text[2], "{\"seq\":4}") == 0,
	       "the record after a torn one is read");
	tap_is_int(torn, 22, "the torn record in the middle is still reported");

	/* Another open file description is another lock owner: it must wait, then give up. */
	r = journal_open(&j2, root, LOG, 50, &e);
	tap_ok(r == -ETIMEDOUT && strstr(e.msg, "locked by another writer for more than 50 ms"),
	       "a second writer gives up after its timeout (%s)", e.msg);
	journal_close(&j);

	/* Two processes appending: the lock serialises them and nothing is lost. */
	child = fork();
	if (child == 0) {
		struct journal jc;

		if (journal_open(&jc, root, LOG, 5000, NULL) < 0)
			_exit(1);
		for (int i = 0; i < 50; i++)
			if (journal_append(&jc, "{\"writer\":\"child\"}", 18, NULL) < 0)
				_exit(1);
		journal_close(&jc);
		_exit(0);
	}
	r = journal_open(&j, root, LOG, 5000, &e);
	for (int i = 0; r == 0 && i < 50; i++)
		r = journal_append(&j, "{\"writer\":\"parent\"}", 19, &e);
	journal_close(&j);
	waitpid(child, &wstatus, 0);
	tap_ok(r == 0 && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0,
	       "two processes append 50 records each");
	journal_open(&j, root, LOG, 5000, &e);
	memset(&s, 0, sizeof(s));
	r = journal_read(&j, collect, &s, &torn, &e);
	tap_ok(r == 0 && s.total == 103, "all 100 of them are there, whole (%u records)", s.total);

	raw_append(path, "garbage\n", 8);
	r = journal_read(&j, collect, &s, &torn, &e);
	tap_ok(r == -EBADMSG && strstr(e.msg, "expected a record separator"),
	       "bytes outside any record are an error naming the offset (%s)", e.msg);
	journal_close(&j);

	nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
