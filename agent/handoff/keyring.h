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
 *
 * The key is made in this process's session keyring and linked from there into the user
 * keyring. systemd-cryptsetup finds it with request_key("user", "cryptsetup"), which searches
 * its own session keyring; its units carry KeyringMode=shared, which links root's user
 * keyring into that session keyring (systemd src/shared/ask-password-api.c, lookup_key(), at
 * 709f6e46; the unit text in Debian's systemd 252). mrboot's own unit keeps systemd's default,
 * KeyringMode=private: a session keyring that does not link the user keyring, so a key made
 * straight in the user keyring is not possessed here, and only its possessor may set its
 * timeout or invalidate it (EACCES otherwise). The link from this session keeps it ours.
 */
int keyring_add_cryptsetup(const struct secret *const *keys, size_t n, unsigned timeout_s,
			   int32_t *serial, struct error *e);

/* Invalidates the key (it is gone at once for every reader). 0, or -1 with errno set. */
int keyring_invalidate(int32_t serial);

#endif
