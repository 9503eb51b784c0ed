/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel command line splitter on any text, then ini_apply_cmdline() on the same text
 * and the configuration round trip of what it set (mrboot config prints it in the file syntax).
 */
#include <errno.h>
#include <string.h>

#include "basic/cmdline.h"
#include "config/ini.h"
#include "basic/error.h"
#include "fuzz.h"
#include "schema.h"

struct walk {
	const char *text;
	size_t len;
	unsigned params;
};

static int check_param(const char *key, const char *value, void *userdata)
{
	struct walk *w = userdata;

	fuzz_check(key && fuzz_within(key, strlen(key) + 1, (const uint8_t *)w->text, w->len + 1),
		   "a key points into the text");
	fuzz_check(!value || fuzz_within(value, strlen(value) + 1, (const uint8_t *)w->text,
					 w->len + 1),
		   "a value points into the text");
	/* Each parameter takes a byte of its own at least. */
	w->params++;
	fuzz_check(w->params <= w->len, "no more parameters than bytes");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_settings s = FUZZ_SETTINGS_DEFAULTS;
	struct error e = { 0 };
	static const char *const allow[] = { "measure.file", "measure.pcr", NULL };
	struct walk w;
	char *text;

	if (size > CMDLINE_SIZE_MAX)
		return 0;
	/* /proc/cmdline is a C string: a NUL ends it, as it does for the kernel. */
	text = malloc(size + 1);
	fuzz_check(text, "malloc");
	memcpy(text, data, size);
	text[size] = '\0';
	w = (struct walk){ .text = text, .len = strlen(text) };
	if (cmdline_parse(text, check_param, &w, &e) < 0)
		fuzz_check(e.code == -EINVAL && e.msg[0], "a refusal says why");

	memcpy(text, data, size);
	/* measure.rootfs stays refused, so that the refusal is fuzzed too. */
	if (ini_apply_cmdline(&fuzz_schema, &s, text, allow, NULL, &e) == 0)
		fuzz_settings_round_trip(&s);
	ini_free(&fuzz_schema, &s);
	free(text);
	return 0;
}
