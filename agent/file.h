/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_FILE_H
#define MRBOOT_FILE_H

#include <stddef.h>

struct error;

/*
 * Reads the whole regular file at path into a heap buffer of len + 1 bytes whose last byte is
 * a NUL (the content may hold NULs of its own; len counts them). The caller frees *out.
 * Files larger than max bytes are refused with -EFBIG, anything but a regular file with
 * -EINVAL, so that a FIFO or device cannot stall or flood the boot. The message names path;
 * -ENOENT is returned as is, for callers to whom a missing file is not an error.
 */
int file_read_all(const char *path, size_t max, char **out, size_t *len, struct error *e);

#endif
