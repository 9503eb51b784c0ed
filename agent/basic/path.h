/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_PATH_H
#define MRBOOT_PATH_H

#include <stddef.h>

/*
 * Every system path mrboot reads is taken under a root prefix (--root), so that the tests can
 * point the tool at a fixture tree instead of the running system.
 */

/*
 * Writes root + path into buf (size bytes, NUL-terminated). path must be absolute (-EINVAL
 * otherwise). A NULL or empty root, or one made only of slashes, means the real root; trailing
 * slashes of root are dropped so that exactly one separates the two. Returns -ENAMETOOLONG if
 * the result does not fit.
 */
int path_join_root(char *buf, size_t size, const char *root, const char *path);

#endif
