/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_TSM_MR_H
#define MRBOOT_TSM_MR_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "mr.h"

struct error;

/*
 * Measurement registers exposed by the kernel's tsm-mr sysfs group (Linux >= 6.16):
 * one binary attribute per register, named "NAME" or "NAME:HASH" (HASH as in the kernel's
 * hash_algo_name[], e.g. "sha384"). Reading returns the raw value. Writable registers
 * (mode 0644) are extended by writing exactly one digest of their algorithm at offset 0:
 * the kernel computes H(old || digest) and keeps no log of its own.
 */
#define TSM_MR_MAX 16
#define TSM_MR_NAME_MAX 32
#define TSM_MR_VALUE_MAX 64

/* Where the groups live; names and algorithms are read from the directory, never assumed. */
#define TSM_MR_TDX_DIR "/sys/devices/virtual/misc/tdx_guest/measurements"
#define TSM_MR_CCA_DIR "/sys/devices/virtual/misc/arm_cca_guest/measurements"

struct tsm_mr_register {
	char file[TSM_MR_NAME_MAX]; /* attribute name: "rtmr2:sha384", "mrconfigid" */
	char name[TSM_MR_NAME_MAX]; /* without the hash suffix: "rtmr2" */
	bool has_alg;		    /* the name carried a hash suffix mrboot knows */
	enum hash_alg alg;
	bool writable; /* mode has a write bit: an extensible register */
	int index;     /* trailing number of an extensible register, else -1 */
};

struct tsm_mr {
	char dir[PATH_MAX]; /* the group's directory, root prefix included */
	const char *sysfs;  /* the same as the kernel names it, for messages */
	enum mr_family family;
	unsigned count;
	struct tsm_mr_register reg[TSM_MR_MAX]; /* sorted by name */
};

/*
 * Lists the group at <root><dir>. -ENOENT when there is no such group (the caller decides
 * whether that matters); any attribute it cannot make sense of is an error naming it.
 */
int tsm_mr_open(struct tsm_mr *mr, const char *root, const char *dir, enum mr_family family,
		struct error *e);

/*
 * Reads an attribute name of the group ("rtmr2:sha384", "mrconfigid") into reg's file, name,
 * hash algorithm and index (the number the name ends with when it has one or two digits and
 * something before them, else -1); writable is left to the caller. -EINVAL for a name empty before
 * its colon or too long for reg, -EOPNOTSUPP for a hash algorithm mrboot does not know; the message
 * quotes the name.
 */
int tsm_mr_parse_name(struct tsm_mr_register *reg, const char *file, struct error *e);

/* The extensible register with this index (RTMR n, REM n), or NULL. */
const struct tsm_mr_register *tsm_mr_find(const struct tsm_mr *mr, int index);

/* Reads the value: exactly the digest size for a register with an algorithm. */
int tsm_mr_read(const struct tsm_mr *mr, const struct tsm_mr_register *reg, uint8_t *out,
		size_t cap, size_t *len, struct error *e);

/* Extends a writable register with one digest of its own algorithm. */
int tsm_mr_extend(const struct tsm_mr *mr, const struct tsm_mr_register *reg, const uint8_t *digest,
		  struct error *e);

#endif
