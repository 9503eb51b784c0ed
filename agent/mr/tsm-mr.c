/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tsm-mr.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/error.h"
#include "basic/file.h"
#include "basic/macro.h"
#include "basic/path.h"

int tsm_mr_parse_name(struct tsm_mr_register *reg, const char *file, struct error *e)
{
	const char *colon = strchr(file, ':');
	size_t n = colon ? (size_t)(colon - file) : strlen(file);
	size_t digits = 0;

	if (strlen(file) >= sizeof(reg->file) || n == 0)
		return error_set(e, -EINVAL, "measurement register name '%s' is not valid", file);
	memcpy(reg->file, file, strlen(file) + 1);
	memcpy(reg->name, file, n);
	reg->name[n] = '\0';
	reg->has_alg = colon && hash_alg_from_name(colon + 1, &reg->alg) == 0;
	if (colon && !reg->has_alg)
		return error_set(e, -EOPNOTSUPP,
				 "measurement register %s uses hash algorithm '%s', which mrboot "
				 "does not support",
				 reg->name, colon + 1);
	while (digits < n && reg->name[n - 1 - digits] >= '0' && reg->name[n - 1 - digits] <= '9')
		digits++;
	reg->index = -1;
	if (digits > 0 && digits <= 2 && digits < n)
		reg->index = (int)strtol(reg->name + n - digits, NULL, 10);
	return 0;
}

static int tsm_mr_compare(const void *a, const void *b)
{
	return strcmp(((const struct tsm_mr_register *)a)->file,
		      ((const struct tsm_mr_register *)b)->file);
}

int tsm_mr_open(struct tsm_mr *mr, const char *root, const char *dir, enum mr_family family,
		struct error *e)
{
	struct dirent *de;
	DIR *d;
	int r;

	*mr = (struct tsm_mr){ .family = family, .sysfs = dir };
	r = path_join_root(mr->dir, sizeof(mr->dir), root, dir);
	if (r < 0)
		return error_set_errno(e, r, "%s under %s", dir, root);
	d = opendir(mr->dir);
	if (!d)
		return error_set_errno(e, -errno, "cannot list %s", mr->dir);
	r = 0;
	while ((de = readdir(d))) {
		struct tsm_mr_register *reg;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, 0) < 0) {
			r = error_set_errno(e, -errno, "cannot stat %s/%s", mr->dir, de->d_name);
			break;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if (mr->count == TSM_MR_MAX) {
			r = error_set(e, -E2BIG, "%s has more than %d registers", mr->dir,
				      TSM_MR_MAX);
			break;
		}
		reg = &mr->reg[mr->count];
		r = tsm_mr_parse_name(reg, de->d_name, e);
		if (r < 0) {
			error_prefix(e, "%s", mr->dir);
			break;
		}
		/*
		 * sysfs grants writes by mode alone (root included), so the mode bit is the
		 * kernel's own statement of which registers extend; access() would say yes
		 * to root for every file of a fixture tree.
		 */
		reg->writable = (st.st_mode & 0222) != 0;
		if (!reg->writable)
			reg->index = -1;
		if (reg->writable && (!reg->has_alg || reg->index < 0)) {
			r = error_set(e, -EINVAL,
				      "%s/%s is writable but has no index and hash algorithm",
				      mr->dir, de->d_name);
			break;
		}
		mr->count++;
	}
	closedir(d);
	if (r < 0)
		return r;
	qsort(mr->reg, mr->count, sizeof(mr->reg[0]), tsm_mr_compare);
	for (unsigned i = 1; i < mr->count; i++)
		if (mr->reg[i].index >= 0 && mr->reg[i].index == mr->reg[i - 1].index)
			return error_set(e, -EINVAL, "%s has two registers with index %d", mr->dir,
					 mr->reg[i].index);
	return 0;
}

const struct tsm_mr_register *tsm_mr_find(const struct tsm_mr *mr, int index)
{
	for (unsigned i = 0; i < mr->count; i++)
		if (mr->reg[i].writable && mr->reg[i].index == index)
			return &mr->reg[i];
	return NULL;
}

static int tsm_mr_open_attr(const struct tsm_mr *mr, const struct tsm_mr_register *reg, int flags,
			    char *path, size_t size, struct error *e)
{
	int fd;

	if ((size_t)snprintf(path, size, "%s/%s", mr->dir, reg->file) >= size)
		return error_set(e, -ENAMETOOLONG, "%s/%s: path too long", mr->dir, reg->file);
	fd = open(path, flags | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return error_set_errno(e, -errno, "cannot open %s", path);
	return fd;
}

int tsm_mr_read(const struct tsm_mr *mr, const struct tsm_mr_register *reg, uint8_t *out,
		size_t cap, size_t *len, struct error *e)
{
	_cleanup_close_ int fd = -1;
	uint8_t buf[TSM_MR_VALUE_MAX + 1];
	char path[PATH_MAX + TSM_MR_NAME_MAX];
	size_t n = 0;
	ssize_t k;

	fd = tsm_mr_open_attr(mr, reg, O_RDONLY, path, sizeof(path), e);
	if (fd < 0)
		return fd;
	/* A sysfs read may return less than asked; the value is complete only at EOF. */
	k = file_read_full(fd, buf, sizeof(buf));
	if (k < 0)
		return error_set_errno(e, (int)k, "cannot read %s", path);
	n = (size_t)k;
	if (n > TSM_MR_VALUE_MAX)
		return error_set(e, -EFBIG, "%s holds more than %d bytes", path, TSM_MR_VALUE_MAX);
	if (reg->has_alg && n != hash_info(reg->alg)->size)
		return error_set(e, -EIO, "%s holds %zu bytes, not the %u of a %s digest", path, n,
				 hash_info(reg->alg)->size, hash_info(reg->alg)->name);
	if (n > cap)
		return error_set(e, -ENOBUFS, "%s holds %zu bytes, more than the %zu expected",
				 path, n, cap);
	memcpy(out, buf, n);
	*len = n;
	return 0;
}

/* What the kernel's errors mean for an extend, in words a person can act on. */
static const char *tsm_mr_extend_reason(int err)
{
	switch (err) {
	case EINVAL:
		return "the kernel refused the digest size";
	case EFBIG:
		return "the kernel refused the write offset";
	case EACCES:
	case EPERM:
		return "the register is not writable";
	case EIO:
		return "the TDX module or RMM refused the extend";
	default:
		return strerror(err);
	}
}

int tsm_mr_extend(const struct tsm_mr *mr, const struct tsm_mr_register *reg, const uint8_t *digest,
		  struct error *e)
{
	_cleanup_close_ int fd = -1;
	char path[PATH_MAX + TSM_MR_NAME_MAX];
	size_t size;
	ssize_t k;

	if (!reg->writable || !reg->has_alg)
		return error_set(e, -EPERM, "%s/%s is not an extensible register", mr->dir,
				 reg->file);
	size = hash_info(reg->alg)->size;
	fd = tsm_mr_open_attr(mr, reg, O_WRONLY, path, sizeof(path), e);
	if (fd < 0)
		return fd;
	/*
	 * Exactly one write of exactly the digest size at offset 0: sysfs cuts a longer write
	 * silently and the kernel extends with whatever arrived, so a retry of a short or
	 * interrupted write would extend twice. A short write is reported, never repeated.
	 */
	k = pwrite(fd, digest, size, 0);
	if (k < 0)
		return error_set(e, -errno, "extending %s: %s", path, tsm_mr_extend_reason(errno));
	if ((size_t)k != size)
		return error_set(e, -EIO, "extending %s: the kernel took %zd of %zu bytes", path, k,
				 size);
	return 0;
}
