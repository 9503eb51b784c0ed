/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "deadline.h"
#include "basic/error.h"
#include "resolve.h"

int socket_wait(int fd, short events, uint64_t deadline, struct error *e)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		int left = deadline_left_ms(deadline), r;

		if (left == 0)
			return error_set(e, -ETIMEDOUT, "timed out");
		r = poll(&p, 1, left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return error_set_errno(e, -errno, "poll");
	}
}

ssize_t socket_send(int fd, const void *buf, size_t len, uint64_t deadline, struct error *e)
{
	for (;;) {
		/* MSG_NOSIGNAL: a peer that closed early is an error to report, not a SIGPIPE. */
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		int r;

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return error_set_errno(e, -errno, "sending");
		r = socket_wait(fd, POLLOUT, deadline, e);
		if (r < 0) {
			error_prefix(e, "sending");
			return r;
		}
	}
}

ssize_t socket_recv(int fd, void *buf, size_t len, uint64_t deadline, struct error *e)
{
	for (;;) {
		ssize_t n = recv(fd, buf, len, 0);
		int r;

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return error_set_errno(e, -errno, "receiving");
		r = socket_wait(fd, POLLIN, deadline, e);
		if (r < 0) {
			error_prefix(e, "receiving");
			return r;
		}
	}
}

bool socket_is_idle(int fd)
{
	uint8_t byte;
	ssize_t n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);

	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

int socket_send_all(int fd, const void *buf, size_t len, uint64_t deadline, struct error *e)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = socket_send(fd, p, len, deadline, e);

		if (n < 0)
			return (int)n;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void address_format(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	const void *a = ss->ss_family == AF_INET6
				? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
				: (const void *)&((const struct sockaddr_in *)ss)->sin_addr;

	if (!inet_ntop(ss->ss_family, a, buf, (socklen_t)size))
		snprintf(buf, size, "?");
}

/* One connection attempt, bounded by until: 0 with *fd, or a negative errno. */
static int connect_one(const struct sockaddr_storage *ss, socklen_t len_ss, uint64_t until, int *fd)
{
	socklen_t len = sizeof(int);
	int s, r, err = 0, one = 1;
	struct error ignored;

	s = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (s < 0)
		return -errno;
	if (connect(s, (const struct sockaddr *)ss, len_ss) < 0) {
		if (errno != EINPROGRESS && errno != EINTR) {
			r = -errno;
			close(s);
			return r;
		}
		r = socket_wait(s, POLLOUT, until, &ignored);
		if (r < 0 || getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
			close(s);
			return r < 0 ? r : err ? -err : -errno;
		}
	}
	/* Requests go out as headers then body: no Nagle delay between the two writes. */
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*fd = s;
	return 0;
}

int socket_connect(const char *host, uint16_t port, uint64_t deadline, int *fd, struct error *e)
{
	struct resolved addrs;
	char address[INET6_ADDRSTRLEN] = "";
	unsigned tried = 0;
	int r;

	r = resolve_host(host, port, deadline, &addrs, e);
	if (r < 0)
		return r;
	r = -EHOSTUNREACH;
	for (unsigned i = 0; i < addrs.count; i++) {
		uint64_t now = deadline_now_ms(), until;

		if (now >= deadline) {
			r = -ETIMEDOUT;
			break;
		}
		/* An address that swallows packets must not eat the time of those after it. */
		until = now + (deadline - now) / (addrs.count - i);
		address_format(&addrs.addr[i], address, sizeof(address));
		tried++;
		r = connect_one(&addrs.addr[i], addrs.len[i], until, fd);
		if (r == 0)
			return 0;
	}
	if (deadline_left_ms(deadline) == 0)
		r = -ETIMEDOUT;
	if (tried > 1)
		return error_set_errno(e, r, "connecting (%u addresses tried, last %s)", tried,
				       address);
	return error_set_errno(e, r, "connecting (%s)", address);
}
