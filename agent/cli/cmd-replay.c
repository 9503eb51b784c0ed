/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "evlog/eventlog.h"
#include "basic/macro.h"
#include "json/json.h"
#include "cli/context.h"
#include "cli/tool.h"
#include "evlog/replay.h"

static void replay_print_json(const struct replay *rp, FILE *out)
{
	struct json_writer w;
	char hex[2 * HASH_MAX_SIZE + 1];

	json_writer_init(&w, 1u << 20);
	json_writer_begin_object(&w);
	json_writer_key(&w, "registers");
	json_writer_begin_array(&w);
	for (unsigned i = 0; i < rp->n; i++) {
		const struct replay_register *rr = &rp->registers[i];

		json_writer_begin_object(&w);
		json_writer_key(&w, "register");
		json_writer_string(&w, rr->name);
		json_writer_key(&w, "match");
		json_writer_bool(&w, rr->ok);
		json_writer_key(&w, "firmware_events");
		json_writer_uint64(&w, rr->firmware_events);
		json_writer_key(&w, "events");
		json_writer_uint64(&w, rr->n_steps);
		json_writer_key(&w, "verdict");
		json_writer_string(&w, rr->verdict);
		json_writer_key(&w, "base");
		hex_encode(hex, rr->base.bank[0].digest, hash_info(rr->base.bank[0].alg)->size);
		json_writer_string(&w, hex);
		json_writer_end_object(&w);
	}
	json_writer_end_array(&w);
	json_writer_end_object(&w);
	if (json_writer_finish(&w, NULL) == 0)
		fprintf(out, "%s\n", w.buf);
	json_writer_free(&w);
}

/* Prints the verdicts, and logs each difference; EXIT_OK or EXIT_REPLAY. */
static int replay_report(struct tool *tool, const struct replay *rp, bool json)
{
	if (json) {
		replay_print_json(rp, stdout);
	} else {
		for (unsigned i = 0; i < rp->n; i++)
			printf("%-7s %s\n", rp->registers[i].name, rp->registers[i].verdict);
		if (rp->n == 0)
			printf("no events logged yet\n");
	}
	for (unsigned i = 0; i < rp->n; i++)
		if (!rp->registers[i].ok)
			log_err(&tool->log, "%s: %s", rp->registers[i].name,
				rp->registers[i].verdict);
	return rp->all_ok ? EXIT_OK : EXIT_REPLAY;
}

int tool_replay(struct tool *tool, struct context *ctx, bool json)
{
	const struct evlog_firmware *firmware;
	struct replay rp;
	struct registers *regs;
	struct eventlog *log;
	struct error e = { 0 };
	int r;

	r = context_registers(ctx, &regs);
	if (r == EXIT_OK)
		r = context_eventlog(ctx, &log);
	if (r != EXIT_OK)
		return r;
	if (regs->family == MR_FAMILY_NONE) {
		/* A platform without a register: the log is all there is, nothing to compare. */
		printf("no register on this platform: %zu events logged only; nothing to compare "
		       "(not attestable as register values)\n",
		       log->count);
		return EXIT_OK;
	}
	r = context_firmware(ctx, &firmware);
	if (r != EXIT_OK)
		return r;
	if (replay_run(&rp, tool->root, regs, log, firmware, &e) < 0) {
		log_error(&tool->log, &e, "replay");
		return EXIT_FAILED;
	}
	r = replay_report(tool, &rp, json);
	replay_free(&rp);
	return r;
}

static int replay_main(struct tool *tool, int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct context ctx;
	bool json = false;
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
	r = context_open(&ctx, tool);
	if (r == EXIT_OK)
		r = tool_replay(tool, &ctx, json);
	context_close(&ctx);
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
	.run = replay_main,
};
