/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PEM trust anchors (net/trust-anchors.h) on any text, and the DER walk of net/x509.h on the
 * same bytes taken as a certificate. Properties: every anchor has a name and an RSA key or an
 * EC key on P-256/P-384/P-521; every PEM block, written again as PEM, reads back to the same
 * label and bytes; the certificate's fields lie within the input.
 */
#include <string.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "fuzz.h"
#include "net/pem.h"
#include "net/trust-anchors.h"
#include "net/x509.h"

static void check_anchors(const uint8_t *data, size_t size)
{
	struct trust_anchors ta = { 0 };
	struct error e = { 0 };
	int r = trust_anchors_parse(&ta, data, size, &e);

	if (r < 0) {
		fuzz_check(e.code == r && e.msg[0] && ta.count == 0, "a refusal leaves nothing");
		return;
	}
	fuzz_check(ta.count > 0, "at least one anchor");
	for (size_t i = 0; i < ta.count; i++) {
		const br_x509_trust_anchor *a = &ta.anchors[i];

		fuzz_check(a->dn.len > 0, "an anchor has a subject name");
		if (a->pkey.key_type == BR_KEYTYPE_RSA)
			fuzz_check(a->pkey.key.rsa.nlen > 0 && a->pkey.key.rsa.elen > 0,
				   "an RSA key has a modulus and an exponent");
		else
			fuzz_check(a->pkey.key_type == BR_KEYTYPE_EC &&
					   a->pkey.key.ec.curve >= 23 &&
					   a->pkey.key.ec.curve <= 25 && a->pkey.key.ec.qlen > 0,
				   "an EC key is on P-256, P-384 or P-521");
	}
	trust_anchors_free(&ta);
}

/* The block again as PEM, in lines of 64 characters (RFC 7468 section 2). */
static void check_block(const struct pem_block *b)
{
	size_t b64_len = base64_encoded_len(b->der_len, BASE64_STD);
	char *b64 = malloc(b64_len + 1), *text = malloc(b64_len + b64_len / 64 + 256);
	struct pem_reader reader;
	struct pem_block again;
	struct error e = { 0 };
	size_t len;

	fuzz_check(b64 && text, "malloc");
	base64_encode(b64, b->der, b->der_len, BASE64_STD);
	len = (size_t)sprintf(text, "-----BEGIN %s-----\n", b->label);
	for (size_t i = 0; i < b64_len; i += 64) {
		size_t n = b64_len - i < 64 ? b64_len - i : 64;

		memcpy(text + len, b64 + i, n);
		len += n;
		text[len++] = '\n';
	}
	len += (size_t)sprintf(text + len, "-----END %s-----\n", b->label);
	pem_reader_init(&reader, text, len);
	fuzz_check(pem_reader_next(&reader, &again, &e) == 1, "the block written again reads");
	fuzz_check(strcmp(again.label, b->label) == 0 && again.der_len == b->der_len &&
			   memcmp(again.der, b->der, b->der_len) == 0,
		   "the block written again reads back the same");
	free(again.der);
	free(text);
	free(b64);
}

static void check_pem(const uint8_t *data, size_t size)
{
	struct pem_reader reader;
	struct pem_block block;
	struct error e = { 0 };
	int r;

	pem_reader_init(&reader, data, size);
	while ((r = pem_reader_next(&reader, &block, &e)) == 1) {
		fuzz_check(block.der_len <= PEM_BLOCK_MAX, "a block within PEM_BLOCK_MAX");
		fuzz_check(block.label[0] != '\0', "a block has a label");
		check_block(&block);
		free(block.der);
	}
	fuzz_check(r == 0 || (r < 0 && e.code == r), "the reader ends or says why");
}

static void check_der(const uint8_t *data, size_t size)
{
	static const uint8_t v4[4] = { 127, 0, 0, 1 }, v6[16] = { [15] = 1 };
	struct x509_cert c;

	if (x509_cert_split(data, size, &c) < 0)
		return;
	fuzz_check(fuzz_within(c.key_algorithm.p, c.key_algorithm.len, data, size),
		   "the key algorithm lies within the certificate");
	fuzz_check(c.key_parameters.len == 0 ||
			   fuzz_within(c.key_parameters.p, c.key_parameters.len, data, size),
		   "the key parameters lie within the certificate");
	fuzz_check(c.extensions.len == 0 ||
			   fuzz_within(c.extensions.p, c.extensions.len, data, size),
		   "the extensions lie within the certificate");
	x509_san_has_ip(&c, v4, sizeof(v4));
	x509_san_has_ip(&c, v6, sizeof(v6));
	{
		char dotted[64];

		x509_oid_format(&c.key_algorithm, dotted, sizeof(dotted));
		fuzz_check(strlen(dotted) < sizeof(dotted), "the OID text fits");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_anchors(data, size);
	check_pem(data, size);
	check_der(data, size);
	return 0;
}
