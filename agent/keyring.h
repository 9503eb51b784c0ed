/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_KEYRING_H
#define MRBOOT_KEYRING_H

/*
 * The kernel keyring hand-off that systemd-cryptsetup also reads: a "user" key named
 * "cryptsetup" in the user keyring, whose payload is passphrases separated by NUL bytes
 * (DESIGN.md section 8). A key that itself holds a NUL cannot be one passphrase there.
 */

#include <stddef.h>
#include <stdint.h>

struct error;
struct secret;

#define KEYRING_DESCRIPTION "cryptsetup"

/*
 * Adds the n keys as one payload, NUL-separated (or replaces the payload of an existing key of
 * that name), and lets the kernel remove it after timeout_s seconds (0: never). *serial gets
 * the key's serial number. systemd-cryptsetup tries each passphrase on every volume.
 */
int keyring_add_cryptsetup(const struct secret *const *keys, size_t n, unsigned timeout_s,
			   int32_t *serial, struct error *e);

#endif
