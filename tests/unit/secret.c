/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "basic/error.h"
#include "basic/secret.h"
#include "tap.h"

/* The kernel's view of a mapping: is it locked (VmFlags "lo") and left out of dumps ("dd")? */
static int vmflags_have(const void *addr, const char *flag)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512];
	unsigned long lo, hi, a = (unsigned long)addr;
	int in = 0, found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			in = a >= lo && a < hi;
		else if (in && strncmp(line, "VmFlags:", 8) == 0) {
			char pat[8];

			snprintf(pat, sizeof(pat), " %s", flag);
			found = strstr(line, pat) != NULL;
			break;
		}
	}
	fclose(f);
	return found;
}

/*
 * Whether madvise(advice) shows in VmFlags here, tried on a page of the test's own: qemu's
 * user emulation, which runs a cross build's tests, accepts MADV_DONTDUMP and MADV_WIPEONFORK
 * and does nothing with them.
 */
static bool madvise_shows(int advice, const char *flag)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bool shows;

	if (p == MAP_FAILED)
		return false;
	shows = madvise(p, page, advice) == 0 && vmflags_have(p, flag) == 1;
	munmap(p, page);
	return shows;
}

/*
 * ASan's mlock() interceptor does nothing and returns 0 (locking its terabytes of shadow
 * mappings can deadlock the kernel), so under ASan a lock cannot be observed.
 */
#if defined(__SANITIZE_ADDRESS__)
#define MLOCK_WORKS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MLOCK_WORKS 0
#endif
#endif
#ifndef MLOCK_WORKS
#define MLOCK_WORKS 1
#endif

int main(void)
{
	struct secret s = { 0 };
	struct error e = { 0 };
	uint8_t *p;

	tap_is_int(secret_alloc(&s, 64, &e), 0, "a 64-byte secret is allocated");
	tap_ok(s.data && s.cap == 64 && s.len == 0 && s.map >= 64, "it is empty with room for 64");
	if (MLOCK_WORKS)
		tap_is_int(vmflags_have(s.data, "lo"), 1, "its mapping is locked in memory");
	else
		tap_skip("its mapping is locked in memory: ASan's mlock() does nothing");
	if (madvise_shows(MADV_DONTDUMP, "dd"))
		tap_is_int(vmflags_have(s.data, "dd"), 1, "its mapping is left out of core dumps");
	else
		tap_skip("its mapping is left out of core dumps: MADV_DONTDUMP has no effect here");
	if (madvise_shows(MADV_WIPEONFORK, "wf"))
		tap_is_int(vmflags_have(s.data, "wf"), 1, "its mapping is wiped in a forked child");
	else
		tap_skip(
			"its mapping is wiped in a forked child: MADV_WIPEONFORK has no effect here");
	tap_is_int(secret_append(&s, "0123456789abcdef0123456789abcdef", 32, &e), 0,
		   "32 bytes are appended");
	tap_is_int(secret_append(&s, "0123456789abcdef0123456789abcdef!", 33, &e), -ENOBUFS,
		   "33 more do not fit and are refused");
	tap_is_int((intmax_t)s.len, 32, "the refused append changed nothing");

	p = s.data;
	secret_free(&s);
	tap_ok(s.data == NULL && s.len == 0 && s.cap == 0, "free leaves the struct empty");
	tap_is_int(vmflags_have(p, "lo"), 0, "the locked mapping is gone after free");
	secret_free(&s);
	tap_ok(1, "freeing twice is harmless");

	tap_is_int(secret_alloc(&s, 0, &e), -EINVAL, "a zero-sized secret is refused");
	{
		_cleanup_secret_ struct secret scoped = { 0 };
		size_t page = (size_t)sysconf(_SC_PAGESIZE);

		tap_is_int(secret_alloc(&scoped, page * 3 + 1, &e), 0,
			   "a secret over three pages is allocated");
		tap_is_int((intmax_t)scoped.map, (intmax_t)page * 4, "it maps whole pages");
	}
	return tap_done();
}
