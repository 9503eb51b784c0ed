/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "evlog/replay.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "basic/macro.h"
#include "basic/path.h"
#include "evlog/eventlog.h"
#include "evlog/firmware.h"
#include "evlog/tcg2.h"
#include "json/json.h"

int replay_firmware_base(const struct registers *regs, unsigned index, const char *data, size_t len,
			 struct mr_digests *base, unsigned *events, struct error *e)
{
	struct tcg2_register t[MR_BANKS_MAX];
	int r;

	*base = (struct mr_digests){ .count = regs->n_banks };
	*events = 0;
	for (unsigned i = 0; i < regs->n_banks; i++) {
		base->bank[i].alg = regs->banks[i];
		/* CC registers are counted from 1 in the log (MRTD is 0). */
		t[i] = (struct tcg2_register){
			.index = regs->family == MR_FAMILY_TPM ? index : index + 1,
			.alg = regs->banks[i],
		};
	}
	if (!data)
		return 0; /* no firmware log: the register started at zero */
	r = tcg2_replay(data, len, t, regs->n_banks, e);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < regs->n_banks; i++)
		memcpy(base->bank[i].digest, t[i].value, hash_info(t[i].alg)->size);
	*events = t[0].extends;
	return 0;
}

static struct replay_register *replay_find(struct replay *rp, uint64_t index)
{
	for (unsigned i = 0; i < rp->n; i++)
		if (rp->registers[i].index == index)
			return &rp->registers[i];
	return NULL;
}

static int replay_add_step(struct replay_register *rr, uint64_t seq, const char *what,
			   const struct mr_digests *d, struct error *e)
{
	if (rr->n_steps == REPLAY_STEPS_MAX)
		return error_set(e, -E2BIG, "%s: more than %d events", rr->name, REPLAY_STEPS_MAX);
	rr->steps[rr->n_steps].seq = seq;
	snprintf(rr->steps[rr->n_steps].what, sizeof(rr->steps[0].what), "%s", what);
	rr->steps[rr->n_steps].digests = *d;
	rr->n_steps++;
	return 0;
}

struct systemd_reader {
	struct replay *rp;
	const struct registers *regs;
	uint64_t n;
	struct error *e;
};

/* The digests of one systemd record, one per allocated bank. */
static int replay_systemd_digests(const struct systemd_reader *sr, const struct json_value *digests,
				  struct mr_digests *d)
{
	const struct json_value *item;
	int r;

	*d = (struct mr_digests){ .count = sr->regs->n_banks };
	for (unsigned i = 0; i < sr->regs->n_banks; i++) {
		const struct hash_info *info = hash_info(sr->regs->banks[i]);
		bool found = false;

		d->bank[i].alg = sr->regs->banks[i];
		json_foreach(item, digests)
		{
			const char *alg, *hex;
			size_t n, hex_len;

			if ((r = json_object_get_string(item, "hashAlg", &alg, &n, sr->e)) < 0 ||
			    (r = json_object_get_string(item, "digest", &hex, &hex_len, sr->e)) < 0)
				return r;
			if (strcmp(alg, info->name) != 0)
				continue;
			r = hex_decode(d->bank[i].digest, info->size, hex, hex_len, &n, sr->e);
			if (r < 0 || n != info->size)
				return r < 0 ? r
					     : error_set(sr->e, -EINVAL, "short %s digest", alg);
			found = true;
		}
		if (!found)
			return error_set(sr->e, -EINVAL, "no %s digest for an allocated bank",
					 info->name);
	}
	return 0;
}

/* systemd's tpm2-measure.log: {"pcr":N,"digests":[{"hashAlg":..,"digest":..}],...}. */
static int replay_systemd_one(const char *json, size_t len, uint64_t offset, void *userdata)
{
	struct systemd_reader *sr = userdata;
	const struct json_value *v, *digests;
	struct replay_register *rr;
	struct json_arena arena;
	struct mr_digests d;
	uint64_t pcr = UINT64_MAX;
	char what[96];
	int r;

	sr->n++;
	json_arena_init(&arena, 64 * len + 4096);
	r = json_parse(&arena, json, len, &v, sr->e);
	if (r >= 0)
		r = json_object_get_uint64(v, "pcr", &pcr, sr->e);
	if (r >= 0)
		r = json_object_get_array(v, "digests", &digests, sr->e);
	rr = r < 0 ? NULL : replay_find(sr->rp, pcr);
	if (rr) {
		r = replay_systemd_digests(sr, digests, &d);
		snprintf(what, sizeof(what), "systemd log record %llu", (unsigned long long)sr->n);
		if (r >= 0)
			r = replay_add_step(rr, sr->n, what, &d, sr->e);
	}
	json_arena_free(&arena);
	if (r < 0)
		return error_prefix(sr->e, "%s: record at byte %llu", EVENTLOG_SYSTEMD_PATH,
				    (unsigned long long)offset);
	return 0;
}

/*
 * The userspace events. A TPM's PCRs are extended by others too (systemd), and systemd's log
 * has every such extend, mrboot's included; CC registers have mrboot's.
 */
static int replay_userspace(struct replay *rp, const char *root, const struct registers *regs,
			    const struct eventlog *log, struct error *e)
{
	char p[PATH_MAX];
	int r;

	if (regs->family == MR_FAMILY_TPM &&
	    path_join_root(p, sizeof(p), root, EVENTLOG_SYSTEMD_PATH) == 0 &&
	    access(p, F_OK) == 0) {
		struct systemd_reader sr = { .rp = rp, .regs = regs, .e = e };
		struct journal j;
		int64_t torn;

		r = journal_open(&j, root, EVENTLOG_SYSTEMD_PATH, EVENTLOG_LOCK_MS, e);
		if (r < 0)
			return r;
		r = journal_read(&j, replay_systemd_one, &sr, &torn, e);
		journal_close(&j);
		return r;
	}
	for (size_t i = 0; i < log->count; i++) {
		const struct record *rec = &log->records[i];
		struct replay_register *rr = replay_find(rp, rec->index);
		char what[96];

		if (rec->state != RECORD_COMMITTED || rec->family != regs->family || !rr)
			continue;
		snprintf(what, sizeof(what), "record %llu (%s %s)", (unsigned long long)rec->seq,
			 rec->event.domain, rec->event.operation);
		r = replay_add_step(rr, rec->seq, what, &rec->digests, e);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Compares the live value with the log; on a difference, names the first record at fault. */
static void replay_judge(struct replay_register *rr, const struct mr_digests *live)
{
	struct mr_digests v = rr->base, next;
	int match = mr_digests_equal(&v, live) ? 0 : -1;

	for (unsigned i = 0; i < rr->n_steps; i++) {
		registers_after(&v, &rr->steps[i].digests, &next);
		v = next;
		if (mr_digests_equal(&v, live))
			match = (int)i + 1;
	}
	rr->ok = mr_digests_equal(&v, live);
	if (rr->ok)
		snprintf(rr->verdict, sizeof(rr->verdict),
			 "matches: %u firmware event%s, %u logged event%s", rr->firmware_events,
			 rr->firmware_events == 1 ? "" : "s", rr->n_steps,
			 rr->n_steps == 1 ? "" : "s");
	else if (match >= 0)
		snprintf(rr->verdict, sizeof(rr->verdict),
			 "DIFFERS: the register holds the log up to before %s, which it never "
			 "received",
			 rr->steps[match].what);
	else
		snprintf(rr->verdict, sizeof(rr->verdict),
			 "DIFFERS: no prefix of the logs explains the register: it was extended "
			 "with something no log records");
}

/* Every register of the family a committed record names, in index order. */
static void replay_select(struct replay *rp, struct registers *regs, const struct eventlog *log)
{
	for (unsigned idx = 0; idx < REPLAY_REGISTERS_MAX; idx++) {
		bool used = false;

		for (size_t i = 0; i < log->count && !used; i++)
			used = log->records[i].state == RECORD_COMMITTED &&
			       log->records[i].index == idx &&
			       log->records[i].family == regs->family;
		if (!used)
			continue;
		rp->registers[rp->n].index = idx;
		registers_name(regs, idx, rp->registers[rp->n].name, sizeof(rp->registers[0].name));
		rp->n++;
	}
}

int replay_run(struct replay *rp, const char *root, struct registers *regs,
	       const struct eventlog *log, const struct evlog_firmware *firmware, struct error *e)
{
	int r = 0;

	*rp = (struct replay){ .all_ok = true };
	rp->registers = calloc(REPLAY_REGISTERS_MAX, sizeof(*rp->registers));
	if (!rp->registers)
		return error_set(e, -ENOMEM, "replay: out of memory");
	replay_select(rp, regs, log);
	if (rp->n == 0)
		return 0;
	for (unsigned i = 0; r >= 0 && i < rp->n; i++) {
		struct replay_register *rr = &rp->registers[i];

		r = replay_firmware_base(regs, rr->index, firmware->data, firmware->len, &rr->base,
					 &rr->firmware_events, e);
		if (r < 0)
			error_prefix(e, "%s: %s", rr->name, firmware->path);
	}
	if (r >= 0)
		r = replay_userspace(rp, root, regs, log, e);
	for (unsigned i = 0; r >= 0 && i < rp->n; i++) {
		struct replay_register *rr = &rp->registers[i];
		struct mr_digests live;

		r = registers_read(regs, rr->index, &live, e);
		if (r < 0) {
			error_prefix(e, "%s", rr->name);
			break;
		}
		replay_judge(rr, &live);
		rp->all_ok = rp->all_ok && rr->ok;
	}
	if (r < 0)
		replay_free(rp);
	return r < 0 ? r : 0;
}

void replay_free(struct replay *rp)
{
	free(rp->registers);
	*rp = (struct replay){ 0 };
}
