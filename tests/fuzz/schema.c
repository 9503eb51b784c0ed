/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "schema.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/error.h"
#include "fuzz.h"

static const char *const choice_names[] = { "auto", "verity", "device", "none", NULL };

static const struct ini_entry fuzz_entries[] = {
	{ .section = "general",
	  .key = "text",
	  .type = INI_STRING,
	  .offset = offsetof(struct fuzz_settings, text),
	  .cmdline = INI_CMDLINE_ALWAYS },
	{ .section = "general",
	  .key = "path",
	  .type = INI_PATH,
	  .offset = offsetof(struct fuzz_settings, path),
	  .cmdline = INI_CMDLINE_ALWAYS },
	{ .section = "general",
	  .key = "flag",
	  .type = INI_BOOL,
	  .offset = offsetof(struct fuzz_settings, flag),
	  .cmdline = INI_CMDLINE_ALWAYS },
	{ .section = "measure",
	  .key = "file",
	  .type = INI_LIST,
	  .offset = offsetof(struct fuzz_settings, list) },
	{ .section = "measure",
	  .key = "pcr",
	  .type = INI_UINT,
	  .offset = offsetof(struct fuzz_settings, number),
	  .min = 8,
	  .max = 23 },
	{ .section = "measure",
	  .key = "rootfs",
	  .type = INI_ENUM,
	  .offset = offsetof(struct fuzz_settings, choice),
	  .names = choice_names },
	/* The same key in another section: lookups must match the pair. */
	{ .section = "tpm",
	  .key = "text",
	  .type = INI_STRING,
	  .offset = offsetof(struct fuzz_settings, other) },
};

const struct ini_schema fuzz_schema = {
	.entries = fuzz_entries,
	.count = sizeof(fuzz_entries) / sizeof(fuzz_entries[0]),
};

/* ini_write() into a heap string. */
static char *settings_text(const struct fuzz_settings *s, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	fuzz_check(f, "open_memstream");
	fuzz_check(ini_write(&fuzz_schema, s, f) == 0, "ini_write succeeds");
	fuzz_check(fclose(f) == 0, "the written configuration is complete");
	return text;
}

void fuzz_settings_round_trip(const struct fuzz_settings *s)
{
	struct fuzz_settings again = FUZZ_SETTINGS_DEFAULTS;
	struct error e = { 0 };
	size_t len, len2;
	char *text = settings_text(s, &len), *text2;
	int r;

	r = ini_parse_text(&fuzz_schema, &again, text, len, "written", &e);
	if (r < 0)
		fprintf(stderr, "%s\n--- written:\n%s", e.msg, text);
	fuzz_check(r == 0, "what ini_write() writes parses again");
	text2 = settings_text(&again, &len2);
	if (len != len2 || memcmp(text, text2, len) != 0)
		fprintf(stderr, "--- written:\n%s--- read back and written again:\n%s", text,
			text2);
	fuzz_check(len == len2 && memcmp(text, text2, len) == 0,
		   "the configuration reads back to the same values");
	free(text);
	free(text2);
	ini_free(&fuzz_schema, &again);
}
