/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "luks/volume-resource.h"

#include <errno.h>
#include <string.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "json/json.h"

#define RESOURCE_PASSPHRASE "passphrase"
#define RESOURCE_IDENTITY "volume-key-id"
/* A passphrase of up to 8 KiB: cryptsetup's own default key file limit. */
#define RESOURCE_PASSPHRASE_MAX 8192

void volume_resource_free(struct volume_resource *r)
{
	secret_free(&r->passphrase);
	*r = (struct volume_resource){ 0 };
}

static int resource_bare(const struct secret *released, struct volume_resource *out,
			 struct error *e)
{
	int r = secret_alloc(&out->passphrase, released->len ? released->len : 1, e);

	if (r == 0)
		r = secret_append(&out->passphrase, released->data, released->len, e);
	return r;
}

static int resource_members(const struct json_value *top, struct volume_resource *out,
			    struct error *e)
{
	const struct json_value *m, *pass = NULL, *id = NULL;
	size_t n = 0;
	int r;

	json_foreach(m, top)
	{
		if (strcmp(m->key, RESOURCE_PASSPHRASE) == 0 && m->type == JSON_STRING)
			pass = m;
		else if (strcmp(m->key, RESOURCE_IDENTITY) == 0 && m->type == JSON_STRING)
			id = m;
		else
			return error_set(e, -EINVAL,
					 "member '%.40s': only \"" RESOURCE_PASSPHRASE
					 "\" and \"" RESOURCE_IDENTITY "\" (strings) belong here",
					 m->key);
	}
	if (!pass || !id)
		return error_set(e, -EINVAL, "\"%s\" is missing",
				 pass ? RESOURCE_IDENTITY : RESOURCE_PASSPHRASE);
	r = volume_identity_from_hex(id->u.string.data, id->u.string.len, out->identity, e);
	if (r < 0)
		return error_prefix(e, "\"" RESOURCE_IDENTITY "\"");
	out->has_identity = true;
	if (pass->u.string.len == 0 ||
	    base64_decoded_max(pass->u.string.len) > RESOURCE_PASSPHRASE_MAX)
		return error_set(e, -EINVAL, "\"" RESOURCE_PASSPHRASE "\": 1 to %d bytes",
				 RESOURCE_PASSPHRASE_MAX);
	r = secret_alloc(&out->passphrase, base64_decoded_max(pass->u.string.len), e);
	if (r < 0)
		return r;
	r = base64_decode(out->passphrase.data, out->passphrase.cap, pass->u.string.data,
			  pass->u.string.len, BASE64_STD, &n, e);
	if (r < 0)
		return error_prefix(e, "\"" RESOURCE_PASSPHRASE "\" (standard base64)");
	out->passphrase.len = n;
	return n ? 0 : error_set(e, -EINVAL, "\"" RESOURCE_PASSPHRASE "\" is empty");
}

int volume_resource_parse(const struct secret *released, struct volume_resource *out,
			  struct error *e)
{
	const struct json_value *top = NULL;
	struct json_arena arena;
	struct error ignored = { 0 };
	int r;

	*out = (struct volume_resource){ 0 };
	json_arena_init(&arena, 64 * released->len + 4096);
	if (json_parse(&arena, released->data, released->len, &top, &ignored) < 0 ||
	    top->type != JSON_OBJECT) {
		json_arena_free(&arena);
		return resource_bare(released, out, e);
	}
	r = resource_members(top, out, e);
	/* The tree holds the passphrase's base64 text: zeroed before the arena goes. */
	const struct json_value *m;
	json_foreach(m, top)
	{
		if (m->type == JSON_STRING)
			explicit_bzero((char *)m->u.string.data, m->u.string.len);
	}
	json_arena_free(&arena);
	if (r < 0) {
		volume_resource_free(out);
		return error_prefix(e, "the broker's resource is a JSON object but not a volume "
				       "binding");
	}
	return 0;
}

int volume_resource_write(const struct secret *passphrase, const uint8_t id[VOLUME_IDENTITY_SIZE],
			  struct secret *out, struct error *e)
{
	static const char head[] = "{\"" RESOURCE_PASSPHRASE "\":\"";
	static const char mid[] = "\",\"" RESOURCE_IDENTITY "\":\"";
	static const char tail[] = "\"}";
	_cleanup_secret_ struct secret b64 = { 0 };
	char hex[VOLUME_IDENTITY_HEX_SIZE];
	size_t n = base64_encoded_len(passphrase->len, BASE64_STD);
	int r;

	*out = (struct secret){ 0 };
	r = secret_alloc(&b64, n + 1, e);
	if (r == 0)
		r = secret_alloc(out, sizeof(head) + n + sizeof(mid) + sizeof(hex) + sizeof(tail),
				 e);
	if (r < 0)
		return r;
	base64_encode((char *)b64.data, passphrase->data, passphrase->len, BASE64_STD);
	hex_encode(hex, id, VOLUME_IDENTITY_SIZE);
	if ((r = secret_append(out, head, sizeof(head) - 1, e)) < 0 ||
	    (r = secret_append(out, b64.data, n, e)) < 0 ||
	    (r = secret_append(out, mid, sizeof(mid) - 1, e)) < 0 ||
	    (r = secret_append(out, hex, strlen(hex), e)) < 0 ||
	    (r = secret_append(out, tail, sizeof(tail) - 1, e)) < 0)
		secret_free(out);
	return r;
}
