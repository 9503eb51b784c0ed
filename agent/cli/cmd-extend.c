/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "evlog/eventlog.h"
#include "cli/context.h"
#include "cli/tool.h"

static int extend_run(struct tool *tool, int argc, char **argv)
{
	static const struct option options[] = {
		{ "pcr", required_argument, NULL, 'p' },
		{ "string", required_argument, NULL, 's' },
		{ "event-type", required_argument, NULL, 't' },
		{ "domain", required_argument, NULL, 'd' },
		{ "operation", required_argument, NULL, 'o' },
		{ "content", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *string = NULL, *type = "mrboot", *domain = NULL, *operation = NULL,
		   *content = NULL;
	struct record_event ev = { 0 };
	struct context ctx;
	struct error e = { 0 };
	long pcr = -1;
	char *end;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'p':
			errno = 0;
			pcr = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || pcr < 0 || pcr > 23) {
				fprintf(stderr, "mrboot extend: --pcr takes 0..23, not '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 's':
			string = optarg;
			break;
		case 't':
			type = optarg;
			break;
		case 'd':
			domain = optarg;
			break;
		case 'o':
			operation = optarg;
			break;
		case 'c':
			content = optarg;
			break;
		case 'h':
			return tool_usage(&command_extend, EXIT_OK);
		default:
			return tool_usage(&command_extend, EXIT_USAGE);
		}
	}
	/* Exactly one of the two forms, whole. */
	if (optind != argc || pcr < 0 || !string == !(domain || operation || content) ||
	    (!string && !(domain && operation && content)))
		return tool_usage(&command_extend, EXIT_USAGE);
	/* A string event is logged as systemd logs one; on CC registers its AAEL form. */
	r = record_event_set(&ev, (unsigned)pcr, string ? "systemd" : domain,
			     string ? type : operation, string ? string : content, string != NULL,
			     type, &e);
	if (r < 0) {
		log_error(&tool->log, &e, "extend");
		return EXIT_USAGE;
	}
	r = context_open(&ctx, tool);
	if (r == EXIT_OK)
		r = tool_measure_one(tool, &ctx, &ev);
	context_close(&ctx);
	record_event_free(&ev);
	return r;
}

const struct command command_extend = {
	.name = "extend",
	.summary = "Measure one event given on the command line (for hooks and tools)",
	.usage =
		"--pcr N (--string TEXT [--event-type TYPE] | --domain D --operation O --content C)\n"
		"\n"
		"Logs the event ahead, extends the register PCR N maps to on this platform, and\n"
		"commits the record. --string measures TEXT as systemd does on a TPM (the digest of\n"
		"the string; on TDX/CCA the AAEL event \"systemd TYPE TEXT\"); --domain, --operation\n"
		"and --content give an AAEL event (\"D O C\"; D and O without spaces).\n"
		"\n"
		"  --pcr N            Logical PCR 0..23 (TDX/CCA: 1,7 -> RTMR0; 2-6 -> RTMR1;\n"
		"                     8-15 -> RTMR2; others -> RTMR3)\n"
		"  --string TEXT      The measured string\n"
		"  --event-type TYPE  systemd's eventType for the string (default: mrboot)\n"
		"  --domain D --operation O --content C   An AAEL event\n"
		"  -h, --help         Show this help\n",
	.run = extend_run,
};
