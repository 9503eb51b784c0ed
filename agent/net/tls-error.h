/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_NET_TLS_ERROR_H
#define MRBOOT_NET_TLS_ERROR_H

#include <stddef.h>

/*
 * BearSSL's error codes (bearssl_ssl.h, bearssl_x509.h) in words, and the TLS alerts of
 * RFC 5246 section 7.2 (with later registrations) by name, for messages a user can act on.
 */

/* The alert's registered name ("handshake_failure"), or NULL when unknown. */
const char *tls_alert_name(int alert);

/*
 * "certificate not trusted (BearSSL error 62)", "the server sent alert handshake_failure (40)"
 * and the like, into buf (truncated safely).
 */
void tls_error_describe(int err, char *buf, size_t size);

#endif
