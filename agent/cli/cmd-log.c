/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/error.h"
#include "evlog/eventlog.h"
#include "evlog/firmware.h"
#include "evlog/render.h"
#include "basic/file.h"
#include "basic/macro.h"
#include "basic/path.h"
#include "cli/context.h"
#include "cli/tool.h"

static int log_write_all(int fd, const uint8_t *p, size_t n, const char *where, struct error *e)
{
	int k = file_write_all(fd, p, n);

	return k < 0 ? error_set_errno(e, k, "cannot write to %s", where) : 0;
}

static int log_output(const char *output, const struct render_buf *buf, struct error *e)
{
	_cleanup_close_ int fd = -1;
	int k;

	if (!output)
		return log_write_all(STDOUT_FILENO, buf->data, buf->len, "standard output", e);
	fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0)
		return error_set_errno(e, -errno, "cannot open %s", output);
	k = log_write_all(fd, buf->data, buf->len, output, e);
	/* close() may report a failed write-back; the descriptor is gone either way. */
	if (close(take_fd(&fd)) < 0 && k >= 0)
		k = error_set_errno(e, -errno, "cannot write to %s", output);
	return k;
}

static int log_render_ccel(struct tool *tool, struct render_buf *buf, const struct eventlog *log,
			   struct error *e)
{
	_cleanup_free_ char *firmware = NULL;
	char path[PATH_MAX];
	size_t size;
	int k;

	k = evlog_firmware_read(tool->root, EVLOG_FIRMWARE_CCEL, path, sizeof(path), &firmware,
				&size, e);
	if (k == -ENOENT)
		/* The stream must start with the firmware's Spec ID event; mrboot has none. */
		return error_set(e, k,
				 "no firmware event log at %s: the ccel format extends the "
				 "firmware's CCEL, which this platform does not have",
				 path);
	if (k < 0)
		return k;
	k = render_ccel(buf, firmware, size, log->records, log->count, e);
	return k < 0 ? error_prefix(e, "%s", path) : 0;
}

static int log_render(struct tool *tool, enum render_format format, struct render_buf *buf,
		      const struct eventlog *log, struct error *e)
{
	switch (format) {
	case RENDER_JSON:
		return render_json(buf, log->records, log->count, e);
	case RENDER_TEXT:
		return render_text(buf, log->journal.path, log->records, log->count, e);
	case RENDER_AAEL:
		return render_aael(buf, log->records, log->count, e);
	case RENDER_CEL_TLV:
		return render_cel_tlv(buf, log->records, log->count, e);
	case RENDER_CCEL:
		return log_render_ccel(tool, buf, log, e);
	}
	return error_set(e, -EINVAL, "unknown format %d", (int)format);
}

/*
 * Reading must not create the log (eventlog_open() does, for writers): a log that is not
 * there yet is an empty one.
 */
static int log_exists(const char *root, bool *exists, struct error *e)
{
	char path[PATH_MAX];
	struct stat st;
	int k;

	k = path_join_root(path, sizeof(path), root, EVENTLOG_PATH);
	if (k < 0)
		return error_set_errno(e, k, "%s under %s", EVENTLOG_PATH, root);
	if (stat(path, &st) == 0) {
		*exists = true;
		return 0;
	}
	if (errno != ENOENT)
		return error_set_errno(e, -errno, "cannot stat %s", path);
	*exists = false;
	return 0;
}

static int log_run(struct tool *tool, enum render_format format, const char *output)
{
	struct eventlog log = { .torn = -1, .journal.fd = -1 };
	struct render_buf buf = { 0 };
	struct error e = { 0 };
	bool exists;
	int k;

	k = log_exists(tool->root, &exists, &e);
	if (k >= 0 && exists)
		k = eventlog_open(&log, tool->root, &e);
	if (k < 0) {
		log_error(&tool->log, &e, "log");
		return EXIT_FAILED;
	}
	if (log.torn >= 0)
		log_warning(&tool->log,
			    "%s: the record at byte %lld was cut short by a writer that died; it "
			    "is not shown",
			    log.journal.path, (long long)log.torn);
	/* Nothing logged yet is an empty result; text says so where people look for it. */
	if (log.count == 0 && format == RENDER_TEXT)
		log_notice(&tool->log, "no events logged yet");
	else
		k = log_render(tool, format, &buf, &log, &e);
	/* Unlocked before the output is written: a pager reading it must not stall writers. */
	eventlog_close(&log);
	if (k >= 0)
		k = log_output(output, &buf, &e);
	render_buf_free(&buf);
	if (k < 0) {
		log_error(&tool->log, &e, "log");
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

static int log_cmd(struct tool *tool, int argc, char **argv)
{
	static const struct option options[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	enum render_format format = RENDER_JSON;
	const char *output = NULL;
	struct context ctx;
	int c, r;

	while ((c = getopt_long(argc, argv, "f:o:h", options, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (render_format_from_name(optarg, &format) < 0) {
				fprintf(stderr,
					"mrboot log: unknown format '%s' (json, text, aael, "
					"cel-tlv or ccel)\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			return tool_usage(&command_log, EXIT_OK);
		default:
			return tool_usage(&command_log, EXIT_USAGE);
		}
	}
	if (optind != argc)
		return tool_usage(&command_log, EXIT_USAGE);
	/* Bytes of a binary log on a terminal are noise at best and escape sequences at worst. */
	if (render_format_is_binary(format) && !output && isatty(STDOUT_FILENO)) {
		fprintf(stderr,
			"mrboot log: refusing to write the binary %s format to a terminal; use "
			"--output FILE or redirect standard output\n",
			render_format_name(format));
		return EXIT_USAGE;
	}
	/* The configuration only points the log; a broken one is said before anything else. */
	r = context_open(&ctx, tool);
	context_close(&ctx);
	if (r != EXIT_OK)
		return r;
	return log_run(tool, format, output);
}

const struct command command_log = {
	.name = "log",
	.summary = "Show mrboot's event log, or write it in a binary format",
	.usage =
		"[--format json|text|aael|cel-tlv|ccel] [--output FILE]\n"
		"\n"
		"Renders /run/log/mrboot/events.jsonseq. json (the default) and text show every\n"
		"record with its state (committed, pending, aborted); the binary formats hold\n"
		"the committed records only: aael as TCG2 PCR_EVENT2 records (CC index for TDX\n"
		"and CCA registers, PCR for a TPM), cel-tlv as TCG CEL-TLV records (a CC register\n"
		"in the pcr handle as its CC index), ccel as the evidence stream for a Trustee\n"
		"key broker: the firmware's CCEL, mrboot's records, 8 bytes of 0xFF.\n"
		"\n"
		"  -f, --format FORMAT  json, text, aael, cel-tlv or ccel (default json)\n"
		"  -o, --output FILE    Write to FILE (not taken below --root) instead of\n"
		"                       standard output, which must not be a terminal for\n"
		"                       the binary formats\n"
		"  -h, --help           Show this help\n",
	.run = log_cmd,
};
