/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "crypto/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "basic/error.h"
#include "basic/macro.h"
#include "crypto/sha256_armv8.h"
#include "crypto/sha256_ni.h"
#include "crypto/sha512_armv8.h"
#include "mrboot-config.h"

struct hash_alg_entry {
	struct hash_info info;
	const br_hash_class *vtable;
};

/* TPM_ALG_ID values from the TCG Algorithm Registry. */
static const struct hash_alg_entry hash_algs[HASH_ALG_COUNT] = {
	[HASH_SHA256] = { { "sha256", 0x000b, br_sha256_SIZE, 64 }, &br_sha256_vtable },
	[HASH_SHA384] = { { "sha384", 0x000c, br_sha384_SIZE, 128 }, &br_sha384_vtable },
	[HASH_SHA512] = { { "sha512", 0x000d, br_sha512_SIZE, 128 }, &br_sha512_vtable },
	/* Not for new uses: a TPM that has a SHA-1 bank allocated still needs it extended. */
	[HASH_SHA1] = { { "sha1", 0x0004, br_sha1_SIZE, 64 }, &br_sha1_vtable },
};

/*
 * The CPU instructions this build has, each as a compression function for the SHA-2 core
 * (sha2.h) and a test of whether this CPU runs it. A build has at most one architecture's;
 * HASH_IMPL_AUTO takes the first entry for the algorithm that the CPU runs, else BearSSL.
 */
struct hash_accel {
	enum hash_impl impl;
	enum hash_alg alg;
	bool (*available)(void);
	void (*init)(struct sha2_context *ctx, sha2_compress_fn *compress);
	sha2_compress_fn *compress;
};

#define HASH_HAVE_ACCEL (MRBOOT_HAVE_SHA_NI || MRBOOT_HAVE_SHA_ARMV8)

#if HASH_HAVE_ACCEL
static const struct hash_accel hash_accels[] = {
#if MRBOOT_HAVE_SHA_NI
	{ HASH_IMPL_SHA_NI, HASH_SHA256, sha256_ni_available, sha2_256_init, sha256_ni_compress },
#endif
#if MRBOOT_HAVE_SHA_ARMV8
	{ HASH_IMPL_ARMV8, HASH_SHA256, sha256_armv8_available, sha2_256_init,
	  sha256_armv8_compress },
	{ HASH_IMPL_ARMV8, HASH_SHA384, sha512_armv8_available, sha2_384_init,
	  sha512_armv8_compress },
	{ HASH_IMPL_ARMV8, HASH_SHA512, sha512_armv8_available, sha2_512_init,
	  sha512_armv8_compress },
#endif
};
#endif

static const char *const hash_impl_names[HASH_IMPL_COUNT] = {
	[HASH_IMPL_AUTO] = "auto",
	[HASH_IMPL_PORTABLE] = "portable",
	[HASH_IMPL_SHA_NI] = "sha-ni",
	[HASH_IMPL_ARMV8] = "armv8",
};

/*
 * With a warm page cache, reads of 128 KiB and more all run at the speed of the kernel's copy
 * plus the hash, and smaller ones lose up to 10% to syscalls (bench/hash.sh, SHA-NI, 1 GiB).
 * 1 MiB also keeps a cold multi-gigabyte device's request count low.
 */
#define HASH_FD_BUFFER_SIZE (1024 * 1024)

const struct hash_info *hash_info(enum hash_alg alg)
{
	if ((unsigned int)alg >= HASH_ALG_COUNT)
		return NULL;
	return &hash_algs[alg].info;
}

int hash_alg_from_name(const char *name, enum hash_alg *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(hash_algs); i++)
		if (strcmp(hash_algs[i].info.name, name) == 0) {
			*ret = (enum hash_alg)i;
			return 0;
		}
	return -EINVAL;
}

int hash_alg_from_tcg_id(uint16_t tcg_id, enum hash_alg *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(hash_algs); i++)
		if (hash_algs[i].info.tcg_id == tcg_id) {
			*ret = (enum hash_alg)i;
			return 0;
		}
	return -EINVAL;
}

const char *hash_impl_name(enum hash_impl impl)
{
	if ((unsigned int)impl >= HASH_IMPL_COUNT)
		return NULL;
	return hash_impl_names[impl];
}

int hash_impl_from_name(const char *name, enum hash_impl *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(hash_impl_names); i++)
		if (strcmp(hash_impl_names[i], name) == 0) {
			*ret = (enum hash_impl)i;
			return 0;
		}
	return -EINVAL;
}

#if HASH_HAVE_ACCEL
/* accel is impl's code for alg (HASH_IMPL_AUTO: any path's) and this CPU runs it. */
static bool hash_accel_usable(const struct hash_accel *accel, enum hash_impl impl,
			      enum hash_alg alg)
{
	return (impl == HASH_IMPL_AUTO || accel->impl == impl) && accel->alg == alg &&
	       accel->available();
}
#endif

static bool hash_accel_available(enum hash_impl impl, enum hash_alg alg)
{
#if HASH_HAVE_ACCEL
	for (size_t i = 0; i < ARRAY_SIZE(hash_accels); i++)
		if (hash_accel_usable(&hash_accels[i], impl, alg))
			return true;
#else
	(void)impl; /* no such code in this build */
	(void)alg;
#endif
	return false;
}

/* Starts ctx on the first usable entry of hash_accels; false when there is none. */
static bool hash_accel_init(struct hash_ctx *ctx, enum hash_impl impl, enum hash_alg alg)
{
#if HASH_HAVE_ACCEL
	for (size_t i = 0; i < ARRAY_SIZE(hash_accels); i++) {
		const struct hash_accel *accel = &hash_accels[i];

		if (hash_accel_usable(accel, impl, alg)) {
			accel->init(&ctx->u.sha2, accel->compress);
			ctx->impl = accel->impl;
			return true;
		}
	}
#else
	(void)ctx; /* no such code in this build */
	(void)impl;
	(void)alg;
#endif
	return false;
}

bool hash_sha_ni_available(void)
{
	return hash_accel_available(HASH_IMPL_SHA_NI, HASH_SHA256);
}

bool hash_impl_available(enum hash_impl impl, enum hash_alg alg)
{
	if ((unsigned int)alg >= HASH_ALG_COUNT)
		return false;
	if (impl == HASH_IMPL_AUTO || impl == HASH_IMPL_PORTABLE)
		return true;
	return hash_accel_available(impl, alg);
}

int hash_init_impl(struct hash_ctx *ctx, enum hash_alg alg, enum hash_impl impl)
{
	if ((unsigned int)alg >= HASH_ALG_COUNT || (unsigned int)impl >= HASH_IMPL_COUNT)
		return -EINVAL;
	if (impl == HASH_IMPL_PORTABLE || !hash_accel_init(ctx, impl, alg)) {
		if (impl != HASH_IMPL_AUTO && impl != HASH_IMPL_PORTABLE)
			return -EOPNOTSUPP;
		/* BearSSL's C code: asked for, or the CPU has no instructions for alg. */
		hash_algs[alg].vtable->init(&ctx->u.vtable);
		ctx->impl = HASH_IMPL_PORTABLE;
	}
	ctx->alg = alg;
	return 0;
}

void hash_init(struct hash_ctx *ctx, enum hash_alg alg)
{
	int r = hash_init_impl(ctx, alg, HASH_IMPL_AUTO);

	/* Only an alg outside the enum fails here, and that is a bug in the caller. */
	if (r < 0)
		abort();
}

void hash_update(struct hash_ctx *ctx, const void *data, size_t len)
{
#if HASH_HAVE_ACCEL
	if (ctx->impl != HASH_IMPL_PORTABLE) {
		sha2_update(&ctx->u.sha2, data, len);
		return;
	}
#endif
	ctx->u.vtable->update(&ctx->u.vtable, data, len);
}

static void hash_out(const struct hash_ctx *ctx, uint8_t *out)
{
#if HASH_HAVE_ACCEL
	if (ctx->impl != HASH_IMPL_PORTABLE) {
		sha2_out(&ctx->u.sha2, out);
		return;
	}
#endif
	ctx->u.vtable->out(&ctx->u.vtable, out);
}

void hash_final(struct hash_ctx *ctx, uint8_t *out)
{
	hash_out(ctx, out);
	/* The context holds the last partial block of the message, which may be a secret. */
	explicit_bzero(ctx, sizeof(*ctx));
}

void hash_buffer(enum hash_alg alg, const void *data, size_t len, uint8_t *out)
{
	struct hash_ctx ctx;

	hash_init(&ctx, alg);
	hash_update(&ctx, data, len);
	hash_final(&ctx, out);
}

static uint64_t hash_now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Bytes from the current offset to the end of a file or block device; 0 for a pipe. */
static uint64_t hash_fd_remaining(int fd)
{
	off_t here = lseek(fd, 0, SEEK_CUR);
	off_t end;

	if (here < 0)
		return 0;
	/* SEEK_END works on a block device too, where st_size is 0. */
	end = lseek(fd, 0, SEEK_END);
	if (lseek(fd, here, SEEK_SET) < 0 || end < here)
		return 0;
	return (uint64_t)(end - here);
}

int hash_update_fd(struct hash_ctx *ctx, int fd, uint64_t *total_bytes,
		   const struct hash_progress *progress, struct error *e)
{
	_cleanup_free_ uint8_t *buf = malloc(HASH_FD_BUFFER_SIZE);
	uint64_t done = 0, remaining = 0, last_report = 0;

	if (!buf)
		return error_set_errno(e, -ENOMEM, "cannot allocate a %d-byte read buffer",
				       HASH_FD_BUFFER_SIZE);
	if (progress && progress->func) {
		remaining = hash_fd_remaining(fd);
		last_report = hash_now_usec();
	}
	/*
	 * Doubles the readahead window of a cold file or device; changes nothing when the data
	 * is cached, and a pipe just refuses it.
	 */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

	for (;;) {
		ssize_t n = read(fd, buf, HASH_FD_BUFFER_SIZE);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return error_set_errno(e, -errno, "read failed at byte offset %" PRIu64,
					       done);
		}
		if (n == 0)
			break;
		hash_update(ctx, buf, (size_t)n);
		done += (uint64_t)n;
		if (total_bytes)
			*total_bytes += (uint64_t)n;

		if (progress && progress->func) {
			uint64_t now = hash_now_usec();

			if (now - last_report >= progress->interval_usec) {
				progress->func(done, remaining, progress->userdata);
				last_report = now;
			}
		}
	}
	return 0;
}

int hash_fd(enum hash_alg alg, int fd, uint8_t *out, uint64_t *total_bytes,
	    const struct hash_progress *progress, struct error *e)
{
	struct hash_ctx ctx;
	uint64_t n = 0;
	int r;

	hash_init(&ctx, alg);
	r = hash_update_fd(&ctx, fd, &n, progress, e);
	if (r < 0) {
		explicit_bzero(&ctx, sizeof(ctx));
		return r;
	}
	hash_final(&ctx, out);
	if (total_bytes)
		*total_bytes = n;
	return 0;
}
