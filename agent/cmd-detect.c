/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>

#include "error.h"
#include "platform/detect.h"
#include "tool.h"

static void detect_print_registers(const struct detect *d, FILE *out)
{
	fprintf(out, "registers:       %s\n", d->has_mr ? d->mr.sysfs : "none");
	for (unsigned i = 0; i < d->mr.count; i++) {
		const struct tsm_mr_register *r = &d->mr.reg[i];

		fprintf(out, "  %-14s %-7s %s", r->name, r->has_alg ? hash_info(r->alg)->name : "-",
			r->writable ? "extensible" : "read-only");
		if (r->writable)
			/* The event log and verifiers count CC registers from 1 (MRTD is 0). */
			fprintf(out, " (CC index %d)", r->index + 1);
		fputc('\n', out);
	}
}

static void detect_print(const struct detect *d, FILE *out)
{
	fprintf(out, "platform:        %s\n", platform_name(d->platform));
	for (unsigned i = 0; i < d->n_signals; i++)
		fprintf(out, "%s %s\n", i == 0 ? "detected by:    " : "                ",
			d->signals[i].text);
	fprintf(out, "report provider: %s\n",
		d->provider[0]	 ? d->provider
		: d->report_node ? "none registered"
				 : "no configfs-tsm");
	detect_print_registers(d, out);
	if (d->has_tpm) {
		fprintf(out, "tpm:             %s, TPM %u.0, banks", d->tpm_device, d->tpm_version);
		for (unsigned i = 0; i < d->n_banks; i++)
			fprintf(out, " %s", d->banks[i]);
		fputs(d->n_banks ? "\n" : " unknown\n", out);
	} else {
		fputs("tpm:             none\n", out);
	}
	if (d->modules_skipped)
		fputs("modules:         not loaded (--root is not the running system)\n", out);
	for (unsigned i = 0; i < d->n_modules; i++)
		fprintf(out, "%s %s %s\n", i == 0 ? "modules:        " : "                ",
			d->modules[i].name, d->modules[i].state);
	for (unsigned i = 0; i < d->n_notes; i++)
		fprintf(out, "note: %s\n", d->notes[i]);
}

static int detect_cmd(struct tool *tool, int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct settings settings;
	struct error e = { 0 };
	struct detect d;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1)
		return tool_usage(&command_detect, c == 'h' ? EXIT_OK : EXIT_USAGE);
	if (optind != argc)
		return tool_usage(&command_detect, EXIT_USAGE);
	r = tool_load_settings(tool, &settings);
	if (r != EXIT_OK)
		return r;
	settings_free(&settings);

	if (detect_run(&d, tool->root, &e) < 0) {
		log_error(&tool->log, &e, "detect");
		return EXIT_FAILED;
	}
	detect_print(&d, stdout);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILED;
}

const struct command command_detect = {
	.name = "detect",
	.summary = "Find the confidential platform, its registers and a TPM",
	.usage = "\n"
		 "\n"
		 "Looks for the configfs-tsm report provider, the tsm-mr measurement registers,\n"
		 "per-architecture signals (TDX, SEV-SNP, Arm CCA, s390 PV) and a TPM, and says\n"
		 "what it found and how. On the running system it first loads the modules and\n"
		 "mounts configfs and securityfs. Finding nothing is not an error.\n"
		 "\n"
		 "  -h, --help  Show this help\n",
	.run = detect_cmd,
};
