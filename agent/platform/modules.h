/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_MODULES_H
#define MRBOOT_MODULES_H

struct error;
struct kmod_ctx;

/* Loads kernel modules the way modprobe does (dependencies, blacklist), through libkmod. */
struct modules {
	struct kmod_ctx *kmod;
};

enum module_state {
	MODULE_LOADED,	/* inserted now */
	MODULE_PRESENT, /* already loaded, or built into the kernel */
	MODULE_MISSING, /* no such module for this kernel */
};

/* The running kernel's modules (/lib/modules/$(uname -r)) and modprobe configuration. */
int modules_open(struct modules *m, struct error *e);
void modules_close(struct modules *m);

int modules_load(struct modules *m, const char *name, enum module_state *state, struct error *e);

const char *module_state_name(enum module_state state);

#endif
