/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_SETTINGS_H
#define MRBOOT_SETTINGS_H

#include <stdio.h>

#include "log.h"

struct error;

/*
 * The agent's configuration: /etc/mrboot.conf, then every mrboot.<section>.<key>= of the
 * kernel command line. Each issue that adds behaviour adds its keys here and to mrboot(1).
 */
struct settings {
	int log_level;	/* [general] log-level: index into the names, err = 0 .. debug = 4 */
	int log_target; /* [general] log-target: enum log_target */
};

/* Defaults, then the file under root (missing is fine), then <root>/proc/cmdline. */
int settings_load(struct settings *s, const char *root, const char *config_path, struct error *e);
void settings_free(struct settings *s);

/* The effective configuration in the file's own syntax. */
int settings_write(const struct settings *s, FILE *out);

/* log-level as a syslog priority (LOG_ERR .. LOG_DEBUG). */
int settings_log_priority(const struct settings *s);

#endif
