/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "basic/path.h"

#include <errno.h>
#include <string.h>

int path_join_root(char *buf, size_t size, const char *root, const char *path)
{
	size_t root_len = root ? strlen(root) : 0, path_len = strlen(path);

	if (path[0] != '/')
		return -EINVAL;
	while (root_len > 0 && root[root_len - 1] == '/')
		root_len--;
	if (root_len + path_len >= size)
		return -ENAMETOOLONG;
	/* root without its trailing slashes: a prefix, not a string; the next copy ends it. */
	if (root_len > 0)
		memcpy(buf, root, root_len); /* NOLINT(bugprone-not-null-terminated-result) */
	memcpy(buf + root_len, path, path_len + 1);
	return 0;
}
