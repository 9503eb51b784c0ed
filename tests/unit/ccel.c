/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "evlog/ccel.h"
#include "evlog/tcg2.h"
#include "evlog-samples.h"
#include "tap.h"

/*
 * mrboot's two records as Python builds them (evlog-samples.h for how): CC 3, EV_EVENT_TAG,
 * SHA-384 of the AAEL body; 104 bytes each.
 */
#define MRBOOT_RECORD_ROOTFS                                                               \
	"03000000"                                                                         \
	"06000000"                                                                         \
	"01000000"                                                                         \
	"0c00"                                                                             \
	"384768f50fe29c030d203c6ff035301992891bed2f83c3867668d867498b3b12d4cf803a9c64d351" \
	"29039aafa9203588"                                                                 \
	"26000000"                                                                         \
	"4c4541411e000000" /* mrboot rootfs {"verity":"abc"} */                            \
	"6d72626f6f7420726f6f746673207b22766572697479223a22616263227d"
#define MRBOOT_RECORD_SEPARATOR                                                            \
	"03000000"                                                                         \
	"06000000"                                                                         \
	"01000000"                                                                         \
	"0c00"                                                                             \
	"bc197ca32e67a36859bdd02853834d5a6ee4b903f36e9901fd86c312a22033badebbf0b3c65b6e1f" \
	"c939e387e27dd8fd"                                                                 \
	"26000000"                                                                         \
	"4c4541411e000000" /* mrboot separator {"done":true} */                            \
	"6d72626f6f7420736570617261746f72207b22646f6e65223a747275657d"
/* RTMR2 after both: sha384(sha384(CCEL_RTMR2 || d_rootfs) || d_separator) */
#define STREAM_RTMR2                                                                       \
	"29eea06cfbd25321edd97f2568d6e3a99db14a4f6eefeff22d7ce7395a1f05d806e3a0b3e3a5a165" \
	"b81c0b7a61e9e9c7"

static uint8_t firmware[1024], records[1024], out[2048], want[2048];
static size_t firmware_size;

static size_t unhex(uint8_t *p, size_t cap, const char *hex)
{
	size_t n;

	if (hex_decode(p, cap, hex, strlen(hex), &n, NULL) < 0)
		abort();
	return n;
}

/* mrboot's records, written by mrboot's writer. */
static size_t write_records(void)
{
	size_t a = 0, b = 0;
	struct error e = { 0 };

	if (tcg2_aael_event_write(records, sizeof(records), 3, HASH_SHA384, "mrboot", "rootfs",
				  "{\"verity\":\"abc\"}", &a, &e) < 0 ||
	    tcg2_aael_event_write(records + a, sizeof(records) - a, 3, HASH_SHA384, "mrboot",
				  "separator", "{\"done\":true}", &b, &e) < 0)
		abort();
	return a + b;
}

static void test_firmware_end(void)
{
	struct error e = { 0 };
	size_t end = 0, n;
	int r;

	r = ccel_firmware_end(firmware, firmware_size, &end, &e);
	tap_ok(r == 0 && end == CCEL_LOG_SIZE,
	       "firmware CCEL is cut at its 0xFF padding (byte 379)");
	n = unhex(out, sizeof(out), CCEL_LOG "00000000000000000000");
	r = ccel_firmware_end(out, n, &end, &e);
	tap_ok(r == 0 && end == CCEL_LOG_SIZE, "and at 0x00 padding");
	out[73] = 0;
	r = ccel_firmware_end(out, n, &end, &e);
	tap_ok(r == -EBADMSG && strncmp(e.msg, "firmware CCEL: record 1 at byte 65", 34) == 0,
	       "a malformed firmware CCEL is refused, named as such (%s)", e.msg);
}

static void test_build(void)
{
	size_t rn = write_records(), len = 0, n;
	struct tcg2_register regs[] = { { .index = 1, .alg = HASH_SHA384 },
					{ .index = 3, .alg = HASH_SHA384 } };
	struct tcg2_reader rd;
	struct tcg2_record rec;
	uint8_t rtmr0[48], rtmr2[48];
	struct error e = { 0 };
	unsigned count = 0;
	int r;

	n = unhex(want, sizeof(want),
		  CCEL_LOG MRBOOT_RECORD_ROOTFS MRBOOT_RECORD_SEPARATOR "ffffffffffffffff");
	tap_ok(rn == 208 && memcmp(records, want + CCEL_LOG_SIZE, rn) == 0,
	       "mrboot's records are the ones Python built");
	r = ccel_stream_build(out, sizeof(out), firmware, firmware_size, records, rn, &len, &e);
	tap_is_int(r, 0, "stream builds (%s)", r ? e.msg : "");
	tap_ok(len == n && memcmp(out, want, n) == 0,
	       "stream = firmware log up to its end + mrboot's records + 8 x 0xFF (595 bytes)");

	r = tcg2_reader_init(&rd, out, len, 0, &e);
	while (r >= 0 && (r = tcg2_reader_next(&rd, &rec, &e)) > 0)
		count++;
	tap_ok(r == 0 && count == 5, "stream parses back to 5 records");
	tap_ok(rd.end == len - CCEL_TERMINATOR_SIZE && rd.end_reason == TCG2_END_ONES,
	       "it ends at the 8 bytes of 0xFF, with nothing after them (no 1..7 trailing bytes)");

	unhex(rtmr0, sizeof(rtmr0), CCEL_RTMR0);
	unhex(rtmr2, sizeof(rtmr2), STREAM_RTMR2);
	r = tcg2_replay(out, len, regs, 2, &e);
	tap_ok(r == 0 && memcmp(regs[0].value, rtmr0, 48) == 0 && regs[0].extends == 1,
	       "replay: RTMR0 is the firmware's");
	tap_ok(r == 0 && memcmp(regs[1].value, rtmr2, 48) == 0 && regs[1].extends == 4,
	       "replay: RTMR2 has the firmware's two events and mrboot's two, as hashlib has it");
	tap_is_int(ccel_check_trustee(out, len, &e), 0, "the stream passes the Trustee rules");

	r = ccel_stream_build(out, n - 1, firmware, firmware_size, records, rn, &len, &e);
	tap_ok(r == -ENOBUFS && len == n,
	       "a buffer one byte short is -ENOBUFS with the size needed");
	r = ccel_stream_build(out, sizeof(out), firmware, firmware_size, NULL, 0, &len, &e);
	tap_ok(r == 0 && len == CCEL_LOG_SIZE + 8 && memcmp(out, want, CCEL_LOG_SIZE) == 0,
	       "without records the stream is the firmware log and the terminator");
}

/* Builds with the sample firmware changed at one byte (at < 0: unchanged) and these records. */
static void expect_refused(long at, uint8_t value, const uint8_t *recs, size_t rn, const char *word,
			   const char *what)
{
	uint8_t fw[1024];
	struct error e = { 0 };
	size_t len;
	int r;

	memcpy(fw, firmware, firmware_size);
	if (at >= 0)
		fw[at] = value;
	r = ccel_stream_build(out, sizeof(out), fw, firmware_size, recs, rn, &len, &e);
	tap_ok(r == -EBADMSG && strstr(e.msg, word), "%s is refused (%s)", what, e.msg);
}

static void test_trustee_rules(void)
{
	/* Spec ID event with SHA-1 and SHA-384, then an EV_ACTION with only a SHA-1 digest. */
	static const char sha1_log[] =
		SPEC_ID_HEADER_37 SPEC_ID_FIXED "02000000"
						"04001400"
						"0c003000"
						"00"
						"01000000" /* PCR 1 */
						"05000000" /* EV_ACTION */
						"01000000"
						"0400"
						"0101010101010101010101010101010101010101"
						"00000000";
	struct mr_digests d256 = { .count = 1, .bank = { { .alg = HASH_SHA256 } } };
	struct mr_digests d384 = { .count = 1, .bank = { { .alg = HASH_SHA384 } } };
	size_t rn = write_records(), n;
	struct error e = { 0 };
	int r;

	n = unhex(out, sizeof(out), sha1_log);
	r = ccel_check_trustee(out, n, &e);
	tap_ok(r == -EBADMSG && strstr(e.msg, "record 1 at byte 69: digest 0 of algorithm 0x0004"),
	       "a SHA-1 digest is refused (%s)", e.msg);
	out[60] = 0x12; /* the table's SHA-1 row becomes SM3-256 of 32 bytes */
	out[62] = 32;
	r = ccel_check_trustee(out, n, &e);
	tap_ok(r == -EBADMSG && strstr(e.msg, "algorithm 0x0012 is unknown to Trustee"),
	       "a Spec ID table with SM3 is refused (%s)", e.msg);

	expect_refused(69, 0x13, records, rn, "record 1 at byte 65: event type 0x00000013",
		       "an event type Trustee does not know");
	expect_refused(65 + 66 + 8, 0xff, records, rn,
		       "record 1 at byte 65: tagged event is not UTF-8 at byte 0",
		       "a tagged event that is not UTF-8");
	expect_refused(194 + 66 + 8 + 13, '_', records, rn,
		       "record 2 at byte 194: AAEL text has fewer than two spaces",
		       "AAEL text with one space");
	expect_refused(194 + 66 + 4, 0xff, records, rn,
		       "record 2 at byte 194: tagged event size 255 runs past its 49 bytes",
		       "a tagged event longer than its record's data");
	expect_refused(309 + 4, 3, records, rn,
		       "record 3 at byte 309: EV_NO_ACTION at index 3, which Trustee would extend",
		       "EV_NO_ACTION at an RTMR index");

	/* mrboot's side: records that are wrong for this firmware or for Trustee. */
	r = tcg2_event2_write(records, sizeof(records), 3, 6, &d256, "LEAA\0\0\0\0", 8, &n, &e);
	expect_refused(-1, 0, records, n,
		       "record 4 at byte 379: byte 391: digest 0 has algorithm 0x000b, which the "
		       "Spec ID event does not list",
		       "a SHA-256 record after a SHA-384 firmware log");
	r |= tcg2_event2_write(records, sizeof(records), 3, 6, &d384, "abc", 3, &n, &e);
	expect_refused(-1, 0, records, n, "record 4 at byte 379: EV_EVENT_TAG data of 3 bytes",
		       "an EV_EVENT_TAG without a tagged event header");
	tap_is_int(r, 0, "(the records of the two cases above were written)");
	write_records();
	memcpy(records + 104, "abc", 3);
	expect_refused(-1, 0, records, 107, "record 5 at byte 483", "3 stray bytes after a record");
	rn = write_records();
	memmove(records + 8, records, rn);
	memset(records, 0, 8);
	expect_refused(-1, 0, records, rn + 8,
		       "the log ends at byte 379, before the terminator at byte 595",
		       "a record that reads as a terminator");
}

int main(void)
{
	firmware_size = unhex(firmware, sizeof(firmware), CCEL_TABLE);
	test_firmware_end();
	test_build();
	test_trustee_rules();
	return tap_done();
}
