/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "basic/cmdline-systemd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/error.h"

/* WHITESPACE of systemd's src/basic/string-util.h: not the kernel's isspace(). */
static bool cmdline_systemd_is_separator(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * The next word after *p, unquoted, into word (which has room for what is left of the line);
 * false when only separators are left. A word is found by its first non-separator, so ''
 * is a word (empty), as it is for extract_first_word().
 */
static bool cmdline_systemd_next_word(const char **p, char *word)
{
	const char *s = *p;
	size_t n = 0;
	char quote = 0;

	while (cmdline_systemd_is_separator(*s))
		s++;
	if (!*s) {
		*p = s;
		return false;
	}
	for (; *s; s++) {
		if (quote) {
			if (*s == quote)
				quote = 0;
			else
				word[n++] = *s;
		} else if (*s == '\'' || *s == '"') {
			quote = *s;
		} else if (cmdline_systemd_is_separator(*s)) {
			break;
		} else {
			word[n++] = *s;
		}
	}
	word[n] = '\0';
	*p = s;
	return true;
}

int cmdline_systemd_parse(const char *text, cmdline_systemd_fn fn, void *userdata, struct error *e)
{
	char *word = malloc(strlen(text) + 1);
	const char *p = text;
	int r = 0;

	if (!word)
		return error_set_errno(e, -ENOMEM, "kernel command line");
	while (r == 0 && cmdline_systemd_next_word(&p, word)) {
		bool rd_prefix = strncmp(word, "rd.", 3) == 0;
		char *key = rd_prefix ? word + 3 : word;
		char *value = strchr(key, '=');

		if (value)
			*value++ = '\0';
		r = fn(key, value, rd_prefix, userdata);
	}
	free(word);
	return r;
}
