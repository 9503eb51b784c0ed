/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_FILE_H
#define MRBOOT_FILE_H

#include <stddef.h>
#include <sys/types.h>

struct error;

/*
 * Reads the whole regular file at path into a heap buffer of len + 1 bytes whose last byte is
 * a NUL (the content may hold NULs of its own; len counts them). The caller frees *out.
 * Files larger than max bytes are refused with -EFBIG, anything but a regular file with
 * -EINVAL, so that a FIFO or device cannot stall or flood the boot. The message names path;
 * -ENOENT is returned as is, for callers to whom a missing file is not an error.
 */
int file_read_all(const char *path, size_t max, char **out, size_t *len, struct error *e);

/*
 * Reads from fd until size bytes are in or it ends, through the short reads of pipes and
 * sysfs and the interruptions of signals (EINTR). Returns the bytes read (fewer than size at
 * the end of the file), or -errno with the bytes read so far lost.
 */
ssize_t file_read_full(int fd, void *buf, size_t size);

/*
 * Writes all len bytes to fd through short writes and interruptions. Returns 0 or -errno
 * (-EIO for a write that takes nothing and reports no error).
 */
int file_write_all(int fd, const void *buf, size_t len);

/*
 * One write() of len bytes, repeated only while a signal interrupts it before it has written
 * anything (EINTR), for where one write is one record (an O_APPEND journal) and a second
 * write of the rest would not be. Returns the bytes the write took, or -errno.
 */
ssize_t file_write_once(int fd, const void *buf, size_t len);

#endif
