/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kbs/protocol.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "json/jcs.h"
#include "json/json.h"
#include "jose/jwk.h"
#include "basic/macro.h"

/* Broker answers are small; the arena budget follows json.h's rule of 64 bytes a byte. */
#define KBS_MESSAGE_MAX (256u * 1024)

int kbs_auth_request_write(struct json_writer *w, const char *tee)
{
	json_writer_begin_object(w);
	json_writer_key(w, "version");
	json_writer_string(w, KBS_PROTOCOL_VERSION);
	json_writer_key(w, "tee");
	json_writer_string(w, tee);
	json_writer_key(w, "extra-params");
	json_writer_begin_object(w);
	json_writer_end_object(w);
	return json_writer_end_object(w);
}

static int kbs_parse_object(struct json_arena *arena, const void *body, size_t len,
			    const char *what, const struct json_value **ret, struct error *e)
{
	int r;

	/* Initialised first: every caller frees the arena, whatever failed. */
	json_arena_init(arena, 64 * len + 4096);
	if (len > KBS_MESSAGE_MAX)
		return error_set(e, -EMSGSIZE, "%s: %zu bytes, more than %u", what, len,
				 KBS_MESSAGE_MAX);
	r = json_parse(arena, body, len, ret, e);
	if (r < 0)
		return error_prefix(e, "%s is not JSON", what);
	if ((*ret)->type != JSON_OBJECT)
		return error_set(e, -EINVAL, "%s is %s, expected an object", what,
				 json_type_name((*ret)->type));
	return 0;
}

/* Trustee's HashAlgorithm names, matched as its strum attribute does: ASCII, any case. */
static int kbs_hash_from_name(const char *name, enum hash_alg *ret)
{
	static const struct {
		const char *name;
		enum hash_alg alg;
	} names[] = {
		{ "sha256", HASH_SHA256 },
		{ "sha384", HASH_SHA384 },
		{ "sha512", HASH_SHA512 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcasecmp(name, names[i].name) == 0) {
			*ret = names[i].alg;
			return 0;
		}
	return -EINVAL;
}

static int kbs_challenge_extra(const struct json_value *extra, struct kbs_challenge *c,
			       struct error *e)
{
	const char *name;
	int r;

	/* Trustee sends "" for the TEEs mrboot supports; an object may select the hash. */
	if (extra->type == JSON_STRING)
		return 0;
	if (extra->type != JSON_OBJECT)
		return error_set(e, -EINVAL, "challenge: member 'extra-params' is %s",
				 json_type_name(extra->type));
	if (!json_object_get(extra, "selected-hash-algorithm"))
		return 0;
	r = json_object_get_string(extra, "selected-hash-algorithm", &name, NULL, e);
	if (r < 0)
		return error_prefix(e, "challenge: extra-params");
	if (kbs_hash_from_name(name, &c->hash) < 0)
		return error_set(e, -EINVAL,
				 "challenge: selected-hash-algorithm '%.40s' is not Sha256, Sha384 "
				 "or Sha512",
				 name);
	return 0;
}

/*
 * A member name may hold a NUL ("nonce\u0000x"): compared as a C string it would pass for
 * a known member, so it is compared with its length.
 */
static bool kbs_member_is(const struct json_value *m, const char *name)
{
	return m->key_len == strlen(name) && memcmp(m->key, name, m->key_len) == 0;
}

int kbs_challenge_parse(const void *body, size_t len, struct kbs_challenge *c, struct error *e)
{
	struct json_arena arena;
	const struct json_value *root, *extra;
	uint8_t nonce[KBS_NONCE_SIZE + 3];
	const char *text;
	size_t text_len, n;
	int r;

	*c = (struct kbs_challenge){ .hash = HASH_SHA384 };
	r = kbs_parse_object(&arena, body, len, "challenge", &root, e);
	if (r < 0)
		goto out;
	r = json_object_get_string(root, "nonce", &text, &text_len, e);
	if (r < 0) {
		error_prefix(e, "challenge");
		goto out;
	}
	r = base64_decode(nonce, sizeof(nonce), text, text_len, BASE64_STD, &n, e);
	if (r < 0 || n != KBS_NONCE_SIZE) {
		r = error_set(e, -EINVAL,
			      "challenge: nonce '%.60s' is not the standard base64 of %u bytes",
			      text, KBS_NONCE_SIZE);
		goto out;
	}
	memcpy(c->nonce, text, text_len);
	c->nonce[text_len] = '\0';
	extra = json_object_get(root, "extra-params");
	r = extra ? kbs_challenge_extra(extra, c, e) : 0;
	for (const struct json_value *m = root->u.container.first; r == 0 && m; m = m->next)
		if (!kbs_member_is(m, "nonce") && !kbs_member_is(m, "extra-params"))
			r = error_set(e, -EINVAL, "challenge: unknown member '%.40s'%s", m->key,
				      strlen(m->key) != m->key_len ? " (and a NUL, then more)"
								   : "");
out:
	json_arena_free(&arena);
	return r;
}

static bool kbs_cookie_char(unsigned char c)
{
	/* RFC 6265 cookie-octet. */
	return c == 0x21 || (c >= 0x23 && c <= 0x2B) || (c >= 0x2D && c <= 0x3A) ||
	       (c >= 0x3C && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

int kbs_cookie_parse(const char *set_cookie, char out[KBS_COOKIE_MAX + 1], struct error *e)
{
	static const char prefix[] = KBS_COOKIE_NAME "=";
	size_t n;

	if (strncmp(set_cookie, prefix, sizeof(prefix) - 1) != 0)
		return error_set(e, -EPROTO, "Set-Cookie does not set " KBS_COOKIE_NAME);
	n = sizeof(prefix) - 1;
	while (set_cookie[n] && set_cookie[n] != ';') {
		if (!kbs_cookie_char((unsigned char)set_cookie[n]))
			return error_set(e, -EPROTO,
					 "Set-Cookie: byte %zu of the session id is "
					 "not a cookie character",
					 n);
		n++;
	}
	if (n == sizeof(prefix) - 1)
		return error_set(e, -EPROTO, "Set-Cookie: the session id is empty");
	if (n > KBS_COOKIE_MAX)
		return error_set(e, -EPROTO, "Set-Cookie: the session id is longer than %zu bytes",
				 (size_t)KBS_COOKIE_MAX - (sizeof(prefix) - 1));
	memcpy(out, set_cookie, n);
	out[n] = '\0';
	return 0;
}

int kbs_runtime_data_hash(const char *nonce, const struct jwk_key *key, enum hash_alg alg,
			  uint8_t *out, struct error *e)
{
	struct json_writer w, canon;
	struct json_arena arena;
	const struct json_value *tree;
	int r;

	json_writer_init(&w, 64 * 1024);
	json_writer_init(&canon, 64 * 1024);
	json_arena_init(&arena, 1u << 20);
	json_writer_begin_object(&w);
	json_writer_key(&w, "tee-pubkey");
	jwk_write_public(key, &w);
	json_writer_key(&w, "nonce");
	json_writer_string(&w, nonce);
	/* Empty: mrboot sends no evidence of other devices (Trustee's "additional_evidence"). */
	json_writer_key(&w, "additional-evidence");
	json_writer_string(&w, "");
	json_writer_end_object(&w);
	r = json_writer_finish(&w, e);
	if (r < 0)
		goto out;
	/* Through the parser, so that the canonical form is jcs_write()'s and no one else's. */
	r = json_parse(&arena, w.buf, w.len, &tree, e);
	if (r < 0)
		goto out;
	jcs_write(&canon, tree);
	r = json_writer_finish(&canon, e);
	if (r < 0)
		goto out;
	hash_buffer(alg, canon.buf, canon.len, out);
out:
	if (r < 0)
		error_prefix(e, "runtime data");
	json_arena_free(&arena);
	json_writer_free(&canon);
	json_writer_free(&w);
	return r;
}

int kbs_attest_request_write(struct json_writer *w, const char *nonce, const struct jwk_key *key,
			     const char *evidence, size_t evidence_len)
{
	json_writer_begin_object(w);
	json_writer_key(w, "runtime-data");
	json_writer_begin_object(w);
	json_writer_key(w, "nonce");
	json_writer_string(w, nonce);
	json_writer_key(w, "tee-pubkey");
	jwk_write_public(key, w);
	json_writer_end_object(w);
	json_writer_key(w, "tee-evidence");
	json_writer_begin_object(w);
	json_writer_key(w, "primary_evidence");
	json_writer_raw(w, evidence, evidence_len);
	json_writer_key(w, "additional_evidence");
	json_writer_string(w, "");
	json_writer_end_object(w);
	return json_writer_end_object(w);
}

static bool kbs_jwt_valid(const char *t, size_t len)
{
	unsigned dots = 0;
	size_t part = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)t[i];

		if (c == '.') {
			if (part == 0)
				return false;
			dots++;
			part = 0;
		} else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			   (c >= '0' && c <= '9') || c == '-' || c == '_') {
			part++;
		} else {
			return false;
		}
	}
	return dots == 2 && part > 0;
}

int kbs_token_parse(const void *body, size_t len, char **token, struct error *e)
{
	struct json_arena arena;
	const struct json_value *root;
	const char *text;
	size_t text_len;
	int r;

	*token = NULL;
	r = kbs_parse_object(&arena, body, len, "attestation response", &root, e);
	if (r < 0)
		goto out;
	r = json_object_get_string(root, "token", &text, &text_len, e);
	if (r < 0) {
		error_prefix(e, "attestation response");
		goto out;
	}
	if (text_len > KBS_TOKEN_MAX || !kbs_jwt_valid(text, text_len)) {
		r = error_set(e, -EINVAL,
			      "attestation response: the token is not a JWT (three base64url "
			      "parts, at most %u bytes)",
			      KBS_TOKEN_MAX);
		goto out;
	}
	*token = strndup(text, text_len);
	if (!*token)
		r = error_set_errno(e, -ENOMEM, "attestation response");
out:
	json_arena_free(&arena);
	return r;
}

/* Printable ASCII of s (len bytes) appended to out at *pos, '?' for anything else. */
static void kbs_append_printable(char *out, size_t size, size_t *pos, const char *s, size_t len)
{
	for (size_t i = 0; i < len && *pos + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];
		char shown = s[i];

		if (c < 0x20 || c >= 0x7F)
			shown = '?';
		out[(*pos)++] = shown;
	}
	out[*pos] = '\0';
}

void kbs_problem_describe(const void *body, size_t len, char *out, size_t size)
{
	struct json_arena arena;
	const struct json_value *root = NULL;
	const char *type = NULL, *detail = NULL, *variant;
	size_t type_len = 0, detail_len = 0, pos = 0;
	struct error ignored = { 0 };

	if (size == 0)
		return;
	out[0] = '\0';
	json_arena_init(&arena, 0);
	if (len > 0 && kbs_parse_object(&arena, body, len, "problem", &root, &ignored) == 0) {
		if (json_object_get_string(root, "type", &type, &type_len, &ignored) < 0)
			type = NULL;
		if (json_object_get_string(root, "detail", &detail, &detail_len, &ignored) < 0)
			detail = NULL;
	}
	if (type || detail) {
		/* The variant is the type URI's last segment: ".../errors/PolicyDeny". */
		variant = type ? memrchr(type, '/', type_len) : NULL;
		variant = variant ? variant + 1 : type;
		if (variant) {
			kbs_append_printable(out, size, &pos, variant,
					     type_len - (size_t)(variant - type));
			kbs_append_printable(out, size, &pos, ": ", 2);
		}
		if (detail)
			kbs_append_printable(out, size, &pos, detail, detail_len);
	} else if (len == 0) {
		snprintf(out, size, "an empty body");
	} else {
		int k = snprintf(out, size, "a %zu-byte body that is not a problem report: ", len);

		pos = k < 0 ? 0 : (size_t)k < size ? (size_t)k : size - 1;
		kbs_append_printable(out, size, &pos, body, len < 80 ? len : 80);
	}
	json_arena_free(&arena);
}

static bool kbs_resource_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

int kbs_resource_path(const char *resource, const char *volume, char out[KBS_RESOURCE_PATH_MAX],
		      struct error *e)
{
	static const char prefix[] = "/kbs/v0/resource/";
	static const char placeholder[] = "{volume}";
	size_t pos = sizeof(prefix) - 1, part = 0;
	unsigned parts = 1;

	memcpy(out, prefix, pos);
	for (const char *p = resource; *p;) {
		const char *add = p;
		size_t n = 1;

		if (strncmp(p, placeholder, sizeof(placeholder) - 1) == 0) {
			if (!volume)
				return error_set(e, -EINVAL,
						 "resource '%s' names {volume}, and there is none",
						 resource);
			add = volume;
			n = strlen(volume);
			p += sizeof(placeholder) - 1;
		} else {
			p++;
		}
		for (size_t i = 0; i < n; i++) {
			char c = add[i];

			if (c == '/' && add != volume) {
				if (part == 0)
					return error_set(e, -EINVAL,
							 "resource '%s' has an empty part",
							 resource);
				parts++;
				part = 0;
			} else if (!kbs_resource_char(c)) {
				return error_set(e, -EINVAL,
						 "resource '%s': only A-Z a-z 0-9 . _ - may name a "
						 "repository, type or tag%s",
						 resource,
						 add == volume ? " (the volume name)" : "");
			} else {
				part++;
			}
			if (pos + 1 >= KBS_RESOURCE_PATH_MAX)
				return error_set(e, -ENAMETOOLONG, "resource '%s' is too long",
						 resource);
			out[pos++] = c;
		}
	}
	out[pos] = '\0';
	if (parts != 3 || part == 0)
		return error_set(e, -EINVAL, "resource '%s' is not repository/type/tag", resource);
	for (char *seg = out + sizeof(prefix) - 1; seg;) {
		char *end = strchr(seg, '/');
		size_t n = end ? (size_t)(end - seg) : strlen(seg);

		if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return error_set(e, -EINVAL, "resource '%s': '.' and '..' are not names",
					 resource);
		seg = end ? end + 1 : NULL;
	}
	return 0;
}
