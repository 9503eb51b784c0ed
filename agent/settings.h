/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_SETTINGS_H
#define MRBOOT_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "log.h"

struct error;

/*
 * The agent's configuration: /etc/mrboot.conf, then every mrboot.<section>.<key>= of the
 * kernel command line. Each issue that adds behaviour adds its keys here and to mrboot(1).
 */
enum settings_rootfs {
	SETTINGS_ROOTFS_AUTO,	/* the verity root hash when the command line has one, else none */
	SETTINGS_ROOTFS_VERITY, /* the verity root hash; missing is an error */
	SETTINGS_ROOTFS_DEVICE, /* a digest of the whole device */
	SETTINGS_ROOTFS_NONE,
};

struct settings {
	int log_level;	/* [general] log-level: index into the names, err = 0 .. debug = 4 */
	int log_target; /* [general] log-target: enum log_target */

	/* [measure]: what `mrboot measure` measures, and into which logical PCR */
	bool measure_cmdline;
	bool measure_config;
	char **measure_files; /* further files, measured by digest */
	int measure_rootfs;   /* enum settings_rootfs */
	char *rootfs_device;  /* for rootfs = device */
	char *roothash;	      /* hex; overrides the kernel command line's */
	uint64_t pcr_cmdline;
	uint64_t pcr_config;
	uint64_t pcr_rootfs;
	uint64_t pcr_separator;

	/* [tpm]: where the TPM is when the platform has one */
	char *tpm_device; /* default /dev/tpmrm0 */
	char *tpm_socket; /* a swtpm command socket instead (tests, development) */
};

/* Defaults, then the file under root (missing is fine), then <root>/proc/cmdline. */
int settings_load(struct settings *s, const char *root, const char *config_path, struct error *e);
void settings_free(struct settings *s);

/* The effective configuration in the file's own syntax. */
int settings_write(const struct settings *s, FILE *out);

/* log-level as a syslog priority (LOG_ERR .. LOG_DEBUG). */
int settings_log_priority(const struct settings *s);

#endif
