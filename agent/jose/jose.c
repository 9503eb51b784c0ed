/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "jose/jose.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "basic/encoding.h"
#include "basic/error.h"

const char *jose_describe(const char *s, size_t n, char buf[JOSE_DESCRIBE_MAX])
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];

		if (o + 8 >= JOSE_DESCRIBE_MAX) {
			memcpy(buf + o, "...", 4);
			return buf;
		}
		if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, JOSE_DESCRIBE_MAX - o, "\\x%02x", c);
	}
	buf[o] = '\0';
	return buf;
}

__attribute__((noinline)) void jose_wipe_stack(void)
{
	uint8_t below[JOSE_STACK_WIPE];

	explicit_bzero(below, sizeof(below));
}

int jose_check_members(const struct json_value *obj, const char *const *names, size_t count,
		       struct error *e)
{
	const struct json_value *m;
	char what[JOSE_DESCRIBE_MAX];

	if (!obj || obj->type != JSON_OBJECT)
		return error_set(e, -EINVAL, "is %s, expected an object",
				 obj ? json_type_name(obj->type) : "nothing");
	json_foreach(m, obj)
	{
		size_t i;

		for (i = 0; i < count; i++)
			if (strlen(names[i]) == m->key_len &&
			    memcmp(names[i], m->key, m->key_len) == 0)
				break;
		if (i == count)
			return error_set(e, -EINVAL, "member '%s' is not accepted",
					 jose_describe(m->key, m->key_len, what));
	}
	return 0;
}

int jose_member_bytes(const struct json_value *obj, const char *name, void *out, size_t cap,
		      size_t *len, struct error *e)
{
	const char *s;
	size_t n;
	int r;

	r = json_object_get_string(obj, name, &s, &n, e);
	if (r < 0)
		return r;
	r = base64_decode(out, cap, s, n, BASE64_URL, len, e);
	if (r < 0)
		return error_prefix(e, "member '%s'", name);
	return 0;
}

int jose_member_bytes_exact(const struct json_value *obj, const char *name, void *out, size_t size,
			    struct error *e)
{
	size_t len;
	int r;

	r = jose_member_bytes(obj, name, out, size, &len, e);
	if (r < 0)
		return r;
	if (len != size)
		return error_set(e, -EINVAL, "member '%s' is %zu bytes, expected %zu", name, len,
				 size);
	return 0;
}

int jose_member_expect(const struct json_value *obj, const char *name, const char *want,
		       struct error *e)
{
	char what[JOSE_DESCRIBE_MAX];
	const char *s;
	size_t n;
	int r;

	r = json_object_get_string(obj, name, &s, &n, e);
	if (r < 0)
		return r;
	if (n != strlen(want) || memcmp(s, want, n) != 0)
		return error_set(e, -EINVAL, "%s '%s' is not accepted (only %s)", name,
				 jose_describe(s, n, what), want);
	return 0;
}
