/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "aael.h"

#include <errno.h>
#include <string.h>

#include "bytes.h"
#include "basic/error.h"
#include "basic/utf8.h"

static int aael_check_part(const char *name, const char *s, bool word, struct error *e)
{
	size_t n = strlen(s), bad;
	const char *why;

	if (n == 0)
		return error_set(e, -EINVAL, "AAEL %s is empty", name);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];

		if (c < 0x20 || c == 0x7f)
			return error_set(e, -EINVAL,
					 "AAEL %s has control character 0x%02x at byte %zu", name,
					 c, i);
		/* Trustee splits the text at its first two spaces. */
		if (word && c == ' ')
			return error_set(e, -EINVAL, "AAEL %s has a space at byte %zu", name, i);
	}
	if (utf8_validate(s, n, &bad, &why) < 0)
		return error_set(e, -EINVAL, "AAEL %s is not UTF-8 at byte %zu: %s", name, bad,
				 why);
	return 0;
}

int aael_validate(const char *domain, const char *operation, const char *content, struct error *e)
{
	size_t len;
	int r;

	r = aael_check_part("domain", domain, true, e);
	if (r < 0)
		return r;
	r = aael_check_part("operation", operation, true, e);
	if (r < 0)
		return r;
	r = aael_check_part("content", content, false, e);
	if (r < 0)
		return r;
	len = strlen(domain) + strlen(operation) + strlen(content) + 2;
	if (len > AAEL_TEXT_MAX)
		return error_set(e, -EINVAL, "AAEL text is %zu bytes, more than %u", len,
				 AAEL_TEXT_MAX);
	return 0;
}

size_t aael_body_size(const char *domain, const char *operation, const char *content)
{
	return AAEL_HEADER_SIZE + strlen(domain) + 1 + strlen(operation) + 1 + strlen(content);
}

static void aael_header(uint8_t header[AAEL_HEADER_SIZE], size_t body_size)
{
	bytes_put_le32(header, AAEL_TAGGED_EVENT_ID);
	bytes_put_le32(header + 4, (uint32_t)(body_size - AAEL_HEADER_SIZE));
}

int aael_body_write(uint8_t *buf, size_t cap, const char *domain, const char *operation,
		    const char *content, size_t *written, struct error *e)
{
	const char *parts[] = { domain, " ", operation, " ", content };
	size_t size, pos = AAEL_HEADER_SIZE;
	int r;

	r = aael_validate(domain, operation, content, e);
	if (r < 0)
		return r;
	size = aael_body_size(domain, operation, content);
	*written = size;
	if (cap < size)
		return error_set(e, -ENOBUFS, "AAEL body needs %zu bytes, buffer has %zu", size,
				 cap);
	aael_header(buf, size);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		size_t n = strlen(parts[i]);

		memcpy(buf + pos, parts[i], n);
		pos += n;
	}
	return 0;
}

int aael_digest(enum hash_alg alg, const char *domain, const char *operation, const char *content,
		uint8_t *out, struct error *e)
{
	uint8_t header[AAEL_HEADER_SIZE];
	struct hash_ctx ctx;
	int r;

	if (!hash_info(alg))
		return error_set(e, -EINVAL, "AAEL digest: unknown hash algorithm %d", (int)alg);
	r = aael_validate(domain, operation, content, e);
	if (r < 0)
		return r;
	aael_header(header, aael_body_size(domain, operation, content));
	hash_init(&ctx, alg);
	hash_update(&ctx, header, sizeof(header));
	hash_update(&ctx, domain, strlen(domain));
	hash_update(&ctx, " ", 1);
	hash_update(&ctx, operation, strlen(operation));
	hash_update(&ctx, " ", 1);
	hash_update(&ctx, content, strlen(content));
	hash_final(&ctx, out);
	return 0;
}

int aael_parse(const uint8_t *body, size_t len, struct aael_view *view, struct error *e)
{
	const char *text = (const char *)body + AAEL_HEADER_SIZE;
	const char *sp1, *sp2, *why;
	size_t n, bad;
	uint32_t id;

	if (len < AAEL_HEADER_SIZE)
		return error_set(e, -EBADMSG, "AAEL body is %zu bytes, shorter than its header",
				 len);
	id = bytes_get_le32(body);
	if (id != AAEL_TAGGED_EVENT_ID)
		return error_set(e, -EBADMSG, "byte 0: tagged event ID 0x%08x is not AAEL", id);
	n = bytes_get_le32(body + 4);
	if (n != len - AAEL_HEADER_SIZE)
		return error_set(e, -EBADMSG, "byte 4: AAEL text size %zu, but %zu bytes follow", n,
				 len - AAEL_HEADER_SIZE);
	if (utf8_validate(text, n, &bad, &why) < 0)
		return error_set(e, -EBADMSG, "byte %zu: AAEL text is not UTF-8: %s",
				 AAEL_HEADER_SIZE + bad, why);
	sp1 = memchr(text, ' ', n);
	sp2 = sp1 ? memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - text)) : NULL;
	if (!sp2)
		return error_set(e, -EBADMSG, "AAEL text has %s space; Trustee needs two",
				 sp1 ? "only one" : "no");
	view->domain = text;
	view->domain_len = (size_t)(sp1 - text);
	view->operation = sp1 + 1;
	view->operation_len = (size_t)(sp2 - sp1 - 1);
	view->content = sp2 + 1;
	view->content_len = n - (size_t)(sp2 + 1 - text);
	return 0;
}
