/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_PLATFORM_PREPARE_H
#define MRBOOT_PLATFORM_PREPARE_H

/*
 * What the initrd does once before the platform can be detected and used: load the modules of
 * the configfs-tsm report and of the platform's guest driver (by the per-architecture signals,
 * detect.h), and mount configfs and securityfs where nobody has. Only on the running system:
 * a --root other than / is a fixture tree, not the running kernel. The token plugin never
 * prepares (it runs inside systemd-cryptsetup, after the initrd did).
 */

#include <stdbool.h>

#include "platform/detect.h"

#define PREPARE_MODULES_MAX 6

struct prepare_module {
	char name[32];
	char state[96]; /* "loaded", "present", "missing", or why loading failed */
};

struct platform_preparation {
	bool skipped; /* a --root other than / is not the running kernel */
	unsigned n_modules;
	struct prepare_module modules[PREPARE_MODULES_MAX];
	struct platform_notes notes; /* what could not be done */
};

/* Loads and mounts what it can; what failed is in p, never an error. */
void platform_prepare(struct platform_preparation *p, const char *root);

#endif
