/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cmdline.h"
#include "basic/error.h"
#include "evlog/eventlog.h"
#include "basic/macro.h"
#include "measure/events.h"
#include "measure/plan.h"
#include "cli/context.h"
#include "cli/tool.h"

static void measure_progress(uint64_t done, uint64_t total, void *userdata)
{
	struct tool *tool = userdata;

	log_info(&tool->log, "root device: %llu of %llu MiB hashed",
		 (unsigned long long)(done >> 20), (unsigned long long)(total >> 20));
}

/* Measuring twice in one boot would put every item in twice; the separator marks "done". */
/* Said as an error to `measure`, as a notice to `run`, for which it is not one. */
static int measure_already_done(struct tool *tool, const struct eventlog *log, int priority)
{
	char boot_id[40];

	eventlog_boot_id(tool->root, boot_id, sizeof(boot_id));
	for (size_t i = 0; i < log->count; i++) {
		const struct record *r = &log->records[i];

		if (r->state == RECORD_COMMITTED && strcmp(r->event.domain, MEASURE_DOMAIN) == 0 &&
		    strcmp(r->event.operation, "separator") == 0 &&
		    strcmp(r->boot_id, boot_id) == 0) {
			log_printf(&tool->log, priority,
				   "this boot was measured already (separator, record %llu); "
				   "nothing was measured again",
				   (unsigned long long)r->seq);
			return 1;
		}
	}
	return 0;
}

/* The plan of this boot; EXIT_OK or EXIT_FAILED. */
static int measure_plan(struct tool *tool, struct context *ctx, struct measure_plan *plan)
{
	const struct hash_progress progress = { measure_progress, tool, 5 * 1000 * 1000 };
	_cleanup_free_ char *again = NULL;
	struct error e = { 0 };
	struct measure_plan_input in = {
		.root = tool->root,
		.cmdline = ctx->cmdline,
		.progress = &progress,
	};

	settings_measure_plan(&ctx->settings, tool->config_path, &in);
	/* Read again where the context found none: the error says why it is missing. */
	if (!ctx->cmdline && cmdline_read(tool->root, &again, &e) >= 0)
		in.cmdline = again; /* there now: read as it is */
	if (ctx->settings.cmdline_forced)
		log_notice(&tool->log,
			   "the kernel command line sets %u mrboot.* parameter(s), so it is "
			   "measured although [measure] cmdline = no",
			   ctx->settings.cmdline_applied);
	if (e.code || measure_plan_build(plan, &in, &e) < 0) {
		log_error(&tool->log, &e, "measure");
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

int tool_measure_boot(struct tool *tool, struct context *ctx, bool once)
{
	struct measure_plan plan;
	struct registers *regs;
	struct eventlog *log;
	bool done;
	int r;

	r = measure_plan(tool, ctx, &plan);
	if (r != EXIT_OK)
		return r;
	r = context_eventlog(ctx, &log);
	if (r == EXIT_OK)
		r = context_registers(ctx, &regs);
	if (r != EXIT_OK)
		goto out;
	done = measure_already_done(tool, log, once ? LOG_ERR : LOG_NOTICE);
	if (done && once)
		r = EXIT_FAILED;
	for (unsigned i = 0; r == EXIT_OK && !done && i < plan.count; i++)
		r = tool_measure_event(tool, log, regs, &plan.ev[i]);
	if (r == EXIT_OK && !done && regs->family == MR_FAMILY_NONE)
		log_notice(&tool->log, "logged %u events (no register on this platform)",
			   plan.count);
	else if (r == EXIT_OK && !done)
		log_notice(&tool->log, "measured %u events into the %s registers", plan.count,
			   mr_family_name(regs->family));
out:
	measure_plan_free(&plan);
	return r;
}

static int measure_main(struct tool *tool, int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct context ctx;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1)
		return tool_usage(&command_measure, c == 'h' ? EXIT_OK : EXIT_USAGE);
	if (optind != argc)
		return tool_usage(&command_measure, EXIT_USAGE);
	r = context_open(&ctx, tool);
	if (r == EXIT_OK)
		r = tool_measure_boot(tool, &ctx, true);
	context_close(&ctx);
	return r;
}

const struct command command_measure = {
	.name = "measure",
	.summary = "Measure the kernel command line, configuration and root file system",
	.usage = "\n"
		 "\n"
		 "Measures, as /etc/mrboot.conf [measure] says: the kernel command line, the\n"
		 "configuration file and the files it lists, the root file system (its dm-verity\n"
		 "root hashes, roothash= and usrhash= read as systemd reads them in the initrd,\n"
		 "and the configuration's roothash, which must agree; or a digest of the whole\n"
		 "device), then a separator. Each event is logged ahead of its extend. Refuses to\n"
		 "measure a boot twice, and a hash set twice differently.\n"
		 "\n"
		 "  -h, --help  Show this help\n",
	.run = measure_main,
};
