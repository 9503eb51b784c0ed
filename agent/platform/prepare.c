/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "platform/prepare.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/vfs.h>

#include "basic/error.h"
#include "basic/macro.h"
#include "platform/detect.h"
#include "platform/modules.h"

#define CONFIGFS_MAGIC 0x62656570
#define SECURITYFS_MAGIC 0x73636673

static bool root_is_real(const char *root)
{
	if (!root)
		return true;
	while (*root == '/')
		root++;
	return *root == '\0';
}

/* Loads name and records how that went; false when it is not loaded. */
static bool prepare_module(struct platform_preparation *p, struct modules *m, const char *name)
{
	struct prepare_module *pm;
	enum module_state state;
	struct error e = { 0 };

	if (p->n_modules == PREPARE_MODULES_MAX)
		return false;
	pm = &p->modules[p->n_modules++];
	snprintf(pm->name, sizeof(pm->name), "%s", name);
	if (!m->kmod) {
		snprintf(pm->state, sizeof(pm->state), "not loaded: no module index");
		return false;
	}
	if (modules_load(m, name, &state, &e) < 0) {
		snprintf(pm->state, sizeof(pm->state), "failed: %s", e.msg);
		return false;
	}
	snprintf(pm->state, sizeof(pm->state), "%s", module_state_name(state));
	return true;
}

/* Mounts an API file system where the kernel offers it but nobody mounted it yet. */
static void prepare_mount(struct platform_preparation *p, const char *path, const char *type,
			  unsigned long magic)
{
	struct statfs sfs;

	if (statfs(path, &sfs) == 0 && (unsigned long)sfs.f_type == magic)
		return;
	if (mount(type, path, type, MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 && errno != EBUSY)
		platform_note(&p->notes, "cannot mount %s on %s: %s", type, path, strerror(errno));
}

void platform_prepare(struct platform_preparation *p, const char *root)
{
	struct modules m = { 0 };
	struct error e = { 0 };
	const char *arch[PREPARE_MODULES_MAX];
	size_t n;

	*p = (struct platform_preparation){ 0 };
	if (!root_is_real(root)) {
		p->skipped = true;
		return;
	}
	if (modules_open(&m, &e) < 0)
		platform_note(&p->notes, "kernel modules cannot be loaded: %s", e.msg);
	prepare_module(p, &m, "configfs");
	/* configfs-tsm reports are module tsm in Linux 6.12 (Debian trixie), tsm_report later. */
	if (!prepare_module(p, &m, "tsm_report"))
		prepare_module(p, &m, "tsm");
	n = detect_arch_modules(root, arch, ARRAY_SIZE(arch));
	for (size_t i = 0; i < n; i++)
		prepare_module(p, &m, arch[i]);
	modules_close(&m);
	prepare_mount(p, "/sys/kernel/config", "configfs", CONFIGFS_MAGIC);
	prepare_mount(p, "/sys/kernel/security", "securityfs", SECURITYFS_MAGIC);
}
