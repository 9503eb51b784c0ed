/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_NET_X509_H
#define MRBOOT_NET_X509_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The few fields of an X.509 certificate (RFC 5280 section 4.1) that BearSSL does not hand
 * out: the public key's algorithm and curve, to refuse an unsupported key by name, and the
 * subjectAltName's iPAddress entries, to check a server reached by IP address. Only the DER
 * framing on the way to them is checked here; BearSSL decodes and validates the rest.
 */

/* A slice of DER bytes. */
struct der {
	const uint8_t *p;
	size_t len;
};

/* Reads one TLV (one-byte tag, definite minimal length) off the front of *in. 0 or -EINVAL. */
int der_read(struct der *in, uint8_t *tag, struct der *content);

struct x509_cert {
	struct der
		key_algorithm; /* AlgorithmIdentifier.algorithm of the subject key (OID content) */
	struct der key_parameters; /* its parameters TLV (whole), or empty */
	struct der extensions;	   /* content of the Extensions SEQUENCE, or empty */
};

/*
 * Finds the fields in a DER certificate that must fill der..der+len exactly: 0, or -EINVAL if
 * the framing up to them is not that of a certificate.
 */
int x509_cert_split(const void *der, size_t len, struct x509_cert *c);

/*
 * Whether the certificate's subjectAltName holds an iPAddress entry equal to addr (4 or 16
 * bytes): 1 if it does, 0 if not (also without the extension: the Common Name never stands
 * for an IP address, RFC 9110 section 4.3.5), -EINVAL if the extensions are malformed.
 */
int x509_san_has_ip(const struct x509_cert *c, const uint8_t *addr, size_t addr_len);

/* The OID content bytes in dotted form ("1.3.101.112"), truncated safely to size. */
void x509_oid_format(const struct der *oid, char *buf, size_t size);

/* Whether an OID (content bytes) equals the encoded OID given as a string of bytes. */
bool x509_oid_is(const struct der *oid, const uint8_t *want, size_t want_len);

#endif
