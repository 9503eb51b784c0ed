/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cli/memdump.h"

#include "mrboot-config.h"

#if MRBOOT_FAULT_INJECTION
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Sanitizer shadow and other huge reservations are not where a key would be left. */
#define MEMDUMP_MAPPING_MAX (256u << 20)

/*
 * The system call itself, not write(): a sanitizer's interceptor would check the range and
 * stop at the first red zone, where here reading every byte is the point.
 */
static void memdump_write(int fd, const void *p, size_t len)
{
	for (size_t done = 0; done < len;) {
		long k = syscall(SYS_write, fd, (const char *)p + done, len - done);

		if (k <= 0)
			return;
		done += (size_t)k;
	}
}

void memdump_at_exit(void)
{
	const char *path = getenv("MRBOOT_DUMP_MEMORY");
	char line[512], perms[8], name[256];
	uintptr_t start, end;
	FILE *maps;
	int fd;

	if (!path || !*path)
		return;
	maps = fopen("/proc/self/maps", "re");
	if (!maps)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		fclose(maps);
		return;
	}
	while (fgets(line, sizeof(line), maps)) {
		name[0] = '\0';
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %7s %*s %*s %*s %255s", &start, &end,
			   perms, name) < 3)
			continue;
		/* Only what the process could have written, and never the kernel's own pages. */
		if (perms[0] != 'r' || perms[1] != 'w' || strcmp(name, "[vvar]") == 0 ||
		    strcmp(name, "[vsyscall]") == 0 || end - start >= MEMDUMP_MAPPING_MAX)
			continue;
		memdump_write(fd, (const void *)start, end - start);
	}
	close(fd);
	fclose(maps);
}
#else
void memdump_at_exit(void)
{
}
#endif
