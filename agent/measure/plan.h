/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_MEASURE_PLAN_H
#define MRBOOT_MEASURE_PLAN_H

/*
 * The measurement plan: every event a boot measures, in order, from the settings, the kernel
 * command line and the files below a root, before anything is extended (a bad item extends
 * nothing). The plan is the same whether a booted initrd extends it (`mrboot measure`) or an
 * image's inputs are read to predict the registers: the loop that extends is the caller's.
 */

#include "crypto/hash.h"
#include "evlog/record.h"

struct error;
struct settings;

#define MEASURE_PLAN_MAX 32

struct measure_plan {
	unsigned count;
	struct record_event ev[MEASURE_PLAN_MAX];
};

struct measure_plan_input {
	const char *root;		 /* the files, the devices and the EFI variable cache */
	const char *config_path;	 /* as the configuration event names it */
	const struct settings *settings; /* what [measure] lists, and the file's digest */
	const char *cmdline;		 /* the kernel command line's text */
	const struct hash_progress *progress; /* for a whole root device; may be NULL */
};

/*
 * Builds the plan: the kernel command line, the configuration, the files [measure] lists, the
 * root file system (verity root hashes, or the whole device) and the separator, as the
 * settings say. On failure the plan is empty and the error names the item.
 */
int measure_plan_build(struct measure_plan *plan, const struct measure_plan_input *in,
		       struct error *e);
void measure_plan_free(struct measure_plan *plan);

#endif
