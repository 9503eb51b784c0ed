/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/error.h"
#include "mr/tsm-mr.h"
#include "tap.h"

#define GROUP "/sys/devices/virtual/misc/tdx_guest/measurements"

static char root[64];

static void put(const char *name, mode_t mode, const void *data, size_t n)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s%s/%s", root, GROUP, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, n) != (ssize_t)n || fchmod(fd, mode) < 0 || close(fd) < 0)
		abort();
}

static size_t get(const char *name, uint8_t *buf, size_t cap)
{
	char p[512];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "%s%s/%s", root, GROUP, name);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		abort();
	n = read(fd, buf, cap);
	close(fd);
	return n < 0 ? 0 : (size_t)n;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void make_tree(void)
{
	static const char *const dirs[] = { "/sys",
					    "/sys/devices",
					    "/sys/devices/virtual",
					    "/sys/devices/virtual/misc",
					    "/sys/devices/virtual/misc/tdx_guest",
					    GROUP };
	uint8_t v[64];
	char p[512];

	strcpy(root, "/tmp/test-tsm-mr.XXXXXX");
	if (!mkdtemp(root))
		abort();
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", root, dirs[i]);
		if (mkdir(p, 0755) < 0)
			abort();
	}
	memset(v, 0x11, 48);
	put("mrtd:sha384", 0444, v, 48);
	put("mrconfigid", 0444, v, 48);
	memset(v, 0x22, 48);
	put("rtmr0:sha384", 0644, v, 48);
	/* 64 bytes, so that a write past the digest size would show in the last 16. */
	memset(v, 0x33, 64);
	put("rtmr2:sha384", 0644, v, 64);
	put("rtmr1:sha384", 0644, v, 47);
}

/* Attribute names as the kernel's tsm-mr group makes them: NAME or NAME:HASH. */
static void test_parse_name(void)
{
	struct tsm_mr_register reg;
	struct error e = { 0 };
	char long_name[TSM_MR_NAME_MAX + 1];
	int r;

	r = tsm_mr_parse_name(&reg, "rtmr2:sha384", &e);
	tap_ok(r == 0 && strcmp(reg.name, "rtmr2") == 0 && strcmp(reg.file, "rtmr2:sha384") == 0 &&
		       reg.has_alg && reg.alg == HASH_SHA384 && reg.index == 2,
	       "rtmr2:sha384 is register rtmr2, SHA-384, index 2");
	r = tsm_mr_parse_name(&reg, "rem12:sha512", &e);
	tap_ok(r == 0 && reg.index == 12 && reg.alg == HASH_SHA512,
	       "two trailing digits are the index: rem12 is 12");
	r = tsm_mr_parse_name(&reg, "mrconfigid", &e);
	tap_ok(r == 0 && !reg.has_alg && reg.index == -1 && strcmp(reg.name, "mrconfigid") == 0,
	       "a name without digits or hash has neither index nor algorithm");
	r = tsm_mr_parse_name(&reg, "r123", &e);
	tap_ok(r == 0 && reg.index == -1, "three trailing digits are no index");
	r = tsm_mr_parse_name(&reg, "42", &e);
	tap_ok(r == 0 && reg.index == -1, "a name of digits only has no index");
	r = tsm_mr_parse_name(&reg, ":sha384", &e);
	tap_ok(r == -EINVAL && strstr(e.msg, "':sha384' is not valid"),
	       "an empty name before the colon is refused");
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	r = tsm_mr_parse_name(&reg, long_name, &e);
	tap_is_int(r, -EINVAL, "a name of %d bytes does not fit and is refused", TSM_MR_NAME_MAX);
	r = tsm_mr_parse_name(&reg, "rtmr0:", &e);
	tap_ok(r == -EOPNOTSUPP && strstr(e.msg, "hash algorithm ''"),
	       "an empty hash suffix is an unknown algorithm");
}

int main(void)
{
	const struct tsm_mr_register *reg;
	struct error e = { 0 };
	struct tsm_mr mr;
	uint8_t digest[48], buf[80];
	size_t n;
	int r;

	test_parse_name();
	make_tree();
	r = tsm_mr_open(&mr, root, GROUP, MR_FAMILY_TDX, &e);
	tap_is_int(r, 0, "the group is listed (%s)", e.msg);
	tap_is_int(mr.count, 5, "every attribute is a register");
	tap_is_str(mr.reg[0].file, "mrconfigid", "registers are sorted by name");
	tap_ok(!mr.reg[0].has_alg && !mr.reg[0].writable && mr.reg[0].index == -1,
	       "mrconfigid has no algorithm, is read-only and has no index");
	tap_ok(mr.reg[1].has_alg && mr.reg[1].alg == HASH_SHA384 && !mr.reg[1].writable &&
		       mr.reg[1].index == -1,
	       "mrtd:sha384 is a read-only SHA-384 register without an index");
	reg = tsm_mr_find(&mr, 2);
	tap_ok(reg && strcmp(reg->file, "rtmr2:sha384") == 0 && reg->writable &&
		       reg->alg == HASH_SHA384,
	       "index 2 finds the writable rtmr2:sha384");
	tap_ok(tsm_mr_find(&mr, 3) == NULL, "index 3 finds nothing");

	reg = tsm_mr_find(&mr, 0);
	memset(digest, 0x22, sizeof(digest));
	r = tsm_mr_read(&mr, reg, buf, sizeof(buf), &n, &e);
	tap_ok(r == 0 && n == 48 && memcmp(buf, digest, 48) == 0, "rtmr0 reads its 48 bytes");

	for (size_t i = 0; i < sizeof(digest); i++)
		digest[i] = (uint8_t)i;
	r = tsm_mr_extend(&mr, tsm_mr_find(&mr, 2), digest, &e);
	tap_is_int(r, 0, "rtmr2 is extended (%s)", e.msg);
	n = get("rtmr2:sha384", buf, sizeof(buf));
	tap_is_int((intmax_t)n, 64, "the extend wrote no byte past the attribute's old end");
	tap_is_mem(buf, digest, 48, "the extend wrote exactly the digest at offset 0");
	memset(digest, 0x33, 16);
	tap_is_mem(buf + 48, digest, 16, "the 16 bytes after the digest are untouched");

	r = tsm_mr_read(&mr, tsm_mr_find(&mr, 2), buf, sizeof(buf), &n, &e);
	tap_ok(r == -EIO && strstr(e.msg, "holds 64 bytes, not the 48 of a sha384 digest"),
	       "a register of the wrong size is an error naming both sizes (%s)", e.msg);
	r = tsm_mr_read(&mr, tsm_mr_find(&mr, 1), buf, sizeof(buf), &n, &e);
	tap_ok(r == -EIO && strstr(e.msg, "rtmr1:sha384 holds 47 bytes"),
	       "a truncated register read is an error naming the register (%s)", e.msg);

	r = tsm_mr_extend(&mr, &mr.reg[1], digest, &e);
	tap_ok(r == -EPERM && strstr(e.msg, "mrtd:sha384 is not an extensible register"),
	       "extending a read-only register is refused before any write (%s)", e.msg);
	n = get("mrtd:sha384", buf, sizeof(buf));
	memset(digest, 0x11, 48);
	tap_ok(n == 48 && memcmp(buf, digest, 48) == 0, "the read-only register is unchanged");

	r = tsm_mr_open(&mr, root, "/sys/devices/virtual/misc/arm_cca_guest/measurements",
			MR_FAMILY_CCA, &e);
	tap_ok(r == -ENOENT && strstr(e.msg, "arm_cca_guest/measurements"),
	       "a missing group is -ENOENT naming its path");

	put("rtmr3:sm3", 0644, digest, 32);
	r = tsm_mr_open(&mr, root, GROUP, MR_FAMILY_TDX, &e);
	tap_ok(r == -EOPNOTSUPP && strstr(e.msg, "rtmr3 uses hash algorithm 'sm3'"),
	       "an unknown hash suffix is refused by name (%s)", e.msg);
	nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
