/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_MEASURE_PLAN_H
#define MRBOOT_MEASURE_PLAN_H

/*
 * The measurement plan: every event a boot measures, in order, from what [measure] lists, the
 * kernel command line and the files below a root, before anything is extended (a bad item
 * extends nothing). The plan is the same whether a booted initrd extends it (`mrboot
 * measure`) or an image's inputs are read to predict the registers: the loop that extends is
 * the caller's.
 */

#include <stdbool.h>
#include <stdint.h>

#include "crypto/hash.h"
#include "evlog/record.h"

struct error;

#define MEASURE_PLAN_MAX 32

/* How the root file system is measured ([measure] rootfs). */
enum measure_rootfs {
	MEASURE_ROOTFS_AUTO,   /* the verity root hash when the command line has one, else none */
	MEASURE_ROOTFS_VERITY, /* the verity root hash; missing is an error */
	MEASURE_ROOTFS_DEVICE, /* a digest of the whole device */
	MEASURE_ROOTFS_NONE,
};

/* "auto", "verity", "device", "none"; NULL for any other value. */
const char *measure_rootfs_name(int rootfs);

struct measure_plan {
	unsigned count;
	struct record_event ev[MEASURE_PLAN_MAX];
};

struct measure_plan_input {
	const char *root;    /* the files, the devices and the EFI variable cache */
	const char *cmdline; /* the kernel command line's text */
	/* What [measure] lists (settings_measure_plan()), and into which logical PCR. */
	bool cmdline_event;
	bool config_event;
	const char *config_path;      /* as the configuration event names it */
	const uint8_t *config_sha256; /* of the bytes parsed; NULL: there was no file */
	char *const *files;	      /* NULL-terminated, or NULL */
	enum measure_rootfs rootfs;
	const char *rootfs_device; /* for MEASURE_ROOTFS_DEVICE */
	const char *device_root;   /* what rootfs_device is under; NULL: root */
	const char *roothash;	   /* the configuration's; must equal the command line's */
	unsigned pcr_cmdline, pcr_config, pcr_rootfs, pcr_separator;
	const struct hash_progress *progress; /* for a whole root device; may be NULL */
};

/*
 * Builds the plan: the kernel command line, the configuration, the files, the root file system
 * (verity root hashes, or the whole device) and the separator, as the input says. On failure
 * the plan is empty and the error names the item.
 */
int measure_plan_build(struct measure_plan *plan, const struct measure_plan_input *in,
		       struct error *e);
void measure_plan_free(struct measure_plan *plan);

#endif
