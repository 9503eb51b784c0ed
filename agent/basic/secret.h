/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_SECRET_H
#define MRBOOT_SECRET_H

#include <stddef.h>
#include <stdint.h>

#include "basic/macro.h"

struct error;

/*
 * The one home of key material. The bytes live in their own anonymous mapping that is
 * locked in memory (never swapped), left out of core dumps, wiped in a forked child, and
 * zeroed with explicit_bzero() before it is unmapped. Never format a secret into a message.
 */
struct secret {
	uint8_t *data;
	size_t len; /* bytes in use */
	size_t cap; /* bytes usable */
	size_t map; /* bytes mapped (cap rounded up to pages) */
};

/* Maps and locks cap bytes (cap > 0). A zeroed struct secret is a valid "empty" secret. */
int secret_alloc(struct secret *s, size_t cap, struct error *e);

/* Copies n bytes in after the used part; -ENOBUFS (and nothing copied) if they do not fit. */
int secret_append(struct secret *s, const void *p, size_t n, struct error *e);

/* Wipes, unlocks and unmaps; leaves *s zeroed. Safe on a zeroed or already freed secret. */
void secret_free(struct secret *s);

#define _cleanup_secret_ _cleanup_(secret_free)

#endif
