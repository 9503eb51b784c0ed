/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "luks/token.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "basic/error.h"
#include "json/json.h"
#include "kbs/protocol.h"
#include "basic/macro.h"
#include "net/url.h"

/* A string value that is a C string: no NUL inside, as every member here is used as one. */
static int token_string(const struct json_value *v, const char *what, const char **ret,
			struct error *e)
{
	if (v->type != JSON_STRING)
		return error_set(e, -EINVAL, "%s is %s, expected a string", what,
				 json_type_name(v->type));
	if (strlen(v->u.string.data) != v->u.string.len)
		return error_set(e, -EINVAL, "%s holds a NUL character", what);
	*ret = v->u.string.data;
	return 0;
}

static int token_type(struct luks_token *t, const struct json_value *v, struct error *e)
{
	const char *type;
	int r;

	(void)t; /* the member table's signature: the type is checked, not kept */
	r = token_string(v, "member 'type'", &type, e);
	if (r < 0)
		return r;
	if (strcmp(type, LUKS_TOKEN_TYPE) != 0)
		return error_set(e, -EINVAL, "member 'type' is '%s', not '" LUKS_TOKEN_TYPE "'",
				 type);
	return 0;
}

/* LUKS2 writes key slot numbers as decimal strings; one slot, the one the key opens. */
static int token_keyslots(struct luks_token *t, const struct json_value *v, struct error *e)
{
	const char *s;
	unsigned n = 0;
	int r;

	if (v->type != JSON_ARRAY || v->u.container.count != 1)
		return error_set(e, -EINVAL, "member 'keyslots' must be an array of one key slot");
	r = token_string(v->u.container.first, "member 'keyslots'", &s, e);
	if (r < 0)
		return r;
	/* No sign, no leading zero, no space: the spelling LUKS2 itself writes. */
	if (!*s || (s[0] == '0' && s[1]) || strlen(s) > 2)
		return error_set(e, -EINVAL, "member 'keyslots': '%s' is not a key slot number", s);
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return error_set(e, -EINVAL,
					 "member 'keyslots': '%s' is not a key slot number", s);
		n = n * 10 + (unsigned)(*p - '0');
	}
	if (n >= LUKS_TOKEN_KEYSLOTS)
		return error_set(e, -EINVAL, "member 'keyslots': key slot %u is not 0..%u", n,
				 LUKS_TOKEN_KEYSLOTS - 1);
	t->keyslot = n;
	return 0;
}

static int token_urls(struct luks_token *t, const struct json_value *v, struct error *e)
{
	const struct json_value *item;
	unsigned n = 0;
	struct url url;
	int r;

	if (v->type != JSON_ARRAY || v->u.container.count == 0 ||
	    v->u.container.count > KBS_URLS_MAX)
		return error_set(e, -EINVAL,
				 "member 'mrboot-kbs-url' must be an array of 1 to %d broker URLs",
				 KBS_URLS_MAX);
	json_foreach(item, v)
	{
		const char *s;

		r = token_string(item, "member 'mrboot-kbs-url'", &s, e);
		if (r < 0)
			return r;
		r = url_parse(&url, s, e);
		if (r < 0)
			return error_prefix(e, "member 'mrboot-kbs-url'");
		/* Nothing in the token could vouch for a plain-HTTP broker's answers. */
		if (!url.https)
			return error_set(e, -EINVAL,
					 "member 'mrboot-kbs-url': %s is not https (a token "
					 "trusts brokers only through TLS)",
					 s);
		/* The kbs_release_options type; the strings are never written through. */
		t->urls[n++] = (char *)s;
	}
	t->urls[n] = NULL;
	return 0;
}

static int token_resource(struct luks_token *t, const struct json_value *v, struct error *e)
{
	char path[KBS_RESOURCE_PATH_MAX];
	int r;

	r = token_string(v, "member 'mrboot-resource'", &t->resource, e);
	if (r < 0)
		return r;
	/* No volume: a token belongs to one header, so "{volume}" has nothing to stand for. */
	r = kbs_resource_path(t->resource, NULL, path, e);
	if (r < 0)
		return error_prefix(e, "member 'mrboot-resource'");
	return 0;
}

/* Members of tokens before brokers and anchors came from the initrd only. */
static int token_old(struct luks_token *t, const struct json_value *v, struct error *e)
{
	(void)t;
	return error_set(e, -EPROTO,
			 "member '%s': this token names its own %s, which the host could have "
			 "written; mrboot now takes brokers, trust anchors and the TEE from the "
			 "initrd's configuration only: enroll the volume again with mrboot enroll",
			 v->key, strcmp(v->key, "mrboot-tee") == 0 ? "TEE" : "trust anchor");
}

static int token_timeout(struct luks_token *t, const struct json_value *v, struct error *e)
{
	uint64_t s;
	int r;

	r = json_get_uint64(v, &s, e);
	if (r < 0)
		return error_prefix(e, "member 'mrboot-timeout'");
	if (s < 1 || s > LUKS_TOKEN_TIMEOUT_MAX)
		return error_set(e, -EINVAL, "member 'mrboot-timeout': %llu is not 1..%d seconds",
				 (unsigned long long)s, LUKS_TOKEN_TIMEOUT_MAX);
	t->timeout = (unsigned)s;
	return 0;
}

static const struct token_member {
	const char *name;
	bool required;
	int (*parse)(struct luks_token *t, const struct json_value *v, struct error *e);
} token_members[] = {
	{ "type", true, token_type },
	{ "keyslots", true, token_keyslots },
	{ "mrboot-kbs-url", false, token_urls },
	{ "mrboot-resource", true, token_resource },
	{ "mrboot-timeout", false, token_timeout },
	{ "mrboot-trust-anchor", false, token_old },
	{ "mrboot-tee", false, token_old },
};

static const struct token_member *token_member_find(const struct json_value *v)
{
	for (size_t i = 0; i < ARRAY_SIZE(token_members); i++)
		if (strlen(token_members[i].name) == v->key_len &&
		    memcmp(token_members[i].name, v->key, v->key_len) == 0)
			return &token_members[i];
	return NULL;
}

int luks_token_parse(struct luks_token *t, struct json_arena *arena, const char *json, size_t len,
		     struct error *e)
{
	bool seen[ARRAY_SIZE(token_members)] = { false };
	const struct json_value *top, *v;
	int r;

	*t = (struct luks_token){ 0 };
	json_arena_init(arena, 64 * len + 4096);
	if (len > LUKS_TOKEN_JSON_MAX)
		return error_set(e, -EINVAL, "token of %zu bytes, more than %d", len,
				 LUKS_TOKEN_JSON_MAX);
	r = json_parse(arena, json, len, &top, e);
	if (r < 0)
		return r;
	if (top->type != JSON_OBJECT)
		return error_set(e, -EINVAL, "token is %s, expected an object",
				 json_type_name(top->type));
	json_foreach(v, top)
	{
		const struct token_member *m = token_member_find(v);

		if (!m)
			return error_set(e, -EINVAL, "unknown member '%s' (a newer mrboot's?)",
					 v->key);
		seen[m - token_members] = true;
		r = m->parse(t, v, e);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ARRAY_SIZE(token_members); i++)
		if (token_members[i].required && !seen[i])
			return error_set(e, -EINVAL, "member '%s' is missing",
					 token_members[i].name);
	return 0;
}

void luks_token_write(const struct luks_token *t, struct json_writer *w)
{
	char slot[16];

	snprintf(slot, sizeof(slot), "%u", t->keyslot);
	json_writer_begin_object(w);
	json_writer_key(w, "type");
	json_writer_string(w, LUKS_TOKEN_TYPE);
	json_writer_key(w, "keyslots");
	json_writer_begin_array(w);
	json_writer_string(w, slot);
	json_writer_end_array(w);
	if (t->urls[0]) {
		json_writer_key(w, "mrboot-kbs-url");
		json_writer_begin_array(w);
		for (char *const *u = t->urls; *u; u++)
			json_writer_string(w, *u);
		json_writer_end_array(w);
	}
	json_writer_key(w, "mrboot-resource");
	json_writer_string(w, t->resource);
	if (t->timeout) {
		json_writer_key(w, "mrboot-timeout");
		json_writer_uint64(w, t->timeout);
	}
	json_writer_end_object(w);
}

int luks_token_brokers(const struct luks_token *t, char *const *configured,
		       char *out[KBS_URLS_MAX + 1], struct error *e)
{
	unsigned n = 0;

	if (!configured || !configured[0])
		return error_set(e, -ENOENT, "the configuration names no broker ([kbs] url)");
	if (!t->urls[0]) {
		for (; n < KBS_URLS_MAX && configured[n]; n++)
			out[n] = configured[n];
		out[n] = NULL;
		return 0;
	}
	for (char *const *u = t->urls; *u; u++) {
		char *const *c = configured;

		while (*c && strcmp(*c, *u) != 0)
			c++;
		if (!*c)
			return error_set(
				e, -ENOENT,
				"the token names broker %s, which the configuration does "
				"not list: a token chooses among the configured brokers only",
				*u);
		out[n++] = *c;
	}
	out[n] = NULL;
	return 0;
}
