/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_LUKS_VOLUME_RESOURCE_H
#define MRBOOT_LUKS_VOLUME_RESOURCE_H

/*
 * What the broker releases for a volume. Either the passphrase alone (the bytes of the
 * resource, as before: no identity to check), or the passphrase with the identity of the one
 * volume it may open, so that the expected identity comes over the same authenticated channel
 * as the key and from the same place the key's release is decided:
 *
 *   {"passphrase":"<standard base64 of the passphrase bytes>",
 *    "volume-key-id":"<64 hex digits: systemd's fixate-volume-key= value for this volume>"}
 *
 * Exactly these two members; any other member, or a JSON object missing one, is refused: a
 * resource meant to bind a volume must never pass for a bare passphrase. A resource that is
 * not a JSON object is a bare passphrase (a random binary key is not valid JSON).
 */

#include <stdbool.h>
#include <stdint.h>

#include "luks/volume-identity.h"
#include "basic/secret.h"

struct error;

struct volume_resource {
	struct secret passphrase;
	bool has_identity;
	uint8_t identity[VOLUME_IDENTITY_SIZE];
};

/* Splits released bytes into *out (passphrase copied into a secret of its own). */
int volume_resource_parse(const struct secret *released, struct volume_resource *out,
			  struct error *e);

/* The JSON form of passphrase and identity, for the broker; into out (a secret). */
int volume_resource_write(const struct secret *passphrase, const uint8_t id[VOLUME_IDENTITY_SIZE],
			  struct secret *out, struct error *e);

void volume_resource_free(struct volume_resource *r);

#endif
