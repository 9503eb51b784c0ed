/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "basic/sleep.h"

#include <errno.h>
#include <time.h>

void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}
