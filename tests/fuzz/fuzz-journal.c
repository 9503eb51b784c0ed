/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * journal_read() on any bytes as the JSON-SEQ file's content, held in a memfd (the reader
 * takes an open journal; no file system is touched). Each record handed on must be a whole
 * one: within the file, after an RS, before an LF, holding neither.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "basic/error.h"
#include "evlog/journal.h"
#include "fuzz.h"

struct walk {
	const uint8_t *data;
	size_t size;
	uint64_t next; /* records come in order: the next one starts at or after this */
};

static int check_record(const char *json, size_t len, uint64_t offset, void *userdata)
{
	struct walk *w = userdata;

	fuzz_check(offset >= w->next && offset < w->size, "records come in file order");
	fuzz_check(len <= w->size - offset - 1 && offset + 1 + len < w->size,
		   "a record lies within the file");
	fuzz_check(w->data[offset] == 0x1e && w->data[offset + 1 + len] == '\n',
		   "a record is framed by RS and LF");
	fuzz_check(memcmp(json, w->data + offset + 1, len) == 0 && json[len] == '\0',
		   "the record is the file's bytes, NUL-terminated");
	fuzz_check(!memchr(json, 0x1e, len) && !memchr(json, '\n', len),
		   "a record holds no RS and no LF");
	w->next = offset + 2 + len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct journal j = { .path = "fuzz" };
	struct walk w = { .data = data, .size = size };
	struct error e = { 0 };
	int64_t torn = -2;
	int r;

	j.fd = memfd_create("fuzz-journal", MFD_CLOEXEC);
	fuzz_check(j.fd >= 0, "memfd_create");
	fuzz_check(size == 0 || write(j.fd, data, size) == (ssize_t)size, "write");
	r = journal_read(&j, check_record, &w, &torn, &e);
	if (r == 0)
		fuzz_check(torn == -1 || (torn >= 0 && (uint64_t)torn < size && data[torn] == 0x1e),
			   "a torn record is named by the offset of its RS");
	else
		fuzz_check(r < 0 && e.msg[0], "a refusal says why");
	journal_close(&j);
	return 0;
}
