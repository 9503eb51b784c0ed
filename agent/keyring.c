/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "keyring.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.h"
#include "secret.h"

/* linux/keyctl.h, which musl's headers do not reach: the kernel ABI's values. */
#define KEYRING_SPEC_USER (-4)
#define KEYRING_CTL_SET_TIMEOUT 15
#define KEYRING_CTL_INVALIDATE 21

/* No libkeyutils in a static initrd binary: the two system calls are enough. */
int keyring_add_cryptsetup(const struct secret *key, unsigned timeout_s, int32_t *serial,
			   struct error *e)
{
	long id;

	if (key->len == 0)
		return error_set(e, -EINVAL, "keyring: the key is empty");
	if (memchr(key->data, 0, key->len))
		return error_set(e, -EINVAL,
				 "keyring: the key holds a NUL byte, which systemd-cryptsetup "
				 "reads as the end of a passphrase; use the socket or file hand-off");
	id = syscall(SYS_add_key, "user", KEYRING_DESCRIPTION, key->data, key->len,
		     KEYRING_SPEC_USER);
	if (id < 0)
		return error_set_errno(e, -errno, "keyring: adding the user key '%s'",
				       KEYRING_DESCRIPTION);
	if (timeout_s > 0 && syscall(SYS_keyctl, KEYRING_CTL_SET_TIMEOUT, id, timeout_s) < 0) {
		int err = -errno;

		/* A key that outlives its purpose is worse than none. */
		syscall(SYS_keyctl, KEYRING_CTL_INVALIDATE, id);
		return error_set_errno(e, err, "keyring: setting a timeout on key %ld", id);
	}
	*serial = (int32_t)id;
	return 0;
}
