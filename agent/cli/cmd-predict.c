/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cmdline.h"
#include "basic/encoding.h"
#include "basic/error.h"
#include "basic/macro.h"
#include "cli/tool.h"
#include "config/settings.h"
#include "evlog/firmware.h"
#include "json/json.h"
#include "measure/predict.h"

struct predict_args {
	const char *platform;
	const char *cmdline;
	const char *cmdline_file;
	const char *firmware_log;
	const char *rootfs_image;
	bool json;
};

/* EXIT_OK to go on, -1 after --help, or EXIT_USAGE. */
static int predict_options(struct predict_args *a, int argc, char **argv)
{
	static const struct option options[] = {
		{ "platform", required_argument, NULL, 'p' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "cmdline-file", required_argument, NULL, 'C' },
		{ "firmware-log", required_argument, NULL, 'f' },
		{ "rootfs-image", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "p:c:C:f:r:jh", options, NULL)) != -1) {
		switch (c) {
		case 'p':
			a->platform = optarg;
			break;
		case 'c':
			a->cmdline = optarg;
			break;
		case 'C':
			a->cmdline_file = optarg;
			break;
		case 'f':
			a->firmware_log = optarg;
			break;
		case 'r':
			a->rootfs_image = optarg;
			break;
		case 'j':
			a->json = true;
			break;
		case 'h':
			tool_usage(&command_predict, EXIT_OK);
			return -1;
		default:
			return tool_usage(&command_predict, EXIT_USAGE);
		}
	}
	/* The command line is the image's, never this machine's: it must be named. */
	if (optind != argc || !a->platform || !a->cmdline == !a->cmdline_file)
		return tool_usage(&command_predict, EXIT_USAGE);
	return EXIT_OK;
}

static void predict_print_digests(struct json_writer *w, const struct mr_digests *d)
{
	char hex[2 * HASH_MAX_SIZE + 1];

	json_writer_begin_object(w);
	for (unsigned i = 0; i < d->count; i++) {
		const struct hash_info *info = hash_info(d->bank[i].alg);

		hex_encode(hex, d->bank[i].digest, info->size);
		json_writer_key(w, info->name);
		json_writer_string(w, hex);
	}
	json_writer_end_object(w);
}

static int predict_print_json(const struct predict_args *a, const struct predict *p,
			      const struct measure_plan *plan, FILE *out, struct error *e)
{
	struct json_writer w;
	char name[16];
	int r;

	json_writer_init(&w, 1u << 20);
	json_writer_begin_object(&w);
	json_writer_key(&w, "platform");
	json_writer_string(&w, a->platform);
	json_writer_key(&w, "events");
	json_writer_begin_array(&w);
	for (unsigned i = 0; i < p->n_events; i++) {
		json_writer_begin_object(&w);
		json_writer_key(&w, "pcr");
		json_writer_uint64(&w, plan->ev[i].pcr);
		json_writer_key(&w, "register");
		if (p->layout.family == MR_FAMILY_NONE) {
			json_writer_null(&w);
		} else {
			registers_name(&p->layout, p->index[i], name, sizeof(name));
			json_writer_string(&w, name);
		}
		json_writer_key(&w, "domain");
		json_writer_string(&w, plan->ev[i].domain);
		json_writer_key(&w, "operation");
		json_writer_string(&w, plan->ev[i].operation);
		json_writer_key(&w, "content");
		json_writer_string(&w, plan->ev[i].content);
		json_writer_key(&w, "digests");
		predict_print_digests(&w, &p->digests[i]);
		json_writer_end_object(&w);
	}
	json_writer_end_array(&w);
	json_writer_key(&w, "registers");
	json_writer_begin_array(&w);
	for (unsigned i = 0; i < p->n_registers; i++) {
		const struct predict_register *pr = &p->registers[i];

		json_writer_begin_object(&w);
		json_writer_key(&w, "register");
		json_writer_string(&w, pr->name);
		json_writer_key(&w, "index");
		json_writer_uint64(&w, pr->index);
		json_writer_key(&w, "complete");
		json_writer_bool(&w, pr->complete);
		json_writer_key(&w, "firmware_events");
		json_writer_uint64(&w, pr->firmware_events);
		json_writer_key(&w, "events");
		json_writer_uint64(&w, pr->events);
		json_writer_key(&w, "value");
		predict_print_digests(&w, &pr->value);
		json_writer_end_object(&w);
	}
	json_writer_end_array(&w);
	json_writer_end_object(&w);
	r = json_writer_finish(&w, e);
	if (r == 0 && fprintf(out, "%s\n", w.buf) < 0)
		r = error_set(e, -EIO, "standard output");
	json_writer_free(&w);
	return r;
}

static void predict_print_text(const struct predict *p, const struct measure_plan *plan, FILE *out)
{
	char name[16], hex[2 * HASH_MAX_SIZE + 1];

	for (unsigned i = 0; i < p->n_events; i++) {
		const struct mr_bank_digest *d = &p->digests[i].bank[0];

		if (p->layout.family == MR_FAMILY_NONE)
			snprintf(name, sizeof(name), "logged");
		else
			registers_name(&p->layout, p->index[i], name, sizeof(name));
		hex_encode(hex, d->digest, hash_info(d->alg)->size);
		fprintf(out, "event   %-7s %s %s %s\n        %s:%s\n", name, plan->ev[i].domain,
			plan->ev[i].operation, plan->ev[i].content, hash_info(d->alg)->name, hex);
	}
	for (unsigned i = 0; i < p->n_registers; i++) {
		const struct predict_register *pr = &p->registers[i];

		for (unsigned b = 0; b < pr->value.count; b++) {
			hex_encode(hex, pr->value.bank[b].digest,
				   hash_info(pr->value.bank[b].alg)->size);
			fprintf(out, "%-7s %s:%s\n", pr->name,
				hash_info(pr->value.bank[b].alg)->name, hex);
		}
		if (pr->complete)
			fprintf(out,
				"        the register's value: %u firmware event%s, then mrboot's "
				"%u\n",
				pr->firmware_events, pr->firmware_events == 1 ? "" : "s",
				pr->events);
		else
			fprintf(out,
				"        mrboot's %u event%s from zero: the register's value only "
				"if nothing before mrboot extends it (no firmware log given)\n",
				pr->events, pr->events == 1 ? "" : "s");
	}
	if (p->layout.family == MR_FAMILY_NONE)
		fputs("no register on this platform: the events are logged only\n", out);
}

/* The plan measure would run for these inputs; EXIT_OK, EXIT_CONFIG or EXIT_FAILED. */
static int predict_plan(struct tool *tool, const struct predict_args *a, const char *cmdline,
			struct measure_plan *plan)
{
	struct measure_plan_input in = { .root = tool->root, .cmdline = cmdline };
	struct settings s;
	struct error e = { 0 };
	int r = EXIT_OK;

	if (settings_load(&s, tool->root, tool->config_path, cmdline, &e) < 0) {
		log_error(&tool->log, &e, "configuration");
		return EXIT_CONFIG;
	}
	settings_measure_plan(&s, tool->config_path, &in);
	if (a->rootfs_image) {
		/* The image file stands for the device: it is on this machine, not under --root. */
		in.rootfs_device = a->rootfs_image;
		in.device_root = "/";
	}
	if (measure_plan_build(plan, &in, &e) < 0) {
		log_error(&tool->log, &e, "measure");
		r = EXIT_FAILED;
	}
	settings_free(&s);
	return r;
}

static int predict_main(struct tool *tool, int argc, char **argv)
{
	struct predict_args a = { 0 };
	_cleanup_free_ char *cmdline_text = NULL;
	struct predict p;
	struct evlog_firmware firmware = { 0 };
	struct measure_plan plan = { 0 };
	struct registers layout;
	struct error e = { 0 };
	int r;

	r = predict_options(&a, argc, argv);
	if (r != EXIT_OK)
		return r < 0 ? EXIT_OK : r;
	if (predict_layout(a.platform, &layout, &e) < 0) {
		log_error(&tool->log, &e, "--platform");
		return EXIT_USAGE;
	}
	if (a.cmdline_file && cmdline_read_file(a.cmdline_file, &cmdline_text, &e) < 0) {
		log_error(&tool->log, &e, "--cmdline-file");
		return EXIT_USAGE;
	}
	r = predict_plan(tool, &a, a.cmdline ? a.cmdline : cmdline_text, &plan);
	if (r != EXIT_OK)
		return r;
	/* A log named and not there is an error: a prediction without it would look whole. */
	if (a.firmware_log &&
	    evlog_firmware_read("/", a.firmware_log, firmware.path, sizeof(firmware.path),
				&firmware.data, &firmware.len, &e) < 0) {
		log_error(&tool->log, &e, "--firmware-log");
		r = EXIT_FAILED;
	} else if (predict_run(&p, &layout, &plan, a.firmware_log ? &firmware : NULL, &e) < 0 ||
		   (a.json && predict_print_json(&a, &p, &plan, stdout, &e) < 0)) {
		log_error(&tool->log, &e, "predict");
		r = EXIT_FAILED;
	} else if (!a.json) {
		predict_print_text(&p, &plan, stdout);
	}
	evlog_firmware_free(&firmware);
	measure_plan_free(&plan);
	return r;
}

const struct command command_predict = {
	.name = "predict",
	.summary = "Predict what an image's boot will measure, before it boots",
	.usage = "--platform P (--cmdline TEXT | --cmdline-file FILE) [OPTIONS]\n"
		 "\n"
		 "Runs the plan `measure` runs on the configuration under --root (the image's\n"
		 "initrd), the kernel command line the image will boot with and the files the\n"
		 "configuration lists, and prints each event with its digests and every register\n"
		 "mrboot extends as it will stand after mrboot's last event. With the platform's\n"
		 "firmware log the values are the registers' own; without it they are mrboot's\n"
		 "part from zero. What `measure` would refuse is refused with the same message.\n"
		 "\n"
		 "  -p, --platform P        tdx, cca-sha256, cca-sha512, tpm, tpm:BANK,... (sha1,\n"
		 "                          sha256, sha384, sha512) or sev-snp (events only)\n"
		 "  -c, --cmdline TEXT      The kernel command line the image boots with\n"
		 "  -C, --cmdline-file F    The same, read from a file\n"
		 "  -f, --firmware-log F    The firmware's log: the CCEL, or a TPM BIOS log\n"
		 "  -r, --rootfs-image F    The root file system image, for rootfs = device\n"
		 "  -j, --json              The prediction as JSON\n"
		 "  -h, --help              Show this help\n",
	.run = predict_main,
};
