/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "basic/cmdline.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "basic/error.h"
#include "basic/file.h"
#include "basic/macro.h"
#include "basic/path.h"

/* One parameter as offsets into the text, found without writing to it. */
struct cmdline_param {
	size_t key, key_len;
	size_t value, value_len;
	bool has_value;
	size_t open_quote; /* offset of a quote still open at the end, or SIZE_MAX */
	size_t next;	   /* where the following parameter's leading whitespace starts */
};

/* The kernel's isspace(): its ctype table is Latin-1, where 0xa0 (no-break space) is a space. */
static bool cmdline_isspace(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (unsigned char)c == 0xa0;
}

static size_t cmdline_skip_spaces(const char *text, size_t i)
{
	while (cmdline_isspace(text[i]))
		i++;
	return i;
}

static void cmdline_scan(const char *text, size_t start, struct cmdline_param *p)
{
	size_t begin = start, end, equals = SIZE_MAX, quote = SIZE_MAX;
	bool quoted = false, in_quote = false, value_quote_dropped = false;

	if (text[begin] == '"') {
		quote = begin;
		begin++;
		quoted = in_quote = true;
	}
	for (end = begin; text[end]; end++) {
		if (cmdline_isspace(text[end]) && !in_quote)
			break;
		/* next_arg() keeps "no '=' yet" as equals == 0, so a '=' in first place is key. */
		if (equals == SIZE_MAX && end > begin && text[end] == '=')
			equals = end;
		if (text[end] == '"') {
			in_quote = !in_quote;
			quote = end;
		}
	}
	p->open_quote = in_quote ? quote : SIZE_MAX;
	p->next = text[end] ? end + 1 : end;

	p->key = begin;
	p->has_value = equals != SIZE_MAX;
	if (p->has_value) {
		p->value = equals + 1;
		if (text[p->value] == '"') {
			p->value++;
			if (text[end - 1] == '"') {
				end--;
				value_quote_dropped = true;
			}
		}
	}
	if (quoted && !value_quote_dropped && end > begin && text[end - 1] == '"')
		end--;

	if (p->has_value) {
		p->key_len = equals - begin;
		/* In "a=" quoted whole, the value's opening quote is also its last byte. */
		p->value_len = end > p->value ? end - p->value : 0;
	} else {
		p->key_len = end - begin;
		p->value = end;
		p->value_len = 0;
	}
}

static bool cmdline_is_dashes(const char *text, const struct cmdline_param *p)
{
	return !p->has_value && p->key_len == 2 && memcmp(text + p->key, "--", 2) == 0;
}

int cmdline_parse(char *text, cmdline_fn fn, void *userdata, struct error *e)
{
	struct cmdline_param p;
	size_t i;

	/*
	 * An open quote swallows the rest of the line, so it can only be in the last parameter;
	 * checking before the first call keeps a malformed line from being half applied.
	 */
	for (i = cmdline_skip_spaces(text, 0); text[i]; i = cmdline_skip_spaces(text, p.next)) {
		cmdline_scan(text, i, &p);
		if (p.open_quote != SIZE_MAX)
			return error_set(e, -EINVAL, "unterminated quote at byte %zu",
					 p.open_quote);
		if (cmdline_is_dashes(text, &p))
			break;
	}

	for (i = cmdline_skip_spaces(text, 0); text[i]; i = cmdline_skip_spaces(text, p.next)) {
		int r;

		cmdline_scan(text, i, &p);
		if (cmdline_is_dashes(text, &p))
			break;
		/* p.next was computed above, so the NULs written here do not end the walk. */
		text[p.key + p.key_len] = '\0';
		if (p.has_value)
			text[p.value + p.value_len] = '\0';
		r = fn(text + p.key, p.has_value ? text + p.value : NULL, userdata);
		if (r != 0)
			return r;
	}
	return 0;
}

int cmdline_read(const char *root, char **out, struct error *e)
{
	char path[PATH_MAX];
	int r;

	r = path_join_root(path, sizeof(path), root, "/proc/cmdline");
	if (r < 0)
		return error_set_errno(e, r, "%s/proc/cmdline", root);
	return cmdline_read_file(path, out, e);
}

int cmdline_read_file(const char *path, char **out, struct error *e)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	r = file_read_all(path, CMDLINE_SIZE_MAX, &buf, &len, e);
	if (r < 0)
		return r;
	if (memchr(buf, '\0', len))
		return error_set(e, -EINVAL, "%s: contains a NUL byte", path);
	if (len > 0 && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	*out = buf;
	buf = NULL;
	return 0;
}
