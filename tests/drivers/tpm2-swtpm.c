/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The TPM 2.0 backend against swtpm (tests/integration/tpm2-swtpm.sh starts it). What mrboot reads
 * is checked against two witnesses that share no code with it: tpm2-tools on the same swtpm, and
 * Python's hashlib for the value an extend must produce.
 *
 * Usage: tpm2-swtpm SOCKET SWTPM_PID, with TPM2TOOLS_TCTI naming the same swtpm and
 * MRBOOT_PYTHON, MRBOOT_TPM2_PCRREAD, MRBOOT_TPM2_GETCAP the witnesses (empty: skipped).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "basic/error.h"
#include "mr/tpm2.h"
#include "tap.h"

#define PCR 16 /* the debug PCR: resettable, used by no firmware */

struct bank_values {
	uint8_t before[TPM2_DIGEST_MAX];
	uint8_t after[TPM2_DIGEST_MAX];
	size_t len;
	bool read;
};

static const char *sock;
static struct tpm2_banks banks;
static struct bank_values values[TPM2_BANKS_MAX];
static struct mr_digests extended;

static void to_hex(char *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* Hex digits (either case) at s into out, up to cap bytes; stops at the first non-digit. */
static size_t from_hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	for (; n < cap; s += 2) {
		unsigned v;

		if (sscanf(s, "%2x", &v) != 1 || !s[1])
			break;
		out[n++] = (uint8_t)v;
	}
	return n;
}

/* Runs cmd and returns its whole output (static, NUL-terminated), or NULL if it failed. */
static const char *run(const char *cmd)
{
	static char out[8192];
	size_t n;
	FILE *f = popen(cmd, "r");

	if (!f)
		return NULL;
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	if (pclose(f) != 0) {
		tap_diag("'%s' failed: %s", cmd, out);
		return NULL;
	}
	return out;
}

static const char *witness(const char *var)
{
	const char *p = getenv(var);

	return p && *p ? p : NULL;
}

static const char *bank_name(uint16_t alg_id)
{
	const char *name = tpm2_alg_name(alg_id);

	return name ? name : "(unnamed)";
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Everything mrboot does, on one connection; the witnesses come after it is closed. */
static void test_backend(void)
{
	struct error e = { 0 };
	struct tpm2 t;
	uint8_t r1[48], r2[48], zero[48] = { 0 }, buf[TPM2_DIGEST_MAX];
	const struct tpm2_bank *sha256;
	size_t len;
	int r;

	r = tpm2_open_socket(&t, sock, &e);
	if (!tap_ok(r == 0, "connect to swtpm at %s (%s)", sock, r ? e.msg : "")) {
		tap_done();
		exit(1);
	}

	r = tpm2_get_banks(&t, &banks, &e);
	tap_ok(r == 0 && banks.count > 0, "GetCapability(TPM_CAP_PCRS) lists the banks (%s)",
	       r ? e.msg : "");
	for (unsigned i = 0; i < banks.count; i++)
		tap_diag("swtpm bank %s (TPM_ALG 0x%04x): PCRs 0x%06x, %s by hash.h",
			 bank_name(banks.bank[i].alg_id), banks.bank[i].alg_id, banks.bank[i].pcrs,
			 banks.bank[i].supported ? "supported" : "not supported");
	sha256 = tpm2_banks_find(&banks, TPM2_ALG_SHA256);
	tap_ok(sha256 && (sha256->pcrs & 0xffffff) == 0xffffff,
	       "the sha256 bank is active with PCRs 0..23");
	for (unsigned i = 0; i < banks.count; i++) {
		enum hash_alg alg;
		bool known = hash_alg_from_tcg_id(banks.bank[i].alg_id, &alg) == 0;

		tap_ok(banks.bank[i].supported == known,
		       "bank %s is listed, marked %s, whether or not hash.h has it",
		       bank_name(banks.bank[i].alg_id), known ? "supported" : "unsupported");
	}

	r = tpm2_get_random(&t, r1, sizeof(r1), &e);
	tap_ok(r == 0, "GetRandom returns 48 bytes (%s)", r ? e.msg : "");
	r = tpm2_get_random(&t, r2, sizeof(r2), &e);
	tap_ok(r == 0 && memcmp(r1, zero, sizeof(r1)) != 0 && memcmp(r1, r2, sizeof(r1)) != 0,
	       "two GetRandom draws are not zero and differ");

	/* PCR 16 before, in every bank: the unsupported ones can be read too. */
	for (unsigned i = 0; i < banks.count; i++) {
		r = tpm2_pcr_read(&t, PCR, banks.bank[i].alg_id, values[i].before,
				  sizeof(values[i].before), &values[i].len, &e);
		values[i].read = r == 0;
		tap_ok(r == 0 && values[i].len == tpm2_alg_digest_size(banks.bank[i].alg_id),
		       "PCR_Read of PCR %d in bank %s (%s)", PCR, bank_name(banks.bank[i].alg_id),
		       r ? e.msg : "");
	}

	/* One known digest per bank mrboot can hash with: 0x40, 0x41, ... */
	extended = (struct mr_digests){ 0 };
	for (unsigned i = 0; i < banks.count; i++) {
		struct mr_bank_digest *d = &extended.bank[extended.count];

		if (!banks.bank[i].supported || extended.count == MR_BANKS_MAX)
			continue;
		d->alg = banks.bank[i].alg;
		for (unsigned j = 0; j < hash_info(d->alg)->size; j++)
			d->digest[j] = (uint8_t)(0x40 + j);
		extended.count++;
	}
	r = tpm2_pcr_extend(&t, PCR, &extended, &e);
	tap_ok(r == 0, "PCR_Extend of PCR %d in the %u supported banks (%s)", PCR, extended.count,
	       r ? e.msg : "");

	for (unsigned i = 0; i < banks.count; i++) {
		r = tpm2_pcr_read(&t, PCR, banks.bank[i].alg_id, values[i].after,
				  sizeof(values[i].after), &len, &e);
		values[i].read = values[i].read && r == 0 && len == values[i].len;
		if (!banks.bank[i].supported)
			tap_ok(values[i].read &&
				       memcmp(values[i].before, values[i].after, len) == 0,
			       "bank %s, given no digest, is unchanged",
			       bank_name(banks.bank[i].alg_id));
	}

	r = tpm2_pcr_read(&t, 24, TPM2_ALG_SHA256, buf, sizeof(buf), &len, &e);
	tap_ok(r == -ERANGE && strstr(e.msg, "PCR 24"), "PCR_Read of PCR 24 is refused (%s)",
	       e.msg);
	r = tpm2_pcr_extend(&t, 24, &extended, &e);
	tap_ok(r == -ERANGE && strstr(e.msg, "PCR 24"), "PCR_Extend of PCR 24 is refused (%s)",
	       e.msg);

	/* swtpm allocates no SM3 bank: the TPM says so by name, or selects nothing. */
	r = tpm2_pcr_read(&t, PCR, TPM2_ALG_SM3_256, buf, sizeof(buf), &len, &e);
	tap_ok((r == -EIO && strstr(e.msg, "TPM_RC_")) || r == -ENOENT,
	       "PCR_Read in an sm3_256 bank swtpm lacks fails with a reason (%s)", e.msg);
	tpm2_close(&t);
}

static void test_extend_matches_hashlib(void)
{
	const char *python = witness("MRBOOT_PYTHON");

	for (unsigned i = 0; i < extended.count; i++) {
		const struct hash_info *info = hash_info(extended.bank[i].alg);
		const struct tpm2_bank *bank = tpm2_banks_find(&banks, info->tcg_id);
		const struct bank_values *v = &values[bank - banks.bank];
		char old[2 * TPM2_DIGEST_MAX + 1], digest[2 * TPM2_DIGEST_MAX + 1], cmd[1024];
		uint8_t want[TPM2_DIGEST_MAX];
		const char *out;

		if (!python) {
			tap_skip("python3 is missing: no independent hash of the extend");
			continue;
		}
		to_hex(old, v->before, v->len);
		to_hex(digest, extended.bank[i].digest, info->size);
		snprintf(cmd, sizeof(cmd),
			 "'%s' -c 'import hashlib, sys; print(hashlib.new(sys.argv[1], "
			 "bytes.fromhex(sys.argv[2]) + bytes.fromhex(sys.argv[3])).hexdigest())' "
			 "%s %s %s",
			 python, info->name, old, digest);
		out = run(cmd);
		if (!tap_ok(v->read && out && from_hex(out, want, sizeof(want)) == info->size,
			    "hashlib computed %s(old || digest)", info->name))
			continue;
		tap_is_mem(v->after, want, info->size,
			   "PCR %d in bank %s is %s(old PCR || digest), as hashlib computes it",
			   PCR, info->name, info->name);
	}
}

static void test_tpm2_tools_agree(void)
{
	const char *pcrread = witness("MRBOOT_TPM2_PCRREAD");
	const char *getcap = witness("MRBOOT_TPM2_GETCAP");
	char cmd[512], ours[256] = "", theirs[256] = "";
	const char *out, *p;

	snprintf(cmd, sizeof(cmd), "'%s' pcrs 2>&1", getcap ? getcap : "");
	if (!getcap) {
		tap_skip("tpm2_getcap is missing (scripts/setup installs tpm2-tools)");
	} else if ((out = run(cmd))) {
		/* "  - sha256: [ 0, 1, ... ]" per bank; "[ ]" for a bank with no PCR allocated. */
		for (p = out; (p = strstr(p, "  - ")); p += 4) {
			const char *colon = strchr(p + 4, ':');
			size_t n = colon ? (size_t)(colon - p - 4) : 0;

			if (n == 0 || n > 31 || strncmp(colon, ": [ ", 4) != 0 || colon[4] == ']')
				continue;
			snprintf(theirs + strlen(theirs), sizeof(theirs) - strlen(theirs), "%.*s ",
				 (int)n, p + 4);
		}
		for (unsigned i = 0; i < banks.count; i++)
			snprintf(ours + strlen(ours), sizeof(ours) - strlen(ours), "%s ",
				 bank_name(banks.bank[i].alg_id));
		tap_is_str(ours, theirs, "the active banks are those tpm2_getcap pcrs lists");
	} else {
		tap_ok(0, "tpm2_getcap pcrs runs against the same swtpm");
	}

	for (unsigned i = 0; i < banks.count; i++) {
		const char *name = bank_name(banks.bank[i].alg_id);
		uint8_t want[TPM2_DIGEST_MAX];
		char line[16];

		if (!pcrread) {
			tap_skip("tpm2_pcrread is missing (scripts/setup installs tpm2-tools)");
			continue;
		}
		snprintf(cmd, sizeof(cmd), "'%s' %s:%d 2>&1", pcrread, name, PCR);
		out = run(cmd);
		/* "  sha256:\n    16: 0x<HEX>\n" */
		snprintf(line, sizeof(line), "%d: 0x", PCR);
		p = out ? strstr(out, line) : NULL;
		if (!tap_ok(p && from_hex(p + strlen(line), want, sizeof(want)) == values[i].len,
			    "tpm2_pcrread %s:%d answers", name, PCR))
			continue;
		tap_is_mem(values[i].after, want, values[i].len,
			   "PCR %d in bank %s as mrboot read it equals tpm2_pcrread's", PCR, name);
	}
}

/* A swtpm that stopped (SIGSTOP) accepts into its backlog and never answers: a dead TPM. */
static void test_dead_tpm(pid_t pid)
{
	struct error e = { 0 };
	struct tpm2 t;
	uint8_t buf[4];
	int64_t start, took;
	int r;

	if (kill(pid, SIGSTOP) < 0) {
		tap_skip("cannot stop swtpm to play a dead TPM");
		return;
	}
	r = tpm2_open_socket(&t, sock, &e);
	t.timeout_ms = 500;
	start = now_ms();
	if (r == 0)
		r = tpm2_get_random(&t, buf, sizeof(buf), &e);
	took = now_ms() - start;
	kill(pid, SIGCONT);
	tap_ok(r == -ETIMEDOUT && strstr(e.msg, sock),
	       "a stopped swtpm: -ETIMEDOUT naming the socket (%s)", e.msg);
	tap_ok(took >= 490 && took < 2500, "within the 500 ms bound (%lld ms)", (long long)took);
	tpm2_close(&t);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s SOCKET SWTPM_PID\n", argv[0]);
		return 2;
	}
	sock = argv[1];
	test_backend();
	test_extend_matches_hashlib();
	test_tpm2_tools_agree();
	test_dead_tpm((pid_t)atoi(argv[2]));
	return tap_done();
}
