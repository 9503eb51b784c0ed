/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_NET_TRUST_ANCHORS_H
#define MRBOOT_NET_TRUST_ANCHORS_H

#include <bearssl.h>
#include <stddef.h>

struct error;

/*
 * The certificates of a PEM file as BearSSL trust anchors (subject name and public key).
 * A certificate that asserts CA status (basicConstraints cA) anchors chains; one that does
 * not is trusted only as the server's own certificate (BearSSL's direct trust, a pinned
 * self-signed server). Keys: RSA, and EC on P-256, P-384 or P-521.
 * Each anchor owns its name and key bytes; trust_anchors_free() releases them all.
 */
#define TRUST_ANCHORS_FILE_MAX (4 * 1024 * 1024)

struct trust_anchors {
	br_x509_trust_anchor *anchors;
	size_t count;
	size_t cap; /* slots allocated */
};

/* Reads the PEM file at path (up to TRUST_ANCHORS_FILE_MAX); errors name the path. */
int trust_anchors_load(struct trust_anchors *ta, const char *path, struct error *e);

/*
 * From PEM text in memory. Blocks other than CERTIFICATE are skipped. Errors (-EINVAL), each
 * naming the block's index and line: no CERTIFICATE block at all, malformed PEM or base64,
 * not an X.509 certificate BearSSL decodes, an unsupported key type or curve (named).
 * On error *ta is left empty.
 */
int trust_anchors_parse(struct trust_anchors *ta, const void *pem, size_t len, struct error *e);

/* Frees every anchor; leaves *ta empty. Safe on an empty or zeroed struct. */
void trust_anchors_free(struct trust_anchors *ta);

#endif
