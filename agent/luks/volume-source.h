/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_LUKS_VOLUME_SOURCE_H
#define MRBOOT_LUKS_VOLUME_SOURCE_H

/*
 * Which block device holds a volume, found as systemd-cryptsetup-generator finds it
 * (src/cryptsetup/cryptsetup-generator.c): the volume's line in /etc/crypttab (the initrd's
 * own file), else rd.luks.name=UUID=NAME (or luks.name=), else rd.luks.uuid=UUID for the
 * volume luks-UUID. The source is turned into a path: UUID=, PARTUUID=, LABEL= into
 * /dev/disk/by-uuid/, by-partuuid/, by-label/; an absolute path as it is.
 *
 * The command line and the disks are the host's, so the device found here is only where to
 * look: what binds the volume is its key (luks/volume-identity.h), whatever device it is on.
 */

#include <stddef.h>

struct error;

/* The device path (not under root) into path; -ENOENT when nothing names the volume. */
int volume_source_find(const char *root, const char *name, const char *cmdline, char *path,
		       size_t size, struct error *e);

#endif
