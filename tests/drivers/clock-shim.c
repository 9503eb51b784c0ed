/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LD_PRELOAD for the tests of issue 13, part 7: time() says what MRBOOT_TEST_CLOCK says
 * (seconds since 1970, 0 when unset), as the clock of a guest whose host set it would. The
 * agent and BearSSL read the time with time(); a dynamically linked test build resolves that
 * to this. The static agent cannot be fooled this way, and has no hook for it.
 */
#include <stdlib.h>
#include <time.h>

time_t time(time_t *t)
{
	const char *clock = getenv("MRBOOT_TEST_CLOCK");
	time_t now = clock ? (time_t)strtoll(clock, NULL, 10) : 0;

	if (t)
		*t = now;
	return now;
}
