/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_MEASURE_H
#define MRBOOT_MEASURE_H

#include "evlog/record.h"
#include "crypto/hash.h"

struct error;

/*
 * The events `mrboot measure` logs and extends, domain "mrboot", content a compact JSON
 * object a policy can read:
 *   kernel-cmdline  {"cmdline":"..."}
 *   config / file   {"path":"/etc/mrboot.conf","sha256":"<hex>"} or {"path":...,"absent":true}
 *   rootfs-verity   {"hash":"<hex>","parameter":"roothash"|"usrhash",
 *                    "source":"cmdline"|"config"|"both"}: the hash systemd's veritysetup
 *                    generator attaches the volume with, and where it was found ("both":
 *                    the command line and [measure] roothash, which must agree)
 *   rootfs-device   {"device":"/dev/vda2","size":N,"sha256":"<hex>"}
 *   separator       {"phase":"measurements-done"}: nothing after it passes as measured before
 */
#define MEASURE_DOMAIN "mrboot"

int measure_cmdline_event(const char *cmdline, unsigned pcr, struct record_event *ev,
			  struct error *e);

/* A file by its SHA-256; a missing file is measured as absent (so removing it shows). */
int measure_file_event(const char *root, const char *path, const char *operation, unsigned pcr,
		       struct record_event *ev, struct error *e);

/*
 * The configuration by the SHA-256 of the bytes that were parsed (struct settings keeps it),
 * not of a second read, which could differ; sha256 NULL: there was no file.
 */
int measure_config_event(const char *path, const uint8_t *sha256, unsigned pcr,
			 struct record_event *ev, struct error *e);

/*
 * The dm-verity root hashes systemd's veritysetup generator will attach, read as systemd reads
 * them in the initrd (verity-cmdline.h), checked against the configuration's [measure]
 * roothash (config_roothash, NULL if none): roothash= then usrhash=, up to max events, *count
 * gets how many (0: none anywhere). Refused (-EINVAL or -EPERM, naming what disagrees): two
 * different values for one hash on the command line, a command line root hash that is not the
 * configuration's, a hash while systemd.verity= turns verity off, roothash= or usrhash= in the
 * SystemdOptions EFI variable's cache under root, and a hash that is not hex of 32 bytes or more.
 */
int measure_verity_events(const char *root, const char *cmdline, const char *config_roothash,
			  unsigned pcr, struct record_event *evs, unsigned max, unsigned *count,
			  struct error *e);

/* A whole block device (or file) by SHA-256, streamed. */
int measure_device_event(const char *root, const char *device, unsigned pcr,
			 const struct hash_progress *progress, struct record_event *ev,
			 struct error *e);

int measure_separator_event(unsigned pcr, struct record_event *ev, struct error *e);

#endif
