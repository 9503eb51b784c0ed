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
 *    "mrboot-kbs-url":["https://...", ...],      1..KBS_URLS_MAX brokers, https only
 *    "mrboot-resource":"repository/type/tag",
 *    "mrboot-trust-anchor":"-----BEGIN ..." | "/absolute/path.pem",
 *    "mrboot-tee":"tdx|snp|cca|tpm|sample",       optional: detected when absent
 *    "mrboot-timeout":S}                          optional: seconds, 1..LUKS_TOKEN_TIMEOUT_MAX
 *
 * Every member is checked and any other member is refused: the header is not authenticated,
 * and a member the plugin silently ignored could not be reasoned about.
 */

#include <stdbool.h>
#include <stddef.h>

#include "attest/tee.h"
#include "kbs/release.h"

struct error;
struct json_arena;
struct json_writer;
struct trust_anchors;

#define LUKS_TOKEN_TYPE "mrboot"
#define LUKS_TOKEN_KEYSLOTS 32		 /* LUKS2 key slots are 0..31 */
#define LUKS_TOKEN_JSON_MAX (256 * 1024) /* a token with a CA bundle is a few KiB */
#define LUKS_TOKEN_TIMEOUT_DEFAULT 30	 /* seconds: the boot falls back to a passphrase after */
#define LUKS_TOKEN_TIMEOUT_MAX 300

struct luks_token {
	unsigned keyslot;
	char *urls[KBS_URLS_MAX + 1]; /* NULL-terminated, as kbs_release_options takes them */
	const char *resource;	      /* repository/type/tag */
	const char *trust_anchor;     /* PEM text, or the absolute path of a PEM file */
	bool has_tee;		      /* false: the TEE is detected when the key is fetched */
	enum tee_type tee;
	unsigned timeout; /* seconds, 0 for LUKS_TOKEN_TIMEOUT_DEFAULT */
};

/*
 * Parses and checks len bytes of token JSON into *t, whose strings then point into arena
 * (json_arena_init() it, json_arena_free() it when done with *t). Errors are -EINVAL (or
 * -ENOMEM) with a message that names the member and what is wrong with it.
 */
int luks_token_parse(struct luks_token *t, struct json_arena *arena, const char *json, size_t len,
		     struct error *e);

/* Writes *t as the token object; check the writer with json_writer_finish(). */
void luks_token_write(const struct luks_token *t, struct json_writer *w);

/* Whether the trust anchor member is a path rather than PEM text. */
bool luks_token_anchor_is_path(const char *trust_anchor);

/* The trust anchors of the token: its PEM text, or the file it names under root. */
int luks_token_load_anchors(const struct luks_token *t, const char *root, struct trust_anchors *ta,
			    struct error *e);

#endif
