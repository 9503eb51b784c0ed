/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "basic/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "basic/error.h"
#include "basic/file.h"
#include "basic/macro.h"
#include "basic/path.h"

static const char *const level_names[] = {
	[LOG_ERR] = "err",   [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

int log_level_from_name(const char *name, int *level)
{
	for (int i = LOG_ERR; i <= LOG_DEBUG; i++)
		if (strcmp(name, level_names[i]) == 0) {
			*level = i;
			return 0;
		}
	return -EINVAL;
}

static const char *const target_names[] = {
	[LOG_TARGET_AUTO] = "auto",
	[LOG_TARGET_STDERR] = "stderr",
	[LOG_TARGET_KMSG] = "kmsg",
};

int log_target_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(target_names); i++)
		if (strcmp(name, target_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

const char *log_target_name(int target)
{
	return target >= 0 && (size_t)target < ARRAY_SIZE(target_names) ? target_names[target]
									: NULL;
}

const char *log_level_name(int level)
{
	return level >= LOG_ERR && level <= LOG_DEBUG ? level_names[level] : NULL;
}

static bool log_in_initrd(const char *root)
{
	char p[4096];

	if (getppid() != 1)
		return false;
	return path_join_root(p, sizeof(p), root, "/etc/initrd-release") == 0 &&
	       access(p, F_OK) == 0;
}

void log_open(struct log *log, enum log_target target, const char *root, int max_level)
{
	char p[4096];
	int fd;

	*log = (struct log){ .fd = STDERR_FILENO, .max_level = max_level };
	if (target == LOG_TARGET_STDERR || (target == LOG_TARGET_AUTO && !log_in_initrd(root)))
		return;
	if (path_join_root(p, sizeof(p), root, "/dev/kmsg") < 0)
		return;
	fd = open(p, O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		log_printf(log, LOG_WARNING, "cannot open %s, logging to stderr: %s", p,
			   strerror(errno));
		return;
	}
	log->fd = fd;
	log->kmsg = true;
	log->own_fd = true;
}

void log_close(struct log *log)
{
	if (log->own_fd)
		close(log->fd);
	*log = (struct log){ .fd = STDERR_FILENO, .max_level = log->max_level };
}

__attribute__((format(printf, 4, 0))) static void log_vprintf(struct log *log, int level,
							      const char *context, const char *fmt,
							      va_list ap)
{
	/* The kernel keeps up to ~1 KiB of one kmsg record; one write() is one record. */
	char line[1024];
	size_t n;
	int k;

	if (level > log->max_level)
		return;
	if (log->kmsg)
		k = snprintf(line, sizeof(line), "<%d>mrboot[%d]: ", level, (int)getpid());
	else
		k = snprintf(line, sizeof(line), "mrboot: %s",
			     level == LOG_ERR	    ? "error: "
			     : level == LOG_WARNING ? "warning: "
			     : level == LOG_DEBUG   ? "debug: "
						    : "");
	n = (size_t)k;
	if (context) {
		k = snprintf(line + n, sizeof(line) - n, "%s: ", context);
		n = n + (size_t)k < sizeof(line) ? n + (size_t)k : sizeof(line) - 1;
	}
	k = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	n = n + (size_t)k < sizeof(line) - 1 ? n + (size_t)k : sizeof(line) - 2;
	line[n++] = '\n';
	/* A failed log write has nowhere better to be reported; the exit code still tells. */
	(void)file_write_all(log->fd, line, n);
}

void log_printf(struct log *log, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprintf(log, level, NULL, fmt, ap);
	va_end(ap);
}

static void log_error_helper(struct log *log, const char *context, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void log_error_helper(struct log *log, const char *context, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprintf(log, LOG_ERR, context, fmt, ap);
	va_end(ap);
}

void log_error(struct log *log, const struct error *e, const char *context)
{
	log_error_helper(log, context, "%s", e->msg[0] ? e->msg : strerror(-e->code));
}
