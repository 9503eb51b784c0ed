/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_ERROR_H
#define MRBOOT_ERROR_H

/*
 * An error as the core library reports it: a negative errno and one message that names
 * what failed, where (file:line, path, URL, register) and why. The library never prints;
 * the caller that knows the user's context logs the message once.
 */
#define ERROR_MSG_MAX 384

struct error {
	int code; /* negative errno, 0 when unset */
	char msg[ERROR_MSG_MAX];
};

/*
 * Records code and message and returns code, so that `return error_set(...)` reads well.
 * code is a negative errno; one that is not (a caller's bug) is recorded and returned as
 * -EINVAL, so that a failure is never passed on as success.
 */
int error_set(struct error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* As error_set(), with ": <strerror(-code)>" appended. */
int error_set_errno(struct error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Puts "<context>: " before the message already recorded; returns e->code, or -EIO when no
 * error is recorded (a callee that failed without a message, or e NULL), never success.
 */
int error_prefix(struct error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#ifdef __clang_analyzer__
#include <errno.h>
/*
 * clang's static analyser (clang-tidy) does not follow calls to variadic functions, so it
 * would not know what these return and would walk every failure path on as a success. What
 * error.c returns, written out for it: the code, always negative.
 */
#define error_set(e, code, ...)                           \
	({                                                \
		int error_code_ = (code);                 \
		(error_set)(e, error_code_, __VA_ARGS__); \
		error_code_ < 0 ? error_code_ : -EINVAL;  \
	})
#define error_set_errno(e, code, ...)                           \
	({                                                      \
		int error_code_ = (code);                       \
		(error_set_errno)(e, error_code_, __VA_ARGS__); \
		error_code_ < 0 ? error_code_ : -EINVAL;        \
	})
#define error_prefix(e, ...)                                      \
	({                                                        \
		int error_code_ = (error_prefix)(e, __VA_ARGS__); \
		error_code_ < 0 ? error_code_ : -EIO;             \
	})
#endif

#endif
