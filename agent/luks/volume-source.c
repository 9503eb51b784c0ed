/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "luks/volume-source.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cmdline.h"
#include "basic/error.h"
#include "basic/file.h"
#include "basic/macro.h"
#include "basic/path.h"

#define CRYPTTAB_MAX (64 * 1024)

/* A crypttab or rd.luks source as a device path. */
static int source_to_path(const char *source, size_t len, char *path, size_t size, struct error *e)
{
	static const struct {
		const char *tag, *dir;
	} tags[] = {
		{ "UUID=", "/dev/disk/by-uuid/" },
		{ "PARTUUID=", "/dev/disk/by-partuuid/" },
		{ "LABEL=", "/dev/disk/by-label/" },
	};
	int n;

	for (size_t i = 0; i < ARRAY_SIZE(tags); i++) {
		size_t t = strlen(tags[i].tag);

		if (len > t && strncmp(source, tags[i].tag, t) == 0) {
			if (memchr(source + t, '/', len - t))
				return error_set(e, -EINVAL, "source '%.*s' has a '/'", (int)len,
						 source);
			n = snprintf(path, size, "%s%.*s", tags[i].dir, (int)(len - t), source + t);
			return n > 0 && (size_t)n < size ? 0
							 : error_set(e, -ENAMETOOLONG, "source");
		}
	}
	if (len == 0 || source[0] != '/')
		return error_set(e, -EINVAL, "source '%.*s': UUID=, PARTUUID=, LABEL= or a path",
				 (int)len, source);
	n = snprintf(path, size, "%.*s", (int)len, source);
	return n > 0 && (size_t)n < size ? 0 : error_set(e, -ENAMETOOLONG, "source");
}

/* The second field of the crypttab line whose first field is name. */
static int crypttab_find(const char *root, const char *name, char *path, size_t size,
			 struct error *e)
{
	_cleanup_free_ char *text = NULL;
	char file[PATH_MAX];
	struct error ignored = { 0 };
	size_t len = 0, nlen = strlen(name);

	if (path_join_root(file, sizeof(file), root, "/etc/crypttab") < 0 ||
	    file_read_all(file, CRYPTTAB_MAX, &text, &len, &ignored) < 0)
		return -ENOENT;
	for (char *line = text, *next; line && *line; line = next) {
		const char *f1, *f2;
		size_t l1, l2;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		f1 = line + strspn(line, " \t");
		if (*f1 == '#' || *f1 == '\0')
			continue;
		l1 = strcspn(f1, " \t");
		f2 = f1 + l1 + strspn(f1 + l1, " \t");
		l2 = strcspn(f2, " \t");
		if (l1 == nlen && memcmp(f1, name, nlen) == 0 && l2 > 0)
			return source_to_path(f2, l2, path, size, e);
	}
	return -ENOENT;
}

struct luks_scan {
	const char *name;
	char *path;
	size_t size;
	struct error *e;
	int found;
};

static int luks_param(const char *key, const char *value, void *userdata)
{
	struct luks_scan *s = userdata;
	char source[PATH_MAX];
	const char *eq;
	int n;

	if (!value || s->found)
		return 0;
	/* rd.luks.name=UUID=NAME: the last '=' separates the name (a name has none). */
	if (strcmp(key, "rd.luks.name") == 0 || strcmp(key, "luks.name") == 0) {
		eq = strrchr(value, '=');
		if (!eq || strcmp(eq + 1, s->name) != 0)
			return 0;
		n = snprintf(source, sizeof(source), "%.*s", (int)(eq - value), value);
	} else if (strcmp(key, "rd.luks.uuid") == 0 || strcmp(key, "luks.uuid") == 0) {
		const char *uuid = strncmp(value, "luks-", 5) == 0 ? value + 5 : value;

		if (strncmp(s->name, "luks-", 5) != 0 || strcmp(s->name + 5, uuid) != 0)
			return 0;
		n = snprintf(source, sizeof(source), "%s", uuid);
	} else {
		return 0;
	}
	if (n <= 0 || (size_t)n >= sizeof(source))
		return error_set(s->e, -ENAMETOOLONG, "%s= is too long", key);
	/* The generator takes a bare UUID, or UUID=, PARTUUID=, a path. */
	if (strchr(source, '=') || source[0] == '/')
		n = source_to_path(source, strlen(source), s->path, s->size, s->e);
	else
		n = snprintf(s->path, s->size, "/dev/disk/by-uuid/%s", source) < (int)s->size
			    ? 0
			    : error_set(s->e, -ENAMETOOLONG, "%s=", key);
	if (n < 0)
		return n;
	s->found = 1;
	return 0;
}

int volume_source_find(const char *root, const char *name, const char *cmdline, char *path,
		       size_t size, struct error *e)
{
	_cleanup_free_ char *copy = NULL;
	struct luks_scan s = { .name = name, .path = path, .size = size, .e = e };
	int r;

	r = crypttab_find(root, name, path, size, e);
	if (r != -ENOENT)
		return r < 0 ? error_prefix(e, "/etc/crypttab, volume %s", name) : 0;
	copy = strdup(cmdline ? cmdline : "");
	if (!copy)
		return error_set_errno(e, -ENOMEM, "kernel command line");
	r = cmdline_parse(copy, luks_param, &s, e);
	if (r < 0)
		return r;
	if (s.found == 1)
		return 0;
	return error_set(e, -ENOENT,
			 "no device for volume %s: neither /etc/crypttab nor rd.luks.name= or "
			 "rd.luks.uuid= names one",
			 name);
}
