/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "handoff/handoff.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <unistd.h>

#include "basic/error.h"
#include "handoff/keyring.h"
#include "basic/macro.h"
#include "net/deadline.h"
#include "basic/path.h"
#include "basic/secret.h"

/* linux/magic.h, which musl's headers do not reach: the kernel ABI's values. */
#define HANDOFF_TMPFS_MAGIC 0x01021994
#define HANDOFF_RAMFS_MAGIC 0x858458f6

#define HANDOFF_VOLUME_MAX 64
/* A reader that does not take the key within this long is dropped: it cannot stall us. */
#define HANDOFF_SEND_TIMEOUT_MS 2000

static const char *const mode_names[] = {
	[HANDOFF_SOCKET] = "socket",
	[HANDOFF_FILE] = "file",
	[HANDOFF_WAIT] = "none",
};

const char *handoff_mode_name(enum handoff_mode mode)
{
	return (unsigned)mode < ARRAY_SIZE(mode_names) ? mode_names[mode] : NULL;
}

int handoff_mode_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(mode_names); i++)
		if (strcmp(name, mode_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

int handoff_volume_valid(const char *name, struct error *e)
{
	size_t n = strlen(name);

	if (n == 0 || n > HANDOFF_VOLUME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return error_set(e, -EINVAL, "volume name '%.80s': 1 to %d characters, not . or ..",
				 name, HANDOFF_VOLUME_MAX);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return error_set(e, -EINVAL,
					 "volume name '%.80s': only A-Z a-z 0-9 . _ - are allowed",
					 name);
	}
	return 0;
}

static bool handoff_volume_open(const struct handoff_options *opt, const char *volume)
{
	char mapper[PATH_MAX], joined[PATH_MAX];

	snprintf(mapper, sizeof(mapper), "/dev/mapper/%s", volume);
	return path_join_root(joined, sizeof(joined), opt->root, mapper) == 0 &&
	       access(joined, F_OK) == 0;
}

static int handoff_dir_refuse(const char *dir, const char *which, const struct stat *st,
			      struct error *e)
{
	return error_set(e, -EPERM, "%s%s: user %u, mode %04o: others could plant or take the key",
			 dir, which, (unsigned)st->st_uid, (unsigned)(st->st_mode & 07777));
}

/*
 * The key directory, made (0700) if missing, opened without following a symbolic link and
 * checked: a directory that another user owns or may write, or whose parent another user
 * may rename it out of, is where a local process could plant a key of its own or take ours
 * (issue 13, part 6). Returns the descriptor; *tmpfs says whether it is tmpfs or ramfs.
 */
static int handoff_dir_open(const struct handoff_options *opt, char dir[PATH_MAX], bool *tmpfs,
			    struct error *e)
{
	_cleanup_close_ int fd = -1;
	struct stat st, parent;
	struct statfs fs;
	int r;

	r = path_join_root(dir, PATH_MAX, opt->root, opt->key_dir);
	if (r < 0)
		return error_set_errno(e, r, "key directory %s", opt->key_dir);
	/* Parents as the system makes /run (0755); the directory itself is root's alone. */
	for (char *slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		r = mkdir(dir, 0755) < 0 && errno != EEXIST ? -errno : 0;
		*slash = '/';
		if (r < 0)
			return error_set_errno(e, r, "making the parents of %s", dir);
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return error_set_errno(e, -errno, "making %s", dir);
	/* O_NOFOLLOW: a symbolic link there is refused (ELOOP or ENOTDIR), never followed. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || fstatat(fd, "..", &parent, 0) < 0)
		return error_set_errno(e, -errno, "opening %s", dir);
	/* Root's alone (0700), as made above: cryptsetup is root, and nobody else has a say. */
	if (st.st_uid != geteuid() || (st.st_mode & 077))
		return handoff_dir_refuse(dir, "", &st, e);
	/* A parent others may write (and not sticky) lets them rename the directory away. */
	if (parent.st_uid != geteuid() ||
	    ((parent.st_mode & (S_IWGRP | S_IWOTH)) && !(parent.st_mode & S_ISVTX)))
		return handoff_dir_refuse(dir, "/..", &parent, e);
	if (fstatfs(fd, &fs) < 0)
		return error_set_errno(e, -errno, "%s", dir);
	*tmpfs = fs.f_type == HANDOFF_TMPFS_MAGIC || fs.f_type == HANDOFF_RAMFS_MAGIC;
	return take_fd(&fd);
}

/* Writes all of key to fd within the send timeout; a slow or dead reader is given up. */
static int handoff_write_all(int fd, const struct secret *key)
{
	size_t done = 0;
	uint64_t deadline = deadline_after_ms(HANDOFF_SEND_TIMEOUT_MS);

	while (done < key->len) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		ssize_t k;
		int left = deadline_left_ms(deadline);

		if (left == 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, left) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		k = send(fd, key->data + done, key->len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		done += (size_t)k;
	}
	return 0;
}

/* One connection: root gets the key and EOF, anyone else only EOF. */
static int handoff_answer(int listen_fd, const struct secret *key, unsigned *served)
{
	_cleanup_close_ int fd = -1;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int r;

	fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return errno == EAGAIN || errno == EINTR || errno == ECONNABORTED ? 0 : -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0)
		return 0;
	r = handoff_write_all(fd, key);
	if (r == 0)
		(*served)++;
	shutdown(fd, SHUT_WR);
	/* A reader that vanished or stalled is its problem; the key stays on offer. */
	return 0;
}

/* Whether name in the directory is still what was made there (device and inode). */
static bool handoff_still_ours(int dir_fd, const struct handoff_volume *v)
{
	struct stat st;

	return fstatat(dir_fd, v->file_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       st.st_dev == v->dev && st.st_ino == v->ino;
}

static int handoff_listen(int dir_fd, struct handoff_volume *v, struct error *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	struct stat st;
	mode_t old_mask;
	int r;

	/* A socket a dead mrboot left is replaced; anything else there is not ours to remove. */
	if (fstatat(dir_fd, v->file_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return error_set(e, -EEXIST, "%s exists and is not a socket", v->path);
		if (unlinkat(dir_fd, v->file_name, 0) < 0)
			return error_set_errno(e, -errno, "removing the old socket %s", v->path);
	}
	/*
	 * Bound through the directory's descriptor: the /proc magic link resolves to the very
	 * directory checked, whatever its path names now.
	 */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dir_fd, v->file_name);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return error_set_errno(e, -errno, "socket for %s", v->path);
	/* 0600 from the start: there is no moment when others could connect. */
	old_mask = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (r < 0 || listen(fd, 8) < 0)
		return error_set_errno(e, -errno, "listening on %s", v->path);
	if (fstatat(dir_fd, v->file_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return error_set_errno(e, -errno, "listening on %s", v->path);
	v->dev = st.st_dev;
	v->ino = st.st_ino;
	return take_fd(&fd);
}

/* len bytes of p (NULL: zeros) to fd at offset 0. */
static int handoff_pwrite(int fd, const uint8_t *p, size_t len)
{
	static const uint8_t zeros[256];

	for (size_t done = 0; done < len;) {
		size_t n = p || len - done < sizeof(zeros) ? len - done : sizeof(zeros);
		ssize_t k = pwrite(fd, p ? p + done : zeros, n, (off_t)done);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		done += (size_t)k;
	}
	return 0;
}

/*
 * A file with the key, unnamed (O_TMPFILE) until it is complete: the name appears with every
 * byte behind it, never empty or half written (initramfs-tools' keyscript reads whatever is
 * there), and never in place of a file that is there already.
 */
static int handoff_write_file(int dir_fd, bool tmpfs, struct handoff_volume *v, struct error *e)
{
	_cleanup_close_ int fd = -1;
	char proc[32];
	struct stat st = { 0 };
	int r;

	if (!tmpfs)
		return error_set(e, -EXDEV,
				 "%s is not on tmpfs or ramfs: the key would reach a disk; use the "
				 "socket hand-off",
				 v->path);
	fd = openat(dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0400);
	v->file_fd = fd;
	r = fd < 0 ? -errno : handoff_pwrite(fd, v->key->data, v->key->len);
	if (r == 0 && fstat(fd, &st) < 0)
		r = -errno;
	/* linkat() through /proc: AT_EMPTY_PATH would need CAP_DAC_READ_SEARCH. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (r == 0 && linkat(AT_FDCWD, proc, dir_fd, v->file_name, AT_SYMLINK_FOLLOW) < 0)
		r = -errno;
	if (r < 0) {
		/* Unnamed, the pages go with the descriptor; zeroed all the same. */
		if (fd >= 0)
			handoff_pwrite(fd, NULL, v->key->len);
		v->file_fd = -1;
		return error_set_errno(e, r, "writing %s", v->path);
	}
	v->dev = st.st_dev;
	v->ino = st.st_ino;
	v->file_fd = take_fd(&fd);
	return 0;
}

/*
 * Zeros over the bytes through the descriptor that wrote them (on tmpfs, the very pages that
 * held them), whatever name the file has now; then the name goes, if it is still this file.
 */
static void handoff_wipe_file(int dir_fd, struct handoff_volume *v)
{
	handoff_pwrite(v->file_fd, NULL, v->key->len);
	close(v->file_fd);
	v->file_fd = -1;
	if (handoff_still_ours(dir_fd, v))
		unlinkat(dir_fd, v->file_name, 0);
	else
		v->replaced = true;
}

/* SIGTERM and SIGINT as a descriptor, so that the wait ends cleanly and removes the key. */
static int handoff_signals(sigset_t *old, struct error *e)
{
	sigset_t mask;
	int fd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, old) < 0)
		return error_set_errno(e, -errno, "blocking signals");
	fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0) {
		int r = error_set_errno(e, -errno, "signalfd");

		sigprocmask(SIG_SETMASK, old, NULL);
		return r;
	}
	return fd;
}

/* Puts the key where cryptsetup looks: a listening socket, or the written file. */
static int handoff_offer(const struct handoff_options *opt, int dir_fd, bool tmpfs, const char *dir,
			 struct handoff_volume *v, struct error *e)
{
	int r;

	r = handoff_volume_valid(v->name, e);
	if (r < 0)
		return r;
	/* cryptsetup would take it as the empty passphrase. */
	if (v->key->len == 0)
		return error_set(e, -EINVAL, "the key is empty");
	if (opt->mode == HANDOFF_WAIT)
		return 0;
	snprintf(v->file_name, sizeof(v->file_name), "%s.key", v->name);
	if (snprintf(v->path, sizeof(v->path), "%s/%s", dir, v->file_name) >= (int)sizeof(v->path))
		return error_set(e, -ENAMETOOLONG, "key path in %s is too long", dir);
	if (opt->mode == HANDOFF_SOCKET) {
		v->listen_fd = handoff_listen(dir_fd, v, e);
		return v->listen_fd < 0 ? v->listen_fd : 0;
	}
	r = handoff_write_file(dir_fd, tmpfs, v, e);
	if (r == 0)
		v->served = 1;
	return r;
}

/* Takes the key away again: no socket, no file (its bytes zeroed first). */
static void handoff_withdraw(int dir_fd, struct handoff_volume *v)
{
	if (v->listen_fd >= 0) {
		close(v->listen_fd);
		v->listen_fd = -1;
		if (handoff_still_ours(dir_fd, v))
			unlinkat(dir_fd, v->file_name, 0);
		else
			v->replaced = true;
	} else if (v->file_fd >= 0) {
		handoff_wipe_file(dir_fd, v);
	}
}

static int handoff_wait(const struct handoff_options *opt, int dir_fd, struct handoff_volume *vols,
			size_t n, int sig_fd, struct error *e)
{
	for (;;) {
		struct pollfd p[1 + HANDOFF_VOLUMES_MAX];
		size_t map[1 + HANDOFF_VOLUMES_MAX], np = 1, waiting = 0;
		int left = deadline_left_ms(opt->deadline);

		p[0] = (struct pollfd){ .fd = sig_fd, .events = POLLIN };
		for (size_t i = 0; i < n; i++) {
			if (!vols[i].open && handoff_volume_open(opt, vols[i].name)) {
				vols[i].open = true;
				handoff_withdraw(dir_fd, &vols[i]);
			}
			if (vols[i].open)
				continue;
			waiting++;
			if (vols[i].listen_fd >= 0) {
				map[np] = i;
				p[np++] = (struct pollfd){ .fd = vols[i].listen_fd,
							   .events = POLLIN };
			}
		}
		if (waiting == 0)
			return 0;
		if (left == 0)
			return error_set(e, -ETIMEDOUT, "%zu of %zu volumes not opened in time",
					 waiting, n);
		if (poll(p, np, left < HANDOFF_POLL_MS ? left : HANDOFF_POLL_MS) < 0) {
			if (errno == EINTR)
				continue;
			return error_set_errno(e, -errno, "waiting for the volumes");
		}
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			/* Taken, so that it does not strike again when the mask is restored. */
			if (read(sig_fd, &si, sizeof(si)) < 0)
				si.ssi_signo = 0;
			return error_set(e, -EINTR, "stopped by a signal with %zu volumes not open",
					 waiting);
		}
		for (size_t k = 1; k < np; k++) {
			struct handoff_volume *v = &vols[map[k]];
			int r;

			if (!(p[k].revents & POLLIN))
				continue;
			r = handoff_answer(v->listen_fd, v->key, &v->served);
			if (r < 0)
				return error_set_errno(e, r, "answering on %s", v->path);
		}
	}
}

int handoff_serve(const struct handoff_options *opt, struct handoff_volume *vols, size_t n,
		  struct error *e)
{
	char dir[PATH_MAX];
	bool tmpfs = false;
	sigset_t old;
	int sig_fd, dir_fd = -1, r = 0;

	if (n == 0 || n > HANDOFF_VOLUMES_MAX)
		return error_set(e, -EINVAL, "%zu volumes: 1 to %d can be handed off", n,
				 HANDOFF_VOLUMES_MAX);
	for (size_t i = 0; i < n; i++) {
		vols[i].listen_fd = -1;
		vols[i].file_fd = -1;
		vols[i].served = 0;
		vols[i].open = vols[i].replaced = false;
		vols[i].file_name[0] = vols[i].path[0] = '\0';
	}
	sig_fd = handoff_signals(&old, e);
	if (sig_fd < 0)
		return sig_fd;
	if (opt->keyring_serial) {
		const struct secret *keys[HANDOFF_VOLUMES_MAX];
		int left = deadline_left_ms(opt->deadline);

		for (size_t i = 0; i < n; i++)
			keys[i] = vols[i].key;
		r = keyring_add_cryptsetup(keys, n, (unsigned)(left / 1000 + 1),
					   opt->keyring_serial, e);
	}
	if (r == 0 && opt->mode != HANDOFF_WAIT) {
		dir_fd = handoff_dir_open(opt, dir, &tmpfs, e);
		r = dir_fd < 0 ? dir_fd : 0;
	}
	for (size_t i = 0; r == 0 && i < n; i++) {
		r = handoff_offer(opt, dir_fd, tmpfs, dir, &vols[i], e);
		if (r < 0)
			error_prefix(e, "volume %s", vols[i].name);
	}
	if (r == 0 && opt->ready)
		opt->ready(opt->userdata);
	if (r == 0)
		r = handoff_wait(opt, dir_fd, vols, n, sig_fd, e);
	for (size_t i = 0; i < n; i++)
		handoff_withdraw(dir_fd, &vols[i]);
	/* Open, failed or stopped: the keyring's copy goes now, not at its timeout. */
	if (opt->keyring_serial && *opt->keyring_serial > 0 &&
	    keyring_invalidate(*opt->keyring_serial) == 0)
		*opt->keyring_serial = 0;
	if (dir_fd >= 0)
		close(dir_fd);
	close(sig_fd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}
