/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "trust-anchors.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "basic/error.h"
#include "basic/file.h"
#include "basic/macro.h"
#include "pem.h"
#include "tls-error.h"
#include "x509.h"

/* The public key algorithms and named curves (RFC 3279, RFC 5480) that BearSSL verifies with. */
static const uint8_t oid_rsa_encryption[] = {
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01
};
static const uint8_t oid_ec_public_key[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };
static const uint8_t oid_secp256r1[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const uint8_t oid_secp384r1[] = { 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const uint8_t oid_secp521r1[] = { 0x2b, 0x81, 0x04, 0x00, 0x23 };

/* Names for the refusals a user is likely to meet. */
static const struct {
	const char *oid;
	const char *name;
} key_names[] = {
	{ "1.3.101.112", "Ed25519" },	 { "1.3.101.113", "Ed448" },
	{ "1.2.840.10040.4.1", "DSA" },	 { "1.2.840.113549.1.1.10", "RSASSA-PSS" },
	{ "1.3.132.0.10", "secp256k1" }, { "1.2.840.10045.3.1.1", "P-192" },
	{ "1.3.132.0.33", "P-224" },	 { "1.3.36.3.3.2.8.1.1.7", "brainpoolP256r1" },
};

static const char *oid_name(const char *dotted)
{
	for (size_t i = 0; i < ARRAY_SIZE(key_names); i++)
		if (strcmp(key_names[i].oid, dotted) == 0)
			return key_names[i].name;
	return "unknown";
}

/* Refuses by name a key BearSSL could not verify with, before BearSSL sees the certificate. */
static int key_check(const struct x509_cert *c, const struct pem_block *b, struct error *e)
{
	char dotted[64];
	struct der params = c->key_parameters, curve;
	uint8_t tag;

	if (x509_oid_is(&c->key_algorithm, oid_rsa_encryption, sizeof(oid_rsa_encryption)))
		return 0;
	if (!x509_oid_is(&c->key_algorithm, oid_ec_public_key, sizeof(oid_ec_public_key))) {
		x509_oid_format(&c->key_algorithm, dotted, sizeof(dotted));
		return error_set(
			e, -EINVAL,
			"certificate %u (line %u): unsupported key type %s (%s); RSA and EC keys are supported",
			b->index, b->line, oid_name(dotted), dotted);
	}
	if (der_read(&params, &tag, &curve) < 0 || tag != 0x06)
		return error_set(e, -EINVAL,
				 "certificate %u (line %u): EC key without a named curve", b->index,
				 b->line);
	if (x509_oid_is(&curve, oid_secp256r1, sizeof(oid_secp256r1)) ||
	    x509_oid_is(&curve, oid_secp384r1, sizeof(oid_secp384r1)) ||
	    x509_oid_is(&curve, oid_secp521r1, sizeof(oid_secp521r1)))
		return 0;
	x509_oid_format(&curve, dotted, sizeof(dotted));
	return error_set(
		e, -EINVAL,
		"certificate %u (line %u): unsupported EC curve %s (%s); P-256, P-384 and P-521 are supported",
		b->index, b->line, oid_name(dotted), dotted);
}

/* The subject name as BearSSL's decoder streams it out. */
struct dn_buffer {
	uint8_t *data;
	size_t len, cap;
	bool failed;
};

static void dn_append(void *ctx, const void *buf, size_t len)
{
	struct dn_buffer *dn = ctx;

	if (dn->failed)
		return;
	if (len > dn->cap - dn->len) {
		size_t cap = dn->len + len + 256;
		uint8_t *p = realloc(dn->data, cap);

		if (!p) {
			dn->failed = true;
			return;
		}
		dn->data = p;
		dn->cap = cap;
	}
	memcpy(dn->data + dn->len, buf, len);
	dn->len += len;
}

static void anchor_free(br_x509_trust_anchor *a)
{
	free(a->dn.data);
	if (a->pkey.key_type == BR_KEYTYPE_RSA) {
		free(a->pkey.key.rsa.n);
		free(a->pkey.key.rsa.e);
	} else if (a->pkey.key_type == BR_KEYTYPE_EC) {
		free(a->pkey.key.ec.q);
	}
	memset(a, 0, sizeof(*a));
}

static uint8_t *copy_bytes(const void *p, size_t n)
{
	uint8_t *q = malloc(n ? n : 1);

	if (q && n)
		memcpy(q, p, n);
	return q;
}

/* Copies the decoded key out of the decoder, which is gone when this returns. */
static int anchor_fill(br_x509_trust_anchor *a, br_x509_decoder_context *dc, struct dn_buffer *dn)
{
	const br_x509_pkey *pk = br_x509_decoder_get_pkey(dc);
	bool ok;

	*a = (br_x509_trust_anchor){ .dn = { dn->data, dn->len } };
	dn->data = NULL;
	a->flags = br_x509_decoder_isCA(dc) ? BR_X509_TA_CA : 0;
	a->pkey.key_type = pk->key_type;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		a->pkey.key.rsa.n = copy_bytes(pk->key.rsa.n, pk->key.rsa.nlen);
		a->pkey.key.rsa.nlen = pk->key.rsa.nlen;
		a->pkey.key.rsa.e = copy_bytes(pk->key.rsa.e, pk->key.rsa.elen);
		a->pkey.key.rsa.elen = pk->key.rsa.elen;
		ok = a->pkey.key.rsa.n && a->pkey.key.rsa.e;
	} else {
		a->pkey.key.ec.curve = pk->key.ec.curve;
		a->pkey.key.ec.q = copy_bytes(pk->key.ec.q, pk->key.ec.qlen);
		a->pkey.key.ec.qlen = pk->key.ec.qlen;
		ok = a->pkey.key.ec.q != NULL;
	}
	if (!ok) {
		anchor_free(a);
		return -ENOMEM;
	}
	return 0;
}

static int anchor_add(struct trust_anchors *ta, const struct pem_block *b, struct error *e)
{
	br_x509_decoder_context dc;
	struct dn_buffer dn = { 0 };
	struct x509_cert cert;
	char why[128];
	int r;

	if (x509_cert_split(b->der, b->der_len, &cert) < 0)
		return error_set(e, -EINVAL,
				 "certificate %u (line %u): not a DER X.509 certificate", b->index,
				 b->line);
	r = key_check(&cert, b, e);
	if (r < 0)
		return r;
	br_x509_decoder_init(&dc, dn_append, &dn);
	br_x509_decoder_push(&dc, b->der, b->der_len);
	r = br_x509_decoder_last_error(&dc);
	if (r != 0 || dn.failed) {
		free(dn.data);
		if (dn.failed)
			return error_set(e, -ENOMEM, "certificate %u: out of memory", b->index);
		tls_error_describe(r, why, sizeof(why));
		return error_set(e, -EINVAL, "certificate %u (line %u): cannot decode it: %s",
				 b->index, b->line, why);
	}
	if (ta->count == ta->cap) {
		size_t cap = ta->cap ? 2 * ta->cap : 8;
		br_x509_trust_anchor *p = realloc(ta->anchors, cap * sizeof(*p));

		if (!p) {
			free(dn.data);
			return error_set(e, -ENOMEM, "certificate %u: out of memory", b->index);
		}
		ta->anchors = p;
		ta->cap = cap;
	}
	r = anchor_fill(&ta->anchors[ta->count], &dc, &dn);
	if (r < 0)
		return error_set(e, r, "certificate %u: out of memory", b->index);
	ta->count++;
	return 0;
}

int trust_anchors_parse(struct trust_anchors *ta, const void *pem, size_t len, struct error *e)
{
	struct trust_anchors v = { 0 };
	struct pem_reader reader;
	struct pem_block block;
	int r;

	pem_reader_init(&reader, pem, len);
	while ((r = pem_reader_next(&reader, &block, e)) > 0) {
		if (strcmp(block.label, "CERTIFICATE") == 0)
			r = anchor_add(&v, &block, e);
		free(block.der);
		if (r < 0)
			break;
	}
	if (r == 0 && v.count == 0)
		r = error_set(e, -EINVAL, "no CERTIFICATE block");
	if (r < 0) {
		trust_anchors_free(&v);
		return r;
	}
	*ta = v;
	return 0;
}

int trust_anchors_load(struct trust_anchors *ta, const char *path, struct error *e)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	r = file_read_all(path, TRUST_ANCHORS_FILE_MAX, &text, &len, e);
	if (r < 0)
		return r;
	r = trust_anchors_parse(ta, text, len, e);
	if (r < 0)
		error_prefix(e, "%s", path);
	return r;
}

void trust_anchors_free(struct trust_anchors *ta)
{
	for (size_t i = 0; i < ta->count; i++)
		anchor_free(&ta->anchors[i]);
	free(ta->anchors);
	*ta = (struct trust_anchors){ 0 };
}
