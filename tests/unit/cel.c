/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "evlog/cel.h"
#include "tap.h"

/*
 * Expected encodings were built with Python, independently of mrboot:
 *	tlv = lambda t, v: bytes([t]) + struct.pack('>I', len(v)) + v
 * integers as int.to_bytes(max(1, (n.bit_length() + 7) // 8), 'big').
 */

/* recnum 0, pcr 12, SHA-256 and SHA-384 of the AAEL body, pcclient_std EV_EVENT_TAG + body. */
#define RECORD_A_RECNUM \
	"0000000001"    \
	"00"
#define RECORD_A_PCR \
	"0100000001" \
	"0c"
#define RECORD_A RECORD_A_RECNUM RECORD_A_PCR RECORD_A_REST
#define RECORD_A_REST                                                                      \
	"030000005a"                                                                       \
	"0b00000020"                                                                       \
	"46df8dacf00a07d34a83cdf56d7978697790787cf2ba1432ef7c38f22cd96351"                 \
	"0c00000030"                                                                       \
	"dad5f0e226318ffa9839b75a472c6aa7fdb5834949d0a0a22990cf04d5692440fb00f3aa0609db7e" \
	"49cd8d793f670d02"                                                                 \
	"050000002b"                                                                       \
	"0000000001"                                                                       \
	"06"                                                                               \
	"0100000020"                                                                       \
	"4c45414118000000646f6d61696e206f7065726174696f6e20636f6e74656e74"

/* recnum 1234, nv_index 0x01c10000, SHA-512("abc"), pcclient_std 0x80000001 "xyz". */
#define RECORD_B                                                                           \
	"0000000002"                                                                       \
	"04d2"                                                                             \
	"0200000004"                                                                       \
	"01c10000"                                                                         \
	"0300000045"                                                                       \
	"0d00000040"                                                                       \
	"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a8" \
	"36ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"                                 \
	"0500000011"                                                                       \
	"0000000004"                                                                       \
	"80000001"                                                                         \
	"0100000003"                                                                       \
	"78797a"

static uint8_t buf[1024];

static size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n;

	if (hex_decode(out, cap, hex, strlen(hex), &n, NULL) < 0)
		abort();
	return n;
}

static void digests_of(struct mr_digests *d, const char *h256, const char *h384)
{
	*d = (struct mr_digests){ .count = 2,
				  .bank = { { .alg = HASH_SHA256 }, { .alg = HASH_SHA384 } } };
	unhex(d->bank[0].digest, 32, h256);
	unhex(d->bank[1].digest, 48, h384);
}

static void test_write(void)
{
	struct mr_digests d, d512 = { .count = 1, .bank = { { .alg = HASH_SHA512 } } };
	uint8_t want[256], got[256];
	size_t n, len = 0;
	struct error e = { 0 };
	int r;

	digests_of(
		&d, "46df8dacf00a07d34a83cdf56d7978697790787cf2ba1432ef7c38f22cd96351",
		"dad5f0e226318ffa9839b75a472c6aa7fdb5834949d0a0a22990cf04d5692440fb00f3aa0609db7e"
		"49cd8d793f670d02");
	n = unhex(want, sizeof(want), RECORD_A);
	r = cel_aael_event_write(got, sizeof(got), 0, 12, &d, "domain", "operation", "content",
				 &len, &e);
	tap_ok(r == 0 && len == n && memcmp(got, want, n) == 0,
	       "AAEL record: recnum 0 in one byte, pcr 12, two digests, pcclient_std, as Python "
	       "encodes it");
	r = cel_aael_event_write(got, n - 1, 0, 12, &d, "domain", "operation", "content", &len, &e);
	tap_ok(r == -ENOBUFS && len == n,
	       "a buffer one byte short is -ENOBUFS with the size needed");

	unhex(d512.bank[0].digest, 64,
	      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836"
	      "ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
	n = unhex(want, sizeof(want), RECORD_B);
	r = cel_pcclient_write(got, sizeof(got), 1234, CEL_TYPE_NV_INDEX, 0x01c10000, &d512,
			       0x80000001, "xyz", 3, &len, &e);
	tap_ok(r == 0 && len == n && memcmp(got, want, n) == 0,
	       "recnum 1234 in two bytes, an nv_index, SHA-512, a 4-byte event type");
	r = cel_pcclient_write(got, sizeof(got), 0, 9, 0, &d512, 6, "", 0, &len, &e);
	tap_ok(r == -EINVAL && strstr(e.msg, "handle type 9"), "handle type 9 is refused");
}

/*
 * The pcclient_std content of another implementation's test (libcel, test_tlv.c:
 * event_type 0x1234, event data 01 02 03), which our writer must produce byte for byte.
 */
static void test_libcel_pcclient(void)
{
	static const char want_hex[] = "050000000f"
				       "0000000002"
				       "1234"
				       "0100000003"
				       "010203";
	struct mr_digests d = { .count = 1, .bank = { { .alg = HASH_SHA256 } } };
	uint8_t want[32];
	size_t n = unhex(want, sizeof(want), want_hex), len = 0;
	struct error e = { 0 };
	int r = cel_pcclient_write(buf, sizeof(buf), 0, CEL_TYPE_PCR, 0, &d, 0x1234, "\1\2\3", 3,
				   &len, &e);

	tap_ok(r == 0 && len >= n && memcmp(buf + len - n, want, n) == 0,
	       "pcclient_std content matches libcel's test vector");
}

static void test_round_trip(void)
{
	struct mr_digests d, d512 = { .count = 1, .bank = { { .alg = HASH_SHA512 } } };
	struct cel_numbering numbering = { 0 };
	struct cel_reader rd;
	struct cel_record rec[3], end;
	size_t pos = 0, len, offsets[3];
	uint64_t recnum[3];
	struct error e = { 0 };
	int r = 0;

	digests_of(
		&d, "46df8dacf00a07d34a83cdf56d7978697790787cf2ba1432ef7c38f22cd96351",
		"dad5f0e226318ffa9839b75a472c6aa7fdb5834949d0a0a22990cf04d5692440fb00f3aa0609db7e"
		"49cd8d793f670d02");
	memset(d512.bank[0].digest, 0x5a, 64);
	r |= cel_numbering_next(&numbering, CEL_TYPE_PCR, 12, &recnum[0], &e);
	r |= cel_numbering_next(&numbering, CEL_TYPE_NV_INDEX, 0x01c10000, &recnum[1], &e);
	r |= cel_numbering_next(&numbering, CEL_TYPE_PCR, 12, &recnum[2], &e);
	offsets[0] = pos;
	r |= cel_aael_event_write(buf + pos, sizeof(buf) - pos, recnum[0], 12, &d, "mrboot",
				  "config", "{\"path\":\"/etc/mrboot.conf\"}", &len, &e);
	pos += len;
	offsets[1] = pos;
	r |= cel_pcclient_write(buf + pos, sizeof(buf) - pos, recnum[1], CEL_TYPE_NV_INDEX,
				0x01c10000, &d512, 0x80000001, "xyz", 3, &len, &e);
	pos += len;
	offsets[2] = pos;
	r |= cel_aael_event_write(buf + pos, sizeof(buf) - pos, recnum[2], 12, &d, "mrboot",
				  "separator", "{\"done\":true}", &len, &e);
	pos += len;
	tap_is_int(r, 0, "three records written");

	cel_reader_init(&rd, buf, pos, 0);
	for (int i = 0; i < 3; i++)
		if (cel_reader_next(&rd, &rec[i], &e) != 1)
			tap_diag("record %d: %s", i + 1, e.msg);
	tap_is_int(cel_reader_next(&rd, &end, &e), 0, "the reader ends after record 3");
	tap_ok(rec[0].offset == offsets[0] && rec[1].offset == offsets[1] &&
		       rec[2].offset == offsets[2] && rec[2].offset + rec[2].size == pos,
	       "offsets and sizes of the three records");
	tap_ok(recnum[0] == 0 && recnum[1] == 0 && recnum[2] == 1,
	       "each index numbers its records from 0: pcr 12 gets 0 and 1, the nv_index 0");
	tap_ok(rec[0].recnum == 0 && rec[1].recnum == 0 && rec[2].recnum == 1, "recnums read back");
	tap_ok(rec[0].handle_type == CEL_TYPE_PCR && rec[0].handle == 12 &&
		       rec[1].handle_type == CEL_TYPE_NV_INDEX && rec[1].handle == 0x01c10000 &&
		       rec[2].handle == 12,
	       "pcr 12, nv_index 0x01c10000, pcr 12 read back");
	tap_ok(rec[0].digest_count == 2 && rec[0].digests[0].alg_id == 0x0b &&
		       rec[0].digests[0].size == 32 &&
		       memcmp(rec[0].digests[0].bytes, d.bank[0].digest, 32) == 0 &&
		       rec[0].digests[1].alg_id == 0x0c &&
		       memcmp(rec[0].digests[1].bytes, d.bank[1].digest, 48) == 0,
	       "record 1's SHA-256 and SHA-384 digests read back");
	tap_ok(rec[1].digest_count == 1 && rec[1].digests[0].alg_id == 0x0d &&
		       memcmp(rec[1].digests[0].bytes, d512.bank[0].digest, 64) == 0,
	       "record 2's SHA-512 digest reads back");
	tap_ok(rec[0].content_type == CEL_TYPE_PCCLIENT_STD && rec[0].event_type == 6 &&
		       rec[0].event_data_size == 8 + 41 &&
		       memcmp(rec[0].event_data + 8,
			      "mrboot config {\"path\":\"/etc/mrboot.conf\"}", 41) == 0,
	       "record 1: EV_EVENT_TAG with the AAEL body as event data");
	tap_ok(rec[1].event_type == 0x80000001 && rec[1].event_data_size == 3 &&
		       memcmp(rec[1].event_data, "xyz", 3) == 0,
	       "record 2: event type 0x80000001 and its data");
}

static void test_numbering(void)
{
	struct cel_numbering n = { 0 };
	struct error e = { 0 };
	uint64_t a = 9, b = 9, c = 9;
	int r = 0;

	r |= cel_numbering_next(&n, CEL_TYPE_PCR, 12, &a, &e);
	r |= cel_numbering_next(&n, CEL_TYPE_NV_INDEX, 12, &b, &e);
	r |= cel_numbering_next(&n, CEL_TYPE_PCR, 12, &c, &e);
	tap_ok(r == 0 && a == 0 && b == 0 && c == 1, "nv_index 12 is numbered apart from pcr 12");
	for (uint32_t h = 0; r == 0 && h < CEL_HANDLES_MAX; h++)
		r = cel_numbering_next(&n, CEL_TYPE_NV_INDEX, 0x01000000 + h, &a, &e);
	tap_ok(r == -E2BIG && strstr(e.msg, "more than 64"),
	       "more than 64 distinct indices are refused (%s)", e.msg);
}

static void test_other_producers(void)
{
	/*
	 * libcel test_tlv.c: recnum 2, pcr 3, empty digests, cel_mgt { firmware_end }; after
	 * records 0 and 1 of pcr 3, which its numbering needs.
	 */
	static const char mgt[] = "000000000100"
				  "010000000103"
				  "0300000000"
				  "0400000005"
				  "0200000000"
				  "000000000101"
				  "010000000103"
				  "0300000000"
				  "0400000005"
				  "0200000000"
				  "000000000102"
				  "010000000103"
				  "0300000000"
				  "0400000005"
				  "0200000000";
	/* Fixed-width integers as pcclient_to_cel writes them (htonl): recnum 0, pcr 10. */
	static const char fixed[] =
		"000000000400000000"
		"01000000040000000a"
		"03000000250b00000020"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"0500000010"
		"000000000400000006"
		"01000000026869";
	struct cel_reader rd;
	struct cel_record rec;
	struct error e = { 0 };
	size_t n;
	int r;

	n = unhex(buf, sizeof(buf), mgt);
	cel_reader_init(&rd, buf, n, 0);
	r = cel_reader_next(&rd, &rec, &e);
	r = r == 1 ? cel_reader_next(&rd, &rec, &e) : r;
	r = r == 1 ? cel_reader_next(&rd, &rec, &e) : r;
	tap_ok(r == 1 && rec.recnum == 2 && rec.handle == 3 && rec.digest_count == 0 &&
		       rec.content_type == CEL_TYPE_CEL_MGT && rec.content_size == 5,
	       "libcel's cel_mgt record (no digests) reads");
	n = unhex(buf, sizeof(buf), fixed);
	cel_reader_init(&rd, buf, n, 0);
	r = cel_reader_next(&rd, &rec, &e);
	tap_ok(r == 1 && rec.recnum == 0 && rec.handle == 10 && rec.event_type == 6 &&
		       rec.event_data_size == 2,
	       "integers with leading zero bytes read (fixed-width producers)");
}

static void expect_bad_data(size_t n, uint32_t max, int code, const char *word, const char *what)
{
	struct cel_reader rd;
	struct cel_record rec;
	struct error e = { 0 };
	int r;

	cel_reader_init(&rd, buf, n, max);
	while ((r = cel_reader_next(&rd, &rec, &e)) > 0)
		;
	tap_ok(r == code && strstr(e.msg, word), "%s is refused (%s)", what, e.msg);
}

/* RECORD_A with one byte changed, or cut to size bytes (0: not cut). */
static void expect_bad(size_t at, int value, size_t size, const char *word, const char *what)
{
	size_t n = unhex(buf, sizeof(buf), RECORD_A);

	if (value >= 0)
		buf[at] = (uint8_t)value;
	expect_bad_data(size ? size : n, 0, -EBADMSG, word, what);
}

static void expect_bad_hex(const char *hex, const char *word, const char *what)
{
	expect_bad_data(unhex(buf, sizeof(buf), hex), 0, -EBADMSG, word, what);
}

static void test_malformed(void)
{
	size_t n;

	expect_bad(0, -1, 3, "byte 0: recnum TLV header is cut off by the end of the data (3",
		   "a cut TLV header");
	expect_bad(0, -1, 150, "byte 108: content length 43 runs past the end of the data (38",
		   "a length past the end of the data");
	expect_bad(18, 1, 0, "byte 18: digest length 16777248 runs past the end of the enclosing",
		   "a nested length past the enclosing TLV");
	expect_bad(0, 1, 0, "byte 0: type 1 where recnum (0) must be",
		   "a record not starting with recnum");
	expect_bad(6, 9, 0, "byte 6: type 9 where pcr (1) or nv_index (2) must be",
		   "an unknown type in place of pcr");
	expect_bad(12, 4, 0, "byte 12: type 4 where digests (3) must be", "digests out of order");
	expect_bad(17, 0x42, 0, "byte 17: digest of unknown algorithm 0x42",
		   "a digest of an unknown algorithm");
	expect_bad(17, 0x0c, 0, "byte 18: digest of algorithm 0x0c is 32 bytes, not 48",
		   "a digest of the wrong size");
	expect_bad(107, 6, 0, "byte 107: type 6 where a content type (4, 5, 7, 8, 9) must be",
		   "an unknown content type");
	expect_bad(112, 1, 0, "byte 112: type 1 where pcclient_std event_type (0) must be",
		   "pcclient_std with event_data first");
	expect_bad_hex("0000000009"
		       "000000000000000001" RECORD_A_PCR RECORD_A_REST,
		       "byte 0: recnum is an integer of 9 bytes (1..8)", "a 9-byte recnum");
	expect_bad_hex("0000000000" RECORD_A_PCR RECORD_A_REST,
		       "byte 0: recnum is an integer of 0 bytes", "an empty recnum");
	expect_bad_hex(RECORD_A_RECNUM "0100000005"
				       "000000000c" RECORD_A_REST,
		       "byte 6: pcr is an integer of 5 bytes (1..4)", "a 5-byte pcr");
	expect_bad_hex("000000000100010000000100030000004a"
		       "0b00000020"
		       "0101010101010101010101010101010101010101010101010101010101010101"
		       "0b00000020"
		       "0202020202020202020202020202020202020202020202020202020202020202"
		       "050000000c000000000106010000000178",
		       "byte 54: second digest of algorithm 0x0b", "two digests of one algorithm");
	expect_bad_hex("00000000010001000000010003000000250b00000020"
		       "0101010101010101010101010101010101010101010101010101010101010101"
		       "050000000d00000000010601000000017800",
		       "byte 71: 1 bytes after event_data",
		       "a byte after pcclient_std's event_data");
	expect_bad_hex("0000000001000100000001000300000000050000000c000000000106010000000178",
		       "record 1 at byte 0: no digests", "a pcclient_std record without digests");
	n = unhex(buf, sizeof(buf), RECORD_A RECORD_A);
	expect_bad_data(n, 1, -E2BIG, "more than 1 records", "a second record past a limit of 1");
	n = unhex(buf, sizeof(buf), RECORD_A RECORD_A);
	expect_bad_data(n, 0, -EBADMSG, "record 2 at byte 155: recnum 0 where pcr 12 expects 1",
			"a second record 0 of pcr 12");
	n = unhex(buf, sizeof(buf), RECORD_A RECORD_B);
	expect_bad_data(n, 0, -EBADMSG,
			"record 2 at byte 155: recnum 1234 where nv_index 29425664 expects 0",
			"an nv_index whose numbering starts at 1234");
	n = unhex(buf, sizeof(buf),
		  RECORD_A "0000000001"
			   "01" RECORD_A_PCR RECORD_A_REST);
	expect_bad_data(n - 1, 0, -EBADMSG, "record 2 at byte 155: byte 263: content length 43",
			"a cut second record (named by number and offset)");
}

int main(void)
{
	test_write();
	test_libcel_pcclient();
	test_round_trip();
	test_numbering();
	test_other_producers();
	test_malformed();
	return tap_done();
}
