/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "resolve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deadline.h"
#include "basic/error.h"

/* What the child sends back: one write, smaller than PIPE_BUF, so it arrives whole or not. */
struct resolve_reply {
	int32_t gai; /* getaddrinfo()'s result */
	int32_t err; /* errno, for EAI_SYSTEM */
	uint32_t count;
	uint32_t len[RESOLVE_MAX];
	struct sockaddr_storage addr[RESOLVE_MAX];
};

_Static_assert(sizeof(struct resolve_reply) <= 4096, "the reply must fit in PIPE_BUF");

static int resolve_literal(const char *host, uint16_t port, struct resolved *out)
{
	struct sockaddr_in *in = (struct sockaddr_in *)&out->addr[0];
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->addr[0];

	memset(&out->addr[0], 0, sizeof(out->addr[0]));
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		out->len[0] = sizeof(*in);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		out->len[0] = sizeof(*in6);
	} else {
		return 0;
	}
	out->count = 1;
	return 1;
}

/* In the child: look the name up and write the reply; never returns. */
static void resolve_child(int fd, const char *host, uint16_t port)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_protocol = IPPROTO_TCP,
		.ai_flags = AI_NUMERICSERV,
	};
	struct resolve_reply reply = { 0 };
	struct addrinfo *list = NULL;
	char service[8];

	snprintf(service, sizeof(service), "%u", port);
	reply.gai = getaddrinfo(host, service, &hints, &list);
	reply.err = errno;
	for (const struct addrinfo *ai = reply.gai == 0 ? list : NULL;
	     ai && reply.count < RESOLVE_MAX; ai = ai->ai_next) {
		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    ai->ai_addrlen > sizeof(reply.addr[0]))
			continue;
		memcpy(&reply.addr[reply.count], ai->ai_addr, ai->ai_addrlen);
		reply.len[reply.count++] = ai->ai_addrlen;
	}
	if (list)
		freeaddrinfo(list);
	_exit(write(fd, &reply, sizeof(reply)) == (ssize_t)sizeof(reply) ? 0 : 1);
}

/* Reads the reply until the child closes the pipe: its length, or a negative errno. */
static ssize_t resolve_read(int fd, struct resolve_reply *reply, uint64_t deadline)
{
	uint8_t *p = (uint8_t *)reply;
	size_t got = 0;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int left = deadline_left_ms(deadline), r;
		ssize_t n;

		if (left == 0)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, left);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r <= 0)
			continue;
		n = read(fd, p + got, sizeof(*reply) - got);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		got += (size_t)n;
		if (n == 0 || got == sizeof(*reply))
			return (ssize_t)got;
	}
}

/* The reply checked as if it came from a stranger: families and lengths must agree. */
static int resolve_accept(const struct resolve_reply *reply, struct resolved *out)
{
	if (reply->count > RESOLVE_MAX)
		return -EPROTO;
	out->count = 0;
	for (uint32_t i = 0; i < reply->count; i++) {
		sa_family_t family = reply->addr[i].ss_family;
		size_t want = family == AF_INET	   ? sizeof(struct sockaddr_in)
			      : family == AF_INET6 ? sizeof(struct sockaddr_in6)
						   : 0;

		if (want == 0 || reply->len[i] != want)
			return -EPROTO;
		out->addr[out->count] = reply->addr[i];
		out->len[out->count++] = (socklen_t)want;
	}
	return 0;
}

static int resolve_reply_error(const struct resolve_reply *reply, struct error *e)
{
	if (reply->gai == EAI_MEMORY)
		return error_set(e, -ENOMEM, "resolving: out of memory");
	if (reply->gai == EAI_SYSTEM && reply->err > 0)
		return error_set_errno(e, -reply->err, "cannot resolve the host name");
	if (reply->gai != 0)
		return error_set(e, -EHOSTUNREACH, "cannot resolve the host name: %s",
				 gai_strerror(reply->gai));
	return error_set(e, -EHOSTUNREACH, "cannot resolve the host name: no IPv4 or IPv6 address");
}

int resolve_host(const char *host, uint16_t port, uint64_t deadline, struct resolved *out,
		 struct error *e)
{
	struct resolve_reply reply = { 0 };
	ssize_t n;
	int fds[2], status, r;
	pid_t pid;

	out->count = 0;
	if (resolve_literal(host, port, out))
		return 0;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return error_set_errno(e, -errno, "resolving: pipe");
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(fds[0]);
		close(fds[1]);
		return error_set_errno(e, r, "resolving: fork");
	}
	if (pid == 0) {
		close(fds[0]);
		resolve_child(fds[1], host, port);
	}
	close(fds[1]);
	n = resolve_read(fds[0], &reply, deadline);
	close(fds[0]);
	/* Done or not, the child has nothing more to give: never leave it behind. */
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n == -ETIMEDOUT)
		return error_set(e, -ETIMEDOUT, "resolving: no answer before the deadline");
	if (n < 0)
		return error_set_errno(e, (int)n, "resolving: reading the resolver's reply");
	if ((size_t)n != sizeof(reply))
		return error_set(e, -EHOSTUNREACH, "resolving: the resolver process died");
	if (reply.gai != 0 || reply.count == 0)
		return resolve_reply_error(&reply, e);
	if (resolve_accept(&reply, out) < 0)
		return error_set(e, -EPROTO, "resolving: a malformed reply from the resolver");
	return 0;
}
