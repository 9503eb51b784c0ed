/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "mrboot-config.h"
#include "basic/macro.h"
#include "cli/memdump.h"
#include "cli/tool.h"

static const struct command *const commands[] = {
	&command_run,	  &command_config,	    &command_detect,
	&command_measure, &command_extend,	    &command_replay,
	&command_log,	  &command_attest,	    &command_unlock,
	&command_enroll,  &command_volume_identity, &command_predict,
};

static void main_help(FILE *out)
{
	fputs("Usage: mrboot [OPTIONS] COMMAND [ARGS...]\n"
	      "\n"
	      "Measures the boot into the platform's registers, with an event log that replays\n"
	      "to them, and attests to a key broker for the keys of encrypted disks.\n"
	      "\n"
	      "Commands:\n",
	      out);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fputs("\n"
	      "Options:\n"
	      "  -r, --root DIR         Prefix every system path with DIR (default /)\n"
	      "  -c, --config FILE      Configuration file (default " MRBOOT_SYSCONFDIR
	      "/mrboot.conf)\n"
	      "      --log-target T     auto, stderr or kmsg (default auto)\n"
	      "      --log-level L      err, warning, notice, info or debug\n"
	      "  -h, --help             Show this help; COMMAND --help shows a command's\n"
	      "  -V, --version          Show the version\n"
	      "\n"
	      "Exit status: 0 success, 1 failure, 2 usage error, 3 configuration error,\n"
	      "4 registers differ from the logs (replay), 5 no token or key from the broker,\n"
	      "6 the key was not taken before the timeout (unlock).\n"
	      "See mrboot(1).\n",
	      out);
}

int tool_usage(const struct command *cmd, int status)
{
	fprintf(status == EXIT_OK ? stdout : stderr, "Usage: mrboot %s %s", cmd->name, cmd->usage);
	return status;
}

static const struct command *command_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

enum {
	OPT_LOG_TARGET = 256,
	OPT_LOG_LEVEL
};

static int main_options(struct tool *tool, int argc, char **argv)
{
	static const struct option options[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "log-target", required_argument, NULL, OPT_LOG_TARGET },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int c;

	/* '+': options after the command name belong to the command. */
	while ((c = getopt_long(argc, argv, "+r:c:hV", options, NULL)) != -1) {
		switch (c) {
		case 'r':
			tool->root = optarg;
			break;
		case 'c':
			if (optarg[0] != '/') {
				fprintf(stderr, "mrboot: --config needs an absolute path\n");
				return EXIT_USAGE;
			}
			tool->config_path = optarg;
			break;
		case OPT_LOG_TARGET:
			tool->log_target = log_target_from_name(optarg);
			if (tool->log_target < 0) {
				fprintf(stderr, "mrboot: unknown log target '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_LOG_LEVEL:
			if (log_level_from_name(optarg, &tool->log_level) < 0) {
				fprintf(stderr, "mrboot: unknown log level '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			main_help(stdout);
			exit(EXIT_OK);
		case 'V':
			puts("mrboot " MRBOOT_VERSION);
			exit(EXIT_OK);
		default:
			return EXIT_USAGE;
		}
	}
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct tool tool = {
		.root = "/",
		.config_path = MRBOOT_SYSCONFDIR "/mrboot.conf",
		.log_target = -1,
		.log_level = -1,
	};
	const struct rlimit no_core = { 0, 0 };
	const struct command *cmd;
	int r;

	/*
	 * Before any secret exists: no core file, and no ptrace or /proc/<pid>/mem for another
	 * process of the same user without CAP_SYS_PTRACE (issue 13, part 6). The secret type
	 * keeps keys out of dumps too; the TLS state and a token in ordinary memory would not be.
	 */
	/* The system call: musl's setrlimit() brings its all-threads machinery (__synccall). */
	(void)syscall(SYS_setrlimit, RLIMIT_CORE, &no_core);
	(void)syscall(SYS_prctl, PR_SET_DUMPABLE, 0, 0, 0, 0);
	r = main_options(&tool, argc, argv);
	if (r != EXIT_OK)
		return r;
	/* Until the configuration is read: what the command line said, else the defaults. */
	log_open(&tool.log, tool.log_target < 0 ? LOG_TARGET_AUTO : tool.log_target, tool.root,
		 tool.log_level < 0 ? LOG_INFO : tool.log_level);
	if (optind >= argc) {
		main_help(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[optind], "help") == 0) {
		main_help(stdout);
		return EXIT_OK;
	}
	cmd = command_find(argv[optind]);
	if (!cmd) {
		fprintf(stderr, "mrboot: unknown command '%s' (see mrboot --help)\n", argv[optind]);
		return EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;
	/* Commands run getopt again from their own argv[1]; 0 resets musl's and glibc's state. */
	optind = 0;
	r = cmd->run(&tool, argc, argv);
	log_close(&tool.log);
	memdump_at_exit();
	return r;
}
