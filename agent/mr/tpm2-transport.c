/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tpm2-transport.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "basic/error.h"
#include "basic/sleep.h"
#include "basic/path.h"
#include "tpm2-marshal.h"

/* How long to wait before asking a listener with a full backlog again. */
#define CONNECT_RETRY_MS 10

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 1 when fd is ready (or has an error or hang-up for the next call to report), 0 at deadline. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int64_t left = deadline - now_ms();
		int r;

		if (left <= 0)
			return 0;
		r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r > 0)
			return 1;
	}
}

int tpm2_transport_open_device(struct tpm2_transport *tr, const char *root, const char *path,
			       struct error *e)
{
	int r;

	*tr = (struct tpm2_transport){ .fd = -1, .kind = TPM2_TRANSPORT_DEVICE };
	r = path_join_root(tr->path, sizeof(tr->path), root, path);
	if (r < 0)
		return error_set_errno(e, r, "TPM device %s under %s", path, root ? root : "/");
	tr->fd = open(tr->path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (tr->fd < 0)
		return error_set_errno(e, -errno, "cannot open TPM device %s", tr->path);
	return 0;
}

int tpm2_transport_open_socket(struct tpm2_transport *tr, const char *path, int timeout_ms,
			       struct error *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(path);
	int64_t deadline = now_ms() + timeout_ms;

	*tr = (struct tpm2_transport){ .fd = -1, .kind = TPM2_TRANSPORT_SOCKET };
	if (n >= sizeof(sa.sun_path))
		return error_set(e, -ENAMETOOLONG,
				 "TPM socket path %s is longer than AF_UNIX allows", path);
	memcpy(sa.sun_path, path, n + 1);
	memcpy(tr->path, path, n + 1);
	tr->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (tr->fd < 0)
		return error_set_errno(e, -errno, "cannot create a socket for TPM %s", path);
	for (;;) {
		int err;

		if (connect(tr->fd, (const struct sockaddr *)&sa, sizeof(sa)) == 0)
			return 0;
		err = errno;
		if (err == EINTR)
			continue;
		/* A non-blocking AF_UNIX connect says EAGAIN while the listener's backlog is full.
		 */
		if (err == EAGAIN && now_ms() < deadline) {
			sleep_ms(CONNECT_RETRY_MS);
			continue;
		}
		tpm2_transport_close(tr);
		if (err == EAGAIN)
			return error_set(e, -ETIMEDOUT,
					 "TPM socket %s did not accept a connection within %d ms",
					 path, timeout_ms);
		return error_set_errno(e, -err, "cannot connect to TPM socket %s", path);
	}
}

void tpm2_transport_close(struct tpm2_transport *tr)
{
	if (tr->fd >= 0)
		close(tr->fd);
	tr->fd = -1;
}

static int transport_send(struct tpm2_transport *tr, const uint8_t *cmd, size_t len,
			  int64_t deadline, int timeout_ms, struct error *e)
{
	size_t done = 0;

	while (done < len) {
		ssize_t k;
		int r = wait_fd(tr->fd, POLLOUT, deadline);

		if (r < 0)
			return error_set_errno(e, r, "cannot wait for TPM %s", tr->path);
		if (r == 0)
			return error_set(e, -ETIMEDOUT,
					 "TPM %s did not take the command within %d ms", tr->path,
					 timeout_ms);
		/* A socket peer that went away must be an error here, not a SIGPIPE. */
		if (tr->kind == TPM2_TRANSPORT_SOCKET)
			k = send(tr->fd, cmd + done, len - done, MSG_NOSIGNAL);
		else
			k = write(tr->fd, cmd, len);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k < 0)
			return error_set_errno(e, -errno, "cannot send a command to TPM %s",
					       tr->path);
		/* The kernel takes a command in one write or not at all. */
		if (tr->kind == TPM2_TRANSPORT_DEVICE && (size_t)k != len)
			return error_set(e, -EIO, "TPM device %s took %zd of %zu command bytes",
					 tr->path, k, len);
		done += (size_t)k;
	}
	return 0;
}

static int transport_receive(struct tpm2_transport *tr, uint8_t *rsp, size_t cap, size_t *rsp_len,
			     int64_t deadline, int timeout_ms, struct error *e)
{
	size_t done = 0, want = TPM2_HEADER_SIZE;

	while (done < want) {
		ssize_t k;
		int r = wait_fd(tr->fd, POLLIN, deadline);

		if (r < 0)
			return error_set_errno(e, r, "cannot wait for TPM %s", tr->path);
		if (r == 0)
			return error_set(
				e, -ETIMEDOUT,
				"no response from TPM %s within %d ms (%zu bytes received)",
				tr->path, timeout_ms, done);
		/*
		 * Always ask for the whole buffer: kernels before partial-read support drop what
		 * a short read of the device leaves behind.
		 */
		k = read(tr->fd, rsp + done, cap - done);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k < 0)
			return error_set_errno(e, -errno, "cannot read the response of TPM %s",
					       tr->path);
		if (k == 0)
			return error_set(e, -ECONNRESET,
					 "TPM %s ended the response after %zu bytes, before its "
					 "header's size",
					 tr->path, done);
		done += (size_t)k;
		if (done >= TPM2_HEADER_SIZE) {
			uint32_t size = tpm2_response_size(rsp);

			if (size < TPM2_HEADER_SIZE || size > cap)
				return error_set(e, -EBADMSG,
						 "TPM %s sent a response header with size %u, not "
						 "%d..%zu",
						 tr->path, size, TPM2_HEADER_SIZE, cap);
			want = size;
		}
	}
	if (done > want)
		return error_set(e, -EBADMSG,
				 "TPM %s sent %zu bytes, more than the %zu of its header", tr->path,
				 done, want);
	*rsp_len = done;
	return 0;
}

int tpm2_transport_transmit(struct tpm2_transport *tr, const uint8_t *cmd, size_t len, uint8_t *rsp,
			    size_t cap, size_t *rsp_len, int timeout_ms, struct error *e)
{
	int64_t deadline = now_ms() + timeout_ms;
	int r;

	if (tr->fd < 0)
		return error_set(e, -ENOTCONN, "TPM %s is closed after an earlier failure",
				 tr->path);
	if (len < TPM2_HEADER_SIZE || cap < TPM2_HEADER_SIZE)
		return error_set(e, -EINVAL, "TPM %s: a command or response buffer below 10 bytes",
				 tr->path);
	r = transport_send(tr, cmd, len, deadline, timeout_ms, e);
	if (r == 0)
		r = transport_receive(tr, rsp, cap, rsp_len, deadline, timeout_ms, e);
	/* Whatever is still on its way belongs to this command, never to the next one. */
	if (r < 0)
		tpm2_transport_close(tr);
	return r;
}
