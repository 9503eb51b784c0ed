/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_NOTIFY_H
#define MRBOOT_NOTIFY_H

/*
 * systemd's service readiness protocol (sd_notify(3)), without libsystemd: one datagram
 * "READY=1" to the AF_UNIX socket in $NOTIFY_SOCKET ('@' for the abstract namespace). A
 * Type=notify unit ordered before cryptsetup-pre.target holds systemd-cryptsetup back until
 * then. Without $NOTIFY_SOCKET (not started by systemd) it does nothing.
 */

struct error;

/* 0 when sent or when there is no one to tell; -errno otherwise. */
int notify_ready(struct error *e);

#endif
