/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli/context.h"
#include "cli/tool.h"

static int config_run(struct tool *tool, int argc, char **argv)
{
	static const struct option options[] = {
		{ "check", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct context ctx;
	bool check = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (c == 'h')
			return tool_usage(&command_config, EXIT_OK);
		if (c != 'k')
			return tool_usage(&command_config, EXIT_USAGE);
		check = true;
	}
	if (optind != argc)
		return tool_usage(&command_config, EXIT_USAGE);

	r = context_open(&ctx, tool);
	if (r != EXIT_OK) {
		context_close(&ctx);
		return r;
	}
	if (!check && (settings_write(&ctx.settings, stdout) < 0 || fflush(stdout) != 0)) {
		log_err(&tool->log, "cannot write the configuration to standard output");
		r = EXIT_FAILED;
	}
	context_close(&ctx);
	return r;
}

const struct command command_config = {
	.name = "config",
	.summary = "Show the effective configuration (file and kernel command line)",
	.usage = "[--check]\n"
		 "\n"
		 "Reads the configuration file and the mrboot.* kernel command line parameters\n"
		 "and prints the result in the file's syntax.\n"
		 "\n"
		 "  --check   Print nothing; only report errors (exit status 3)\n"
		 "  -h, --help  Show this help\n",
	.run = config_run,
};
