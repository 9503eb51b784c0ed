/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "basic/error.h"
#include "json/json.h"
#include "platform/detect.h"
#include "cli/context.h"
#include "cli/tool.h"

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

static void detect_print(const struct detect *d, const struct platform_preparation *p, FILE *out)
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
	if (p->skipped)
		fputs("modules:         not loaded (--root is not the running system)\n", out);
	for (unsigned i = 0; i < p->n_modules; i++)
		fprintf(out, "%s %s %s\n", i == 0 ? "modules:        " : "                ",
			p->modules[i].name, p->modules[i].state);
	for (unsigned i = 0; i < p->notes.n + d->notes.n; i++)
		fprintf(out, "note: %s\n",
			i < p->notes.n ? p->notes.text[i] : d->notes.text[i - p->notes.n]);
}

static void detect_json_string_or_null(struct json_writer *w, const char *key, const char *s)
{
	json_writer_key(w, key);
	if (s && *s)
		json_writer_string(w, s);
	else
		json_writer_null(w);
}

static void detect_json_registers(const struct detect *d, struct json_writer *w)
{
	json_writer_key(w, "registers");
	if (!d->has_mr) {
		json_writer_null(w);
		return;
	}
	json_writer_begin_object(w);
	json_writer_key(w, "group");
	json_writer_string(w, d->mr.sysfs);
	json_writer_key(w, "list");
	json_writer_begin_array(w);
	for (unsigned i = 0; i < d->mr.count; i++) {
		const struct tsm_mr_register *r = &d->mr.reg[i];

		json_writer_begin_object(w);
		json_writer_key(w, "name");
		json_writer_string(w, r->name);
		detect_json_string_or_null(w, "alg", r->has_alg ? hash_info(r->alg)->name : NULL);
		json_writer_key(w, "extensible");
		json_writer_bool(w, r->writable);
		json_writer_key(w, "cc_index");
		if (r->writable)
			json_writer_uint64(w, (uint64_t)r->index + 1);
		else
			json_writer_null(w);
		json_writer_end_object(w);
	}
	json_writer_end_array(w);
	json_writer_end_object(w);
}

static int detect_print_json(const struct detect *d, const struct platform_preparation *p,
			     FILE *out, struct error *e)
{
	struct json_writer w;
	int r;

	json_writer_init(&w, 1u << 20);
	json_writer_begin_object(&w);
	json_writer_key(&w, "platform");
	json_writer_string(&w, platform_name(d->platform));
	json_writer_key(&w, "detected_by");
	json_writer_begin_array(&w);
	for (unsigned i = 0; i < d->n_signals; i++) {
		json_writer_begin_object(&w);
		json_writer_key(&w, "platform");
		json_writer_string(&w, platform_name(d->signals[i].platform));
		json_writer_key(&w, "signal");
		json_writer_string(&w, d->signals[i].text);
		json_writer_end_object(&w);
	}
	json_writer_end_array(&w);
	json_writer_key(&w, "configfs_tsm");
	json_writer_bool(&w, d->report_node);
	detect_json_string_or_null(&w, "report_provider", d->provider);
	detect_json_registers(d, &w);
	json_writer_key(&w, "tpm");
	if (d->has_tpm) {
		json_writer_begin_object(&w);
		json_writer_key(&w, "device");
		json_writer_string(&w, d->tpm_device);
		json_writer_key(&w, "version");
		json_writer_uint64(&w, d->tpm_version);
		json_writer_key(&w, "banks");
		json_writer_begin_array(&w);
		for (unsigned i = 0; i < d->n_banks; i++)
			json_writer_string(&w, d->banks[i]);
		json_writer_end_array(&w);
		json_writer_end_object(&w);
	} else {
		json_writer_null(&w);
	}
	json_writer_key(&w, "modules");
	if (p->skipped) {
		json_writer_null(&w);
	} else {
		json_writer_begin_array(&w);
		for (unsigned i = 0; i < p->n_modules; i++) {
			json_writer_begin_object(&w);
			json_writer_key(&w, "name");
			json_writer_string(&w, p->modules[i].name);
			json_writer_key(&w, "state");
			json_writer_string(&w, p->modules[i].state);
			json_writer_end_object(&w);
		}
		json_writer_end_array(&w);
	}
	json_writer_key(&w, "notes");
	json_writer_begin_array(&w);
	for (unsigned i = 0; i < p->notes.n + d->notes.n; i++)
		json_writer_string(&w, i < p->notes.n ? p->notes.text[i]
						      : d->notes.text[i - p->notes.n]);
	json_writer_end_array(&w);
	json_writer_end_object(&w);
	r = json_writer_finish(&w, e);
	if (r >= 0)
		fprintf(out, "%s\n", w.buf);
	json_writer_free(&w);
	return r;
}

static int detect_cmd(struct tool *tool, int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const struct detect *d;
	struct context ctx;
	struct error e = { 0 };
	bool json = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (c != 'j')
			return tool_usage(&command_detect, c == 'h' ? EXIT_OK : EXIT_USAGE);
		json = true;
	}
	if (optind != argc)
		return tool_usage(&command_detect, EXIT_USAGE);
	r = context_open(&ctx, tool);
	if (r == EXIT_OK)
		r = context_detect(&ctx, &d);
	if (r == EXIT_OK && json && detect_print_json(d, &ctx.prep, stdout, &e) < 0) {
		log_error(&tool->log, &e, "detect");
		r = EXIT_FAILED;
	} else if (r == EXIT_OK && !json) {
		detect_print(d, &ctx.prep, stdout);
	}
	if (r == EXIT_OK && fflush(stdout) != 0)
		r = EXIT_FAILED;
	context_close(&ctx);
	return r;
}

const struct command command_detect = {
	.name = "detect",
	.summary = "Find the confidential platform, its registers and a TPM",
	.usage = "[--json]\n"
		 "\n"
		 "Looks for the configfs-tsm report provider, the tsm-mr measurement registers,\n"
		 "per-architecture signals (TDX, SEV-SNP, Arm CCA, s390 PV) and a TPM, and says\n"
		 "what it found and how. On the running system it first loads the modules and\n"
		 "mounts configfs and securityfs. Finding nothing is not an error.\n"
		 "\n"
		 "  --json      Print the result as one JSON object\n"
		 "  -h, --help  Show this help\n",
	.run = detect_cmd,
};
