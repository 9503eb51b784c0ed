/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_JOSE_H
#define MRBOOT_JOSE_H

/*
 * What the JOSE objects (RFC 7515 to 7518) share, for the strict readers of JWKs (jwk.c) and
 * JWEs (jwe.c): members from a fixed set, binary values as base64url without padding, and
 * untrusted text shown safely in messages.
 */

#include <stddef.h>

#include "json/json.h"

/* Room for jose_describe()'s output, NUL included. */
#define JOSE_DESCRIBE_MAX 72

/*
 * Text from the input as a message shows it: printable ASCII, other bytes as \xNN (so a
 * value cannot forge a log line), cut short with "...".
 */
const char *jose_describe(const char *s, size_t n, char buf[JOSE_DESCRIBE_MAX]);

/*
 * -EINVAL unless obj is an object whose member names are all among names[0..count): an
 * unknown member is refused by name, never skipped, because a parameter we ignore may be
 * one the sender relied on ("crit", "zip", a second key).
 */
int jose_check_members(const struct json_value *obj, const char *const *names, size_t count,
		       struct error *e);

/*
 * The string member name of obj, base64url-decoded (RFC 7515 section 2: no padding, no
 * whitespace, no stray bits) into out (cap bytes); *len gets the byte count. Messages start
 * "member 'name'".
 */
int jose_member_bytes(const struct json_value *obj, const char *name, void *out, size_t cap,
		      size_t *len, struct error *e);

/* As jose_member_bytes(), and the value must be exactly size bytes. */
int jose_member_bytes_exact(const struct json_value *obj, const char *name, void *out, size_t size,
			    struct error *e);

/* The string member name of obj equals want (a C string), else -EINVAL naming both. */
int jose_member_expect(const struct json_value *obj, const char *name, const char *want,
		       struct error *e);

/*
 * BearSSL keeps the intermediate values of a private-key operation (key generation, ECDH,
 * RSA's CRT exponentiation, AES's bitsliced state) in its own stack frames and leaves them
 * there. Called right after such an operation returns, this wipes JOSE_STACK_WIPE bytes
 * below the caller's frame, where those frames were.
 */
#define JOSE_STACK_WIPE (32 * 1024)
void jose_wipe_stack(void);

#endif
