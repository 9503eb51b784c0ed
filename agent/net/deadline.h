/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_NET_DEADLINE_H
#define MRBOOT_NET_DEADLINE_H

#include <stdint.h>

/*
 * One overall deadline for every network step: an absolute time on CLOCK_MONOTONIC in
 * milliseconds, so that a slow resolver, a slow handshake and a slow body share one budget
 * and wall-clock jumps (the initrd may set the clock while we wait) do not stretch it.
 */

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t deadline_now_ms(void);

/* now + ms, saturating at UINT64_MAX (a deadline that never comes). */
uint64_t deadline_after_ms(uint64_t ms);

/* Milliseconds left until deadline: 0 once it has passed, clamped to INT_MAX (for poll()). */
int deadline_left_ms(uint64_t deadline);

#endif
