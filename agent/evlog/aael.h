/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_EVLOG_AAEL_H
#define MRBOOT_EVLOG_AAEL_H

/*
 * AAEL tagged events: how mrboot describes a measurement of a TDX RTMR or an Arm CCA REM so
 * that the Trustee key broker can read it. An event is three parts, a domain and an operation
 * (words without spaces) and a content (UTF-8 text, may contain spaces); its body is a
 * TCG_PCClientTaggedEvent (PC Client PFP, EV_EVENT_TAG):
 *
 *	u32le taggedEventID = 0x4141454C ("AAEL"), u32le size, "<domain> <operation> <content>"
 *
 * with no newline and no NUL, and the register is extended with the hash of the whole body.
 * This is the body the Confidential Containers attestation agent appends to the CCEL.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/hash.h"

struct error;

#define AAEL_TAGGED_EVENT_ID 0x4141454Cu
#define AAEL_HEADER_SIZE 8u
/* Longest text mrboot writes: an event is one journal record, which is at most 1 MiB. */
#define AAEL_TEXT_MAX (1u << 20)

/*
 * Checks the three parts as mrboot writes them: domain and operation non-empty, without
 * spaces; no part with a control character (C0 or DEL: the text stays one printable line);
 * content non-empty; all well-formed UTF-8; the text no longer than AAEL_TEXT_MAX. -EINVAL
 * with a message naming the part and the byte offset in it.
 */
int aael_validate(const char *domain, const char *operation, const char *content, struct error *e);

/* Bytes of the body for these parts (header and text); call aael_validate() first. */
size_t aael_body_size(const char *domain, const char *operation, const char *content);

/*
 * Validates the parts and writes the body into buf (cap bytes); *written gets its size.
 * -ENOBUFS when cap is too small, with *written set to the size needed.
 */
int aael_body_write(uint8_t *buf, size_t cap, const char *domain, const char *operation,
		    const char *content, size_t *written, struct error *e);

/*
 * Validates the parts and writes hash_info(alg)->size bytes to out: the digest of the body,
 * hashed piece by piece so that no copy of the body is made.
 */
int aael_digest(enum hash_alg alg, const char *domain, const char *operation, const char *content,
		uint8_t *out, struct error *e);

/* A body read back: the three parts point into it and are not NUL-terminated. */
struct aael_view {
	const char *domain, *operation, *content;
	size_t domain_len, operation_len, content_len;
};

/*
 * Parses a body with Trustee's rules (deps/eventlog, EV_EVENT_TAG parser): the tag ID, a size
 * that covers exactly the rest of the body (Trustee ignores bytes after the text; we do not),
 * well-formed UTF-8, and at least two spaces: the domain ends at the first, the operation at
 * the second, and the content is the rest. UTF-8 is utf8.h's (RFC 3629), the same rule as
 * Rust's String::from_utf8, which Trustee uses. -EBADMSG names the byte offset in the body.
 */
int aael_parse(const uint8_t *body, size_t len, struct aael_view *view, struct error *e);

#endif
