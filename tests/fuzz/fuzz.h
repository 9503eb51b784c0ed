/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every libFuzzer target shares. A target feeds one input to one parser of untrusted
 * data and, where the module promises one, checks a property (a round trip, a bound) with
 * fuzz_check(): a broken property aborts, so libFuzzer keeps the input as a crash like any
 * sanitizer report.
 */
#ifndef MRBOOT_FUZZ_H
#define MRBOOT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* libFuzzer's entry point; declared so that -Wmissing-prototypes holds for the targets too. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define fuzz_check(cond, what)                                                                     \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: property broken: %s\n", __FILE__, __LINE__, what); \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* p..p+n lies within data..data+size: what a parser hands back points into its input. */
static inline int fuzz_within(const void *p, size_t n, const uint8_t *data, size_t size)
{
	const uint8_t *q = p;

	return q >= data && q <= data + size && n <= (size_t)(data + size - q);
}

#endif
