/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "handoff.h"

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

#include "error.h"
#include "macro.h"
#include "net/deadline.h"
#include "path.h"
#include "secret.h"

/* linux/magic.h, which musl's headers do not reach: the kernel ABI's values. */
#define HANDOFF_TMPFS_MAGIC 0x01021994
#define HANDOFF_RAMFS_MAGIC 0x858458f6

#define HANDOFF_VOLUME_MAX 64
/* A reader that does not take the key within this long is dropped: it cannot stall us. */
#define HANDOFF_SEND_TIMEOUT_MS 2000

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

/* <root><key_dir>/<volume>.key, and the directory made (0700) if it is missing. */
static int handoff_key_path(const struct handoff_options *opt, const char *volume,
			    char path[PATH_MAX], struct error *e)
{
	char dir[PATH_MAX];
	int r;

	r = path_join_root(dir, sizeof(dir), opt->root, opt->key_dir);
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
	if (snprintf(path, PATH_MAX, "%s/%s.key", dir, volume) >= PATH_MAX)
		return error_set(e, -ENAMETOOLONG, "key path in %s is too long", dir);
	return 0;
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

static int handoff_listen(const char *path, struct error *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old_mask;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return error_set(e, -ENAMETOOLONG, "%s is too long for a socket address", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* A socket a dead mrboot left is replaced; anything else there is not ours to remove. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return error_set(e, -EEXIST, "%s exists and is not a socket", path);
		if (unlink(path) < 0)
			return error_set_errno(e, -errno, "removing the old socket %s", path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return error_set_errno(e, -errno, "socket for %s", path);
	/* 0600 from the start: there is no moment when others could connect. */
	old_mask = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (r < 0 || listen(fd, 8) < 0) {
		r = error_set_errno(e, -errno, "listening on %s", path);
		close(fd);
		return r;
	}
	return fd;
}

static int handoff_write_file(const char *path, const struct secret *key, struct error *e)
{
	_cleanup_close_ int fd = -1;
	struct statfs fs;
	size_t done = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400);
	if (fd < 0)
		return error_set_errno(e, -errno, "creating %s", path);
	if (fstatfs(fd, &fs) < 0 ||
	    (fs.f_type != HANDOFF_TMPFS_MAGIC && fs.f_type != HANDOFF_RAMFS_MAGIC)) {
		unlink(path);
		return error_set(e, -EXDEV,
				 "%s is not on tmpfs or ramfs: the key would reach a disk; use the "
				 "socket hand-off",
				 path);
	}
	while (done < key->len) {
		ssize_t k = write(fd, key->data + done, key->len - done);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			int err = k < 0 ? -errno : -EIO;

			unlink(path);
			return error_set_errno(e, err, "writing %s", path);
		}
		done += (size_t)k;
	}
	return 0;
}

/* Zeros over the bytes (on tmpfs, the very pages that held them), then the name goes. */
static void handoff_wipe_file(const char *path, size_t len)
{
	static const uint8_t zeros[256];
	int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0) {
		for (size_t done = 0; done < len;) {
			size_t n = len - done < sizeof(zeros) ? len - done : sizeof(zeros);
			ssize_t k = write(fd, zeros, n);

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				break;
			done += (size_t)k;
		}
		fsync(fd);
		close(fd);
	}
	unlink(path);
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
static int handoff_offer(const struct handoff_options *opt, struct handoff_volume *v,
			 struct error *e)
{
	int r;

	v->listen_fd = -1;
	r = handoff_volume_valid(v->name, e);
	if (r < 0)
		return r;
	r = handoff_key_path(opt, v->name, v->path, e);
	if (r < 0)
		return r;
	if (opt->mode == HANDOFF_SOCKET) {
		v->listen_fd = handoff_listen(v->path, e);
		return v->listen_fd < 0 ? v->listen_fd : 0;
	}
	r = handoff_write_file(v->path, v->key, e);
	if (r == 0)
		v->served = 1;
	return r;
}

/* Takes the key away again: no socket, no file (its bytes zeroed first). */
static void handoff_withdraw(const struct handoff_options *opt, struct handoff_volume *v)
{
	if (v->listen_fd >= 0) {
		close(v->listen_fd);
		v->listen_fd = -1;
		unlink(v->path);
	} else if (opt->mode == HANDOFF_FILE && v->served && v->path[0]) {
		handoff_wipe_file(v->path, v->key->len);
		v->path[0] = '\0';
	}
}

static int handoff_wait(const struct handoff_options *opt, struct handoff_volume *vols, size_t n,
			int sig_fd, struct error *e)
{
	for (;;) {
		struct pollfd p[1 + HANDOFF_VOLUMES_MAX];
		size_t map[1 + HANDOFF_VOLUMES_MAX], np = 1, waiting = 0;
		int left = deadline_left_ms(opt->deadline);

		p[0] = (struct pollfd){ .fd = sig_fd, .events = POLLIN };
		for (size_t i = 0; i < n; i++) {
			if (!vols[i].open && handoff_volume_open(opt, vols[i].name)) {
				vols[i].open = true;
				handoff_withdraw(opt, &vols[i]);
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
	sigset_t old;
	int sig_fd, r = 0;

	if (n == 0 || n > HANDOFF_VOLUMES_MAX)
		return error_set(e, -EINVAL, "%zu volumes: 1 to %d can be handed off", n,
				 HANDOFF_VOLUMES_MAX);
	for (size_t i = 0; i < n; i++) {
		vols[i].listen_fd = -1;
		vols[i].served = 0;
		vols[i].open = false;
		vols[i].path[0] = '\0';
	}
	sig_fd = handoff_signals(&old, e);
	if (sig_fd < 0)
		return sig_fd;
	for (size_t i = 0; r == 0 && i < n; i++) {
		r = handoff_offer(opt, &vols[i], e);
		if (r < 0)
			error_prefix(e, "volume %s", vols[i].name);
	}
	if (r == 0 && opt->ready)
		opt->ready(opt->userdata);
	if (r == 0)
		r = handoff_wait(opt, vols, n, sig_fd, e);
	for (size_t i = 0; i < n; i++)
		handoff_withdraw(opt, &vols[i]);
	close(sig_fd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}
