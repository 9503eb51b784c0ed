/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "handoff/keyring.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "basic/error.h"
#include "basic/secret.h"

/* linux/keyctl.h, which musl's headers do not reach: the kernel ABI's values. */
#define KEYRING_SPEC_SESSION (-3)
#define KEYRING_SPEC_USER (-4)
#define KEYRING_CTL_LINK 8
#define KEYRING_CTL_SET_TIMEOUT 15
#define KEYRING_CTL_INVALIDATE 21

/* No libkeyutils in a static initrd binary: the two system calls are enough. */
int keyring_add_cryptsetup(const struct secret *const *keys, size_t n, unsigned timeout_s,
			   int32_t *serial, struct error *e)
{
	struct secret payload = { 0 };
	size_t size = 0;
	long id;
	int r;

	for (size_t i = 0; i < n; i++) {
		if (keys[i]->len == 0)
			return error_set(e, -EINVAL, "keyring: key %zu is empty", i + 1);
		if (memchr(keys[i]->data, 0, keys[i]->len))
			return error_set(
				e, -EINVAL,
				"keyring: key %zu holds a NUL byte, which systemd-cryptsetup "
				"reads as the end of a passphrase; use the socket or file "
				"hand-off",
				i + 1);
		size += keys[i]->len + 1;
	}
	if (n == 0)
		return error_set(e, -EINVAL, "keyring: no key");
	r = secret_alloc(&payload, size, e);
	for (size_t i = 0; r == 0 && i < n; i++) {
		r = secret_append(&payload, keys[i]->data, keys[i]->len, e);
		if (r == 0 && i + 1 < n)
			r = secret_append(&payload, "", 1, e);
	}
	if (r < 0) {
		secret_free(&payload);
		return r;
	}
	/* keyring.h: made where this process possesses it, then shown to systemd-cryptsetup. */
	id = syscall(SYS_add_key, "user", KEYRING_DESCRIPTION, payload.data, payload.len,
		     KEYRING_SPEC_SESSION);
	r = id < 0 ? -errno : 0;
	secret_free(&payload);
	if (r < 0)
		return error_set_errno(e, r, "keyring: adding the user key '%s'",
				       KEYRING_DESCRIPTION);
	/* The timeout first: a key that outlives its purpose is worse than none. */
	if (timeout_s > 0 && syscall(SYS_keyctl, KEYRING_CTL_SET_TIMEOUT, id, timeout_s) < 0)
		r = error_set_errno(e, -errno, "keyring: setting a timeout on key %ld", id);
	else if (syscall(SYS_keyctl, KEYRING_CTL_LINK, id, KEYRING_SPEC_USER) < 0)
		r = error_set_errno(e, -errno, "keyring: linking key %ld to @u", id);
	if (r < 0) {
		keyring_invalidate((int32_t)id);
		return r;
	}
	*serial = (int32_t)id;
	return 0;
}

int keyring_invalidate(int32_t serial)
{
	return syscall(SYS_keyctl, KEYRING_CTL_INVALIDATE, (long)serial) < 0 ? -1 : 0;
}
