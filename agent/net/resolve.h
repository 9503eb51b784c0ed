/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_NET_RESOLVE_H
#define MRBOOT_NET_RESOLVE_H

#include <stdint.h>
#include <sys/socket.h>

struct error;

/* More addresses than this for one broker name would only spread the deadline thinner. */
#define RESOLVE_MAX 8

/* A host's TCP addresses in the resolver's order. */
struct resolved {
	unsigned count;
	struct sockaddr_storage addr[RESOLVE_MAX];
	socklen_t len[RESOLVE_MAX];
};

/*
 * Resolves host (a name, or an IPv4 or IPv6 address literal, which is never looked up) to
 * TCP addresses with port. Names go through getaddrinfo() in a child process: neither musl's
 * nor glibc's resolver can be given a deadline, and an initrd whose DNS server drops queries
 * would otherwise wait its resolv.conf timeouts out. The child is killed at the deadline.
 * Errors: -EHOSTUNREACH when the name does not resolve, -ETIMEDOUT at the deadline, -ENOMEM,
 * or the errno of fork() or pipe().
 */
int resolve_host(const char *host, uint16_t port, uint64_t deadline, struct resolved *out,
		 struct error *e);

#endif
