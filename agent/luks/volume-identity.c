/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "luks/volume-identity.h"

#include <bearssl_hash.h>
#include <bearssl_hmac.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "luks/cryptsetup.h"
#include "basic/secret.h"

/* luksDump's text with the key in it: a few hundred bytes of header fields and the hex. */
#define VOLUME_DUMP_MAX (16 * 1024)

void volume_key_free(struct volume_key *k)
{
	secret_free(&k->key);
	explicit_bzero(k->uuid, sizeof(k->uuid));
}

int volume_identity_prefix(const char *name, const char *uuid, char *out, size_t size,
			   struct error *e)
{
	static const char hexdigits[] = "0123456789abcdef";
	size_t n = 0;

	/* systemd's xescape(name, ":") (src/basic/escape.c): \xNN for these bytes. */
#define PUT(c)                                                                              \
	do {                                                                                \
		if (n + 1 >= size)                                                          \
			return error_set(e, -ENAMETOOLONG, "volume name or UUID too long"); \
		out[n++] = (c);                                                             \
	} while (0)
	for (const char *p = "cryptsetup:"; *p; p++)
		PUT(*p);
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p < ' ' || *p >= 127 || *p == '\\' || *p == ':') {
			PUT('\\');
			PUT('x');
			PUT(hexdigits[*p >> 4]);
			PUT(hexdigits[*p & 15]);
		} else {
			PUT((char)*p);
		}
	}
	PUT(':');
	for (const char *p = uuid; *p; p++)
		PUT(*p);
#undef PUT
	out[n] = '\0';
	return 0;
}

int volume_identity_compute(const uint8_t *vk, size_t vk_len, const char *name, const char *uuid,
			    uint8_t id[VOLUME_IDENTITY_SIZE], struct error *e)
{
	char prefix[VOLUME_PREFIX_MAX];
	br_hmac_key_context kc;
	br_hmac_context hc;
	int r;

	if (vk_len == 0)
		return error_set(e, -EINVAL, "an empty volume key");
	r = volume_identity_prefix(name, uuid, prefix, sizeof(prefix), e);
	if (r < 0)
		return r;
	/* RFC 2104 with SHA-256, as systemd's hmac_sha256() (src/basic/hmac.c). */
	br_hmac_key_init(&kc, &br_sha256_vtable, vk, vk_len);
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, prefix, strlen(prefix));
	br_hmac_out(&hc, id);
	explicit_bzero(&kc, sizeof(kc));
	explicit_bzero(&hc, sizeof(hc));
	return 0;
}

int volume_identity_from_hex(const char *hex, size_t len, uint8_t id[VOLUME_IDENTITY_SIZE],
			     struct error *e)
{
	size_t n = 0;

	if (len != 2 * VOLUME_IDENTITY_SIZE ||
	    hex_decode(id, VOLUME_IDENTITY_SIZE, hex, len, &n, e) < 0 || n != VOLUME_IDENTITY_SIZE)
		return error_set(e, -EINVAL,
				 "a volume identity is %d hex digits (HMAC-SHA256), not '%.80s'",
				 2 * VOLUME_IDENTITY_SIZE, hex);
	return 0;
}

int volume_identity_equal(const uint8_t a[VOLUME_IDENTITY_SIZE],
			  const uint8_t b[VOLUME_IDENTITY_SIZE])
{
	uint8_t d = 0;

	for (size_t i = 0; i < VOLUME_IDENTITY_SIZE; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

/* The text after "<field>:" on the line that starts with it, and that line's end. */
static const char *dump_field(const char *text, const char *end, const char *field,
			      const char **line_end)
{
	size_t flen = strlen(field);

	for (const char *line = text; line < end;) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));

		if (!eol)
			eol = end;
		if ((size_t)(eol - line) > flen && memcmp(line, field, flen) == 0 &&
		    line[flen] == ':') {
			*line_end = eol;
			return line + flen + 1;
		}
		line = eol + 1;
	}
	return NULL;
}

static bool dump_blank(char c)
{
	return c == ' ' || c == '\t';
}

int volume_key_parse_dump(const char *text, size_t len, struct volume_key *out, struct error *e)
{
	const char *end = text + len, *p, *eol;
	size_t n = 0;
	int r;

	*out = (struct volume_key){ 0 };
	/* cryptsetup 2.x, lib/luks2/luks2_json_metadata.c and src/cryptsetup.c: "UUID:" then
	 * tabs, and "MK dump:" with 16 hex bytes a line, continued on lines that start blank. */
	p = dump_field(text, end, "UUID", &eol);
	if (!p)
		return error_set(e, -EINVAL, "luksDump printed no UUID");
	while (p < eol && dump_blank(*p))
		p++;
	while (eol > p && (dump_blank(eol[-1]) || eol[-1] == '\r'))
		eol--;
	if (eol == p || (size_t)(eol - p) > VOLUME_UUID_MAX)
		return error_set(e, -EINVAL, "luksDump printed a UUID of %zu characters",
				 (size_t)(eol - p));
	for (const char *c = p; c < eol; c++)
		if (*c <= ' ' || *c >= 127)
			return error_set(e, -EINVAL, "luksDump printed a UUID with a control byte");
	memcpy(out->uuid, p, (size_t)(eol - p));
	out->uuid[eol - p] = '\0';

	p = dump_field(text, end, "MK dump", &eol);
	if (!p)
		return error_set(e, -EINVAL, "luksDump printed no volume key (MK dump)");
	r = secret_alloc(&out->key, VOLUME_KEY_MAX, e);
	if (r < 0)
		return r;
	for (;;) {
		while (p < eol) {
			int hi, lo;
			uint8_t byte;

			if (dump_blank(*p) || *p == '\r') {
				p++;
				continue;
			}
			hi = hex_digit_value(*p);
			lo = eol - p > 1 ? hex_digit_value(p[1]) : -1;
			if (hi < 0 || lo < 0) {
				r = error_set(e, -EINVAL, "luksDump's volume key is not hex");
				goto fail;
			}
			byte = (uint8_t)(hi << 4 | lo);
			r = secret_append(&out->key, &byte, 1, e);
			explicit_bzero(&byte, sizeof(byte));
			if (r < 0)
				goto fail;
			n++;
			p += 2;
		}
		/* The next line continues the dump when it starts blank. */
		if (eol >= end || eol + 1 >= end || !dump_blank(eol[1]))
			break;
		p = eol + 1;
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
	}
	if (n == 0) {
		r = error_set(e, -EINVAL, "luksDump printed an empty volume key");
		goto fail;
	}
	return 0;
fail:
	volume_key_free(out);
	return r;
}

int volume_key_read(const char *device, const struct secret *passphrase, uint64_t deadline,
		    struct volume_key *out, struct error *e)
{
	const char *const argv[] = {
		"cryptsetup", "luksDump", "--dump-volume-key", "--batch-mode", "--key-file=-",
		device,	      NULL
	};
	_cleanup_secret_ struct secret dump = { 0 };
	int r;

	*out = (struct volume_key){ 0 };
	r = secret_alloc(&dump, VOLUME_DUMP_MAX, e);
	if (r < 0)
		return r;
	const struct cryptsetup_input input = { .fd = 0,
						.data = passphrase->data,
						.len = passphrase->len };
	const struct cryptsetup_command c = {
		.argv = argv,
		.inputs = &input,
		.n_inputs = 1,
		.output_secret = &dump,
		.deadline = deadline,
	};
	r = cryptsetup_run(&c, e);
	if (r < 0)
		return error_prefix(e, "reading the volume key of %s", device);
	r = volume_key_parse_dump((const char *)dump.data, dump.len, out, e);
	return r < 0 ? error_prefix(e, "%s", device) : 0;
}

int volume_activate(const char *device, const char *name, const struct secret *vk,
		    uint64_t deadline, struct error *e)
{
	/* --type luks: a header that turned into another format since it was read is refused. */
	const char *const argv[] = {
		"cryptsetup", "open", "--type=luks", "--batch-mode", "--volume-key-file=/dev/fd/3",
		device,	      name,   NULL
	};
	const struct cryptsetup_input input = { .fd = 3, .data = vk->data, .len = vk->len };
	const struct cryptsetup_command c = {
		.argv = argv,
		.inputs = &input,
		.n_inputs = 1,
		.deadline = deadline,
	};
	int r = cryptsetup_run(&c, e);

	return r < 0 ? error_prefix(e, "opening %s as %s", device, name) : 0;
}

int volume_deactivate(const char *name, uint64_t deadline, struct error *e)
{
	const char *const argv[] = { "cryptsetup", "close", name, NULL };
	const struct cryptsetup_command c = { .argv = argv, .deadline = deadline };
	int r = cryptsetup_run(&c, e);

	return r < 0 ? error_prefix(e, "closing %s", name) : 0;
}
