/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cmdline.h"
#include "basic/error.h"
#include "evlog/eventlog.h"
#include "basic/macro.h"
#include "measure/events.h"
#include "cli/tool.h"

#define MEASURE_EVENTS_MAX 32

struct measure_list {
	unsigned count;
	struct record_event ev[MEASURE_EVENTS_MAX];
};

static void measure_list_free(struct measure_list *l)
{
	for (unsigned i = 0; i < l->count; i++)
		record_event_free(&l->ev[i]);
	l->count = 0;
}

static struct record_event *measure_next(struct measure_list *l, struct error *e)
{
	if (l->count == MEASURE_EVENTS_MAX) {
		error_set(e, -E2BIG, "more than %d items to measure", MEASURE_EVENTS_MAX);
		return NULL;
	}
	return &l->ev[l->count++];
}

static void measure_progress(uint64_t done, uint64_t total, void *userdata)
{
	struct tool *tool = userdata;

	log_info(&tool->log, "root device: %llu of %llu MiB hashed",
		 (unsigned long long)(done >> 20), (unsigned long long)(total >> 20));
}

/* Everything to measure, in order, before anything is extended: a bad item extends nothing. */
static int measure_collect(struct tool *tool, const struct settings *s, struct measure_list *l,
			   struct error *e)
{
	const struct hash_progress progress = { measure_progress, tool, 5 * 1000 * 1000 };
	_cleanup_free_ char *cmdline = NULL;
	struct record_event *ev;
	unsigned n = 0;
	int r;

	r = cmdline_read(tool->root, &cmdline, e);
	if (r < 0)
		return r;
	if (s->cmdline_forced)
		log_notice(
			&tool->log,
			"the kernel command line sets %u mrboot.* parameter(s), so it is measured "
			"although [measure] cmdline = no",
			s->cmdline_applied);
	if (s->measure_cmdline) {
		if (!(ev = measure_next(l, e)) ||
		    (r = measure_cmdline_event(cmdline, (unsigned)s->pcr_cmdline, ev, e)) < 0)
			goto fail;
	}
	if (s->measure_config) {
		if (!(ev = measure_next(l, e)) ||
		    (r = measure_config_event(tool->config_path,
					      s->config_found ? s->config_sha256 : NULL,
					      (unsigned)s->pcr_config, ev, e)) < 0)
			goto fail;
	}
	for (char **f = s->measure_files; f && *f; f++)
		if (!(ev = measure_next(l, e)) ||
		    (r = measure_file_event(tool->root, *f, "file", (unsigned)s->pcr_config, ev,
					    e)) < 0)
			goto fail;
	switch (s->measure_rootfs) {
	case SETTINGS_ROOTFS_AUTO:
	case SETTINGS_ROOTFS_VERITY:
		r = measure_verity_events(tool->root, cmdline, s->roothash, (unsigned)s->pcr_rootfs,
					  l->ev + l->count, MEASURE_EVENTS_MAX - l->count, &n, e);
		if (r < 0)
			goto fail;
		l->count += n;
		if (n == 0 && s->measure_rootfs == SETTINGS_ROOTFS_VERITY) {
			r = error_set(e, -ENOENT,
				      "rootfs = verity, but neither the kernel command line "
				      "(roothash=, usrhash=, as systemd reads them) nor the "
				      "configuration (roothash) has a root hash");
			goto fail;
		}
		break;
	case SETTINGS_ROOTFS_DEVICE:
		if (!s->rootfs_device) {
			r = error_set(e, -EINVAL, "rootfs = device needs rootfs-device");
			goto fail;
		}
		if (!(ev = measure_next(l, e)) ||
		    (r = measure_device_event(tool->root, s->rootfs_device, (unsigned)s->pcr_rootfs,
					      &progress, ev, e)) < 0)
			goto fail;
		break;
	case SETTINGS_ROOTFS_NONE:
		break;
	}
	if (!(ev = measure_next(l, e)) ||
	    (r = measure_separator_event((unsigned)s->pcr_separator, ev, e)) < 0)
		goto fail;
	return 0;
fail:
	/* measure_next() counted the slot that failed; it holds nothing to free. */
	if (l->count > 0 && !l->ev[l->count - 1].content)
		l->count--;
	return r < 0 ? r : e->code;
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

int tool_measure_boot(struct tool *tool, const struct settings *settings, bool once)
{
	struct measure_list list = { 0 };
	struct tool_registers tr;
	struct eventlog log;
	struct error e = { 0 };
	int r;

	if (measure_collect(tool, settings, &list, &e) < 0) {
		log_error(&tool->log, &e, "measure");
		measure_list_free(&list);
		return EXIT_FAILED;
	}
	r = tool_open_registers(tool, settings, &tr);
	if (r != EXIT_OK)
		goto out;
	if (eventlog_open(&log, tool->root, &e) < 0) {
		log_error(&tool->log, &e, "event log");
		r = EXIT_FAILED;
	} else {
		bool done;

		r = tool_recover_log(tool, &log, &tr.regs);
		done = r == EXIT_OK &&
		       measure_already_done(tool, &log, once ? LOG_ERR : LOG_NOTICE);
		if (done && once)
			r = EXIT_FAILED;
		for (unsigned i = 0; r == EXIT_OK && !done && i < list.count; i++)
			r = tool_measure_event(tool, &log, &tr.regs, &list.ev[i]);
		if (r == EXIT_OK && !done && tr.regs.family == MR_FAMILY_NONE)
			log_notice(&tool->log, "logged %u events (no register on this platform)",
				   list.count);
		else if (r == EXIT_OK && !done)
			log_notice(&tool->log, "measured %u events into the %s registers",
				   list.count, mr_family_name(tr.regs.family));
		eventlog_close(&log);
	}
	tool_close_registers(&tr);
out:
	measure_list_free(&list);
	return r;
}

static int measure_run(struct tool *tool, int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct settings settings;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1)
		return tool_usage(&command_measure, c == 'h' ? EXIT_OK : EXIT_USAGE);
	if (optind != argc)
		return tool_usage(&command_measure, EXIT_USAGE);
	r = tool_load_settings(tool, &settings);
	if (r != EXIT_OK)
		return r;
	r = tool_measure_boot(tool, &settings, true);
	settings_free(&settings);
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
	.run = measure_run,
};
