/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_MEASURE_H
#define MRBOOT_MEASURE_H

#include "evlog/record.h"
#include "hash.h"

struct error;

/*
 * The events `mrboot measure` logs and extends, domain "mrboot", content a compact JSON
 * object a policy can read:
 *   kernel-cmdline  {"cmdline":"..."}
 *   config / file   {"path":"/etc/mrboot.conf","sha256":"<hex>"} or {"path":...,"absent":true}
 *   rootfs-verity   {"parameter":"roothash","hash":"<hex>"} (from the command line or config)
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
 * The verity root hashes on the command line (roothash=, usrhash=,
 * systemd.verity_root_hash=): fills up to max events; *count gets how many.
 */
int measure_verity_events(const char *cmdline, unsigned pcr, struct record_event *evs, unsigned max,
			  unsigned *count, struct error *e);
int measure_verity_config_event(const char *hex, unsigned pcr, struct record_event *ev,
				struct error *e);

/* A whole block device (or file) by SHA-256, streamed. */
int measure_device_event(const char *root, const char *device, unsigned pcr,
			 const struct hash_progress *progress, struct record_event *ev,
			 struct error *e);

int measure_separator_event(unsigned pcr, struct record_event *ev, struct error *e);

#endif
