/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_TOOL_VOLUME_H
#define MRBOOT_TOOL_VOLUME_H

/*
 * Binding the opened volume (issue 13): after the broker released a volume's resource and
 * before the boot goes on, a volume whose resource names its identity is opened by mrboot
 * itself with the volume key it checked, measured, and only then is the boot let go on.
 *
 *   1. the device: /etc/crypttab or rd.luks.* (luks/volume-source.h), waited for;
 *   2. the volume key and UUID from one read of its header with the released passphrase;
 *   3. systemd's volume key id (luks/volume-identity.h) compared with the broker's;
 *   4. differs: nothing is opened, the message names both identities, EXIT_VOLUME;
 *   5. equal: `cryptsetup open --volume-key-file` with that key, so the active volume is the
 *      checked one whatever its header says later; systemd-cryptsetup then finds it active
 *      and leaves it (systemd 252 and 262 alike: "Volume %s already active.");
 *   6. the event "mrboot volume {"name","uuid","volume-key-id","device"}" is measured into
 *      [measure] pcr-rootfs (15, where systemd measures volume keys).
 *
 * A volume that is already active when mrboot gets to it was opened by something that did
 * not check it, and its key cannot be read back (LUKS2 keeps it in the kernel keyring): it is
 * closed again and refused. On any refusal, every volume mrboot opened in this run is closed
 * again, so that no volume is left open for a boot that stays locked.
 */

#include <stdbool.h>
#include <stddef.h>

#include "basic/secret.h"
#include "cli/context.h"

/*
 * keys[i] holds what the broker released for volumes[i]. Volumes whose resource carries an
 * identity are bound and opened (opened[i] set); for the others, keys[i] is replaced by the
 * bare passphrase for the hand-off, or refused under [unlock] volume-identity = required.
 * Returns EXIT_OK, or EXIT_VOLUME with the reason logged and nothing left open.
 */
int tool_volume_bind(struct tool *tool, struct context *ctx, char *const *volumes,
		     struct secret *keys, size_t n, bool *opened);

#endif
