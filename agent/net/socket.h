/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_NET_SOCKET_H
#define MRBOOT_NET_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct error;

/*
 * TCP on non-blocking sockets, every wait a poll() bounded by one absolute deadline
 * (deadline.h). Messages say what failed; the caller puts the host and port before them.
 */

/*
 * Resolves host (resolve.h: within the deadline, address literals without DNS) and connects to
 * each address in turn, each attempt given an equal share of the time left, until one answers.
 * *fd gets the connected non-blocking socket. Errors: -EHOSTUNREACH when the name does not
 * resolve, -ETIMEDOUT at the deadline, else the last attempt's errno (-ECONNREFUSED...).
 */
int socket_connect(const char *host, uint16_t port, uint64_t deadline, int *fd, struct error *e);

/* Waits for events (POLLIN, POLLOUT) on fd: 0 when ready (or in error), -ETIMEDOUT. */
int socket_wait(int fd, short events, uint64_t deadline, struct error *e);

/* Sends up to len bytes (at least one): the count sent, or a negative errno (-EPIPE...). */
ssize_t socket_send(int fd, const void *buf, size_t len, uint64_t deadline, struct error *e);

/* Receives up to len bytes: the count, 0 at the peer's end of stream, or a negative errno. */
ssize_t socket_recv(int fd, void *buf, size_t len, uint64_t deadline, struct error *e);

/*
 * Whether a connection that expects nothing from the peer is still open and quiet: no data,
 * no end of stream, no error waiting. Does not block.
 */
bool socket_is_idle(int fd);

/* Sends all len bytes or fails. */
int socket_send_all(int fd, const void *buf, size_t len, uint64_t deadline, struct error *e);

#endif
