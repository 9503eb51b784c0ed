/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "evlog/firmware.h"

#include "basic/error.h"
#include "basic/file.h"
#include "basic/path.h"

int evlog_firmware_read(const char *root, const char *path, char *where, size_t where_size,
			char **data, size_t *len, struct error *e)
{
	int k;

	*data = NULL;
	*len = 0;
	k = path_join_root(where, where_size, root, path);
	if (k < 0)
		return error_set_errno(e, k, "%s under %s", path, root ? root : "/");
	return file_read_all(where, EVLOG_FIRMWARE_MAX, data, len, e);
}
