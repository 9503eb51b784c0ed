/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "evlog/aael.h"
#include "evlog/eventlog.h"
#include "evlog/tcg2.h"
#include "basic/file.h"
#include "json/json.h"
#include "basic/macro.h"
#include "basic/path.h"
#include "cli/tool.h"

#define FIRMWARE_CCEL "/sys/firmware/acpi/tables/data/CCEL"
#define FIRMWARE_TPM_LOG "/sys/kernel/security/tpm0/binary_bios_measurements"
#define FIRMWARE_LOG_MAX (16u << 20)
#define REPLAY_STEPS_MAX 512

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
	char verdict[256];
};

/* The firmware's own log, replayed into base: where the register stood when the OS began. */
static int replay_firmware(struct tool *tool, struct registers *regs, struct replay_register *rr,
			   struct error *e)
{
	const char *path = regs->family == MR_FAMILY_TPM ? FIRMWARE_TPM_LOG : FIRMWARE_CCEL;
	struct tcg2_register t[MR_BANKS_MAX];
	_cleanup_free_ char *data = NULL;
	char p[PATH_MAX];
	size_t len;
	int r;

	rr->base = (struct mr_digests){ .count = regs->n_banks };
	for (unsigned i = 0; i < regs->n_banks; i++) {
		rr->base.bank[i].alg = regs->banks[i];
		/* CC registers are counted from 1 in the log (MRTD is 0). */
		t[i] = (struct tcg2_register){
			.index = regs->family == MR_FAMILY_TPM ? rr->index : rr->index + 1,
			.alg = regs->banks[i],
		};
	}
	r = path_join_root(p, sizeof(p), tool->root, path);
	if (r < 0)
		return error_set_errno(e, r, "%s", path);
	r = file_read_all(p, FIRMWARE_LOG_MAX, &data, &len, e);
	if (r == -ENOENT)
		return 0; /* no firmware log: the register started at zero */
	if (r < 0)
		return r;
	r = tcg2_replay(data, len, t, regs->n_banks, e);
	if (r < 0)
		return error_prefix(e, "%s", p);
	for (unsigned i = 0; i < regs->n_banks; i++)
		memcpy(rr->base.bank[i].digest, t[i].value, hash_info(t[i].alg)->size);
	rr->firmware_events = t[0].extends;
	return 0;
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
	struct replay_register *rr;
	const struct registers *regs;
	uint64_t n;
	struct error *e;
};

/* systemd's tpm2-measure.log: {"pcr":N,"digests":[{"hashAlg":..,"digest":..}],...}. */
static int replay_systemd_one(const char *json, size_t len, uint64_t offset, void *userdata)
{
	struct systemd_reader *sr = userdata;
	const struct json_value *v, *digests, *item;
	struct mr_digests d = { .count = sr->regs->n_banks };
	struct json_arena arena;
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
	if (r < 0 || pcr != sr->rr->index)
		goto out;
	for (unsigned i = 0; i < sr->regs->n_banks; i++) {
		const struct hash_info *info = hash_info(sr->regs->banks[i]);
		bool found = false;

		d.bank[i].alg = sr->regs->banks[i];
		json_foreach(item, digests)
		{
			const char *alg, *hex;
			size_t n, hex_len;

			if ((r = json_object_get_string(item, "hashAlg", &alg, &n, sr->e)) < 0 ||
			    (r = json_object_get_string(item, "digest", &hex, &hex_len, sr->e)) < 0)
				goto out;
			if (strcmp(alg, info->name) != 0)
				continue;
			r = hex_decode(d.bank[i].digest, info->size, hex, hex_len, &n, sr->e);
			if (r < 0 || n != info->size) {
				r = r < 0 ? r : error_set(sr->e, -EINVAL, "short %s digest", alg);
				goto out;
			}
			found = true;
		}
		if (!found) {
			r = error_set(sr->e, -EINVAL, "no %s digest for an allocated bank",
				      info->name);
			goto out;
		}
	}
	snprintf(what, sizeof(what), "systemd log record %llu", (unsigned long long)sr->n);
	r = replay_add_step(sr->rr, sr->n, what, &d, sr->e);
out:
	json_arena_free(&arena);
	if (r < 0)
		return error_prefix(sr->e, "%s: record at byte %llu", EVENTLOG_SYSTEMD_PATH,
				    (unsigned long long)offset);
	return 0;
}

/*
 * The userspace events of one register. A TPM's PCRs are extended by others too (systemd),
 * and systemd's log has every such extend, mrboot's included; CC registers have mrboot's.
 */
static int replay_userspace(struct tool *tool, struct eventlog *log, struct registers *regs,
			    struct replay_register *rr, struct error *e)
{
	char p[PATH_MAX];
	int r;

	if (regs->family == MR_FAMILY_TPM &&
	    path_join_root(p, sizeof(p), tool->root, EVENTLOG_SYSTEMD_PATH) == 0 &&
	    access(p, F_OK) == 0) {
		struct systemd_reader sr = { .rr = rr, .regs = regs, .e = e };
		struct journal j;
		int64_t torn;

		r = journal_open(&j, tool->root, EVENTLOG_SYSTEMD_PATH, EVENTLOG_LOCK_MS, e);
		if (r < 0)
			return r;
		r = journal_read(&j, replay_systemd_one, &sr, &torn, e);
		journal_close(&j);
		return r;
	}
	for (size_t i = 0; i < log->count; i++) {
		const struct record *rec = &log->records[i];
		char what[96];

		if (rec->state != RECORD_COMMITTED || rec->index != rr->index)
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

static void replay_print_json(struct replay_register *rrs, unsigned n, FILE *out)
{
	struct json_writer w;
	char hex[2 * HASH_MAX_SIZE + 1];

	json_writer_init(&w, 1u << 20);
	json_writer_begin_object(&w);
	json_writer_key(&w, "registers");
	json_writer_begin_array(&w);
	for (unsigned i = 0; i < n; i++) {
		json_writer_begin_object(&w);
		json_writer_key(&w, "register");
		json_writer_string(&w, rrs[i].name);
		json_writer_key(&w, "match");
		json_writer_bool(&w, rrs[i].ok);
		json_writer_key(&w, "firmware_events");
		json_writer_uint64(&w, rrs[i].firmware_events);
		json_writer_key(&w, "events");
		json_writer_uint64(&w, rrs[i].n_steps);
		json_writer_key(&w, "verdict");
		json_writer_string(&w, rrs[i].verdict);
		json_writer_key(&w, "base");
		hex_encode(hex, rrs[i].base.bank[0].digest,
			   hash_info(rrs[i].base.bank[0].alg)->size);
		json_writer_string(&w, hex);
		json_writer_end_object(&w);
	}
	json_writer_end_array(&w);
	json_writer_end_object(&w);
	if (json_writer_finish(&w, NULL) == 0)
		fprintf(out, "%s\n", w.buf);
	json_writer_free(&w);
}

static int replay_run(struct tool *tool, int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	_cleanup_free_ struct replay_register *rrs = NULL;
	struct tool_registers tr;
	struct settings settings;
	struct eventlog log;
	struct error e = { 0 };
	bool json = false, all_ok = true;
	unsigned n = 0;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (c == 'h')
			return tool_usage(&command_replay, EXIT_OK);
		if (c != 'j')
			return tool_usage(&command_replay, EXIT_USAGE);
		json = true;
	}
	if (optind != argc)
		return tool_usage(&command_replay, EXIT_USAGE);
	r = tool_load_settings(tool, &settings);
	if (r != EXIT_OK)
		return r;
	r = tool_open_registers(tool, &settings, &tr);
	if (r != EXIT_OK)
		goto out_settings;
	rrs = calloc(24, sizeof(*rrs));
	if (!rrs || eventlog_open(&log, tool->root, &e) < 0) {
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): _cleanup_free_ frees it */
		log_error(&tool->log, &e, rrs ? "event log" : "replay");
		r = EXIT_FAILED;
		goto out_registers;
	}
	r = tool_recover_log(tool, &log, &tr.regs);
	if (r == EXIT_OK && tr.regs.family == MR_FAMILY_NONE) {
		/* A platform without a register: the log is all there is, nothing to compare. */
		printf("no register on this platform: %zu events logged only; nothing to compare "
		       "(not attestable as register values)\n",
		       log.count);
		eventlog_close(&log);
		goto out_registers;
	}
	/* Every register mrboot's log touched, in index order. */
	for (unsigned idx = 0; r == EXIT_OK && idx < 24; idx++) {
		struct replay_register *rr = &rrs[n];
		struct mr_digests live;
		bool used = false;

		for (size_t i = 0; i < log.count && !used; i++)
			used = log.records[i].state == RECORD_COMMITTED &&
			       log.records[i].index == idx &&
			       log.records[i].family == tr.regs.family;
		if (!used)
			continue;
		rr->index = idx;
		registers_name(&tr.regs, idx, rr->name, sizeof(rr->name));
		if (replay_firmware(tool, &tr.regs, rr, &e) < 0 ||
		    replay_userspace(tool, &log, &tr.regs, rr, &e) < 0 ||
		    registers_read(&tr.regs, idx, &live, &e) < 0) {
			log_error(&tool->log, &e, rr->name);
			r = EXIT_FAILED;
			break;
		}
		replay_judge(rr, &live);
		all_ok = all_ok && rr->ok;
		n++;
	}
	eventlog_close(&log);
	if (r == EXIT_OK) {
		if (json) {
			replay_print_json(rrs, n, stdout);
		} else {
			for (unsigned i = 0; i < n; i++)
				printf("%-7s %s\n", rrs[i].name, rrs[i].verdict);
			if (n == 0)
				printf("no events logged yet\n");
		}
		for (unsigned i = 0; i < n; i++)
			if (!rrs[i].ok)
				log_err(&tool->log, "%s: %s", rrs[i].name, rrs[i].verdict);
		r = all_ok ? EXIT_OK : EXIT_REPLAY;
	}
out_registers:
	tool_close_registers(&tr);
out_settings:
	settings_free(&settings);
	return r;
}

const struct command command_replay = {
	.name = "replay",
	.summary = "Recompute the registers from the logs and compare with the live values",
	.usage = "[--json]\n"
		 "\n"
		 "For every register mrboot's log touched: starts from zero, replays the firmware\n"
		 "log (TDX/CCA: the CCEL ACPI table; TPM: the BIOS event log) and the userspace\n"
		 "events (TDX/CCA: mrboot's log; TPM: systemd's tpm2-measure.log, which has\n"
		 "mrboot's events and everyone else's), and compares with the register. Exit\n"
		 "status 4 names each register that differs and the first record it lacks.\n"
		 "\n"
		 "  --json      Print the result as JSON\n"
		 "  -h, --help  Show this help\n",
	.run = replay_run,
};
