/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "x509.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Tags of the fields on the way (X.690 identifiers: class, constructed bit, number). */
#define TAG_INTEGER 0x02
#define TAG_OCTET_STRING 0x04
#define TAG_OID 0x06
#define TAG_BOOLEAN 0x01
#define TAG_SEQUENCE 0x30
#define TAG_VERSION 0xa0       /* [0] EXPLICIT */
#define TAG_ISSUER_UID 0x81    /* [1] IMPLICIT */
#define TAG_SUBJECT_UID 0x82   /* [2] IMPLICIT */
#define TAG_EXTENSIONS 0xa3    /* [3] EXPLICIT */
#define TAG_GN_IP_ADDRESS 0x87 /* GeneralName iPAddress, [7] IMPLICIT OCTET STRING */

/* id-ce-subjectAltName, 2.5.29.17 (RFC 5280 section 4.2.1.6) */
static const uint8_t oid_subject_alt_name[] = { 0x55, 0x1d, 0x11 };

int der_read(struct der *in, uint8_t *tag, struct der *content)
{
	size_t len, i = 2;

	if (in->len < 2 || (in->p[0] & 0x1f) == 0x1f)
		return -EINVAL;
	len = in->p[1];
	if (len & 0x80) {
		size_t n = len & 0x7f;

		/* Definite, minimal, at most four length bytes (X.690 section 10.1). */
		if (n == 0 || n > 4 || in->len < 2 + n || in->p[2] == 0)
			return -EINVAL;
		len = 0;
		for (size_t k = 0; k < n; k++)
			len = len << 8 | in->p[2 + k];
		if (len < 0x80)
			return -EINVAL;
		i += n;
	}
	if (len > in->len - i)
		return -EINVAL;
	*tag = in->p[0];
	content->p = in->p + i;
	content->len = len;
	in->p += i + len;
	in->len -= i + len;
	return 0;
}

/* Reads a TLV that must carry the tag want. */
static int der_expect(struct der *in, uint8_t want, struct der *content)
{
	uint8_t tag;

	if (der_read(in, &tag, content) < 0 || tag != want)
		return -EINVAL;
	return 0;
}

/* Skips an optional TLV with tag want, if it comes next. */
static int der_skip_optional(struct der *in, uint8_t want)
{
	struct der copy = *in, content;
	uint8_t tag;

	if (in->len == 0 || in->p[0] != want)
		return 0;
	if (der_read(&copy, &tag, &content) < 0)
		return -EINVAL;
	*in = copy;
	return 0;
}

static int key_info_split(struct der spki, struct x509_cert *c)
{
	struct der alg, key;
	uint8_t tag;

	if (der_expect(&spki, TAG_SEQUENCE, &alg) < 0 ||
	    der_expect(&alg, TAG_OID, &c->key_algorithm) < 0)
		return -EINVAL;
	c->key_parameters = alg;
	if (alg.len > 0) {
		struct der param;
		struct der rest = alg;

		if (der_read(&rest, &tag, &param) < 0 || rest.len != 0)
			return -EINVAL;
	}
	if (der_read(&spki, &tag, &key) < 0 || spki.len != 0)
		return -EINVAL;
	return 0;
}

int x509_cert_split(const void *der, size_t len, struct x509_cert *c)
{
	struct der in = { der, len }, cert, tbs, field;

	*c = (struct x509_cert){ 0 };
	if (der_expect(&in, TAG_SEQUENCE, &cert) < 0 || in.len != 0 ||
	    der_expect(&cert, TAG_SEQUENCE, &tbs) < 0)
		return -EINVAL;
	if (der_skip_optional(&tbs, TAG_VERSION) < 0 || der_expect(&tbs, TAG_INTEGER, &field) < 0)
		return -EINVAL;
	/* signature, issuer, validity, subject */
	for (int i = 0; i < 4; i++)
		if (der_expect(&tbs, TAG_SEQUENCE, &field) < 0)
			return -EINVAL;
	if (der_expect(&tbs, TAG_SEQUENCE, &field) < 0 || key_info_split(field, c) < 0)
		return -EINVAL;
	if (der_skip_optional(&tbs, TAG_ISSUER_UID) < 0 ||
	    der_skip_optional(&tbs, TAG_SUBJECT_UID) < 0)
		return -EINVAL;
	if (tbs.len > 0) {
		if (der_expect(&tbs, TAG_EXTENSIONS, &field) < 0 || tbs.len != 0 ||
		    der_expect(&field, TAG_SEQUENCE, &c->extensions) < 0 || field.len != 0)
			return -EINVAL;
	}
	return 0;
}

bool x509_oid_is(const struct der *oid, const uint8_t *want, size_t want_len)
{
	return oid->len == want_len && memcmp(oid->p, want, want_len) == 0;
}

/* The extnValue of the extension with the given OID: 1 found, 0 absent, -EINVAL malformed. */
static int extension_find(const struct x509_cert *c, const uint8_t *oid, size_t oid_len,
			  struct der *value)
{
	struct der list = c->extensions, ext, id;

	while (list.len > 0) {
		if (der_expect(&list, TAG_SEQUENCE, &ext) < 0 ||
		    der_expect(&ext, TAG_OID, &id) < 0 ||
		    der_skip_optional(&ext, TAG_BOOLEAN) < 0 ||
		    der_expect(&ext, TAG_OCTET_STRING, value) < 0 || ext.len != 0)
			return -EINVAL;
		if (x509_oid_is(&id, oid, oid_len))
			return 1;
	}
	return 0;
}

int x509_san_has_ip(const struct x509_cert *c, const uint8_t *addr, size_t addr_len)
{
	struct der value, names, name;
	uint8_t tag;
	int r;

	r = extension_find(c, oid_subject_alt_name, sizeof(oid_subject_alt_name), &value);
	if (r <= 0)
		return r;
	if (der_expect(&value, TAG_SEQUENCE, &names) < 0 || value.len != 0)
		return -EINVAL;
	while (names.len > 0) {
		if (der_read(&names, &tag, &name) < 0)
			return -EINVAL;
		if (tag == TAG_GN_IP_ADDRESS && name.len == addr_len &&
		    memcmp(name.p, addr, addr_len) == 0)
			return 1;
	}
	return 0;
}

void x509_oid_format(const struct der *oid, char *buf, size_t size)
{
	size_t used = 0;
	uint64_t v = 0;
	bool first = true;

	if (size == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < oid->len && used < size; i++) {
		int n;

		if (v > (UINT64_MAX >> 7)) {
			snprintf(buf + used, size - used, "%s...", first ? "" : ".");
			return;
		}
		v = v << 7 | (oid->p[i] & 0x7f);
		if (oid->p[i] & 0x80)
			continue;
		/* The first subidentifier packs the first two arcs (X.690 section 8.19.4). */
		if (first)
			n = snprintf(buf + used, size - used, "%u.%llu",
				     v < 80 ? (unsigned)(v / 40) : 2,
				     (unsigned long long)(v < 80 ? v % 40 : v - 80));
		else
			n = snprintf(buf + used, size - used, ".%llu", (unsigned long long)v);
		if (n < 0)
			return;
		used += (size_t)n;
		first = false;
		v = 0;
	}
}
