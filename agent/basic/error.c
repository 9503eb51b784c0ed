/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "basic/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The functions themselves, not the static analyser's model of them (error.h). */
#undef error_set
#undef error_set_errno
#undef error_prefix

__attribute__((format(printf, 4, 0))) static int error_vset(struct error *e, int code,
							    int with_errno, const char *fmt,
							    va_list ap)
{
	size_t n;

	if (code >= 0)
		code = -EINVAL;
	if (!e)
		return code;
	e->code = code;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	if (with_errno) {
		n = strlen(e->msg);
		snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(-code));
	}
	return code;
}

int error_set(struct error *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = error_vset(e, code, 0, fmt, ap);
	va_end(ap);
	return code;
}

int error_set_errno(struct error *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = error_vset(e, code, 1, fmt, ap);
	va_end(ap);
	return code;
}

int error_prefix(struct error *e, const char *fmt, ...)
{
	char old[ERROR_MSG_MAX];
	va_list ap;
	size_t n;

	if (!e)
		return -EIO;
	memcpy(old, e->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", old);
	if (e->code >= 0)
		e->code = -EIO;
	return e->code;
}
