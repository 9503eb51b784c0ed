/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_MACRO_H
#define MRBOOT_MACRO_H

#include <stdlib.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Cleanup attributes so that every error path releases what it holds (systemd style). */
#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

/*
 * Hands a descriptor on, to a close() whose result matters or to a caller, and leaves -1 for
 * the cleanup, so that it is closed exactly once on every path.
 */
static inline int take_fd(int *fd)
{
	int taken = *fd;

	*fd = -1;
	return taken;
}

#endif
