/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_LOG_H
#define MRBOOT_LOG_H

#include <stdbool.h>
#include <syslog.h> /* LOG_ERR .. LOG_DEBUG: the priorities /dev/kmsg understands */

struct error;

enum log_target {
	LOG_TARGET_AUTO, /* /dev/kmsg when PID 1's child in an initrd, else stderr */
	LOG_TARGET_STDERR,
	LOG_TARGET_KMSG,
};

/*
 * Where the tool's messages go. Owned by main(); the core library never logs, it returns
 * a struct error that the caller hands to log_error().
 */
struct log {
	int fd;
	bool kmsg;     /* each message is one "<N>mrboot[pid]: text" record */
	bool own_fd;   /* fd was opened by log_open() and is closed by log_close() */
	int max_level; /* messages above this priority are dropped */
};

/*
 * Chooses the target. In the initrd (<root>/etc/initrd-release exists and our parent is
 * PID 1) stderr may be nowhere a person looks, so auto picks <root>/dev/kmsg; if that
 * cannot be opened, stderr is used and nothing is lost.
 */
void log_open(struct log *log, enum log_target target, const char *root, int max_level);
void log_close(struct log *log);

void log_printf(struct log *log, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Logs e->msg at LOG_ERR, after "context: " when context is not NULL. */
void log_error(struct log *log, const struct error *e, const char *context);

/* Names as --log-level and [general] log-level spell the priorities LOG_ERR .. LOG_DEBUG. */
int log_level_from_name(const char *name, int *level);
/* "err" .. "debug"; NULL for any other priority. */
const char *log_level_name(int level);
/* Returns the enum log_target named, or -EINVAL. */
int log_target_from_name(const char *name);
/* "auto", "stderr", "kmsg"; NULL outside enum log_target. */
const char *log_target_name(int target);

#define log_err(l, ...) log_printf((l), LOG_ERR, __VA_ARGS__)
#define log_warning(l, ...) log_printf((l), LOG_WARNING, __VA_ARGS__)
#define log_notice(l, ...) log_printf((l), LOG_NOTICE, __VA_ARGS__)
#define log_info(l, ...) log_printf((l), LOG_INFO, __VA_ARGS__)
#define log_debug(l, ...) log_printf((l), LOG_DEBUG, __VA_ARGS__)

#endif
