/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "evlog/tcg2.h"
#include "evlog-samples.h"
#include "tap.h"

static uint8_t log_buf[1024];

static void expect_value(const struct tcg2_register *reg, const char *hex, uint32_t extends,
			 const char *what);

static size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n;

	if (hex_decode(out, cap, hex, strlen(hex), &n, NULL) < 0)
		abort();
	return n;
}

/* Python: struct.pack('<IIIH', 3, 6, 1, 0x0c) + sha384(body) + struct.pack('<I', 32) + body */
static void test_write_aael_record(void)
{
	static const char want_hex[] =
		"03000000" /* CC 3 */
		"06000000" /* EV_EVENT_TAG */
		"01000000" /* one digest */
		"0c00"	   /* SHA-384: the DESIGN vector */
		"dad5f0e226318ffa9839b75a472c6aa7fdb5834949d0a0a22990cf04d5692440fb00f3aa0609db7e"
		"49cd8d793f670d02"
		"20000000"	   /* event size 32 */
		"4c45414118000000" /* "LEAA", 24 */
		"646f6d61696e206f7065726174696f6e20636f6e74656e74";
	uint8_t want[256], got[256];
	size_t n = unhex(want, sizeof(want), want_hex), len = 0;
	struct error e = { 0 };
	int r;

	r = tcg2_aael_event_write(got, sizeof(got), 3, HASH_SHA384, "domain", "operation",
				  "content", &len, &e);
	tap_ok(r == 0 && len == n && memcmp(got, want, n) == 0,
	       "AAEL record at CC 3 is byte for byte the struct.pack one");
	r = tcg2_aael_event_write(got, n - 1, 3, HASH_SHA384, "domain", "operation", "content",
				  &len, &e);
	tap_ok(r == -ENOBUFS && len == n,
	       "a buffer one byte short is -ENOBUFS with the size needed");
	r = tcg2_aael_event_write(got, sizeof(got), 3, HASH_SHA384, "dom ain", "op", "c", &len, &e);
	tap_ok(r == -EINVAL && strstr(e.msg, "space"), "an invalid AAEL part is refused (%s)",
	       e.msg);
}

/* Python: struct.pack('<III', 7, 0x80000001, 2) + b'\x0b\x00' + d256 + b'\x0c\x00' + d384 + ... */
static void test_write_two_digests(void)
{
	static const char want_hex[] =
		"0700000001000080020000000b00000102030405060708090a0b0c0d0e0f101112131415161718"
		"191a1b1c1d1e1f0c00404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d"
		"5e5f606162636465666768696a6b6c6d6e6f03000000616263";
	struct mr_digests d = { .count = 2,
				.bank = { { .alg = HASH_SHA256 }, { .alg = HASH_SHA384 } } };
	struct mr_digests none = { .count = 0 };
	uint8_t want[256], got[256];
	size_t n = unhex(want, sizeof(want), want_hex), len = 0;
	struct error e = { 0 };
	int r;

	for (int i = 0; i < 32; i++)
		d.bank[0].digest[i] = (uint8_t)i;
	for (int i = 0; i < 48; i++)
		d.bank[1].digest[i] = (uint8_t)(0x40 + i);
	r = tcg2_event2_write(got, sizeof(got), 7, 0x80000001, &d, "abc", 3, &len, &e);
	tap_ok(r == 0 && len == n && memcmp(got, want, n) == 0,
	       "record with SHA-256 and SHA-384 digests is byte for byte the struct.pack one");
	tap_is_int((intmax_t)tcg2_event2_size(&d, 3), (intmax_t)n, "tcg2_event2_size agrees");
	r = tcg2_event2_write(got, sizeof(got), 7, 6, &none, "abc", 3, &len, &e);
	tap_ok(r == -EINVAL && strstr(e.msg, "0 digests"), "a record without digests is refused");
}

static void test_read_ccel(void)
{
	static const uint32_t offsets[] = { 65, 194, 309 }, indices[] = { 1, 3, 3 };
	static const uint32_t types[] = { 6, 6, 4 }, sizes[] = { 63, 49, 4 };
	uint8_t sep[48];
	size_t n = unhex(log_buf, sizeof(log_buf), CCEL_TABLE);
	struct tcg2_reader rd;
	struct tcg2_record rec;
	struct error e = { 0 };
	unsigned good = 0;
	int r;

	unhex(sep, sizeof(sep),
	      "394341b7182cd227c5c6b07ef8000cdfd86136c4292b8e576573ad7ed9ae4101"
	      "9f5818b4b971c9effc60e1ad9f1289f0");
	r = tcg2_reader_init(&rd, log_buf, n, 0, &e);
	tap_is_int(r, 0, "synthetic CCEL: Spec ID event parses");
	tap_ok(rd.spec.alg_count == 1 && rd.spec.algs[0].alg_id == 0x000c &&
		       rd.spec.algs[0].digest_size == 48,
	       "Spec ID table: SHA-384, 48 bytes");
	tap_ok(rd.spec.version_major == 2 && rd.spec.version_minor == 0 && rd.spec.uintn_size == 2,
	       "Spec ID version 2.0, uintnSize 2");
	for (unsigned i = 0; i < 3; i++) {
		r = tcg2_reader_next(&rd, &rec, &e);
		if (r == 1 && rec.number == i + 1 && rec.offset == offsets[i] &&
		    rec.index == indices[i] && rec.type == types[i] && rec.digest_count == 1 &&
		    rec.digests[0].alg_id == 0x000c && rec.digests[0].size == 48 &&
		    rec.event_size == sizes[i] && rec.event == log_buf + rec.offset + 12 + 50 + 4)
			good++;
		else
			tap_diag("record %u: r=%d %s", i + 1, r, e.msg);
	}
	tap_is_int(good, 3, "records 1..3: number, offset, index, type, digest, event as written");
	tap_is_mem(rec.digests[0].bytes, sep, 48, "record 3's digest bytes point into the log");
	tap_is_int(memcmp(log_buf + 65 + 66, "LEAA", 4), 0, "record 1's event starts with LEAA");
	r = tcg2_reader_next(&rd, &rec, &e);
	tap_is_int(r, 0, "the 0xFF padding ends the log");
	tap_ok(rd.ended && rd.end == CCEL_LOG_SIZE && rd.end_reason == TCG2_END_ONES,
	       "end recorded at byte 379, by 0xFF");
	tap_is_int(tcg2_reader_next(&rd, &rec, &e), 0, "reading past the end keeps returning 0");
}

/*
 * The PC Client example of the CEL specification (v1.1, section 5.1.7) as a TCG2 log: a Spec
 * ID event with SHA-1 and SHA-256, and an EV_S_CRTM_VERSION event at PCR 0 whose two digests
 * are those of its 16 bytes of data (checked with hashlib). PCR 0 in the SHA-256 bank is then
 * sha256(32 zero bytes || d4720b40...), computed with hashlib.
 */
static void test_cel_spec_example(void)
{
	static const char example[] = SPEC_ID_HEADER_37 SPEC_ID_FIXED
		"02000000"
		"04001400"
		"0b002000"
		"00"
		"00000000" /* PCR 0 */
		"08000000" /* EV_S_CRTM_VERSION */
		"02000000"
		"0400"
		"c42fedad268200cb1d15f97841c344e79dae3320"
		"0b00"
		"d4720b4009438213b803568017f903093f6bea8ab47d283db32b6eabedbbf155"
		"10000000"
		"1efb6b540c1d5540a4ad4ef4bf17b83a";
	struct tcg2_register pcr0 = { .index = 0, .alg = HASH_SHA256 };
	size_t n = unhex(log_buf, sizeof(log_buf), example);
	struct tcg2_reader rd;
	struct tcg2_record rec;
	struct error e = { 0 };
	int r;

	r = tcg2_reader_init(&rd, log_buf, n, 0, &e);
	tap_ok(r == 0 && rd.spec.alg_count == 2 && rd.spec.algs[0].alg_id == 0x0004 &&
		       rd.spec.algs[0].digest_size == 20 && rd.spec.algs[1].alg_id == 0x000b,
	       "CEL spec example: Spec ID table SHA-1/20, SHA-256/32");
	r = r == 0 ? tcg2_reader_next(&rd, &rec, &e) : r;
	tap_ok(r == 1 && rec.offset == 69 && rec.index == 0 && rec.type == 8 &&
		       rec.digest_count == 2 && rec.digests[0].size == 20 &&
		       rec.digests[1].size == 32 && rec.event_size == 16,
	       "CEL spec example: record 1 at byte 69, PCR 0, two digests, 16 bytes of event");
	tap_ok(tcg2_record_digest(&rec, HASH_SHA256) == &rec.digests[1] &&
		       !tcg2_record_digest(&rec, HASH_SHA384),
	       "tcg2_record_digest finds the SHA-256 digest and no SHA-384 one");
	r = tcg2_replay(log_buf, n, &pcr0, 1, &e);
	tap_is_int(r, 0, "CEL spec example replays");
	expect_value(&pcr0, "d38ac819f4424583584b58d344c28f6128c5633b0f529a46a7fba664aa84098c", 1,
		     "CEL spec example: PCR 0 (SHA-256) as hashlib computed it");
}

static void expect_end(const char *hex, size_t end, enum tcg2_end reason, uint32_t records,
		       const char *what)
{
	size_t n = unhex(log_buf, sizeof(log_buf), hex);
	struct tcg2_reader rd;
	struct tcg2_record rec;
	struct error e = { 0 };
	uint32_t count = 0;
	int r = tcg2_reader_init(&rd, log_buf, n, 0, &e);

	while (r >= 0 && (r = tcg2_reader_next(&rd, &rec, &e)) > 0)
		count++;
	tap_ok(r == 0 && rd.end == end && rd.end_reason == reason && count == records, "%s", what);
}

static void test_ends(void)
{
	expect_end(CCEL_LOG "0000000000000000", CCEL_LOG_SIZE, TCG2_END_ZEROS, 3,
		   "8 zero bytes end the log too");
	expect_end(CCEL_LOG, CCEL_LOG_SIZE, TCG2_END_DATA, 3,
		   "a log that fills the data ends there");
	expect_end(SPEC_ID_SHA384 "ffffffffffffffff", 65, TCG2_END_ONES, 0,
		   "a log of only the Spec ID event has no records");
}

/* Reads everything; the first error must be code and its message must contain word. */
static void expect_bad_bytes(const uint8_t *data, size_t n, uint32_t max, int code,
			     const char *word, const char *what)
{
	struct tcg2_reader rd;
	struct tcg2_record rec;
	struct error e = { 0 };
	int r = tcg2_reader_init(&rd, data, n, max, &e);

	while (r >= 0 && (r = tcg2_reader_next(&rd, &rec, &e)) > 0)
		;
	tap_ok(r == code && strstr(e.msg, word), "%s is refused (%s)", what, e.msg);
}

/* The synthetic CCEL with one byte changed, or cut to size bytes (0: not cut). */
static void expect_bad(size_t at, int value, size_t size, const char *word, const char *what)
{
	size_t n = unhex(log_buf, sizeof(log_buf), CCEL_TABLE);

	if (value >= 0)
		log_buf[at] = (uint8_t)value;
	expect_bad_bytes(log_buf, size ? size : n, 0, -EBADMSG, word, what);
}

static void test_malformed_spec_id(void)
{
	static const char twice[] = SPEC_ID_HEADER SPEC_ID_FIXED "02000000"
								 "0c003000"
								 "0c003000"
								 "00";
	size_t n;

	expect_bad(0, -1, 20, "shorter than the Spec ID event's header", "a 20-byte log");
	expect_bad(0, 1, 0, "Spec ID event: byte 0: index 1", "a Spec ID event at PCR 1");
	expect_bad(4, 4, 0, "byte 4: event type 0x00000004",
		   "a first record that is not EV_NO_ACTION");
	expect_bad(8, 1, 0, "byte 8: SHA-1 digest is not zero", "a non-zero SHA-1 digest");
	expect_bad(0, -1, 60, "byte 28: event size 33 runs past the end", "a cut Spec ID event");
	expect_bad(32, 's', 0, "byte 32: signature", "another signature");
	expect_bad(53, 1, 0, "byte 52: version 1.0", "version 1.0 (the SHA-1 log format)");
	expect_bad(55, 3, 0, "byte 55: uintnSize 3", "uintnSize 3");
	expect_bad(56, 0, 0, "byte 56: 0 algorithms", "an empty algorithm table");
	expect_bad(56, 9, 0, "byte 56: 9 algorithms (1..8)", "9 algorithms");
	expect_bad(56, 2, 0, "cannot hold 2 algorithms", "a table longer than the event");
	expect_bad(62, 32, 0, "byte 62: algorithm 0x000c with digest size 32, not 48",
		   "SHA-384 declared with 32 bytes");
	expect_bad(64, 1, 0, "byte 64: vendor info of 1 bytes", "vendor info past the event's end");
	n = unhex(log_buf, sizeof(log_buf), twice);
	log_buf[28] = 37; /* event size: two table rows */
	expect_bad_bytes(log_buf, n, 0, -EBADMSG, "byte 64: algorithm 0x000c listed twice",
			 "an algorithm listed twice");
}

static void test_malformed_records(void)
{
	uint8_t trailing[CCEL_LOG_SIZE + 7];
	unsigned refused = 0;
	size_t n;

	expect_bad(73, 0, 0, "record 1 at byte 65: byte 73: digest count 0",
		   "a record without digests");
	expect_bad(73, 2, 0, "byte 73: digest count 2 (1..1",
		   "more digests than the table has algorithms");
	expect_bad(77, 0x0b, 0,
		   "byte 77: digest 0 has algorithm 0x000b, which the Spec ID event does not list",
		   "a digest of an algorithm the table does not list");
	expect_bad(0, -1, 100, "record 1 at byte 65: byte 77: digest 0 is cut off",
		   "a digest cut by the end of the data");
	expect_bad(0, -1, 129, "record 1 at byte 65: byte 127: event size is cut off",
		   "an event size cut by the end of the data");
	expect_bad(0, -1, 150, "byte 127: event size 63 runs past the end of the data (19 bytes",
		   "an event cut by the end of the data");
	expect_bad(128, 0xff, 0, "byte 127: event size 65343 runs past", "an event size too large");

	/* 1..7 bytes after the last record: neither a record nor a terminator. */
	unhex(trailing, sizeof(trailing), CCEL_LOG "ffffffffffffff");
	for (size_t k = 1; k <= 7; k++) {
		struct tcg2_reader rd;
		struct tcg2_record rec;
		struct error e = { 0 };
		char want[64];
		int r = tcg2_reader_init(&rd, trailing, CCEL_LOG_SIZE + k, 0, &e);

		while (r >= 0 && (r = tcg2_reader_next(&rd, &rec, &e)) > 0)
			;
		snprintf(want, sizeof(want), "record 4 at byte 379: %zu bytes left", k);
		if (r == -EBADMSG && strstr(e.msg, want))
			refused++;
		else
			tap_diag("%zu trailing bytes: %d %s", k, r, e.msg);
	}
	tap_is_int(refused, 7, "1..7 trailing bytes are refused, naming byte 379");
	n = unhex(log_buf, sizeof(log_buf), CCEL_LOG "030000000600000001");
	expect_bad_bytes(log_buf, n, 0, -EBADMSG,
			 "record 4 at byte 379: 9 bytes left, too few for a record header",
			 "a record header cut after 9 bytes");
	n = unhex(log_buf, sizeof(log_buf), CCEL_TABLE);
	expect_bad_bytes(log_buf, n, 2, -E2BIG, "more than 2 records",
			 "a third record past a limit of 2");
}

static void expect_value(const struct tcg2_register *reg, const char *hex, uint32_t extends,
			 const char *what)
{
	uint8_t want[HASH_MAX_SIZE] = { 0 };
	size_t n = hex ? unhex(want, sizeof(want), hex) : hash_info(reg->alg)->size;

	tap_ok(memcmp(reg->value, want, n) == 0 && reg->extends == extends, "%s", what);
	if (memcmp(reg->value, want, n) != 0)
		tap_diag_hex("got", reg->value, n);
}

static void test_replay_ccel(void)
{
	struct tcg2_register regs[] = { { .index = 1, .alg = HASH_SHA384 },
					{ .index = 2, .alg = HASH_SHA384 },
					{ .index = 3, .alg = HASH_SHA384 } };
	struct tcg2_register sha256 = { .index = 1, .alg = HASH_SHA256 };
	size_t n = unhex(log_buf, sizeof(log_buf), CCEL_TABLE);
	struct error e = { 0 };
	int r;

	r = tcg2_replay(log_buf, n, regs, 3, &e);
	tap_is_int(r, 0, "synthetic CCEL replays");
	expect_value(&regs[0], CCEL_RTMR0, 1, "CC 1 (RTMR0) as hashlib computed it, 1 extend");
	expect_value(&regs[1], NULL, 0, "CC 2 (RTMR1), never extended, is zero");
	expect_value(&regs[2], CCEL_RTMR2, 2, "CC 3 (RTMR2): AAEL event then separator");
	r = tcg2_replay(log_buf, n, &sha256, 1, &e);
	tap_ok(r == -EBADMSG && strstr(e.msg, "record 1 at byte 65: index 1 has no sha256 digest"),
	       "replaying a bank the log does not carry is refused (%s)", e.msg);
}

/* A TPM log: Spec ID (SHA-256), StartupLocality 3, S-CRTM version at PCR 0, PCR 5 events. */
#define TPM_STARTUP_LOCALITY                                               \
	"00000000"                                                         \
	"03000000"                                                         \
	"01000000"                                                         \
	"0b00"                                                             \
	"0000000000000000000000000000000000000000000000000000000000000000" \
	"11000000"                                                         \
	"537461727475704c6f63616c69747900" /* "StartupLocality\0" */       \
	"03"
#define TPM_CRTM_VERSION                                                                         \
	"00000000"                                                                               \
	"08000000"                                                                               \
	"01000000"                                                                               \
	"0b00"                                                                                   \
	"fdc4e2ce2858eba87671a2e66d8ffd4097a2055746362cef162eafd45271131e" /* sha256("1.0\0") */ \
	"04000000"                                                                               \
	"312e3000"
#define TPM_PCR5_NO_ACTION                                                 \
	"05000000"                                                         \
	"03000000"                                                         \
	"01000000"                                                         \
	"0b00"                                                             \
	"1111111111111111111111111111111111111111111111111111111111111111" \
	"01000000"                                                         \
	"78"
#define TPM_PCR5_GPT                                                       \
	"05000000"                                                         \
	"06000080"                                                         \
	"01000000"                                                         \
	"0b00"                                                             \
	"2222222222222222222222222222222222222222222222222222222222222222" \
	"03000000"                                                         \
	"677074"

static void test_replay_tpm(void)
{
	struct tcg2_register regs[] = { { .index = 0, .alg = HASH_SHA256 },
					{ .index = 5, .alg = HASH_SHA256 } };
	struct error e = { 0 };
	size_t n;
	int r;

	n = unhex(log_buf, sizeof(log_buf),
		  SPEC_ID_SHA256 TPM_STARTUP_LOCALITY TPM_CRTM_VERSION TPM_PCR5_NO_ACTION
			  TPM_PCR5_GPT);
	r = tcg2_replay(log_buf, n, regs, 2, &e);
	tap_is_int(r, 0, "TPM log replays");
	expect_value(&regs[0], "54bbd57282f599cd7770f30437e93548111c103542b5e12b4b49a6bdc724b84c",
		     1, "PCR 0 starts at locality 3 (StartupLocality), then S-CRTM version");
	expect_value(&regs[1], "ee4b0e933b56cdf12a42b1e3f3b9ed1aa70cf9f3cf37325693255c8bfbcb8ba8",
		     1, "PCR 5: EV_NO_ACTION extends nothing, the GPT event does");

	/* "StartupLocalitz": an EV_NO_ACTION like any other, so PCR 0 starts at zero. */
	log_buf[65 + 50 + 14] = 'z';
	r = tcg2_replay(log_buf, n, regs, 1, &e);
	tap_ok(r == 0, "an EV_NO_ACTION that is not StartupLocality replays");
	expect_value(&regs[0], "f7668961d143382867b9671f4f4da8d2d2a8d3ad73f923490d6e1dbe78df1cdb",
		     1, "and leaves PCR 0 starting at zero");

	n = unhex(log_buf, sizeof(log_buf), SPEC_ID_SHA256 TPM_CRTM_VERSION TPM_STARTUP_LOCALITY);
	r = tcg2_replay(log_buf, n, regs, 1, &e);
	tap_ok(r == -EBADMSG &&
		       strstr(e.msg, "record 2 at byte 119: StartupLocality 3 comes after"),
	       "StartupLocality after a PCR 0 event is refused (%s)", e.msg);
	n = unhex(log_buf, sizeof(log_buf), SPEC_ID_SHA256 TPM_STARTUP_LOCALITY);
	log_buf[n - 1] = 7;
	r = tcg2_replay(log_buf, n, regs, 1, &e);
	tap_ok(r == -EBADMSG && strstr(e.msg, "StartupLocality 7 is not a locality"),
	       "StartupLocality 7 is refused (%s)", e.msg);
}

int main(void)
{
	test_write_aael_record();
	test_write_two_digests();
	test_read_ccel();
	test_cel_spec_example();
	test_ends();
	test_malformed_spec_id();
	test_malformed_records();
	test_replay_ccel();
	test_replay_tpm();
	return tap_done();
}
