/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_NET_TLS_H
#define MRBOOT_NET_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct error;
struct trust_anchors;

/*
 * A TLS 1.2 client on a connected non-blocking socket, with BearSSL and a profile trimmed to
 * what a key broker needs: ECDHE with ECDSA or RSA certificates, AES-128/256-GCM, curves
 * P-256, P-384, P-521 (and X25519 for the key exchange), SHA-256,
 * SHA-384 and SHA-512 signatures (no SHA-1). The server's chain is validated against the
 * trust anchors at the current time, and its certificate against the host: by BearSSL for a
 * DNS name (also sent as SNI), here for an IP address (an iPAddress subjectAltName entry).
 *
 * Errors: -EKEYREJECTED when the server's certificate is refused (untrusted, expired, wrong
 * name or address), -ECONNABORTED for any other TLS failure (an alert from the server named,
 * a bad record, no common cipher suite), -ETIMEDOUT at the deadline, and the socket's errno
 * (-ECONNRESET, -EPIPE) when the connection breaks. Messages name the reason in words.
 */
struct tls_client;

/* host: the URL host (DNS name or IP literal without brackets). fd stays the caller's. */
int tls_client_new(struct tls_client **out, int fd, const struct trust_anchors *anchors,
		   const char *host, struct error *e);

/*
 * Starts over on a new connection fd to the same server, offering the session of the last
 * handshake for resumption (RFC 5246 section 7.3): a server that still holds it skips the key
 * exchange and the certificate, both done for this host in the handshake that made the
 * session; one that does not runs a full handshake, checked as the first one was. The session
 * is bound to this context and so to its host; offer only one from a connection that ended
 * well (after a failure, start again with tls_client_free() and tls_client_new()).
 */
int tls_client_restart(struct tls_client *t, int fd, struct error *e);

/* Runs the handshake to its end (optional: the first write does it too). */
int tls_client_handshake(struct tls_client *t, uint64_t deadline, struct error *e);

/* Queues len bytes of application data; full records go out as they fill. */
int tls_client_write(struct tls_client *t, const void *buf, size_t len, uint64_t deadline,
		     struct error *e);

/* Sends what is queued. */
int tls_client_flush(struct tls_client *t, uint64_t deadline, struct error *e);

/* Up to len bytes of application data: the count, 0 at the end of the stream, or an error. */
ssize_t tls_client_read(struct tls_client *t, void *buf, size_t len, uint64_t deadline,
			struct error *e);

/* After a read returned 0: whether the server ended the stream with close_notify. */
bool tls_client_closed_cleanly(const struct tls_client *t);

/* After the handshake: whether the server resumed the session offered by tls_client_restart(). */
bool tls_client_resumed(const struct tls_client *t);

/*
 * Ends the connection in order (RFC 5246 section 7.2.1): close_notify, as far as the socket
 * takes it at once; nothing is waited for, so that closing never blocks.
 */
void tls_client_close(struct tls_client *t);

/* Wipes the session state and frees it. NULL is fine. */
void tls_client_free(struct tls_client *t);

#endif
