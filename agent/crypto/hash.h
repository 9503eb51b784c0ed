/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_HASH_H
#define MRBOOT_HASH_H

/*
 * The digests mrboot measures with: SHA-256, SHA-384 and SHA-512 from BearSSL, SHA-256 on
 * the x86 SHA extensions and SHA-256, SHA-384 and SHA-512 on the Armv8 SHA-2 instructions
 * when the CPU has them. Streaming, caller-owned contexts, no allocation except hash_fd()'s
 * read buffer.
 */

#include <bearssl_hash.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/sha2.h"

struct error;

enum hash_alg {
	HASH_SHA256,
	HASH_SHA384,
	HASH_SHA512,
	HASH_SHA1, /* TPM SHA-1 banks only: every allocated bank is extended */
	HASH_ALG_COUNT,
};

#define HASH_MAX_SIZE 64

struct hash_info {
	const char *name; /* "sha256", as in the config file and on the command line */
	uint16_t tcg_id;  /* TPM_ALG_ID, TCG Algorithm Registry; also the event log's */
	uint8_t size;	  /* digest bytes */
	uint8_t block_size;
};

/* NULL when alg is not one of enum hash_alg. */
const struct hash_info *hash_info(enum hash_alg alg);

/* -EINVAL for a name or TPM_ALG_ID that is not one of ours. */
int hash_alg_from_name(const char *name, enum hash_alg *ret);
int hash_alg_from_tcg_id(uint16_t tcg_id, enum hash_alg *ret);

enum hash_impl {
	HASH_IMPL_AUTO,	    /* the fastest this CPU runs */
	HASH_IMPL_PORTABLE, /* BearSSL's C code */
	HASH_IMPL_SHA_NI,   /* x86 SHA extensions; SHA-256 only */
	HASH_IMPL_ARMV8,    /* Armv8 SHA-256 and Armv8.2 SHA-512 instructions; SHA-2 only */
	HASH_IMPL_COUNT,
};

/* "auto", "portable", "sha-ni", "armv8"; NULL for an unknown value. */
const char *hash_impl_name(enum hash_impl impl);
int hash_impl_from_name(const char *name, enum hash_impl *ret);

/* The build has the SHA-NI path and this CPU can run it. */
bool hash_sha_ni_available(void);

/* The build has impl's code for alg and this CPU can run it (HASH_IMPL_AUTO: always). */
bool hash_impl_available(enum hash_impl impl, enum hash_alg alg);

struct hash_ctx {
	enum hash_alg alg;
	enum hash_impl impl; /* as chosen; never HASH_IMPL_AUTO after init */
	union {
		const br_hash_class *vtable; /* first member of every BearSSL context */
		br_sha256_context sha256;
		br_sha384_context sha384;
		br_sha512_context sha512;
		br_sha1_context sha1;
		struct sha2_context sha2; /* SHA-NI and Armv8: their compression function */
	} u;
};

/* With the fastest implementation this CPU runs. */
void hash_init(struct hash_ctx *ctx, enum hash_alg alg);

/*
 * -EOPNOTSUPP when impl cannot do alg here: an algorithm it lacks (SHA-NI does SHA-256 only,
 * Armv8 SHA-2 only), or it is not built, or not for this CPU; see hash_impl_available().
 */
int hash_init_impl(struct hash_ctx *ctx, enum hash_alg alg, enum hash_impl impl);

void hash_update(struct hash_ctx *ctx, const void *data, size_t len);

/* Writes hash_info(ctx->alg)->size bytes, then wipes ctx; init it again to reuse it. */
void hash_final(struct hash_ctx *ctx, uint8_t *out);

void hash_buffer(enum hash_alg alg, const void *data, size_t len, uint8_t *out);

/*
 * Progress of a long hash_fd(), for a multi-gigabyte block device. Called after a read
 * when at least interval_usec have passed since the start or the previous call, so never
 * when the whole input takes less; the caller reports the end itself.
 */
struct hash_progress {
	void (*func)(uint64_t done, uint64_t total, void *userdata); /* total 0: unknown */
	void *userdata;
	uint64_t interval_usec;
};

/*
 * Hashes what read(fd) returns, from the current offset until read() returns 0: a file, a
 * block device or a pipe. Adds the number of bytes hashed to *total_bytes (may be NULL). A
 * read error is returned with a message naming the offset from where reading started; the
 * caller puts the path in front. ctx is then still to be finished or wiped by the caller.
 */
int hash_update_fd(struct hash_ctx *ctx, int fd, uint64_t *total_bytes,
		   const struct hash_progress *progress, struct error *e);

/*
 * hash_init(), hash_update_fd() and hash_final() in one; on success writes the digest to out
 * and the number of bytes hashed to *total_bytes (may be NULL), on failure neither.
 */
int hash_fd(enum hash_alg alg, int fd, uint8_t *out, uint64_t *total_bytes,
	    const struct hash_progress *progress, struct error *e);

#endif
