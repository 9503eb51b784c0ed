/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tls-error.h"

#include <bearssl.h>
#include <stdio.h>

#include "basic/macro.h"

struct name {
	int code;
	const char *text;
};

static const struct name alerts[] = {
	{ 0, "close_notify" },
	{ 10, "unexpected_message" },
	{ 20, "bad_record_mac" },
	{ 21, "decryption_failed" },
	{ 22, "record_overflow" },
	{ 30, "decompression_failure" },
	{ 40, "handshake_failure" },
	{ 41, "no_certificate" },
	{ 42, "bad_certificate" },
	{ 43, "unsupported_certificate" },
	{ 44, "certificate_revoked" },
	{ 45, "certificate_expired" },
	{ 46, "certificate_unknown" },
	{ 47, "illegal_parameter" },
	{ 48, "unknown_ca" },
	{ 49, "access_denied" },
	{ 50, "decode_error" },
	{ 51, "decrypt_error" },
	{ 60, "export_restriction" },
	{ 70, "protocol_version" },
	{ 71, "insufficient_security" },
	{ 80, "internal_error" },
	{ 86, "inappropriate_fallback" },
	{ 90, "user_canceled" },
	{ 100, "no_renegotiation" },
	{ 109, "missing_extension" },
	{ 110, "unsupported_extension" },
	{ 112, "unrecognized_name" },
	{ 113, "bad_certificate_status_response" },
	{ 115, "unknown_psk_identity" },
	{ 116, "certificate_required" },
	{ 120, "no_application_protocol" },
};

static const struct name errors[] = {
	{ BR_ERR_BAD_PARAM, "bad parameter" },
	{ BR_ERR_BAD_STATE, "bad engine state" },
	{ BR_ERR_UNSUPPORTED_VERSION, "the server's TLS version is not 1.2" },
	{ BR_ERR_BAD_VERSION, "record version mismatch" },
	{ BR_ERR_BAD_LENGTH, "bad record length" },
	{ BR_ERR_TOO_LARGE, "record too large" },
	{ BR_ERR_BAD_MAC, "record failed authentication (bad MAC)" },
	{ BR_ERR_NO_RANDOM, "no entropy for the random generator" },
	{ BR_ERR_UNKNOWN_TYPE, "unknown record type" },
	{ BR_ERR_UNEXPECTED, "unexpected message" },
	{ BR_ERR_BAD_CCS, "bad ChangeCipherSpec" },
	{ BR_ERR_BAD_ALERT, "malformed alert" },
	{ BR_ERR_BAD_HANDSHAKE, "malformed handshake message" },
	{ BR_ERR_OVERSIZED_ID, "oversized session ID" },
	{ BR_ERR_BAD_CIPHER_SUITE, "the server chose a cipher suite we did not offer" },
	{ BR_ERR_BAD_COMPRESSION, "the server chose compression" },
	{ BR_ERR_BAD_FRAGLEN, "bad fragment length" },
	{ BR_ERR_BAD_SECRENEG, "secure renegotiation failed" },
	{ BR_ERR_EXTRA_EXTENSION, "the server sent an extension we did not ask for" },
	{ BR_ERR_BAD_SNI, "bad server name indication" },
	{ BR_ERR_BAD_HELLO_DONE, "bad ServerHelloDone" },
	{ BR_ERR_LIMIT_EXCEEDED, "a handshake limit was exceeded" },
	{ BR_ERR_BAD_FINISHED, "bad Finished message" },
	{ BR_ERR_RESUME_MISMATCH, "session resumption mismatch" },
	{ BR_ERR_INVALID_ALGORITHM, "the server used an algorithm we do not support" },
	{ BR_ERR_BAD_SIGNATURE, "bad ServerKeyExchange signature" },
	{ BR_ERR_WRONG_KEY_USAGE, "the server's key may not be used for this cipher suite" },
	{ BR_ERR_NO_CLIENT_AUTH, "the server requires a client certificate" },
	{ BR_ERR_IO, "input/output error" },
	{ BR_ERR_X509_INVALID_VALUE, "certificate: invalid value in an ASN.1 structure" },
	{ BR_ERR_X509_TRUNCATED, "certificate: truncated" },
	{ BR_ERR_X509_EMPTY_CHAIN, "the server sent no certificate" },
	{ BR_ERR_X509_INNER_TRUNC, "certificate: inner element longer than its container" },
	{ BR_ERR_X509_BAD_TAG_CLASS, "certificate: unsupported ASN.1 tag class" },
	{ BR_ERR_X509_BAD_TAG_VALUE, "certificate: unsupported ASN.1 tag value" },
	{ BR_ERR_X509_INDEFINITE_LENGTH, "certificate: indefinite length" },
	{ BR_ERR_X509_EXTRA_ELEMENT, "certificate: extra element" },
	{ BR_ERR_X509_UNEXPECTED, "certificate: unexpected element" },
	{ BR_ERR_X509_NOT_CONSTRUCTED, "certificate: element should be constructed" },
	{ BR_ERR_X509_NOT_PRIMITIVE, "certificate: element should be primitive" },
	{ BR_ERR_X509_PARTIAL_BYTE, "certificate: BIT STRING with partial byte" },
	{ BR_ERR_X509_BAD_BOOLEAN, "certificate: bad BOOLEAN" },
	{ BR_ERR_X509_OVERFLOW, "certificate: value out of range" },
	{ BR_ERR_X509_BAD_DN, "certificate: bad distinguished name" },
	{ BR_ERR_X509_BAD_TIME, "certificate: bad validity time" },
	{ BR_ERR_X509_UNSUPPORTED, "certificate: unsupported feature, algorithm or key type" },
	{ BR_ERR_X509_LIMIT_EXCEEDED, "certificate: a decoding limit was exceeded" },
	{ BR_ERR_X509_WRONG_KEY_TYPE,
	  "certificate: key type does not match its signature algorithm" },
	{ BR_ERR_X509_BAD_SIGNATURE, "certificate: bad signature" },
	{ BR_ERR_X509_TIME_UNKNOWN, "certificate: validation time unknown" },
	{ BR_ERR_X509_EXPIRED, "certificate expired or not yet valid" },
	{ BR_ERR_X509_DN_MISMATCH, "certificate chain: issuer and subject names do not match" },
	{ BR_ERR_X509_BAD_SERVER_NAME, "certificate does not match the host name" },
	{ BR_ERR_X509_CRITICAL_EXTENSION, "certificate: unsupported critical extension" },
	{ BR_ERR_X509_NOT_CA, "certificate chain: an issuer is not a CA" },
	{ BR_ERR_X509_FORBIDDEN_KEY_USAGE, "certificate: key usage does not allow this use" },
	{ BR_ERR_X509_WEAK_PUBLIC_KEY, "certificate: public key too weak" },
	{ BR_ERR_X509_NOT_TRUSTED, "certificate not trusted (no chain to a trust anchor)" },
};

static const char *lookup(const struct name *table, size_t n, int code)
{
	for (size_t i = 0; i < n; i++)
		if (table[i].code == code)
			return table[i].text;
	return NULL;
}

const char *tls_alert_name(int alert)
{
	return lookup(alerts, ARRAY_SIZE(alerts), alert);
}

void tls_error_describe(int err, char *buf, size_t size)
{
	const char *text;

	if (size == 0)
		return;
	if (err >= BR_ERR_RECV_FATAL_ALERT && err < BR_ERR_RECV_FATAL_ALERT + 256) {
		text = tls_alert_name(err - BR_ERR_RECV_FATAL_ALERT);
		snprintf(buf, size, "the server sent alert %s (%d)", text ? text : "unknown",
			 err - BR_ERR_RECV_FATAL_ALERT);
	} else if (err >= BR_ERR_SEND_FATAL_ALERT && err < BR_ERR_SEND_FATAL_ALERT + 256) {
		text = tls_alert_name(err - BR_ERR_SEND_FATAL_ALERT);
		snprintf(buf, size, "we sent alert %s (%d)", text ? text : "unknown",
			 err - BR_ERR_SEND_FATAL_ALERT);
	} else {
		text = lookup(errors, ARRAY_SIZE(errors), err);
		snprintf(buf, size, "%s (BearSSL error %d)", text ? text : "unknown error", err);
	}
}
