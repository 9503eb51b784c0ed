/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small TAP 13 producer for the C tests (meson test runs them with protocol 'tap').
 * One behaviour per assertion, named for it; compare against independently derived values.
 */
#ifndef MRBOOT_TAP_H
#define MRBOOT_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static unsigned tap_count;
static unsigned tap_failures;

__attribute__((format(printf, 2, 0))) static inline void tap_vreport(int pass, const char *fmt,
								     va_list ap)
{
	tap_count++;
	if (!pass)
		tap_failures++;
	printf("%sok %u - ", pass ? "" : "not ", tap_count);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
}

__attribute__((format(printf, 2, 3))) static inline int tap_ok(int pass, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vreport(pass, fmt, ap);
	va_end(ap);
	return pass;
}

__attribute__((format(printf, 1, 2))) static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

__attribute__((format(printf, 3, 4))) static inline int tap_is_int(intmax_t got, intmax_t want,
								   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vreport(got == want, fmt, ap);
	va_end(ap);
	if (got != want)
		tap_diag("got %jd, want %jd", got, want);
	return got == want;
}

__attribute__((format(printf, 3, 4))) static inline int tap_is_str(const char *got,
								   const char *want,
								   const char *fmt, ...)
{
	int pass = got && want ? strcmp(got, want) == 0 : got == want;
	va_list ap;

	va_start(ap, fmt);
	tap_vreport(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		tap_diag("got '%s', want '%s'", got ? got : "(null)", want ? want : "(null)");
	return pass;
}

static inline void tap_diag_hex(const char *label, const void *p, size_t n)
{
	const unsigned char *b = p;

	printf("# %s ", label);
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
	putchar('\n');
}

__attribute__((format(printf, 4, 5))) static inline int tap_is_mem(const void *got,
								   const void *want, size_t n,
								   const char *fmt, ...)
{
	int pass = memcmp(got, want, n) == 0;
	va_list ap;

	va_start(ap, fmt);
	tap_vreport(pass, fmt, ap);
	va_end(ap);
	if (!pass) {
		tap_diag_hex("got ", got, n);
		tap_diag_hex("want", want, n);
	}
	return pass;
}

/* Reports one skipped assertion with the reason (a skip must say why). */
static inline void tap_skip(const char *why)
{
	tap_count++;
	printf("ok %u # SKIP %s\n", tap_count, why);
	fflush(stdout);
}

/* Prints the plan after the tests and returns the exit status for main(). */
static inline int tap_done(void)
{
	printf("1..%u\n", tap_count);
	return tap_failures ? 1 : 0;
}

#endif
