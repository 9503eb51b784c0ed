/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "deadline.h"

#include <limits.h>
#include <time.h>

uint64_t deadline_now_ms(void)
{
	struct timespec ts;

	/* Cannot fail for CLOCK_MONOTONIC on Linux; a zeroed ts would still be monotonic. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t deadline_after_ms(uint64_t ms)
{
	uint64_t now = deadline_now_ms();

	return ms > UINT64_MAX - now ? UINT64_MAX : now + ms;
}

int deadline_left_ms(uint64_t deadline)
{
	uint64_t now = deadline_now_ms();

	if (now >= deadline)
		return 0;
	return deadline - now > INT_MAX ? INT_MAX : (int)(deadline - now);
}
