/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Digests one file with hash_fd()'s streaming loop and prints the digest, the byte count
 * and the wall time, for bench/hash.sh to set beside openssl and sha256sum:
 *   <hex digest> <bytes> <seconds>
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "basic/error.h"
#include "crypto/hash.h"
#include "basic/macro.h"

static void usage(FILE *f)
{
	fputs("usage: hash [--alg sha256|sha384|sha512] [--impl auto|portable|sha-ni|armv8] FILE\n",
	      f);
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	enum hash_alg alg = HASH_SHA256;
	enum hash_impl impl = HASH_IMPL_AUTO;
	const char *path = NULL;
	uint8_t digest[HASH_MAX_SIZE];
	struct error e = { 0 };
	struct hash_ctx ctx;
	uint64_t bytes = 0;
	double start, seconds;
	_cleanup_close_ int fd = -1;
	int r;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--alg") == 0 && i + 1 < argc) {
			if (hash_alg_from_name(argv[++i], &alg) < 0) {
				fprintf(stderr, "hash: unknown algorithm '%s'\n", argv[i]);
				return 2;
			}
		} else if (strcmp(argv[i], "--impl") == 0 && i + 1 < argc) {
			if (hash_impl_from_name(argv[++i], &impl) < 0) {
				fprintf(stderr, "hash: unknown implementation '%s'\n", argv[i]);
				return 2;
			}
		} else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] != '-' && !path) {
			path = argv[i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!path) {
		usage(stderr);
		return 2;
	}

	r = hash_init_impl(&ctx, alg, impl);
	if (r < 0) {
		fprintf(stderr, "hash: %s on %s: %s\n", hash_info(alg)->name, hash_impl_name(impl),
			strerror(-r));
		return 1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "hash: %s: %s\n", path, strerror(errno));
		return 1;
	}

	start = now_seconds();
	r = hash_update_fd(&ctx, fd, &bytes, NULL, &e);
	if (r < 0) {
		fprintf(stderr, "hash: %s: %s\n", path, e.msg);
		return 1;
	}
	hash_final(&ctx, digest);
	seconds = now_seconds() - start;

	for (unsigned int i = 0; i < hash_info(alg)->size; i++)
		printf("%02x", digest[i]);
	printf(" %" PRIu64 " %.6f\n", bytes, seconds);
	return 0;
}
