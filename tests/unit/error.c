/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "basic/error.h"
#include "tap.h"

int main(void)
{
	struct error e = { 0 };

	tap_is_int(error_set(&e, -EINVAL, "bad %s at %d", "key", 3), -EINVAL,
		   "error_set returns the code");
	tap_is_str(e.msg, "bad key at 3", "error_set formats the message");
	tap_is_int(e.code, -EINVAL, "error_set records the code");

	error_set_errno(&e, -ENOENT, "open %s", "/etc/x");
	tap_is_str(e.msg, "open /etc/x: No such file or directory",
		   "error_set_errno appends strerror");

	error_prefix(&e, "config");
	tap_is_str(e.msg, "config: open /etc/x: No such file or directory",
		   "error_prefix puts context first");
	tap_is_int(error_set(NULL, -EIO, "ignored"), -EIO, "a NULL error still returns the code");

	/* A failure is never passed on as success, whatever a buggy caller hands in. */
	tap_is_int(error_set(&e, 0, "no code"), -EINVAL,
		   "error_set returns -EINVAL for a code that is not negative");
	tap_is_int(e.code, -EINVAL, "error_set records -EINVAL for a code that is not negative");
	tap_is_int(error_set_errno(&e, ENOENT, "positive"), -EINVAL,
		   "error_set_errno returns -EINVAL for a positive errno");
	e = (struct error){ 0 };
	tap_is_int(error_prefix(&e, "context"), -EIO,
		   "error_prefix returns -EIO when no error is recorded");
	tap_is_int(e.code, -EIO, "error_prefix records -EIO when no error is recorded");
	tap_is_int(error_prefix(NULL, "context"), -EIO,
		   "error_prefix of a NULL error returns -EIO");
	return tap_done();
}
