/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/context.h"
#include "cli/notify.h"
#include "cli/tool-kbs.h"
#include "handoff/handoff.h"

/*
 * The initrd sequence (DESIGN.md section 1) in one process: detect (loading the platform's
 * modules and mounting configfs and securityfs), measure, verify the log against the
 * registers, then attest, release and hand off the keys of the configured volumes. Each step
 * is one line in the log (kmsg in the initrd); the exit status names the step that failed.
 */

static int run_run(struct tool *tool, int argc, char **argv)
{
	static const struct option options[] = {
		{ "handoff", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct tool_unlock_request req = { .handoff = -1, .keyring = -1 };
	struct context ctx;
	int c, r;

	while ((c = getopt_long(argc, argv, "H:h", options, NULL)) != -1) {
		if (c != 'H')
			return tool_usage(&command_run, c == 'h' ? EXIT_OK : EXIT_USAGE);
		/* initramfs-tools' keyscript reads a file: its local-top script says so here. */
		req.handoff = handoff_mode_from_name(optarg);
		if (req.handoff < 0) {
			fprintf(stderr, "mrboot run: --handoff socket, file or none\n");
			return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return tool_usage(&command_run, EXIT_USAGE);
	r = context_open(&ctx, tool);
	if (r != EXIT_OK)
		goto out;
	log_notice(&tool->log, "step measure");
	r = tool_measure_boot(tool, &ctx, false);
	if (r != EXIT_OK)
		goto out;
	log_notice(&tool->log, "step verify: replaying the logs against the registers");
	r = tool_replay(tool, &ctx, false);
	/* The verdicts before the next step's log lines, also when stdout is the journal. */
	if (fflush(stdout) == EOF)
		log_warning(&tool->log, "replay's verdicts were not all written: %s",
			    strerror(errno));
	if (r != EXIT_OK) {
		log_err(&tool->log, "the registers differ from the logs: no attestation");
		goto out;
	}
	if (!ctx.settings.unlock_volumes) {
		struct error e = { 0 };

		log_notice(&tool->log, "no [unlock] volume configured: nothing to unlock");
		/*
		 * Measured and verified: that is all this unit holds cryptsetup-pre.target for
		 * (volumes opened by the token plugin, which attests by itself). A Type=notify
		 * service that exits before READY=1 fails with result 'protocol'.
		 */
		if (notify_ready(&e) < 0)
			log_error(&tool->log, &e, "systemd");
		goto out;
	}
	log_notice(&tool->log, "step attest and release");
	req.volumes = ctx.settings.unlock_volumes;
	r = tool_unlock(tool, &ctx, &req);
out:
	log_printf(&tool->log, r == EXIT_OK ? LOG_NOTICE : LOG_ERR, "run: %s (exit status %d)",
		   r == EXIT_OK ? "done" : "failed", r);
	context_close(&ctx);
	return r;
}

const struct command command_run = {
	.name = "run",
	.summary = "The initrd sequence: measure, verify, attest, unlock",
	.usage = "[--handoff H]\n"
		 "\n"
		 "Measures the boot (as `measure`, once per boot), checks the log against the\n"
		 "registers (as `replay`), then for the volumes in [unlock] volume attests to the\n"
		 "key broker and offers their keys to systemd-cryptsetup (as `unlock`); under\n"
		 "systemd it reports READY=1 once the keys are on offer. The exit status is the\n"
		 "failed step's: 1 measure, 4 verify, 5 attest, 7 volume identity, 6 hand-off,\n"
		 "3 configuration.\n"
		 "\n"
		 "  -H, --handoff H  socket, file or none ([unlock] handoff)\n"
		 "  -h, --help       Show this help\n",
	.run = run_run,
};
