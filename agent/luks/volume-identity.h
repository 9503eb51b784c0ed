/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_LUKS_VOLUME_IDENTITY_H
#define MRBOOT_LUKS_VOLUME_IDENTITY_H

/*
 * The identity of an opened LUKS volume, as systemd computes it for `fixate-volume-key=` and
 * measures it for `tpm2-measure-pcr=yes` (systemd v260 and later; read in
 * src/shared/cryptsetup-util.c, cryptsetup_get_volume_key_prefix() and
 * cryptsetup_get_volume_key_id(), systemd commit 00923bf3, and measure_volume_key() in
 * src/cryptsetup/cryptsetup.c):
 *
 *   prefix = "cryptsetup:" + xescape(volume name, ":") + ":" + the LUKS UUID
 *   id     = lowercase hex of HMAC-SHA256(key = the volume key, message = prefix)
 *
 * The host can rewrite a LUKS2 header's UUID, JSON and checksum (none is keyed), so only the
 * volume key makes the identity unforgeable: a different volume (another luksFormat, or an
 * old copy from before a re-encryption) has another volume key, whatever its header says, and
 * the host cannot compute the HMAC without the key. The HMAC, not a hash of the key, is what
 * may be shown: systemd puts it on the kernel command line and into PCR 15's SHA-256 bank.
 *
 * mrboot never reads the key back from an active volume (LUKS2 keeps it in the kernel keyring
 * as a logon key) nor reads a header twice for it: the key is taken once from the header with
 * the passphrase, checked, and the volume is activated with exactly that key, so that what is
 * active is what was checked (a header rewritten in between cannot change the key).
 */

#include <stddef.h>
#include <stdint.h>

#include "basic/secret.h"

struct error;

#define VOLUME_IDENTITY_SIZE 32 /* HMAC-SHA256 */
#define VOLUME_IDENTITY_HEX_SIZE (2 * VOLUME_IDENTITY_SIZE + 1)
#define VOLUME_UUID_MAX 40 /* a LUKS2 UUID is 36 characters; the header has room for 40 */
#define VOLUME_KEY_MAX 512 /* bytes; cryptsetup's limit is 512 bits * 8 for wrapped keys */
#define VOLUME_PREFIX_MAX (sizeof("cryptsetup:") + 4 * 128 + 1 + VOLUME_UUID_MAX)

/* A volume key as read from a header: the key and the header's UUID, from the same read. */
struct volume_key {
	struct secret key;
	char uuid[VOLUME_UUID_MAX + 1];
};

void volume_key_free(struct volume_key *k);

/*
 * systemd's prefix for this name and UUID into out (NUL-terminated). Every byte of the name
 * below 0x20 or from 0x7f, a backslash and ':' become \xNN, as systemd's xescape() does.
 */
int volume_identity_prefix(const char *name, const char *uuid, char *out, size_t size,
			   struct error *e);

/* The identity of volume key vk opened as name with the header's uuid. */
int volume_identity_compute(const uint8_t *vk, size_t vk_len, const char *name, const char *uuid,
			    uint8_t id[VOLUME_IDENTITY_SIZE], struct error *e);

/* 64 hex digits (either case) into id; anything else is -EINVAL. */
int volume_identity_from_hex(const char *hex, size_t len, uint8_t id[VOLUME_IDENTITY_SIZE],
			     struct error *e);

/* Whether a and b are equal, in time that does not depend on where they differ. */
int volume_identity_equal(const uint8_t a[VOLUME_IDENTITY_SIZE],
			  const uint8_t b[VOLUME_IDENTITY_SIZE]);

/*
 * The UUID and the volume key from the text of `cryptsetup luksDump --dump-volume-key`
 * (cryptsetup 2.x: "UUID:" and "MK dump:" followed by hex bytes over several lines). The key
 * goes into out->key, a secret.
 */
int volume_key_parse_dump(const char *text, size_t len, struct volume_key *out, struct error *e);

/*
 * Reads the volume key of the LUKS device with the passphrase: one `cryptsetup luksDump
 * --dump-volume-key` run, the passphrase on its stdin, its output (which holds the key) kept
 * in a secret. The UUID comes from the same read of the header as the key.
 */
int volume_key_read(const char *device, const struct secret *passphrase, uint64_t deadline,
		    struct volume_key *out, struct error *e);

/*
 * `cryptsetup open --volume-key-file=/dev/fd/3 DEVICE NAME`, the key on descriptor 3: the
 * volume becomes active with exactly this key. A header whose digest does not accept the key
 * is refused by cryptsetup.
 */
int volume_activate(const char *device, const char *name, const struct secret *vk,
		    uint64_t deadline, struct error *e);

/* `cryptsetup close NAME`. */
int volume_deactivate(const char *name, uint64_t deadline, struct error *e);

#endif
