/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A configuration schema with one entry of every type, for the config and cmdline targets. */
#ifndef MRBOOT_FUZZ_SCHEMA_H
#define MRBOOT_FUZZ_SCHEMA_H

#include <stdbool.h>
#include <stdint.h>

#include "config/ini.h"

struct fuzz_settings {
	char *text;
	char *path;
	char **list;
	bool flag;
	uint64_t number;
	int choice;
	char *other;
};

/* Defaults the schema accepts, as a caller fills them before parsing. */
#define FUZZ_SETTINGS_DEFAULTS \
	{                      \
		.number = 8    \
	}

extern const struct ini_schema fuzz_schema;

/*
 * The round trip config/ini.h promises: ini_write() of a parsed struct reads back, from
 * defaults, to a struct that ini_write() writes as the same text. Aborts when it does not.
 */
void fuzz_settings_round_trip(const struct fuzz_settings *s);

#endif
