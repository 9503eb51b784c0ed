/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "basic/path.h"
#include "tap.h"

int main(void)
{
	char buf[16];

	tap_ok(path_join_root(buf, sizeof(buf), NULL, "/etc/a") == 0 && strcmp(buf, "/etc/a") == 0,
	       "a NULL root leaves the path as is");
	tap_ok(path_join_root(buf, sizeof(buf), "", "/etc/a") == 0 && strcmp(buf, "/etc/a") == 0,
	       "an empty root leaves the path as is");
	tap_ok(path_join_root(buf, sizeof(buf), "/", "/etc/a") == 0 && strcmp(buf, "/etc/a") == 0,
	       "root / leaves the path as is");
	tap_ok(path_join_root(buf, sizeof(buf), "/t", "/etc/a") == 0 &&
		       strcmp(buf, "/t/etc/a") == 0,
	       "a root is put before the path");
	tap_ok(path_join_root(buf, sizeof(buf), "/t//", "/etc/a") == 0 &&
		       strcmp(buf, "/t/etc/a") == 0,
	       "trailing slashes of the root are dropped");
	tap_is_int(path_join_root(buf, sizeof(buf), "/t", "etc/a"), -EINVAL,
		   "a relative path is refused");
	tap_is_int(path_join_root(buf, sizeof(buf), "/tmp/x", "/etc/abcd"), 0,
		   "a result of size - 1 bytes fits");
	tap_is_int(path_join_root(buf, sizeof(buf), "/tmp/x", "/etc/abcde"), -ENAMETOOLONG,
		   "a result of size bytes does not fit (no room for the NUL)");
	return tap_done();
}
