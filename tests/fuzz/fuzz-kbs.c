/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The KBS protocol parsers (agent/kbs/protocol.c) on any bytes as a broker could send them.
 * The first input byte picks the parser, the rest is the input:
 *   0: kbs_challenge_parse(), the /auth response body
 *   1: kbs_token_parse(), the /attest response body
 *   2: kbs_problem_describe(), an error body, into a buffer of 1..KBS_PROBLEM_MAX bytes (the
 *      second byte)
 *   3: kbs_cookie_parse(), a Set-Cookie value (up to the first NUL)
 *   4: kbs_resource_path(), a resource and, after a NUL, a volume name
 * Each result is held to the rule written out here a second time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "fuzz.h"
#include "json/json.h"
#include "kbs/protocol.h"

/* The body as JSON, for the checks; NULL when it is not an object. */
static const struct json_value *body_object(struct json_arena *a, const uint8_t *p, size_t n)
{
	const struct json_value *v;

	json_arena_init(a, 64 * n + 4096);
	if (json_parse(a, p, n, &v, NULL) < 0 || v->type != JSON_OBJECT)
		return NULL;
	return v;
}

static int name_is(const struct json_value *m, const char *name)
{
	return m->key_len == strlen(name) && memcmp(m->key, name, m->key_len) == 0;
}

static void check_challenge(const uint8_t *p, size_t n)
{
	const struct json_value *doc, *nonce = NULL, *m;
	struct kbs_challenge c;
	struct json_arena a;
	struct error e = { 0 };
	uint8_t raw[64];
	size_t raw_len;
	int r = kbs_challenge_parse(p, n, &c, &e);

	if (r < 0) {
		fuzz_check(e.code == r && e.msg[0], "a refusal says why");
		return;
	}
	doc = body_object(&a, p, n);
	fuzz_check(doc != NULL, "an accepted challenge is a JSON object");
	json_foreach(m, doc)
	{
		fuzz_check(name_is(m, "nonce") || name_is(m, "extra-params"),
			   "no member but nonce and extra-params");
		if (name_is(m, "nonce"))
			nonce = m;
	}
	fuzz_check(nonce && nonce->type == JSON_STRING && strlen(c.nonce) == nonce->u.string.len &&
			   memcmp(c.nonce, nonce->u.string.data, nonce->u.string.len) == 0,
		   "the nonce is the member's text");
	fuzz_check(base64_decode(raw, sizeof(raw), c.nonce, strlen(c.nonce), BASE64_STD, &raw_len,
				 NULL) == 0 &&
			   raw_len == KBS_NONCE_SIZE,
		   "the nonce is the standard base64 of 32 bytes");
	fuzz_check(c.hash == HASH_SHA256 || c.hash == HASH_SHA384 || c.hash == HASH_SHA512,
		   "a SHA-2 hash for the runtime data");
	json_arena_free(&a);
}

/* [A-Za-z0-9_-]+ three times, separated by dots. */
static int is_jwt(const char *t)
{
	unsigned parts = 0;
	size_t len = 0;

	for (;; t++) {
		if (*t == '.' || *t == '\0') {
			if (len == 0)
				return 0;
			parts++;
			len = 0;
			if (*t == '\0')
				return parts == 3;
		} else if (
			strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
			       *t)) {
			len++;
		} else {
			return 0;
		}
	}
}

static void check_token(const uint8_t *p, size_t n)
{
	const struct json_value *doc, *token;
	struct json_arena a;
	struct error e = { 0 };
	char *t = NULL;
	int r = kbs_token_parse(p, n, &t, &e);

	if (r < 0) {
		fuzz_check(t == NULL && e.code == r && e.msg[0], "a refusal says why, no token");
		return;
	}
	doc = body_object(&a, p, n);
	token = doc ? json_object_get(doc, "token") : NULL;
	fuzz_check(token && token->type == JSON_STRING && strlen(t) == token->u.string.len &&
			   memcmp(t, token->u.string.data, token->u.string.len) == 0,
		   "the token is the member's text");
	fuzz_check(strlen(t) <= KBS_TOKEN_MAX && is_jwt(t), "three base64url parts");
	free(t);
	json_arena_free(&a);
}

static void check_problem(const uint8_t *p, size_t n)
{
	char out[KBS_PROBLEM_MAX + 1];
	size_t size, len;

	if (n < 1)
		return;
	size = 1 + p[0] % KBS_PROBLEM_MAX;
	memset(out, 'X', sizeof(out));
	kbs_problem_describe(p + 1, n - 1, out, size);
	len = strnlen(out, size);
	fuzz_check(len < size, "NUL-terminated within the buffer");
	for (size_t i = 0; i < len; i++)
		fuzz_check(out[i] >= 0x20 && out[i] < 0x7f, "printable ASCII only");
	fuzz_check(size == sizeof(out) || out[size] == 'X', "nothing written past the buffer");
}

/* RFC 6265's cookie-octet. */
static int cookie_octet(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != ',' && c != ';' && c != '\\';
}

static void check_cookie(const uint8_t *p, size_t n)
{
	static const char prefix[] = KBS_COOKIE_NAME "=";
	char *text = strndup((const char *)p, n), out[KBS_COOKIE_MAX + 1];
	struct error e = { 0 };
	size_t len;
	int r;

	fuzz_check(text, "strndup");
	r = kbs_cookie_parse(text, out, &e);
	if (r < 0) {
		fuzz_check(e.code == r && e.msg[0], "a refusal says why");
		free(text);
		return;
	}
	len = strlen(out);
	fuzz_check(len > sizeof(prefix) - 1 && len <= KBS_COOKIE_MAX &&
			   memcmp(out, prefix, sizeof(prefix) - 1) == 0,
		   "kbs-session-id=<value>, within its bound");
	fuzz_check(memcmp(out, text, len) == 0 && (text[len] == '\0' || text[len] == ';'),
		   "the Set-Cookie value up to its attributes");
	for (size_t i = sizeof(prefix) - 1; i < len; i++)
		fuzz_check(cookie_octet((unsigned char)out[i]), "cookie octets only");
	free(text);
}

/* resource with each "{volume}" replaced by volume, into out (cap bytes); 0 if it fits. */
static int substitute(const char *resource, const char *volume, char *out, size_t cap)
{
	static const char placeholder[] = "{volume}";
	size_t pos = 0;

	for (const char *q = resource; *q;) {
		const char *add = q;
		size_t n = 1;

		if (strncmp(q, placeholder, sizeof(placeholder) - 1) == 0) {
			add = volume;
			n = strlen(volume);
			q += sizeof(placeholder) - 1;
		} else {
			q++;
		}
		if (pos + n >= cap)
			return -1;
		memcpy(out + pos, add, n);
		pos += n;
	}
	out[pos] = '\0';
	return 0;
}

static void check_resource(const uint8_t *p, size_t n)
{
	static const char prefix[] = "/kbs/v0/resource/";
	char *text = malloc(n + 2), out[KBS_RESOURCE_PATH_MAX], want[KBS_RESOURCE_PATH_MAX];
	const char *resource, *volume = NULL;
	struct error e = { 0 };
	unsigned parts = 0;
	int r;

	fuzz_check(text, "malloc");
	memcpy(text, p, n);
	text[n] = text[n + 1] = '\0';
	resource = text;
	if (memchr(p, '\0', n))
		volume = text + strlen(text) + 1;
	r = kbs_resource_path(resource, volume, out, &e);
	if (r < 0) {
		fuzz_check(e.code == r && e.msg[0], "a refusal says why");
		free(text);
		return;
	}
	fuzz_check(strncmp(out, prefix, sizeof(prefix) - 1) == 0, "under /kbs/v0/resource/");
	fuzz_check(!strstr(resource, "{volume}") || volume, "{volume} needs a volume");
	fuzz_check(substitute(resource, volume ? volume : "", want, sizeof(want)) == 0 &&
			   strcmp(out + sizeof(prefix) - 1, want) == 0,
		   "the resource with the volume put in");
	for (char *seg = want, *end; seg; seg = end ? end + 1 : NULL) {
		size_t len;

		end = strchr(seg, '/');
		len = end ? (size_t)(end - seg) : strlen(seg);
		fuzz_check(len > 0 && strspn(seg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
						  "wxyz0123456789._-") == len,
			   "each part is [A-Za-z0-9._-]+");
		fuzz_check(!(len == 1 && seg[0] == '.') &&
				   !(len == 2 && seg[0] == '.' && seg[1] == '.'),
			   "no part is . or ..");
		parts++;
	}
	fuzz_check(parts == 3, "repository/type/tag");
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0:
		check_challenge(data + 1, size - 1);
		break;
	case 1:
		check_token(data + 1, size - 1);
		break;
	case 2:
		check_problem(data + 1, size - 1);
		break;
	case 3:
		check_cookie(data + 1, size - 1);
		break;
	default:
		check_resource(data + 1, size - 1);
		break;
	}
	return 0;
}
