/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PEM trust anchors (net/trust-anchors.h, net/pem.h) against the fixtures of
 * tests/fixtures/pem (made by openssl, see make.sh there): each anchor's subject name, key and
 * CA flag as python3-cryptography read them from the same certificate (NAME.expect), the
 * unsupported keys refused by name, and broken PEM refused with the block named.
 * Usage: test-trust-anchors FIXTURES_PEM_DIR
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "basic/file.h"
#include "net/pem.h"
#include "net/trust-anchors.h"
#include "tap.h"

static const char *dir;

static char *fixture_path(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static char *fixture_read(const char *name, size_t *len)
{
	char *text = NULL;
	struct error e = { 0 };

	if (file_read_all(fixture_path(name), 1 << 20, &text, len, &e) < 0) {
		tap_diag("%s", e.msg);
		exit(1);
	}
	return text;
}

/* The "key value" lines of NAME.expect, value as hex or a number. */
static bool expect_get(const char *name, const char *key, char *out, size_t size)
{
	char file[256], line[4096];
	size_t klen = strlen(key);
	FILE *f;
	bool found = false;

	snprintf(file, sizeof(file), "%s/%s.expect", dir, name);
	f = fopen(file, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
			snprintf(out, size, "%s", line + klen + 1);
			out[strcspn(out, "\n")] = '\0';
			found = true;
		}
	fclose(f);
	return found;
}

static bool bytes_match(const char *name, const char *key, const unsigned char *p, size_t n)
{
	char hex[4096], have[4096];

	if (!expect_get(name, key, hex, sizeof(hex)) || n * 2 + 1 > sizeof(have))
		return false;
	hex_encode(have, p, n);
	return strcmp(hex, have) == 0;
}

static void anchor_check(const br_x509_trust_anchor *a, const char *name)
{
	char value[64];

	expect_get(name, "ca", value, sizeof(value));
	tap_is_int((a->flags & BR_X509_TA_CA) != 0, atoi(value), "%s: CA flag %s", name, value);
	tap_ok(bytes_match(name, "dn", a->dn.data, a->dn.len), "%s: subject name DER", name);
	if (expect_get(name, "ec-curve", value, sizeof(value))) {
		tap_ok(a->pkey.key_type == BR_KEYTYPE_EC && a->pkey.key.ec.curve == atoi(value),
		       "%s: EC key on TLS curve %s", name, value);
		tap_ok(bytes_match(name, "ec-q", a->pkey.key.ec.q, a->pkey.key.ec.qlen),
		       "%s: EC point", name);
	} else {
		tap_ok(a->pkey.key_type == BR_KEYTYPE_RSA, "%s: RSA key", name);
		tap_ok(bytes_match(name, "rsa-n", a->pkey.key.rsa.n, a->pkey.key.rsa.nlen) &&
			       bytes_match(name, "rsa-e", a->pkey.key.rsa.e, a->pkey.key.rsa.elen),
		       "%s: RSA modulus and exponent", name);
	}
}

static void test_good(void)
{
	static const char *const names[] = { "ca-ec-p256", "ca-rsa-2048", "leaf-ec-p384",
					     "ca-ec-p521" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct trust_anchors ta = { 0 };
		struct error e = { 0 };
		char file[64];
		int r;

		snprintf(file, sizeof(file), "%s.pem", names[i]);
		r = trust_anchors_load(&ta, fixture_path(file), &e);
		if (!tap_ok(r == 0 && ta.count == 1, "%s loads as one anchor", file)) {
			tap_diag("%d %s", r, e.msg);
			continue;
		}
		anchor_check(&ta.anchors[0], names[i]);
		trust_anchors_free(&ta);
		tap_ok(ta.count == 0 && ta.anchors == NULL, "%s: freed and emptied", file);
	}
}

static void test_bundle(void)
{
	struct trust_anchors ta = { 0 };
	struct error e = { 0 };
	int r = trust_anchors_load(&ta, fixture_path("bundle-crlf.pem"), &e);

	if (!tap_ok(r == 0 && ta.count == 2,
		    "a CRLF bundle with text and a key block gives its two certificates")) {
		tap_diag("%d %s", r, e.msg);
		return;
	}
	anchor_check(&ta.anchors[0], "ca-ec-p256");
	anchor_check(&ta.anchors[1], "ca-rsa-2048");
	trust_anchors_free(&ta);
}

static void test_unsupported(void)
{
	static const struct {
		const char *file, *why;
	} cases[] = {
		{ "ed25519.pem",
		  "certificate 1 (line 1): unsupported key type Ed25519 (1.3.101.112)" },
		{ "dsa.pem",
		  "certificate 1 (line 1): unsupported key type DSA (1.2.840.10040.4.1)" },
		{ "secp256k1.pem",
		  "certificate 1 (line 1): unsupported EC curve secp256k1 (1.3.132.0.10)" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct trust_anchors ta = { 0 };
		struct error e = { 0 };
		int r = trust_anchors_load(&ta, fixture_path(cases[i].file), &e);

		tap_ok(r == -EINVAL && strstr(e.msg, cases[i].why) && strstr(e.msg, dir) &&
			       ta.count == 0,
		       "%s refused: %s", cases[i].file, cases[i].why);
		if (r != -EINVAL || !strstr(e.msg, cases[i].why))
			tap_diag("%d %s", r, e.msg);
	}
}

static void test_missing_file(void)
{
	struct trust_anchors ta = { 0 };
	struct error e = { 0 };
	int r = trust_anchors_load(&ta, fixture_path("no-such.pem"), &e);

	tap_ok(r == -ENOENT && strstr(e.msg, "no-such.pem"), "a missing file: -ENOENT naming it");
}

static void test_garbage(void)
{
	static const struct {
		const char *what, *pem, *why;
	} cases[] = {
		{ "empty text", "", "no CERTIFICATE block" },
		{ "text only", "hello\nworld\n", "no CERTIFICATE block" },
		{ "a key block only",
		  "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
		  "no CERTIFICATE block" },
		{ "no END line", "x\n-----BEGIN CERTIFICATE-----\nAAAA\n",
		  "PEM block 1 (line 2): no END line" },
		{ "END of another label",
		  "-----BEGIN CERTIFICATE-----\nAAAA\n-----END X509 CRL-----\n",
		  "PEM block 1 (line 1): END line 3 does not match 'CERTIFICATE'" },
		{ "END without BEGIN", "-----END CERTIFICATE-----\n",
		  "PEM line 1: END line without BEGIN" },
		{ "a character outside base64",
		  "-----BEGIN CERTIFICATE-----\nAA*A\n-----END CERTIFICATE-----\n",
		  "PEM block 1 (line 1): invalid base64 character" },
		{ "base64 without padding",
		  "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n",
		  "PEM block 1 (line 1): base64 length 3" },
		{ "an RFC 1421 header",
		  "-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\nAAAA\n-----END CERTIFICATE-----\n",
		  "line 2 is not base64" },
		{ "a blank line inside",
		  "-----BEGIN CERTIFICATE-----\nAAAA\n\nAAAA\n-----END CERTIFICATE-----\n",
		  "line 3 is not base64" },
		{ "a space inside a line",
		  "-----BEGIN CERTIFICATE-----\nAA AA\n-----END CERTIFICATE-----\n",
		  "line 2 is not base64" },
		{ "BEGIN inside a block",
		  "-----BEGIN CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
		  "line 2 is not base64" },
		{ "base64 of 'hello'",
		  "-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n",
		  "certificate 1 (line 1): not a DER X.509 certificate" },
		{ "an empty certificate block",
		  "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
		  "certificate 1 (line 1): not a DER X.509 certificate" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct trust_anchors ta = { 0 };
		struct error e = { 0 };
		int r = trust_anchors_parse(&ta, cases[i].pem, strlen(cases[i].pem), &e);

		tap_ok(r == -EINVAL && strstr(e.msg, cases[i].why) && ta.count == 0,
		       "%s: refused, '%s'", cases[i].what, cases[i].why);
		if (r != -EINVAL || !strstr(e.msg, cases[i].why))
			tap_diag("%d %s", r, e.msg);
	}
}

/* PEM text "-----BEGIN CERTIFICATE-----" around the base64 of der, after prefix. */
static char *pem_of(const char *prefix, const uint8_t *der, size_t len)
{
	size_t b64 = base64_encoded_len(len, BASE64_STD);
	char *s = malloc(strlen(prefix) + b64 + 128);
	char *p = s + sprintf(s, "%s-----BEGIN CERTIFICATE-----\n", prefix);

	base64_encode(p, der, len, BASE64_STD);
	strcat(p, "\n-----END CERTIFICATE-----\n");
	return s;
}

static void test_der(void)
{
	size_t der_len, pem_len;
	char *der = fixture_read("ca-ec-p256.der", &der_len);
	char *good = fixture_read("ca-ec-p256.pem", &pem_len);
	struct trust_anchors ta = { 0 };
	struct pem_reader reader;
	struct pem_block block;
	struct error e = { 0 };
	uint8_t *altered;
	char *pem;
	int r;

	pem_reader_init(&reader, good, pem_len);
	r = pem_reader_next(&reader, &block, &e);
	tap_ok(r == 1 && strcmp(block.label, "CERTIFICATE") == 0 && block.der_len == der_len &&
		       memcmp(block.der, der, der_len) == 0,
	       "the PEM decodes to the DER openssl wrote");
	if (r == 1)
		free(block.der);
	tap_is_int(pem_reader_next(&reader, &block, &e), 0, "and holds no other block");

	pem = pem_of("", (const uint8_t *)der, der_len - 1);
	r = trust_anchors_parse(&ta, pem, strlen(pem), &e);
	tap_ok(r == -EINVAL && strstr(e.msg, "certificate 1 (line 1): not a DER X.509"),
	       "a certificate missing its last byte is refused (%s)", e.msg);
	free(pem);

	altered = malloc(der_len + 1);
	memcpy(altered, der, der_len);
	altered[der_len] = 0;
	pem = pem_of("", altered, der_len + 1);
	r = trust_anchors_parse(&ta, pem, strlen(pem), &e);
	tap_ok(r == -EINVAL && strstr(e.msg, "not a DER X.509"),
	       "a certificate with a byte after it is refused (%s)", e.msg);
	free(pem);

	/* X.509 version 6 (value 5) where "A0 03 02 01 02" (v3) was: framing intact, BearSSL
	 * refuses. */
	for (size_t i = 0; i + 5 <= der_len; i++)
		if (memcmp(altered + i, "\xa0\x03\x02\x01\x02", 5) == 0) {
			altered[i + 4] = 5;
			break;
		}
	{
		char prefix[2048];

		snprintf(prefix, sizeof(prefix), "%s", good);
		pem = pem_of(prefix, altered, der_len);
	}
	r = trust_anchors_parse(&ta, pem, strlen(pem), &e);
	tap_ok(r == -EINVAL && strstr(e.msg, "certificate 2 (line ") &&
		       strstr(e.msg, "cannot decode it") && ta.count == 0,
	       "an X.509 v6 certificate after a good one is refused, naming block 2 (%s)", e.msg);
	free(pem);
	free(altered);
	free(good);
	free(der);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s FIXTURES_PEM_DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	test_good();
	test_bundle();
	test_unsupported();
	test_missing_file();
	test_garbage();
	test_der();
	return tap_done();
}
