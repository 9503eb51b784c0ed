/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every expected digest below is a published value typed in as hex: the FIPS 180-4 example
 * vectors (NIST CSRC "Examples with Intermediate Values" for SHA-256, SHA-384 and SHA-512),
 * or, for the hash_fd() file, the output of coreutils' sha256sum/sha384sum/sha512sum and
 * Python's hashlib, which agree.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__aarch64__)
#include <sys/auxv.h>
#endif

#include "basic/error.h"
#include "crypto/hash.h"
#include "basic/macro.h"
#include "mrboot-config.h"
#include "tap.h"

static const char msg_448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char msg_896[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
			      "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
#define MILLION 1000000

enum vector {
	VEC_EMPTY,
	VEC_ABC,
	VEC_448,
	VEC_896,
	VEC_MILLION_A,
	VEC_COUNT,
};

static const char *const vector_names[VEC_COUNT] = {
	"empty string", "\"abc\"", "448-bit message", "896-bit message", "one million 'a'",
};

static const char *const vectors[HASH_ALG_COUNT][VEC_COUNT] = {
	[HASH_SHA256] = {
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
		"cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
		"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
	},
	[HASH_SHA384] = {
		"38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da"
		"274edebfe76f65fbd51ad2f14898b95b",
		"cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
		"8086072ba1e7cc2358baeca134c825a7",
		"3391fdddfc8dc7393707a65b1b4709397cf8b1d162af05abfe8f450de5f36bc6"
		"b0455a8520bc4e6f5fe95b1fe3c8452b",
		"09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712"
		"fcc7c71a557e2db966c3e9fa91746039",
		"9d0e1809716474cb086e834e310a4a1ced149e9c00f248527972cec5704c2a5b"
		"07b8b3dc38ecc4ebae97ddd87f3d8985",
	},
	[HASH_SHA512] = {
		"cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
		"47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
		"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
		"2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
		"204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c335"
		"96fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445",
		"8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
		"501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909",
		"e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
		"de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b",
	},
	/* FIPS 180 SHA-1 examples: mrboot hashes with SHA-1 only for TPM SHA-1 banks. */
	[HASH_SHA1] = {
		"da39a3ee5e6b4b0d3255bfef95601890afd80709",
		"a9993e364706816aba3e25717850c26c9cd0d89d",
		"84983e441c3bd26ebaae4aa1f95129e5e54670f1",
		"a49b2446a02c645bf419f995b67091253a04a259",
		"34aa973cd4c4daa4f61eeb2bdbad27316534016f",
	},
};

/*
 * The hash_fd() input: byte i is (i * 131 + (i >> 11)) & 0xff, for a size that is not a
 * multiple of any read size. Expected digests from
 *   python3 -c 'import hashlib; d = bytes((i * 131 + (i >> 11)) & 0xff
 *               for i in range(3 * 1048576 + 12345)); print(hashlib.sha256(d).hexdigest())'
 * and the same through sha256sum, sha384sum and sha512sum.
 */
#define FILE_SIZE (3 * 1048576 + 12345)
static const char *const file_digests[HASH_ALG_COUNT] = {
	[HASH_SHA256] = "b2fa756a12f17f5c8df2c811963ba7b795ec7ae10dd4b2126abd4adaf298baae",
	[HASH_SHA384] = "23ca95b906049cfb6a9343c8a4d0ed03f52cb24b4e30fd2d004b179dc6505e32"
			"ca56d934c7cc3d9a30bfec50f627e2c9",
	[HASH_SHA512] = "ad0837a6954ad7633b6d2372b8e337e3f339f23f0f0a421a1357f6e4c0b4f87e"
			"88ea4e696c6ccece41fcf45b782adab34cca7d7990534c50bd866dc48e233654",
	[HASH_SHA1] = "1acce3d68c3f9fc779498c86f423adedb09e5d4f",
};

/*
 * Messages of n 'a' bytes for the lengths either side of where the padding needs a second block
 * and of the block edges: 55/56 and 63/64 for the 64-byte blocks of SHA-256 and SHA-1, 111/112
 * and 127/128 for the 128-byte blocks of SHA-384 and SHA-512. Expected digests from
 *   python3 -c 'import hashlib; print(hashlib.sha256(b"a" * 55).hexdigest())'
 * and the same through `head -c 55 /dev/zero | tr "\\0" a | sha256sum` (and sha384sum, sha512sum,
 * sha1sum), which agree.
 */
static const size_t boundary_lengths[] = { 55, 56, 63, 64, 111, 112, 127, 128 };

static const char *const boundary_digests[HASH_ALG_COUNT][ARRAY_SIZE(boundary_lengths)] = {
	[HASH_SHA256] = {
		"9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
		"b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
		"7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34",
		"ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
		"6374f73208854473827f6f6a3f43b1f53eaa3b82c21c1a6d69a2110b2a79baad",
		"f54353008a2553262ecdc4a34749563ba0950e8b0fc8652780b0a614b99683c1",
		"c57e9278af78fa3cab38667bef4ce29d783787a2f731d4e12200270f0c32320a",
		"6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e",
	},
	[HASH_SHA384] = {
		"5d91ac7e74e62b5c728904b40f10784d66b7af9cb6302123e48c92f0432ceb8d"
		"2a92c02de77dcb29ed75c4b42bde46f4",
		"8a8d9649ea04e993a6ca7135af7e3392cc5fca84f8531cac7aa3feed4eb98f55"
		"dcbe0f3284b61c6f35f98b02cc644b4c",
		"7e7f097e95b52bb8f53383450ecaf9868187c130981730c03b6d573adfc0b991"
		"e365244e5b4bfa082bfb43c517d37120",
		"2e404b9339da795776e510d96930b3be2904c500395b8cb7413334b82d4dec41"
		"3b4b8113045a05bbbcff846f027423f6",
		"3c37955051cb5c3026f94d551d5b5e2ac38d572ae4e07172085fed81f8466b8f"
		"90dc23a8ffcdea0b8d8e58e8fdacc80a",
		"187d4e07cb306103c69967bf544d0dfbe9042577599c73c330abc0cb64c61236"
		"d5ed565ee19119d8c31779a38f791fcd",
		"9bd06b1763c2cf7aef40e795dc65bc96d59c41b537f3ad72ebdefd485476b571"
		"7c1aeb37c327fe9c1831b12b9efd08ae",
		"edb12730a366098b3b2beac75a3bef1b0969b15c48e2163c23d96994f8d1bef7"
		"60c7e27f3c464d3829f56c0d53808b0b",
	},
	[HASH_SHA512] = {
		"b0220c772cbf6c1822e2cb38a437d0e1d58772417a4bbb21c961364f8b6143e0"
		"5aa6316dca8d1d7b19e16448419076395f6086cb55101fbd6d5497b148e1745f",
		"962b64aae357d2a4fee3ded8b539bdc9d325081822b0bfc55583133aab44f18b"
		"afe11d72a7ae16c79ce2ba620ae2242d5144809161945f1367f41b3972e26e04",
		"c1b0f5c6d3b03dfe4a2602e67242f54e344090b66e01100a469b129f583f016c"
		"7e27dddeaa438393dcc7ec54b0b57c9ba7af007f9b56db5f6fb677d972a31362",
		"01d35c10c6c38c2dcf48f7eebb3235fb5ad74a65ec4cd016e2354c637a8fb49b"
		"695ef3c1d6f7ae4cd74d78cc9c9bcac9d4f23a73019998a7f73038a5c9b2dbde",
		"fa9121c7b32b9e01733d034cfc78cbf67f926c7ed83e82200ef8681819692176"
		"0b4beff48404df811b953828274461673c68d04e297b0eb7b2b4d60fc6b566a2",
		"c01d080efd492776a1c43bd23dd99d0a2e626d481e16782e75d54c2503b5dc32"
		"bd05f0f1ba33e568b88fd2d970929b719ecbb152f58f130a407c8830604b70ca",
		"828613968b501dc00a97e08c73b118aa8876c26b8aac93df128502ab360f91ba"
		"b50a51e088769a5c1eff4782ace147dce3642554199876374291f5d921629502",
		"b73d1929aa615934e61a871596b3f3b33359f42b8175602e89f7e06e5f658a24"
		"3667807ed300314b95cacdd579f3e33abdfbe351909519a846d465c59582f321",
	},
	[HASH_SHA1] = {
		"c1c8bbdc22796e28c0e15163d20899b65621d65a",
		"c2db330f6083854c99d4b5bfb6e8f29f201be699",
		"03f09f5b158a7a8cdad920bddc29b81c18a551f5",
		"0098ba824b5c16427bd7a1122a5a442a25ec644d",
		"ac877859d427d9192054eea8feb3b8a403ef83a5",
		"689993727ba37386bb032495e9dbdfb4dd1ba744",
		"89d95fa32ed44a7c610b7ee38517ddf57e0bb975",
		"ad5b3fdbcb526778c2839d2f151ea753995e26a0",
	},
};

/*
 * The implementations each algorithm is tested on: the portable ones and those this build has
 * for its architecture (another architecture's path is not a skipped test, just absent).
 */
static const struct {
	enum hash_alg alg;
	enum hash_impl impl;
} paths[] = {
	{ HASH_SHA256, HASH_IMPL_PORTABLE }, { HASH_SHA384, HASH_IMPL_PORTABLE },
	{ HASH_SHA512, HASH_IMPL_PORTABLE }, { HASH_SHA1, HASH_IMPL_PORTABLE },
#if MRBOOT_HAVE_SHA_NI
	{ HASH_SHA256, HASH_IMPL_SHA_NI },
#endif
#if MRBOOT_HAVE_SHA_ARMV8
	{ HASH_SHA256, HASH_IMPL_ARMV8 },    { HASH_SHA384, HASH_IMPL_ARMV8 },
	{ HASH_SHA512, HASH_IMPL_ARMV8 },
#endif
};

static uint8_t *million_a;

static void unhex(const char *hex, uint8_t *out)
{
	for (size_t i = 0; hex[2 * i]; i++)
		sscanf(hex + 2 * i, "%2hhx", &out[i]);
}

static void vector_message(enum vector v, const uint8_t **p, size_t *len)
{
	switch (v) {
	case VEC_EMPTY:
		*p = (const uint8_t *)"";
		*len = 0;
		break;
	case VEC_ABC:
		*p = (const uint8_t *)"abc";
		*len = 3;
		break;
	case VEC_448:
		*p = (const uint8_t *)msg_448;
		*len = strlen(msg_448);
		break;
	case VEC_896:
		*p = (const uint8_t *)msg_896;
		*len = strlen(msg_896);
		break;
	default:
		*p = million_a;
		*len = MILLION;
		break;
	}
}

/* Reports the skip and returns false when this path cannot run here. */
static bool path_init(struct hash_ctx *ctx, size_t path, const char *what)
{
	enum hash_impl impl = paths[path].impl;
	char why[160];
	int r = hash_init_impl(ctx, paths[path].alg, impl);

	if (r == 0)
		return true;
	snprintf(why, sizeof(why), "%s %s: %s: the CPU has no such instructions",
		 hash_info(paths[path].alg)->name, hash_impl_name(impl), what);
	tap_skip(why);
	return false;
}

static void check_digest(struct hash_ctx *ctx, size_t path, const char *expected_hex,
			 const char *what)
{
	const struct hash_info *info = hash_info(paths[path].alg);
	uint8_t got[HASH_MAX_SIZE], want[HASH_MAX_SIZE];

	unhex(expected_hex, want);
	hash_final(ctx, got);
	tap_is_mem(got, want, info->size, "%s %s: %s", info->name, hash_impl_name(paths[path].impl),
		   what);
}

static void test_vectors_one_shot(void)
{
	for (size_t path = 0; path < ARRAY_SIZE(paths); path++)
		for (enum vector v = 0; v < VEC_COUNT; v++) {
			struct hash_ctx ctx;
			const uint8_t *p;
			size_t len;

			if (!path_init(&ctx, path, vector_names[v]))
				continue;
			vector_message(v, &p, &len);
			hash_update(&ctx, p, len);
			check_digest(&ctx, path, vectors[paths[path].alg][v], vector_names[v]);
		}
}

static void test_streaming_byte_at_a_time(void)
{
	for (size_t path = 0; path < ARRAY_SIZE(paths); path++) {
		struct hash_ctx ctx;

		if (!path_init(&ctx, path, "byte at a time"))
			continue;
		for (size_t i = 0; msg_896[i]; i++)
			hash_update(&ctx, &msg_896[i], 1);
		check_digest(&ctx, path, vectors[paths[path].alg][VEC_896],
			     "896-bit message fed one byte at a time");
	}
}

/* Either side of the 56-byte padding limit and the 64- and 128-byte block edges. */
static void test_streaming_split(void)
{
	static const size_t splits[] = { 55, 56, 63, 64, 65, 111, 112, 127, 128, 129 };

	for (size_t path = 0; path < ARRAY_SIZE(paths); path++)
		for (size_t i = 0; i < ARRAY_SIZE(splits); i++) {
			struct hash_ctx ctx;
			char what[80];

			snprintf(what, sizeof(what), "one million 'a' split after %zu bytes",
				 splits[i]);
			if (!path_init(&ctx, path, what))
				continue;
			hash_update(&ctx, million_a, splits[i]);
			hash_update(&ctx, million_a + splits[i], MILLION - splits[i]);
			check_digest(&ctx, path, vectors[paths[path].alg][VEC_MILLION_A], what);
		}
}

/* Chunks of 0, 1, 2 ... 200 bytes and again, so that every buffer fill level meets every size. */
static void test_streaming_growing_chunks(void)
{
	for (size_t path = 0; path < ARRAY_SIZE(paths); path++) {
		const char *what = "one million 'a' in chunks of 0 to 200 bytes";
		struct hash_ctx ctx;
		size_t off = 0, chunk = 0;

		if (!path_init(&ctx, path, what))
			continue;
		while (off < MILLION) {
			size_t n = chunk < MILLION - off ? chunk : MILLION - off;

			hash_update(&ctx, million_a + off, n);
			off += n;
			chunk = (chunk + 1) % 201;
		}
		check_digest(&ctx, path, vectors[paths[path].alg][VEC_MILLION_A], what);
	}
}

/*
 * Where the final padding takes one block or two, and messages that end on a block edge: in one
 * update, and in updates of 7 bytes, which leave the partial block at every fill level.
 */
static void test_padding_boundaries(void)
{
	for (size_t path = 0; path < ARRAY_SIZE(paths); path++)
		for (size_t i = 0; i < ARRAY_SIZE(boundary_lengths); i++) {
			const char *want = boundary_digests[paths[path].alg][i];
			size_t len = boundary_lengths[i];
			struct hash_ctx ctx;
			char what[80];

			snprintf(what, sizeof(what), "%zu 'a' bytes in one update", len);
			if (!path_init(&ctx, path, what))
				continue;
			hash_update(&ctx, million_a, len);
			check_digest(&ctx, path, want, what);

			snprintf(what, sizeof(what), "%zu 'a' bytes in updates of 7", len);
			if (!path_init(&ctx, path, what))
				continue;
			for (size_t off = 0; off < len; off += 7)
				hash_update(&ctx, million_a + off, len - off < 7 ? len - off : 7);
			check_digest(&ctx, path, want, what);
		}
}

static void test_hash_buffer(void)
{
	for (enum hash_alg alg = 0; alg < HASH_ALG_COUNT; alg++) {
		uint8_t got[HASH_MAX_SIZE], want[HASH_MAX_SIZE];

		unhex(vectors[alg][VEC_ABC], want);
		hash_buffer(alg, "abc", 3, got);
		tap_is_mem(got, want, hash_info(alg)->size, "hash_buffer %s \"abc\"",
			   hash_info(alg)->name);
	}
}

static void test_final_wipes_context(void)
{
	static const struct hash_ctx zero;
	uint8_t out[HASH_MAX_SIZE];
	struct hash_ctx ctx;

	hash_init(&ctx, HASH_SHA256);
	hash_update(&ctx, "secret", 6);
	hash_final(&ctx, out);
	tap_ok(memcmp(&ctx, &zero, sizeof(ctx)) == 0, "hash_final leaves the context all zero");
}

static void test_info_table(void)
{
	/* TCG Algorithm Registry TPM_ALG_IDs; FIPS 180-4 digest and block sizes. */
	static const struct {
		enum hash_alg alg;
		const char *name;
		uint16_t tcg_id;
		unsigned int size, block_size;
	} want[] = {
		{ HASH_SHA256, "sha256", 0x000b, 32, 64 },
		{ HASH_SHA384, "sha384", 0x000c, 48, 128 },
		{ HASH_SHA512, "sha512", 0x000d, 64, 128 },
		{ HASH_SHA1, "sha1", 0x0004, 20, 64 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		const struct hash_info *info = hash_info(want[i].alg);
		enum hash_alg alg = HASH_ALG_COUNT;

		tap_is_str(info->name, want[i].name, "%s: name", want[i].name);
		tap_is_int(info->tcg_id, want[i].tcg_id, "%s: TPM_ALG_ID", want[i].name);
		tap_is_int(info->size, want[i].size, "%s: digest size", want[i].name);
		tap_is_int(info->block_size, want[i].block_size, "%s: block size", want[i].name);
		tap_ok(hash_alg_from_name(want[i].name, &alg) == 0 && alg == want[i].alg,
		       "%s: found by name", want[i].name);
		alg = HASH_ALG_COUNT;
		tap_ok(hash_alg_from_tcg_id(want[i].tcg_id, &alg) == 0 && alg == want[i].alg,
		       "%s: found by TPM_ALG_ID", want[i].name);
	}
	tap_ok(HASH_MAX_SIZE >= 64, "HASH_MAX_SIZE holds a SHA-512 digest");
	tap_ok(hash_info(HASH_ALG_COUNT) == NULL, "hash_info of an unknown algorithm is NULL");
}

static void test_unknown_names(void)
{
	enum hash_alg alg;
	enum hash_impl impl;

	tap_is_int(hash_alg_from_name("md5", &alg), -EINVAL, "\"md5\" is not an algorithm");
	tap_is_int(hash_alg_from_name("SHA256", &alg), -EINVAL, "names are lower case");
	tap_is_int(hash_alg_from_name("", &alg), -EINVAL, "the empty name is rejected");
	tap_ok(hash_alg_from_tcg_id(0x0004, &alg) == 0 && alg == HASH_SHA1,
	       "TPM_ALG_SHA1 is SHA-1 (for TPM banks)");
	tap_is_int(hash_alg_from_tcg_id(0x0012, &alg), -EINVAL, "TPM_ALG_SM3_256 is rejected");
	tap_ok(hash_impl_from_name("sha-ni", &impl) == 0 && impl == HASH_IMPL_SHA_NI,
	       "\"sha-ni\" names the SHA-NI path");
	tap_ok(hash_impl_from_name("armv8", &impl) == 0 && impl == HASH_IMPL_ARMV8,
	       "\"armv8\" names the Armv8 SHA-2 path");
	tap_ok(hash_impl_from_name("portable", &impl) == 0 && impl == HASH_IMPL_PORTABLE,
	       "\"portable\" names BearSSL");
	tap_is_int(hash_impl_from_name("avx2", &impl), -EINVAL, "\"avx2\" is not a path");
}

/* The kernel's view of the CPU, an independent source for what CPUID says. */
static bool cpuinfo_has_sha_ni(void)
{
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	bool sha = false, sse41 = false, ssse3 = false;
	FILE *f = fopen("/proc/cpuinfo", "re");

	if (!f)
		return false;
	while (getline(&line, &cap, f) > 0)
		if (strncmp(line, "flags", 5) == 0) {
			sha = strstr(line, " sha_ni") != NULL;
			sse41 = strstr(line, " sse4_1") != NULL;
			ssse3 = strstr(line, " ssse3") != NULL;
			break;
		}
	fclose(f);
	return sha && sse41 && ssse3;
}

struct armv8_sha {
	bool sha256, sha512; /* SHA-512 counts with SHA-3, which its code may use too */
	const char *source;  /* NULL: not an Arm CPU */
};

/*
 * What the CPU's ID register says, independently of the kernel's hardware capabilities that
 * the code reads: ID_AA64ISAR0_EL1.SHA2 (bits 15:12) is 1 for SHA-256, 2 for SHA-256 and
 * SHA-512, and .SHA3 (bits 35:32) is 1 for SHA-3. Linux (and qemu's user emulation) let a
 * program read it when it reports HWCAP_CPUID; otherwise /proc/cpuinfo's Features line.
 */
static struct armv8_sha armv8_sha_of_cpu(void)
{
	struct armv8_sha cpu = { false, false, NULL };
#if defined(__aarch64__)
	if (getauxval(AT_HWCAP) & HWCAP_CPUID) {
		uint64_t isar0;

		__asm__ volatile("mrs %0, ID_AA64ISAR0_EL1" : "=r"(isar0));
		cpu.sha256 = ((isar0 >> 12) & 0xf) >= 1;
		cpu.sha512 = ((isar0 >> 12) & 0xf) >= 2 && ((isar0 >> 32) & 0xf) >= 1;
		cpu.source = "ID_AA64ISAR0_EL1";
	} else {
		_cleanup_free_ char *line = NULL;
		size_t cap = 0;
		FILE *f = fopen("/proc/cpuinfo", "re");

		cpu.source = "/proc/cpuinfo";
		while (f && getline(&line, &cap, f) > 0)
			if (strncmp(line, "Features", 8) == 0) {
				cpu.sha256 = strstr(line, " sha2") != NULL;
				cpu.sha512 = strstr(line, " sha512") && strstr(line, " sha3");
				break;
			}
		if (f)
			fclose(f);
	}
#endif
	return cpu;
}

static void test_impl_choice(void)
{
	struct hash_ctx ctx;
	bool ni = MRBOOT_HAVE_SHA_NI && cpuinfo_has_sha_ni();
	struct armv8_sha cpu = armv8_sha_of_cpu();
	bool a256 = MRBOOT_HAVE_SHA_ARMV8 && cpu.sha256;
	bool a512 = MRBOOT_HAVE_SHA_ARMV8 && cpu.sha512;

	if (cpu.source)
		tap_diag("Armv8 SHA-2 by %s: SHA-256 %s, SHA-512 and SHA-3 %s", cpu.source,
			 cpu.sha256 ? "yes" : "no", cpu.sha512 ? "yes" : "no");
	tap_is_int(hash_sha_ni_available(), ni,
		   "SHA-NI is available exactly when /proc/cpuinfo "
		   "lists sha_ni, sse4_1 and ssse3 (and it is built)");
	tap_is_int(hash_impl_available(HASH_IMPL_ARMV8, HASH_SHA256), a256,
		   "Armv8 SHA-256 is available exactly when the CPU has it (and it is built)");
	tap_is_int(hash_impl_available(HASH_IMPL_ARMV8, HASH_SHA384), a512,
		   "Armv8 SHA-384 is available exactly when the CPU has SHA-512 and SHA-3");
	tap_is_int(hash_impl_available(HASH_IMPL_ARMV8, HASH_SHA512), a512,
		   "Armv8 SHA-512 is available exactly when the CPU has SHA-512 and SHA-3");
	tap_is_int(hash_impl_available(HASH_IMPL_ARMV8, HASH_SHA1), 0,
		   "the Armv8 path does not do SHA-1");
	tap_ok(hash_impl_available(HASH_IMPL_PORTABLE, HASH_SHA1),
	       "the portable path is always available");
	hash_init(&ctx, HASH_SHA256);
	tap_is_str(hash_impl_name(ctx.impl),
		   ni	  ? "sha-ni"
		   : a256 ? "armv8"
			  : "portable",
		   "hash_init picks the CPU's SHA-256 instructions when available");
	hash_init(&ctx, HASH_SHA384);
	tap_is_str(hash_impl_name(ctx.impl), a512 ? "armv8" : "portable",
		   "hash_init picks the CPU's SHA-512 instructions for SHA-384, else BearSSL");
	hash_init(&ctx, HASH_SHA512);
	tap_is_str(hash_impl_name(ctx.impl), a512 ? "armv8" : "portable",
		   "hash_init picks the CPU's SHA-512 instructions for SHA-512, else BearSSL");
	hash_init(&ctx, HASH_SHA1);
	tap_is_str(hash_impl_name(ctx.impl), "portable", "hash_init picks BearSSL for SHA-1");
	tap_is_int(hash_init_impl(&ctx, HASH_SHA384, HASH_IMPL_SHA_NI), -EOPNOTSUPP,
		   "SHA-NI does not do SHA-384");
	tap_is_int(hash_init_impl(&ctx, HASH_SHA512, HASH_IMPL_SHA_NI), -EOPNOTSUPP,
		   "SHA-NI does not do SHA-512");
	tap_is_int(hash_init_impl(&ctx, HASH_SHA256, HASH_IMPL_SHA_NI), ni ? 0 : -EOPNOTSUPP,
		   "SHA-NI for SHA-256 succeeds exactly when available");
	tap_is_int(hash_init_impl(&ctx, HASH_SHA256, HASH_IMPL_ARMV8), a256 ? 0 : -EOPNOTSUPP,
		   "Armv8 for SHA-256 succeeds exactly when available");
	tap_is_int(hash_init_impl(&ctx, HASH_SHA512, HASH_IMPL_ARMV8), a512 ? 0 : -EOPNOTSUPP,
		   "Armv8 for SHA-512 succeeds exactly when available");
	tap_is_int(hash_init_impl(&ctx, HASH_SHA1, HASH_IMPL_ARMV8), -EOPNOTSUPP,
		   "Armv8 for SHA-1 is refused");
	tap_is_int(hash_init_impl(&ctx, HASH_SHA512, HASH_IMPL_PORTABLE), 0,
		   "the portable path does every algorithm");
}

static uint8_t *file_content(void)
{
	uint8_t *d = malloc(FILE_SIZE);

	if (!d)
		abort();
	for (size_t i = 0; i < FILE_SIZE; i++)
		d[i] = (uint8_t)((i * 131 + (i >> 11)) & 0xff);
	return d;
}

static int write_all(int fd, const uint8_t *p, size_t len, size_t chunk)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len < chunk ? len : chunk);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* An unlinked temporary file holding the content; the test is not about the file system. */
static int temp_file(const uint8_t *content)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/test-hash-XXXXXX", dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (write_all(fd, content, FILE_SIZE, FILE_SIZE) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -EIO;
	}
	return fd;
}

struct progress_log {
	unsigned int calls;
	bool increasing;
	uint64_t last_done, total;
};

static void progress_record(uint64_t done, uint64_t total, void *userdata)
{
	struct progress_log *log = userdata;

	if (done <= log->last_done)
		log->increasing = false;
	log->last_done = done;
	log->total = total;
	log->calls++;
}

static void test_hash_fd_file(const uint8_t *content)
{
	int fd = temp_file(content);

	if (fd < 0) {
		tap_diag("cannot create a temporary file: %s", strerror(-fd));
		tap_ok(0, "hash_fd: temporary file");
		return;
	}
	for (enum hash_alg alg = 0; alg < HASH_ALG_COUNT; alg++) {
		uint8_t got[HASH_MAX_SIZE], want[HASH_MAX_SIZE];
		struct error e = { 0 };
		uint64_t total = 99; /* hash_fd sets it, unlike hash_update_fd */
		int r;

		unhex(file_digests[alg], want);
		lseek(fd, 0, SEEK_SET);
		r = hash_fd(alg, fd, got, &total, NULL, &e);
		tap_is_int(r, 0, "hash_fd %s on a file succeeds", hash_info(alg)->name);
		tap_is_mem(got, want, hash_info(alg)->size, "hash_fd %s of a file matches %ssum",
			   hash_info(alg)->name, hash_info(alg)->name);
		tap_is_int(total, FILE_SIZE, "hash_fd %s counts every byte", hash_info(alg)->name);
	}

	{
		struct progress_log log = { .increasing = true };
		struct hash_progress every_read = { progress_record, &log, 0 };
		uint8_t out[HASH_MAX_SIZE];

		lseek(fd, 0, SEEK_SET);
		hash_fd(HASH_SHA256, fd, out, NULL, &every_read, NULL);
		tap_ok(log.calls > 1, "a zero interval reports after every read (%u reports)",
		       log.calls);
		tap_ok(log.increasing, "progress only goes forward");
		tap_is_int(log.last_done, FILE_SIZE,
			   "the last report after the last read is the end");
		tap_is_int(log.total, FILE_SIZE, "progress knows the file's size");
	}
	{
		struct progress_log log = { .increasing = true };
		struct hash_progress never = { progress_record, &log, UINT64_MAX };
		uint8_t out[HASH_MAX_SIZE];

		lseek(fd, 0, SEEK_SET);
		hash_fd(HASH_SHA256, fd, out, NULL, &never, NULL);
		tap_is_int(log.calls, 0, "no report before the interval has passed");
	}
	close(fd);
}

/* A pipe returns short reads of at most its buffer size; only read() == 0 ends the input. */
static void test_hash_fd_pipe(const uint8_t *content)
{
	uint8_t got[HASH_MAX_SIZE], want[HASH_MAX_SIZE];
	struct error e = { 0 };
	uint64_t total = 0;
	int fds[2], status, r;
	pid_t pid;

	if (pipe(fds) < 0 || (pid = fork()) < 0) {
		tap_ok(0, "hash_fd: pipe and child");
		return;
	}
	if (pid == 0) {
		close(fds[0]);
		_exit(write_all(fds[1], content, FILE_SIZE, 4093) < 0);
	}
	close(fds[1]);
	unhex(file_digests[HASH_SHA256], want);
	r = hash_fd(HASH_SHA256, fds[0], got, &total, NULL, &e);
	close(fds[0]);
	waitpid(pid, &status, 0);
	tap_is_int(r, 0, "hash_fd on a pipe succeeds");
	tap_is_mem(got, want, 32,
		   "hash_fd of a pipe written in 4093-byte pieces matches sha256sum");
	tap_is_int(total, FILE_SIZE, "hash_fd on a pipe counts every byte");
}

static void test_hash_fd_read_error(void)
{
	_cleanup_close_ int fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	uint8_t out[HASH_MAX_SIZE];
	struct error e = { 0 };

	tap_is_int(hash_fd(HASH_SHA256, fd, out, NULL, NULL, &e), -EISDIR,
		   "hash_fd on a directory fails with EISDIR");
	tap_is_str(e.msg, "read failed at byte offset 0: Is a directory",
		   "the read error names the offset and the reason");
}

int main(void)
{
	uint8_t *content = file_content();

	million_a = malloc(MILLION);
	if (!million_a)
		abort();
	memset(million_a, 'a', MILLION);

	test_info_table();
	test_unknown_names();
	test_impl_choice();
	test_vectors_one_shot();
	test_streaming_byte_at_a_time();
	test_streaming_split();
	test_streaming_growing_chunks();
	test_padding_boundaries();
	test_hash_buffer();
	test_final_wipes_context();
	test_hash_fd_file(content);
	test_hash_fd_pipe(content);
	test_hash_fd_read_error();

	free(million_a);
	free(content);
	return tap_done();
}
