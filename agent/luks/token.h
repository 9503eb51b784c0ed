/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_LUKS_TOKEN_H
#define MRBOOT_LUKS_TOKEN_H

/*
 * The mrboot LUKS2 token (DESIGN.md section 8): the JSON object that `mrboot enroll` writes
 * into a LUKS2 header and that the libcryptsetup token plugin reads back to fetch the key of
 * its key slot from the broker. One shape, read strictly by one parser, so that enrolment
 * never writes what the plugin would refuse:
 *
 *   {"type":"mrboot","keyslots":["N"],
 *    "mrboot-resource":"repository/type/tag",
 *    "mrboot-kbs-url":["https://...", ...],      optional: 1..KBS_URLS_MAX of the brokers the
 *                                                initrd's configuration lists, to ask these only
 *    "mrboot-timeout":S}                          optional: seconds, 1..LUKS_TOKEN_TIMEOUT_MAX
 *
 * The header is the host's (doc/trust-model.md): a token may say which key it needs and
 * choose among the brokers the initrd trusts, never name a broker, trust anchor or TEE of its
 * own. Brokers, anchors and the TEE come from /etc/mrboot.conf in the initrd. Every member is
 * checked and any other member is refused; tokens of mrboot before this rule, which carried
 * "mrboot-trust-anchor" and "mrboot-tee", are refused with a message that says to re-enroll.
 */

#include <stdbool.h>
#include <stddef.h>

#include "kbs/release.h"

struct error;
struct json_arena;
struct json_writer;

#define LUKS_TOKEN_TYPE "mrboot"
#define LUKS_TOKEN_KEYSLOTS 32		 /* LUKS2 key slots are 0..31 */
#define LUKS_TOKEN_JSON_MAX (256 * 1024) /* a token with a CA bundle is a few KiB */
#define LUKS_TOKEN_TIMEOUT_DEFAULT 30	 /* seconds: the boot falls back to a passphrase after */
#define LUKS_TOKEN_TIMEOUT_MAX 300

struct luks_token {
	unsigned keyslot;
	char *urls[KBS_URLS_MAX + 1]; /* NULL-terminated; empty: every configured broker */
	const char *resource;	      /* repository/type/tag */
	unsigned timeout;	      /* seconds, 0 for LUKS_TOKEN_TIMEOUT_DEFAULT */
};

/*
 * Parses and checks len bytes of token JSON into *t, whose strings then point into arena
 * (json_arena_init() it, json_arena_free() it when done with *t). Errors are -EINVAL (or
 * -ENOMEM) with a message that names the member and what is wrong with it; -EPROTO for a
 * token of an older mrboot, which names its own trust anchor or TEE.
 */
int luks_token_parse(struct luks_token *t, struct json_arena *arena, const char *json, size_t len,
		     struct error *e);

/* Writes *t as the token object; check the writer with json_writer_finish(). */
void luks_token_write(const struct luks_token *t, struct json_writer *w);

/*
 * The brokers to ask: the token's selection, each of which must be one of configured (a
 * NULL-terminated list, the configuration's [kbs] url), or all of configured when the token
 * makes none. -ENOENT naming the broker the configuration does not list, or when it lists
 * none. *out is NULL-terminated and points into t or configured.
 */
int luks_token_brokers(const struct luks_token *t, char *const *configured,
		       char *out[KBS_URLS_MAX + 1], struct error *e);

#endif
