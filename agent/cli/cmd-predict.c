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
#include "kbs/reference.h"
#include "measure/predict.h"

#define PREDICT_PLATFORMS_MAX 8

enum predict_format {
	PREDICT_TEXT,
	PREDICT_JSON,
	PREDICT_RVPS,
	PREDICT_BROKER_POLICY,
};

struct predict_args {
	const char *platform[PREDICT_PLATFORMS_MAX];
	unsigned n_platforms;
	const char *cmdline;
	const char *cmdline_file;
	const char *firmware_log;
	const char *rootfs_image;
	const char *image;
	const char *also_accept;
	const char *alone;
	enum predict_format format;
};

static int predict_format_parse(const char *name, enum predict_format *ret)
{
	static const char *const names[] = {
		[PREDICT_TEXT] = "text",
		[PREDICT_JSON] = "json",
		[PREDICT_RVPS] = "rvps",
		[PREDICT_BROKER_POLICY] = "broker-policy",
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(name, names[i]) == 0) {
			*ret = (enum predict_format)i;
			return 0;
		}
	return -EINVAL;
}

/* EXIT_OK to go on, -1 after --help, or EXIT_USAGE. */
static int predict_options(struct predict_args *a, int argc, char **argv, struct log *log)
{
	static const struct option options[] = {
		{ "platform", required_argument, NULL, 'p' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "cmdline-file", required_argument, NULL, 'C' },
		{ "firmware-log", required_argument, NULL, 'f' },
		{ "rootfs-image", required_argument, NULL, 'r' },
		{ "image", required_argument, NULL, 'i' },
		{ "also-accept", required_argument, NULL, 'A' },
		{ "alone", required_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'F' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct error e = { 0 };
	int c;

	while ((c = getopt_long(argc, argv, "p:c:C:f:r:i:A:a:F:jh", options, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (a->n_platforms == PREDICT_PLATFORMS_MAX) {
				log_err(log, "--platform: at most %d", PREDICT_PLATFORMS_MAX);
				return EXIT_USAGE;
			}
			a->platform[a->n_platforms++] = optarg;
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
		case 'i':
			if (reference_image_name_check(optarg, &e) < 0) {
				log_error(log, &e, "--image");
				return EXIT_USAGE;
			}
			a->image = optarg;
			break;
		case 'A':
			if (reference_image_list_check(optarg, &e) < 0) {
				log_error(log, &e, "--also-accept");
				return EXIT_USAGE;
			}
			a->also_accept = optarg;
			break;
		case 'a':
			a->alone = optarg;
			break;
		case 'F':
			if (predict_format_parse(optarg, &a->format) < 0) {
				log_err(log,
					"--format: '%s' is not text, json, rvps or broker-policy",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'j':
			a->format = PREDICT_JSON;
			break;
		case 'h':
			tool_usage(&command_predict, EXIT_OK);
			return -1;
		default:
			return tool_usage(&command_predict, EXIT_USAGE);
		}
	}
	/* The command line is the image's, never this machine's: it must be named. */
	if (optind != argc || a->n_platforms == 0 || !a->cmdline == !a->cmdline_file)
		return tool_usage(&command_predict, EXIT_USAGE);
	/* A firmware log is one platform's: with several, which one would it be? */
	if (a->firmware_log && a->n_platforms > 1) {
		log_err(log, "--firmware-log: one platform's log, and %u are named",
			a->n_platforms);
		return EXIT_USAGE;
	}
	if (a->format == PREDICT_RVPS && !a->image) {
		log_err(log, "--format rvps: the reference values are named for the "
			     "image: give --image NAME");
		return EXIT_USAGE;
	}
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

static void predict_print_prediction(struct json_writer *w, const char *platform,
				     const struct predict *p, const struct measure_plan *plan)
{
	char name[16];

	json_writer_begin_object(w);
	json_writer_key(w, "platform");
	json_writer_string(w, platform);
	json_writer_key(w, "events");
	json_writer_begin_array(w);
	for (unsigned i = 0; i < p->n_events; i++) {
		json_writer_begin_object(w);
		json_writer_key(w, "pcr");
		json_writer_uint64(w, plan->ev[i].pcr);
		json_writer_key(w, "register");
		if (p->layout.family == MR_FAMILY_NONE) {
			json_writer_null(w);
		} else {
			registers_name(&p->layout, p->index[i], name, sizeof(name));
			json_writer_string(w, name);
		}
		json_writer_key(w, "domain");
		json_writer_string(w, plan->ev[i].domain);
		json_writer_key(w, "operation");
		json_writer_string(w, plan->ev[i].operation);
		json_writer_key(w, "content");
		json_writer_string(w, plan->ev[i].content);
		json_writer_key(w, "digests");
		predict_print_digests(w, &p->digests[i]);
		json_writer_end_object(w);
	}
	json_writer_end_array(w);
	json_writer_key(w, "registers");
	json_writer_begin_array(w);
	for (unsigned i = 0; i < p->n_registers; i++) {
		const struct predict_register *pr = &p->registers[i];

		json_writer_begin_object(w);
		json_writer_key(w, "register");
		json_writer_string(w, pr->name);
		json_writer_key(w, "index");
		json_writer_uint64(w, pr->index);
		json_writer_key(w, "complete");
		json_writer_bool(w, pr->complete);
		json_writer_key(w, "firmware_events");
		json_writer_uint64(w, pr->firmware_events);
		json_writer_key(w, "events");
		json_writer_uint64(w, pr->events);
		json_writer_key(w, "value");
		predict_print_digests(w, &pr->value);
		json_writer_end_object(w);
	}
	json_writer_end_array(w);
	json_writer_end_object(w);
}

/* mrboot's own form: {"image", "predictions": [{platform, events, registers}, ...]}. */
static void predict_print_json(struct json_writer *w, const struct predict_args *a,
			       const struct predict *p, const struct measure_plan *plan)
{
	json_writer_begin_object(w);
	json_writer_key(w, "image");
	if (a->image)
		json_writer_string(w, a->image);
	else
		json_writer_null(w);
	json_writer_key(w, "predictions");
	json_writer_begin_array(w);
	for (unsigned i = 0; i < a->n_platforms; i++)
		predict_print_prediction(w, a->platform[i], &p[i], plan);
	json_writer_end_array(w);
	json_writer_end_object(w);
}

/* The JSON forms, on out. */
static int predict_print_document(struct tool *tool, const struct predict_args *a,
				  const struct predict *p, const struct measure_plan *plan,
				  FILE *out, struct error *e)
{
	struct reference_input in = {
		.image = a->image,
		.also_accepted = a->also_accept,
		.plan = plan,
		.predictions = p,
		.n = a->n_platforms,
	};
	struct json_writer w;
	int r = 0;

	json_writer_init(&w, 1u << 20);
	switch (a->format) {
	case PREDICT_RVPS:
		for (unsigned i = 0; i < a->n_platforms; i++)
			if (!reference_rvps_holds(&p[i]))
				log_warning(&tool->log,
					    "%s: left out: no whole register (--firmware-log, "
					    "--alone) and no event log in Trustee's %s evidence",
					    a->platform[i], reference_tee(&p[i]));
		r = reference_write_rvps(&w, &in, e);
		break;
	case PREDICT_BROKER_POLICY:
		r = reference_write_broker_policy(&w, &in, e);
		break;
	default:
		predict_print_json(&w, a, p, plan);
		break;
	}
	if (r == 0)
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

/*
 * --alone: the user's word that on this boot chain nothing but mrboot extends these registers,
 * so mrboot's part from zero is the whole register. Each name must be one a prediction has.
 */
static int predict_alone(struct tool *tool, const char *list, struct predict *p, unsigned n)
{
	char name[16];

	while (list && *list) {
		size_t len = strcspn(list, ",");
		bool found = false;

		if (len == 0 || len >= sizeof(name)) {
			log_err(&tool->log, "--alone: an empty or overlong register name");
			return EXIT_USAGE;
		}
		memcpy(name, list, len);
		name[len] = '\0';
		for (unsigned i = 0; i < n; i++)
			for (unsigned k = 0; k < p[i].n_registers; k++)
				if (strcmp(p[i].registers[k].name, name) == 0) {
					p[i].registers[k].complete = true;
					found = true;
				}
		if (!found) {
			log_err(&tool->log, "--alone: mrboot extends no register %s here", name);
			return EXIT_USAGE;
		}
		list += len + (list[len] == ',');
	}
	return EXIT_OK;
}

/* Each platform's prediction of plan, into p[]; EXIT_OK, EXIT_USAGE or EXIT_FAILED. */
static int predict_platforms(struct tool *tool, const struct predict_args *a,
			     const struct measure_plan *plan, struct predict *p)
{
	struct evlog_firmware firmware = { 0 };
	struct registers layout;
	struct error e = { 0 };
	int r = EXIT_OK;

	/* A log named and not there is an error: a prediction without it would look whole. */
	if (a->firmware_log &&
	    evlog_firmware_read("/", a->firmware_log, firmware.path, sizeof(firmware.path),
				&firmware.data, &firmware.len, &e) < 0) {
		log_error(&tool->log, &e, "--firmware-log");
		return EXIT_FAILED;
	}
	for (unsigned i = 0; r == EXIT_OK && i < a->n_platforms; i++) {
		if (predict_layout(a->platform[i], &layout, &e) < 0) {
			log_error(&tool->log, &e, "--platform");
			r = EXIT_USAGE;
		} else if (predict_run(&p[i], &layout, plan, a->firmware_log ? &firmware : NULL,
				       &e) < 0) {
			log_error(&tool->log, &e, "predict");
			r = EXIT_FAILED;
		}
	}
	evlog_firmware_free(&firmware);
	if (r == EXIT_OK)
		r = predict_alone(tool, a->alone, p, a->n_platforms);
	return r;
}

static int predict_main(struct tool *tool, int argc, char **argv)
{
	struct predict_args a = { 0 };
	_cleanup_free_ char *cmdline_text = NULL;
	struct predict *p;
	struct measure_plan plan = { 0 };
	struct error e = { 0 };
	int r;

	r = predict_options(&a, argc, argv, &tool->log);
	if (r != EXIT_OK)
		return r < 0 ? EXIT_OK : r;
	if (a.cmdline_file && cmdline_read_file(a.cmdline_file, &cmdline_text, &e) < 0) {
		log_error(&tool->log, &e, "--cmdline-file");
		return EXIT_USAGE;
	}
	p = calloc(PREDICT_PLATFORMS_MAX, sizeof(*p));
	if (!p) {
		log_err(&tool->log, "predict: out of memory");
		return EXIT_FAILED;
	}
	r = predict_plan(tool, &a, a.cmdline ? a.cmdline : cmdline_text, &plan);
	if (r == EXIT_OK)
		r = predict_platforms(tool, &a, &plan, p);
	if (r == EXIT_OK && a.format != PREDICT_TEXT &&
	    predict_print_document(tool, &a, p, &plan, stdout, &e) < 0) {
		log_error(&tool->log, &e, "predict");
		r = EXIT_FAILED;
	} else if (r == EXIT_OK && a.format == PREDICT_TEXT) {
		for (unsigned i = 0; i < a.n_platforms; i++) {
			if (a.n_platforms > 1)
				printf("%splatform %s\n", i ? "\n" : "", a.platform[i]);
			predict_print_text(&p[i], &plan, stdout);
		}
	}
	measure_plan_free(&plan);
	free(p);
	return r;
}

const struct command command_predict = {
	.name = "predict",
	.summary = "Predict what an image's boot will measure, before it boots",
	.usage = "--platform P... (--cmdline TEXT | --cmdline-file FILE) [OPTIONS]\n"
		 "\n"
		 "What `measure` will extend when the image boots, from the configuration and\n"
		 "files under --root (the image's initrd) and its kernel command line: each event\n"
		 "and every register after mrboot's last event (mrboot(1)).\n"
		 "\n"
		 "  -p, --platform P        tdx, cca-sha256, cca-sha512, tpm, tpm:BANK,... (sha1,\n"
		 "                          sha256, sha384, sha512) or sev-snp (events only);\n"
		 "                          once per platform the image may boot on\n"
		 "  -c, --cmdline TEXT      The kernel command line the image boots with\n"
		 "  -C, --cmdline-file F    The same, read from a file\n"
		 "  -f, --firmware-log F    The firmware's log: the CCEL, or a TPM BIOS log\n"
		 "  -r, --rootfs-image F    The root file system image, for rootfs = device\n"
		 "  -a, --alone REG,...     Registers nothing but mrboot extends on this boot\n"
		 "                          chain (pcr15, ...): their values from zero are whole\n"
		 "  -i, --image NAME        The image's name in the reference values\n"
		 "  -A, --also-accept N,... rvps: the other images the broker accepts, listed\n"
		 "                          with this one (Trustee replaces the list each time)\n"
		 "  -F, --format F          text, json (mrboot's own), rvps (Trustee's reference\n"
		 "                          value message) or broker-policy (the test broker's)\n"
		 "  -j, --json              The same as --format json\n"
		 "  -h, --help              Show this help\n",
	.run = predict_main,
};
