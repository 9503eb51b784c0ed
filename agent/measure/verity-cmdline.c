/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "measure/verity-cmdline.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cmdline-systemd.h"
#include "basic/cmdline.h"
#include "basic/error.h"
#include "basic/file.h"
#include "basic/macro.h"
#include "basic/path.h"

/* Values quoted in messages are cut here: two SHA-512 hashes still fit ERROR_MSG_MAX. */
#define VERITY_QUOTE_MAX 140

/* ASCII only, whatever the locale: hex digits and boolean words are ASCII. */
static int verity_ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool verity_ascii_caseeq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (verity_ascii_lower((unsigned char)*a) != verity_ascii_lower((unsigned char)*b))
			return false;
	return *a == *b;
}

bool verity_hash_equal(const char *a, const char *b)
{
	return verity_ascii_caseeq(a, b);
}

/* systemd's parse_boolean() (src/basic/parse-util.c): 1, 0 or -1 for anything else. */
static int verity_parse_boolean(const char *v)
{
	static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
	static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (verity_ascii_caseeq(v, yes[i]))
			return 1;
		if (verity_ascii_caseeq(v, no[i]))
			return 0;
	}
	return -1;
}

struct verity_scan {
	struct verity_cmdline *v;
	struct error *e;
};

static int verity_set_hash(char **slot, bool *slot_rd, const char *key, const char *value,
			   bool rd_prefix, struct error *e)
{
	char *copy;

	if (*slot && !verity_hash_equal(*slot, value))
		return error_set(e, -EINVAL,
				 "the kernel command line sets the %s hash twice, differently: "
				 "%s%s=%.*s and %s%s=%.*s",
				 key, *slot_rd ? "rd." : "", key, VERITY_QUOTE_MAX, *slot,
				 rd_prefix ? "rd." : "", key, VERITY_QUOTE_MAX, value);
	/* The same value again (perhaps in other case): systemd keeps the last spelling. */
	copy = strdup(value);
	if (!copy)
		return error_set_errno(e, -ENOMEM, "kernel command line");
	free(*slot);
	*slot = copy;
	*slot_rd = rd_prefix;
	return 0;
}

static int verity_cmdline_item(const char *key, const char *value, bool rd_prefix, void *userdata)
{
	struct verity_scan *s = userdata;
	struct verity_cmdline *v = s->v;

	/* The generator compares these keys with streq() after the rd. prefix is gone. */
	if (strcmp(key, "systemd.verity") == 0) {
		int b = value ? verity_parse_boolean(value) : 1;

		/* An invalid value is logged and ignored: the previous state stands. */
		if (b >= 0) {
			v->verity_off = b == 0;
			v->verity_off_rd = rd_prefix;
			snprintf(v->verity_value, sizeof(v->verity_value), "%s",
				 value ? value : "");
		}
		return 0;
	}
	/* A key without a value is ignored (proc_cmdline_value_missing()). */
	if (!value)
		return 0;
	if (strcmp(key, "roothash") == 0)
		return verity_set_hash(&v->roothash, &v->roothash_rd, key, value, rd_prefix, s->e);
	if (strcmp(key, "usrhash") == 0)
		return verity_set_hash(&v->usrhash, &v->usrhash_rd, key, value, rd_prefix, s->e);
	return 0;
}

int verity_cmdline_parse(const char *cmdline, struct verity_cmdline *v, struct error *e)
{
	struct verity_scan s = { .v = v, .e = e };
	int r;

	*v = (struct verity_cmdline){ 0 };
	r = cmdline_systemd_parse(cmdline, verity_cmdline_item, &s, e);
	if (r < 0)
		verity_cmdline_free(v);
	return r < 0 ? r : 0;
}

void verity_cmdline_free(struct verity_cmdline *v)
{
	free(v->roothash);
	free(v->usrhash);
	v->roothash = v->usrhash = NULL;
}

struct verity_options_scan {
	const char *path;
	struct error *e;
};

static int verity_options_item(const char *key, const char *value, bool rd_prefix, void *userdata)
{
	static const char *const keys[] = { "roothash", "usrhash", "systemd.verity" };
	struct verity_options_scan *s = userdata;

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(key, keys[i]) == 0)
			return error_set(s->e, -EPERM,
					 "%s (the SystemdOptions EFI variable, which systemd "
					 "252 to 257 read before the kernel command line) sets "
					 "%s%s%s%.*s: a root hash comes from the measured kernel "
					 "command line or the initrd's configuration only",
					 s->path, rd_prefix ? "rd." : "", key, value ? "=" : "",
					 VERITY_QUOTE_MAX, value ? value : "");
	return 0;
}

int verity_systemd_options_check(const char *root, struct error *e)
{
	_cleanup_free_ char *text = NULL;
	struct verity_options_scan s = { .e = e };
	char path[PATH_MAX];
	size_t len;
	int r;

	r = path_join_root(path, sizeof(path), root, VERITY_SYSTEMD_OPTIONS_CACHE);
	if (r < 0)
		return error_set_errno(e, r, "%s under %s", VERITY_SYSTEMD_OPTIONS_CACHE, root);
	r = file_read_all(path, CMDLINE_SIZE_MAX, &text, &len, e);
	if (r == -ENOENT) {
		*e = (struct error){ 0 };
		return 0;
	}
	if (r < 0)
		return r;
	/*
	 * systemd reads only its first line (read_one_line_file()); every line is checked here,
	 * which refuses more, never less. A NUL ends the text for both.
	 */
	s.path = path;
	return cmdline_systemd_parse(text, verity_options_item, &s, e);
}
