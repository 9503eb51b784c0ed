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

/* Records code and message and returns code, so that `return error_set(...)` reads well. */
int error_set(struct error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* As error_set(), with ": <strerror(-code)>" appended. */
int error_set_errno(struct error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Puts "<context>: " before the message already recorded; returns e->code. */
int error_prefix(struct error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
