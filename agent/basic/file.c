/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "basic/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/error.h"
#include "basic/macro.h"

int file_read_all(const char *path, size_t max, char **out, size_t *len, struct error *e)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	char *shrunk;
	ssize_t r;
	size_t n;

	/* O_NONBLOCK so that opening a FIFO returns at once and fstat() can refuse it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return error_set_errno(e, -errno, "%s", path);
	if (fstat(fd, &st) < 0)
		return error_set_errno(e, -errno, "%s", path);
	if (!S_ISREG(st.st_mode))
		return error_set(e, -EINVAL, "%s: not a regular file", path);

	/*
	 * st_size is not trusted: files under /proc report 0. Read up to one byte past max so
	 * that a file of exactly max bytes is accepted and a larger one is seen to be larger.
	 */
	buf = malloc(max + 2);
	if (!buf)
		return error_set_errno(e, -ENOMEM, "%s", path);
	r = file_read_full(fd, buf, max + 1);
	if (r < 0)
		return error_set_errno(e, (int)r, "%s", path);
	n = (size_t)r;
	if (n > max)
		return error_set(e, -EFBIG, "%s: larger than %zu bytes", path, max);
	buf[n] = '\0';

	shrunk = realloc(buf, n + 1);
	if (shrunk)
		buf = shrunk;
	*out = buf;
	buf = NULL;
	*len = n;
	return 0;
}

ssize_t file_read_full(int fd, void *buf, size_t size)
{
	size_t n = 0;

	while (n < size) {
		ssize_t k = read(fd, (char *)buf + n, size - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		n += (size_t)k;
	}
	return (ssize_t)n;
}

int file_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t k = write(fd, p, len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		/* Not for regular files, pipes or sockets; looping on it would never end. */
		if (k == 0)
			return -EIO;
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

ssize_t file_write_once(int fd, const void *buf, size_t len)
{
	ssize_t k;

	/* EINTR means that nothing was written (POSIX), so the same write can be made again. */
	do
		k = write(fd, buf, len);
	while (k < 0 && errno == EINTR);
	return k < 0 ? -errno : k;
}
