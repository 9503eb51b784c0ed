/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "evlog/eventlog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "basic/file.h"
#include "json/json.h"
#include "basic/macro.h"
#include "mr/registers.h"
#include "mrboot-config.h"
#include "basic/path.h"

#if MRBOOT_FAULT_INJECTION
/*
 * Test builds only: MRBOOT_FAULT=<point> makes the writer die there, as a power cut or a
 * kill would, so that tests can check what the next start makes of it.
 */
static void eventlog_fault(const char *point)
{
	const char *f = getenv("MRBOOT_FAULT");

	if (f && strcmp(f, point) == 0)
		_exit(86);
}
#else
static void eventlog_fault(const char *point)
{
}
#endif

static struct record *eventlog_find(struct eventlog *log, uint64_t seq)
{
	for (size_t i = 0; i < log->count; i++)
		if (log->records[i].seq == seq)
			return &log->records[i];
	return NULL;
}

static int eventlog_add(struct eventlog *log, struct record *r, struct error *e)
{
	if (log->count == log->cap) {
		size_t cap = log->cap ? 2 * log->cap : 16;
		struct record *p = realloc(log->records, cap * sizeof(*p));

		if (!p)
			return error_set_errno(e, -ENOMEM, "event log");
		log->records = p;
		log->cap = cap;
	}
	log->records[log->count++] = *r;
	return 0;
}

struct eventlog_reader {
	struct eventlog *log;
	struct error *e;
};

static int eventlog_read_one(const char *json, size_t len, uint64_t offset, void *userdata)
{
	struct eventlog_reader *rd = userdata;
	struct eventlog *log = rd->log;
	const struct json_value *v;
	struct json_arena arena;
	struct record r, *old;
	bool is_state;
	int k;

	json_arena_init(&arena, 4 * len + 4096);
	k = json_parse(&arena, json, len, &v, rd->e);
	if (k >= 0)
		k = record_from_json(v, &r, &is_state, rd->e);
	json_arena_free(&arena);
	if (k < 0)
		return error_prefix(rd->e, "%s: record at byte %llu", log->journal.path,
				    (unsigned long long)offset);
	old = eventlog_find(log, r.seq);
	if (!is_state) {
		if (old) {
			record_free(&r);
			return error_set(rd->e, -EINVAL, "%s: record at byte %llu repeats seq %llu",
					 log->journal.path, (unsigned long long)offset,
					 (unsigned long long)r.seq);
		}
		k = eventlog_add(log, &r, rd->e);
		if (k < 0)
			record_free(&r);
		return k;
	}
	if (!old || old->state != RECORD_PENDING)
		return error_set(rd->e, -EINVAL, "%s: record at byte %llu settles seq %llu, %s",
				 log->journal.path, (unsigned long long)offset,
				 (unsigned long long)r.seq,
				 old ? "which was settled already" : "which was never written");
	old->state = r.state;
	memcpy(old->reason, r.reason, sizeof(old->reason));
	return 0;
}

int eventlog_open(struct eventlog *log, const char *root, struct error *e)
{
	struct eventlog_reader rd = { .log = log, .e = e };
	int r;

	*log = (struct eventlog){ .root = root, .torn = -1 };
	r = journal_open(&log->journal, root, EVENTLOG_PATH, EVENTLOG_LOCK_MS, e);
	if (r < 0)
		return r;
	r = journal_read(&log->journal, eventlog_read_one, &rd, &log->torn, e);
	if (r < 0)
		eventlog_close(log);
	return r;
}

void eventlog_close(struct eventlog *log)
{
	for (size_t i = 0; i < log->count; i++)
		record_free(&log->records[i]);
	free(log->records);
	journal_close(&log->journal);
	*log = (struct eventlog){ .torn = -1, .journal.fd = -1 };
}

static int eventlog_settle(struct eventlog *log, struct record *r, enum record_state state,
			   const char *reason, struct error *e)
{
	_cleanup_free_ char *json = NULL;
	size_t len;
	int k;

	k = record_state_to_json(r->seq, state, reason, &json, &len, e);
	if (k >= 0)
		k = journal_append(&log->journal, json, len, e);
	if (k < 0)
		return k;
	r->state = state;
	snprintf(r->reason, sizeof(r->reason), "%s", reason ? reason : "");
	return 0;
}

/*
 * systemd marks its log S_ISVTX while it appends and clears the mark after, so that a writer
 * that died mid-record shows (systemd-pcrlock then calls the log incomplete, systemd-pcrextend
 * stops appending); mrboot keeps the convention. A mark found set is left set: the log is
 * incomplete, and mrboot's record still goes in so that mrboot can name what is missing.
 */
static int eventlog_append_systemd_marked(struct journal *sd, const char *json, size_t len,
					  struct error *e)
{
	struct stat st;
	bool mark;
	int k;

	if (fstat(sd->fd, &st) < 0)
		return error_set_errno(e, -errno, "cannot stat %s", sd->path);
	mark = !(st.st_mode & S_ISVTX);
	if (mark && fchmod(sd->fd, (st.st_mode & 07777) | S_ISVTX) < 0)
		return error_set_errno(e, -errno, "cannot mark %s as being written", sd->path);
	k = journal_append(sd, json, len, e);
	if (k >= 0 && mark && fchmod(sd->fd, st.st_mode & 07777) < 0)
		k = error_set_errno(e, -errno, "cannot clear the mark on %s", sd->path);
	return k;
}

/*
 * systemd's log of what was measured into TPM PCRs, so that its tools see mrboot's events:
 * each record as systemd writes its own (doc/systemd-tpm2-log.md), with mrboot's event type.
 */
static int eventlog_append_systemd(struct eventlog *log, const struct record *r, struct error *e)
{
	_cleanup_free_ char *text = NULL;
	struct journal own = { .fd = -1 }, *sd = log->systemd ? log->systemd : &own;
	struct json_writer w;
	struct timespec ts;
	char hex[2 * HASH_MAX_SIZE + 1], boot_id[33];
	size_t n = 0;
	int k;

	k = record_event_tpm_string(&r->event, &text, e);
	if (k < 0)
		return k;
	/* systemd writes the boot id as 32 hex digits, without the dashes the kernel shows. */
	for (const char *c = r->boot_id; *c && n < 32; c++)
		if (*c != '-')
			boot_id[n++] = *c;
	boot_id[n] = '\0';
	clock_gettime(CLOCK_BOOTTIME, &ts);
	json_writer_init(&w, 1u << 20);
	json_writer_begin_object(&w);
	json_writer_key(&w, "pcr");
	json_writer_uint64(&w, r->index);
	json_writer_key(&w, "digests");
	json_writer_begin_array(&w);
	for (unsigned i = 0; i < r->digests.count; i++) {
		hex_encode(hex, r->digests.bank[i].digest, hash_info(r->digests.bank[i].alg)->size);
		json_writer_begin_object(&w);
		json_writer_key(&w, "hashAlg");
		json_writer_string(&w, hash_info(r->digests.bank[i].alg)->name);
		json_writer_key(&w, "digest");
		json_writer_string(&w, hex);
		json_writer_end_object(&w);
	}
	json_writer_end_array(&w);
	json_writer_key(&w, "content_type");
	json_writer_string(&w, "systemd");
	json_writer_key(&w, "content");
	json_writer_begin_object(&w);
	json_writer_key(&w, "string");
	json_writer_string(&w, text);
	if (n == 32) {
		json_writer_key(&w, "bootId");
		json_writer_string(&w, boot_id);
	}
	json_writer_key(&w, "timestamp"); /* CLOCK_BOOTTIME in microseconds, as systemd's */
	json_writer_uint64(&w, (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
	json_writer_key(&w, "eventType");
	json_writer_string(&w, r->event.event_type);
	json_writer_end_object(&w);
	json_writer_end_object(&w);
	k = json_writer_finish(&w, e);
	if (k >= 0 && sd == &own)
		k = journal_open(&own, log->root, EVENTLOG_SYSTEMD_PATH, EVENTLOG_LOCK_MS, e);
	if (k >= 0)
		k = eventlog_append_systemd_marked(sd, w.buf, w.len, e);
	journal_close(&own);
	json_writer_free(&w);
	return k;
}

/*
 * A pending record's fate is written in its register: the value after the extend means it
 * happened, the value before means it did not. Anything else cannot be explained.
 */
static int eventlog_settle_by_register(struct eventlog *log, struct registers *regs,
				       struct record *r, const char *happened,
				       const char *not_happened, struct error *e)
{
	struct mr_digests now;
	char name[16];
	int k;

	/* Nothing was to be extended: the record is all there is. */
	if (regs->family == MR_FAMILY_NONE)
		return eventlog_settle(log, r, RECORD_COMMITTED, happened, e);
	registers_name(regs, r->index, name, sizeof(name));
	k = registers_read(regs, r->index, &now, e);
	if (k < 0)
		return error_prefix(e, "record %llu", (unsigned long long)r->seq);
	if (mr_digests_equal(&now, &r->after)) {
		k = eventlog_settle(log, r, RECORD_COMMITTED, happened, e);
		if (k >= 0 && r->family == MR_FAMILY_TPM)
			k = eventlog_append_systemd(log, r, e);
		return k;
	}
	if (mr_digests_equal(&now, &r->before))
		return eventlog_settle(log, r, RECORD_ABORTED, not_happened, e);
	return error_set(e, -EBADMSG,
			 "pending record %llu: %s holds neither its value before nor the one "
			 "after the extend; something else extended it, and the log cannot "
			 "explain the register",
			 (unsigned long long)r->seq, name);
}

int eventlog_recover(struct eventlog *log, struct registers *regs, unsigned *settled,
		     struct error *e)
{
	*settled = 0;
	for (size_t i = 0; i < log->count; i++) {
		struct record *r = &log->records[i];
		int k;

		if (r->state != RECORD_PENDING)
			continue;
		if (r->family != regs->family)
			return error_set(e, -EINVAL,
					 "pending record %llu is for a %s register, this platform "
					 "has %s registers",
					 (unsigned long long)r->seq, mr_family_name(r->family),
					 mr_family_name(regs->family));
		k = eventlog_settle_by_register(
			log, regs, r, "recovered: the register shows the extend happened",
			"recovered: the register shows the extend never happened", e);
		if (k < 0)
			return k;
		(*settled)++;
	}
	return 0;
}

void eventlog_boot_id(const char *root, char *out, size_t size)
{
	_cleanup_free_ char *text = NULL;
	char p[PATH_MAX];
	size_t len;

	out[0] = '\0';
	if (path_join_root(p, sizeof(p), root, "/proc/sys/kernel/random/boot_id") < 0 ||
	    file_read_all(p, 64, &text, &len, NULL) < 0)
		return;
	snprintf(out, size, "%.*s", (int)strcspn(text, "\n"), text);
}

static int eventlog_measure_locked(struct eventlog *log, struct registers *regs,
				   const struct record_event *ev, const struct record **out,
				   struct error *e)
{
	_cleanup_free_ char *json = NULL;
	struct record r = { .state = RECORD_PENDING, .family = regs->family };
	struct timespec ts;
	size_t len;
	char name[16];
	int k;

	for (size_t i = 0; i < log->count; i++)
		if (log->records[i].state == RECORD_PENDING)
			return error_set(e, -EBUSY, "record %llu is still pending; recover first",
					 (unsigned long long)log->records[i].seq);
	r.seq = log->count ? log->records[log->count - 1].seq + 1 : 1;
	r.index = registers_index_for_pcr(regs, ev->pcr);
	registers_name(regs, r.index, name, sizeof(name));
	k = record_event_set(&r.event, ev->pcr, ev->domain, ev->operation, ev->content,
			     ev->string_style, ev->event_type, e);
	if (k < 0)
		return k;
	k = record_event_digests(&r.event, regs->family, regs->banks, regs->n_banks, &r.digests, e);
	if (k >= 0 && regs->family != MR_FAMILY_NONE) {
		k = registers_read(regs, r.index, &r.before, e);
		if (k >= 0)
			registers_after(&r.before, &r.digests, &r.after);
	}
	if (k < 0)
		goto fail;
	clock_gettime(CLOCK_REALTIME, &ts);
	r.time_usec = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	eventlog_boot_id(log->root, r.boot_id, sizeof(r.boot_id));

	/* Written ahead and synced: no extend can happen that the log does not know of. */
	k = record_to_json(&r, &json, &len, e);
	if (k >= 0)
		k = journal_append(&log->journal, json, len, e);
	if (k < 0)
		goto fail;
	k = eventlog_add(log, &r, e);
	if (k < 0)
		goto fail;
	eventlog_fault("after-pending");

	k = regs->family == MR_FAMILY_NONE ? 0 : registers_extend(regs, r.index, &r.digests, e);
	if (k < 0) {
		struct error why = *e, e2 = { 0 };

		/*
		 * A TPM that timed out may still have run the command: ask the register. When
		 * that fails too, nothing can tell; the record stays pending for the next start
		 * to settle, and the message says so first, before the details it may cut.
		 */
		if (eventlog_settle_by_register(log, regs, &log->records[log->count - 1],
						"the register shows the extend happened", why.msg,
						&e2) < 0)
			return error_set(e, e2.code,
					 "extending %s, record %llu left pending (whether the "
					 "extend happened is settled by the register at the next "
					 "start): %s; then: %s",
					 name, (unsigned long long)r.seq, why.msg, e2.msg);
		if (log->records[log->count - 1].state == RECORD_ABORTED)
			return error_prefix(e, "extending %s", name);
	}
	eventlog_fault("after-extend");
	if (log->records[log->count - 1].state == RECORD_PENDING) {
		k = eventlog_settle(log, &log->records[log->count - 1], RECORD_COMMITTED, NULL, e);
		if (k >= 0 && regs->family == MR_FAMILY_TPM)
			k = eventlog_append_systemd(log, &log->records[log->count - 1], e);
		if (k < 0)
			return k;
	}
	if (out)
		*out = &log->records[log->count - 1];
	return 0;
fail:
	record_free(&r);
	return k;
}

int eventlog_measure(struct eventlog *log, struct registers *regs, const struct record_event *ev,
		     const struct record **out, struct error *e)
{
	struct journal sd;
	int k;

	if (regs->family != MR_FAMILY_TPM)
		return eventlog_measure_locked(log, regs, ev, out, e);
	/*
	 * Like systemd, hold the lock on its log from before the PCR is read until the record is
	 * in: no other writer's extend can come between, so the log's order is the PCR's.
	 */
	k = journal_open(&sd, log->root, EVENTLOG_SYSTEMD_PATH, EVENTLOG_LOCK_MS, e);
	if (k < 0)
		return k;
	log->systemd = &sd;
	k = eventlog_measure_locked(log, regs, ev, out, e);
	log->systemd = NULL;
	journal_close(&sd);
	return k;
}
