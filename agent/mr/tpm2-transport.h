/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_TPM2_TRANSPORT_H
#define MRBOOT_TPM2_TRANSPORT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

struct error;

/*
 * Moves one TPM 2.0 command and its response, as raw bytes, to a TPM and back:
 *  - a kernel TPM character device (/dev/tpmrm0, the resource manager): the whole command in
 *    one write(), the response from read(). Opened non-blocking, so that the kernel queues
 *    the command and poll() says when the answer is there: a blocking write() would wait
 *    for the kernel's own TPM timeouts, up to minutes.
 *  - swtpm's server channel on an AF_UNIX stream socket (`swtpm socket --server
 *    type=unixio,path=...`): the same bytes, with no framing of their own, so a response is
 *    complete when the size in its header has arrived.
 * Every transmit has a deadline. After a timeout or a broken response the transport is
 * closed, since a late answer would otherwise be taken for the next command's; later
 * transmits fail with -ENOTCONN. Closing a device whose command is still queued waits for the
 * kernel to finish it, which its own TPM timeouts bound (seconds for these commands).
 */
enum tpm2_transport_kind {
	TPM2_TRANSPORT_DEVICE,
	TPM2_TRANSPORT_SOCKET,
};

struct tpm2_transport {
	int fd; /* -1 when closed */
	enum tpm2_transport_kind kind;
	char path[PATH_MAX]; /* the device (root prefix included) or socket, for messages */
};

/* <root><path>, e.g. "/dev/tpmrm0" under the --root prefix. */
int tpm2_transport_open_device(struct tpm2_transport *tr, const char *root, const char *path,
			       struct error *e);

/* Connects within timeout_ms: a listener that never accepts cannot stall the boot either. */
int tpm2_transport_open_socket(struct tpm2_transport *tr, const char *path, int timeout_ms,
			       struct error *e);

/*
 * Sends cmd and receives the complete response into rsp (cap bytes), within timeout_ms in
 * all. On success the response holds at least a header and exactly the bytes its size field
 * gives. -ETIMEDOUT, -EBADMSG (a size field below the header or above cap), -ECONNRESET (the
 * peer closed mid-response) or the errno of the failed call, with the path in the message.
 */
int tpm2_transport_transmit(struct tpm2_transport *tr, const uint8_t *cmd, size_t len, uint8_t *rsp,
			    size_t cap, size_t *rsp_len, int timeout_ms, struct error *e);

/* Safe to call twice and on a transport that never opened. */
void tpm2_transport_close(struct tpm2_transport *tr);

#endif
