/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "evlog/firmware.h"

#include <errno.h>
#include <stdlib.h>

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

int evlog_firmware_load(struct evlog_firmware *fw, const char *root, const char *path,
			struct error *e)
{
	int k;

	k = evlog_firmware_read(root, path, fw->path, sizeof(fw->path), &fw->data, &fw->len, e);
	if (k == -ENOENT) {
		*e = (struct error){ 0 };
		return 0;
	}
	return k;
}

void evlog_firmware_free(struct evlog_firmware *fw)
{
	free(fw->data);
	fw->data = NULL;
	fw->len = 0;
}
