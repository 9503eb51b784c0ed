/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * luks_token_parse() on any bytes as a LUKS2 header's token JSON, which the host writes and
 * nothing authenticates. An accepted token keeps the documented bounds (a key slot 0..31, a
 * broker selection of none or 1..KBS_URLS_MAX https URLs, a timeout of 1..LUKS_TOKEN_TIMEOUT_MAX
 * seconds or none) and is what enrolment could have written: luks_token_write() of it parses
 * back to the same token, and writing that again gives the same text. A refusal says why;
 * -EPROTO only for the members of an older mrboot's tokens (its own trust anchor or TEE). And
 * luks_token_brokers() gives an accepted token only brokers of the configuration: its own
 * selection when that is the configuration, -ENOENT when the configuration lists none of them.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "basic/error.h"
#include "fuzz.h"
#include "json/json.h"
#include "luks/token.h"

static char *token_text(const struct luks_token *t, size_t *len)
{
	struct json_writer w;
	struct error e = { 0 };
	char *text;

	json_writer_init(&w, LUKS_TOKEN_JSON_MAX);
	luks_token_write(t, &w);
	if (json_writer_finish(&w, &e) < 0)
		fprintf(stderr, "cannot write the token back: %s\n", e.msg);
	fuzz_check(e.code == 0, "an accepted token can be written");
	text = w.buf;
	*len = w.len;
	w.buf = NULL;
	json_writer_free(&w);
	return text;
}

static void check_same(const struct luks_token *a, const struct luks_token *b)
{
	size_t i;

	fuzz_check(a->keyslot == b->keyslot, "the same key slot");
	for (i = 0; a->urls[i] && b->urls[i]; i++)
		fuzz_check(strcmp(a->urls[i], b->urls[i]) == 0, "the same URLs");
	fuzz_check(!a->urls[i] && !b->urls[i], "as many URLs");
	fuzz_check(strcmp(a->resource, b->resource) == 0, "the same resource");
	fuzz_check(a->timeout == b->timeout, "the same timeout");
}

/* The brokers an accepted token may ask: never one the configuration does not list. */
/* Whether text starts with name, or is the start of it, cut where the message was full. */
static bool names_prefix(const char *text, const char *name)
{
	size_t t = strlen(text), n = strlen(name);

	return strncmp(text, name, t < n ? t : n) == 0;
}

static void check_brokers(const struct luks_token *t)
{
	static char elsewhere[] = "https://configured.invalid";
	char *only_elsewhere[] = { elsewhere, NULL };
	char *out[KBS_URLS_MAX + 1];
	struct error e = { 0 };
	size_t i;
	int r;

	/* The configuration is the token's own selection: that, in the token's order. */
	if (t->urls[0]) {
		r = luks_token_brokers(t, t->urls, out, &e);
		fuzz_check(r == 0, "a selection of configured brokers is taken");
		for (i = 0; t->urls[i]; i++)
			fuzz_check(out[i] && strcmp(out[i], t->urls[i]) == 0,
				   "in the token's order");
		fuzz_check(!out[i], "and no other");
	}
	/* A configuration of another broker: every configured one without a selection, else
	 * a refusal unless the token chose exactly that one. */
	e = (struct error){ 0 };
	r = luks_token_brokers(t, only_elsewhere, out, &e);
	if (!t->urls[0]) {
		fuzz_check(r == 0 && out[0] == elsewhere && !out[1],
			   "no selection: the configured");
		return;
	}
	for (i = 0; t->urls[i]; i++)
		if (strcmp(t->urls[i], elsewhere) != 0)
			break;
	/* By name: as much of it as the message holds (ERROR_MSG_MAX cuts a long URL). */
	if (t->urls[i])
		fuzz_check(r == -ENOENT && e.code == r &&
				   strncmp(e.msg, "the token names broker ", 23) == 0 &&
				   names_prefix(e.msg + 23, t->urls[i]),
			   "a broker not configured is refused, by name");
	else
		fuzz_check(r == 0, "the configured broker chosen");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_arena arena, again_arena;
	struct luks_token t, again;
	struct error e = { 0 };
	char *text, *text2;
	size_t len, len2, n;
	int r;

	r = luks_token_parse(&t, &arena, (const char *)data, size, &e);
	if (r < 0) {
		fuzz_check(e.code == r && e.msg[0], "a refusal says why");
		if (r == -EPROTO)
			fuzz_check(strncmp(e.msg, "member 'mrboot-trust-anchor': ", 30) == 0 ||
					   strncmp(e.msg, "member 'mrboot-tee': ", 21) == 0,
				   "-EPROTO for an old token's anchor or TEE only");
		if (strncmp(e.msg, "member 'mrboot-trust-anchor': ", 30) == 0 ||
		    strncmp(e.msg, "member 'mrboot-tee': ", 21) == 0)
			fuzz_check(r == -EPROTO && strstr(e.msg, "enroll the volume again"),
				   "an old token: -EPROTO, saying to re-enroll");
		json_arena_free(&arena);
		return 0;
	}
	fuzz_check(t.keyslot < LUKS_TOKEN_KEYSLOTS, "a LUKS2 key slot");
	for (n = 0; t.urls[n]; n++)
		/* RFC 3986 section 3.1: the scheme is case-insensitive. */
		fuzz_check(strncasecmp(t.urls[n], "https://", 8) == 0, "https brokers only");
	fuzz_check(n <= KBS_URLS_MAX, "no selection, or 1..KBS_URLS_MAX brokers");
	fuzz_check(t.timeout <= LUKS_TOKEN_TIMEOUT_MAX, "a bounded timeout");
	fuzz_check(t.resource && t.resource[0], "the required members");
	check_brokers(&t);

	text = token_text(&t, &len);
	r = luks_token_parse(&again, &again_arena, text, len, &e);
	if (r < 0)
		fprintf(stderr, "the written token is refused: %s\n%s\n", e.msg, text);
	fuzz_check(r == 0, "the written token parses");
	check_same(&t, &again);
	text2 = token_text(&again, &len2);
	fuzz_check(len == len2 && memcmp(text, text2, len) == 0, "writing is a fixed point");
	free(text2);
	free(text);
	json_arena_free(&again_arena);
	json_arena_free(&arena);
	return 0;
}
