/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "basic/secret.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "basic/error.h"

int secret_alloc(struct secret *s, size_t cap, struct error *e)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t map;
	void *p;

	*s = (struct secret){ 0 };
	if (cap == 0 || cap > SIZE_MAX - page)
		return error_set(e, -EINVAL, "secret size %zu is out of range", cap);
	map = (cap + page - 1) / page * page;
	p = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return error_set_errno(e, -errno, "cannot map %zu bytes for a secret", map);
	/* A key that reaches swap outlives the boot; refuse rather than risk it. */
	if (mlock(p, map) < 0) {
		int r = -errno;

		munmap(p, map);
		return error_set_errno(e, r, "cannot lock a secret in memory");
	}
	/* Best effort: kernels without these flags still keep the key locked and wiped. */
	(void)madvise(p, map, MADV_DONTDUMP);
#ifdef MADV_WIPEONFORK
	(void)madvise(p, map, MADV_WIPEONFORK);
#endif
	*s = (struct secret){ .data = p, .cap = cap, .map = map };
	return 0;
}

int secret_append(struct secret *s, const void *p, size_t n, struct error *e)
{
	if (n > s->cap - s->len)
		return error_set(e, -ENOBUFS, "secret of %zu bytes has no room for %zu more",
				 s->cap, n);
	memcpy(s->data + s->len, p, n);
	s->len += n;
	return 0;
}

void secret_free(struct secret *s)
{
	if (!s->data)
		return;
	explicit_bzero(s->data, s->map);
	munlock(s->data, s->map);
	munmap(s->data, s->map);
	*s = (struct secret){ 0 };
}
