/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_HANDOFF_H
#define MRBOOT_HANDOFF_H

/*
 * Handing a released key to cryptsetup (DESIGN.md section 8). systemd-cryptsetup looks for
 * /run/cryptsetup-keys.d/<volume>.key before it asks for a passphrase, and takes either a
 * file or an AF_UNIX stream socket there: it connects, reads to EOF and uses the bytes as the
 * passphrase. The key is offered until the volume is open (<root>/dev/mapper/<volume>
 * exists), a signal asks mrboot to stop, or the deadline passes; then the socket or file is
 * removed (a file is first overwritten with zeros, on tmpfs that is where the bytes were).
 */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct error;
struct secret;

enum handoff_mode {
	HANDOFF_SOCKET,
	HANDOFF_FILE,
};

/* How often the volume is looked for while the key is on offer. */
#define HANDOFF_POLL_MS 100

struct handoff_options {
	const char *root;    /* prefix for key_dir and /dev/mapper */
	const char *key_dir; /* "/run/cryptsetup-keys.d" */
	enum handoff_mode mode;
	uint64_t deadline; /* agent/net/deadline.h */
	/* Called once every key is on offer (systemd's READY=1); may be NULL. */
	void (*ready)(void *userdata);
	void *userdata;
};

#define HANDOFF_VOLUMES_MAX 16

struct handoff_volume {
	const char *name; /* handoff_volume_valid() */
	const struct secret *key;
	/* Set by handoff_serve(): */
	unsigned served; /* connections given the key (socket), or 1 once written (file) */
	bool open;	 /* <root>/dev/mapper/<name> appeared */
	int listen_fd;
	char path[PATH_MAX];
};

/* Whether name can be a volume and a file name: [A-Za-z0-9._-] but not "." or "..", <= 64. */
int handoff_volume_valid(const char *name, struct error *e);

/*
 * Offers each volume's key as opt says, all at once (systemd-cryptsetup opens volumes in
 * parallel), and withdraws each as soon as its volume is open. Returns 0 when every volume
 * was opened, -ETIMEDOUT when the deadline passed first, -EINTR on SIGTERM or SIGINT (both
 * blocked while serving), or the error that stopped it; in every case nothing is left under
 * key_dir. Only root's connections are answered (SO_PEERCRED): systemd-cryptsetup runs as
 * root. A file is refused where the directory is not tmpfs or ramfs: a disk would keep the
 * key's blocks.
 */
int handoff_serve(const struct handoff_options *opt, struct handoff_volume *vols, size_t n,
		  struct error *e);

#endif
