/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_BASIC_SLEEP_H
#define MRBOOT_BASIC_SLEEP_H

/* Sleeps ms milliseconds, the whole time: a signal that interrupts it does not shorten it. */
void sleep_ms(unsigned ms);

#endif
