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
 *
 * The directory is where another process could interfere (issue 13, part 6): it is made or
 * checked here (a directory, not a symbolic link, root's, writable by nobody else, its parent
 * writable only by root or sticky) and then used only through its descriptor. A file
 * appears under its name complete (O_TMPFILE, then linkat()); it is wiped through the
 * descriptor that wrote it, never opened again by name; a name is removed only while it is
 * still the file or socket made here (same device and inode).
 */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct error;
struct secret;

enum handoff_mode {
	HANDOFF_SOCKET, /* an AF_UNIX socket at <key_dir>/<volume>.key */
	HANDOFF_FILE,	/* a 0400 file on tmpfs there, wiped and removed after */
	HANDOFF_WAIT,	/* nothing offered here (the keyring is): only wait for the volumes */
};

/* As [unlock] handoff and --handoff spell the modes: "socket", "file", "none" (HANDOFF_WAIT);
   NULL outside the enum. */
const char *handoff_mode_name(enum handoff_mode mode);
/* The enum handoff_mode named, or -EINVAL. */
int handoff_mode_from_name(const char *name);

/* How often the volume is looked for while the key is on offer. */
#define HANDOFF_POLL_MS 100

struct handoff_options {
	const char *root;    /* prefix for key_dir and /dev/mapper */
	const char *key_dir; /* "/run/cryptsetup-keys.d" */
	enum handoff_mode mode;
	/*
	 * Non-NULL: the keys also go to the kernel keyring (keyring.h) while they are on offer,
	 * once signals are held, and are invalidated whatever ends the offer. The caller sets
	 * it to -1; it is the key's serial number once added, and 0 once invalidated.
	 */
	int32_t *keyring_serial;
	uint64_t deadline; /* agent/net/deadline.h */
	/* Called once every key is on offer (systemd's READY=1); may be NULL. */
	void (*ready)(void *userdata);
	void *userdata;
};

#define HANDOFF_VOLUMES_MAX 16
#define HANDOFF_NAME_MAX (64 + sizeof(".key"))

struct handoff_volume {
	const char *name; /* handoff_volume_valid() */
	const struct secret *key;
	/* Set by handoff_serve(): */
	unsigned served; /* connections given the key (socket), or 1 once written (file) */
	bool open;	 /* <root>/dev/mapper/<name> appeared */
	bool replaced;	 /* the name was no longer ours at the end: left where it was */
	int listen_fd;
	int file_fd; /* the written file, kept to wipe it */
	dev_t dev;   /* what the name was made as */
	ino_t ino;
	char file_name[HANDOFF_NAME_MAX]; /* "<volume>.key" in the directory */
	char path[PATH_MAX];		  /* for messages */
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
 * key's blocks. An empty key is refused (-EINVAL): cryptsetup would try it as the empty
 * passphrase. The directory is refused (-EPERM) when another user owns it, others may write
 * it or its parent, or it is a symbolic link.
 */
int handoff_serve(const struct handoff_options *opt, struct handoff_volume *vols, size_t n,
		  struct error *e);

#endif
