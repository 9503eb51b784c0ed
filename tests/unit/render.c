/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "evlog/render.h"
#include "evlog-samples.h"
#include "tap.h"

/*
 * The records below were built with Python's struct and hashlib from the specifications
 * (evlog-samples.h says how), not with mrboot's writers.
 */

/* sha384 of the AAEL body of "mrboot separator {"done":true}" */
#define DIGEST_SEPARATOR                                                                   \
	"bc197ca32e67a36859bdd02853834d5a6ee4b903f36e9901fd86c312a22033badebbf0b3c65b6e1f" \
	"c939e387e27dd8fd"
/* TCG_PCR_EVENT2: CC 4 (RTMR3), EV_EVENT_TAG, one SHA-384 digest, the AAEL body. */
#define TCG2_SEPARATOR                     \
	"04000000"                         \
	"06000000"                         \
	"01000000"                         \
	"0c00" DIGEST_SEPARATOR "26000000" \
	"4c4541411e000000"                 \
	"6d72626f6f7420736570617261746f72207b22646f6e65223a747275657d"
/* CEL-TLV: recnum 0, pcr 4, digests { sha384 }, pcclient_std { EV_EVENT_TAG, body }. */
#define CEL_SEPARATOR                              \
	"000000000100"                             \
	"010000000104"                             \
	"0300000035"                               \
	"0c00000030" DIGEST_SEPARATOR "0500000031" \
	"000000000106"                             \
	"0100000026"                               \
	"4c4541411e000000"                         \
	"6d72626f6f7420736570617261746f72207b22646f6e65223a747275657d"
/* sha256 and sha1 of "hello world": a TPM event given as a string measures it alone. */
#define SHA256_HELLO "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
#define SHA1_HELLO "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"
/* PCR 9, EV_EVENT_TAG, sha256 and sha1 of the string, the AAEL body of all three parts. */
#define TCG2_HELLO                                       \
	"09000000"                                       \
	"06000000"                                       \
	"02000000"                                       \
	"0b00" SHA256_HELLO "0400" SHA1_HELLO "21000000" \
	"4c45414119000000"                               \
	"6d72626f6f7420657874656e642068656c6c6f20776f726c64"

static uint8_t want[4096];

static size_t unhex(uint8_t *p, size_t cap, const char *hex)
{
	size_t n;

	if (hex_decode(p, cap, hex, strlen(hex), &n, NULL) < 0)
		abort();
	return n;
}

static void digests_set(struct mr_digests *d, enum hash_alg alg, const char *hex)
{
	struct mr_bank_digest *b = &d->bank[d->count++];

	b->alg = alg;
	unhex(b->digest, sizeof(b->digest), hex);
}

/* RTMR3 (CC 4), from logical PCR 17. */
static void record_separator(struct record *r, uint64_t seq, enum record_state state)
{
	*r = (struct record){ .seq = seq, .state = state, .family = MR_FAMILY_TDX, .index = 3 };
	if (record_event_set(&r->event, 17, "mrboot", "separator", "{\"done\":true}", false,
			     "phase", NULL) < 0)
		abort();
	digests_set(&r->digests, HASH_SHA384, DIGEST_SEPARATOR);
	r->before = r->after =
		(struct mr_digests){ .count = 1, .bank = { { .alg = HASH_SHA384 } } };
}

static void record_hello(struct record *r, uint64_t seq)
{
	*r = (struct record){
		.seq = seq, .state = RECORD_COMMITTED, .family = MR_FAMILY_TPM, .index = 9
	};
	if (record_event_set(&r->event, 9, "mrboot", "extend", "hello world", true, "phase", NULL) <
	    0)
		abort();
	digests_set(&r->digests, HASH_SHA256, SHA256_HELLO);
	digests_set(&r->digests, HASH_SHA1, SHA1_HELLO);
	r->before = r->after = r->digests;
}

static void records_free(struct record *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		record_free(&r[i]);
}

static void test_formats(void)
{
	enum render_format f = RENDER_JSON;

	tap_ok(render_format_from_name("cel-tlv", &f) == 0 && f == RENDER_CEL_TLV,
	       "format names: cel-tlv");
	tap_ok(render_format_from_name("CEL", &f) == -EINVAL, "format names: no other spelling");
	tap_ok(render_format_is_binary(RENDER_CCEL) && !render_format_is_binary(RENDER_TEXT),
	       "ccel is binary, text is not");
}

static void test_aael_committed_only(void)
{
	struct render_buf out = { 0 };
	struct record r[3];
	struct error e = { 0 };
	size_t n = unhex(want, sizeof(want), TCG2_SEPARATOR);
	int k;

	record_separator(&r[0], 1, RECORD_PENDING);
	record_separator(&r[1], 2, RECORD_COMMITTED);
	record_separator(&r[2], 3, RECORD_ABORTED);
	k = render_aael(&out, r, 3, &e);
	tap_ok(k == 0 && out.len == n && memcmp(out.data, want, n) == 0,
	       "aael: a TDX record is a TCG_PCR_EVENT2 at its CC index; pending and aborted "
	       "records are left out");
	render_buf_free(&out);
	records_free(r, 3);
}

static void test_aael_tpm(void)
{
	struct render_buf out = { 0 };
	struct record r;
	struct error e = { 0 };
	size_t n = unhex(want, sizeof(want), TCG2_HELLO);
	int k;

	record_hello(&r, 1);
	k = render_aael(&out, &r, 1, &e);
	tap_ok(k == 0 && out.len == n && memcmp(out.data, want, n) == 0,
	       "aael: a TPM record is at its PCR with every bank's digest of what was measured");
	render_buf_free(&out);
	record_free(&r);
}

static void test_cel(void)
{
	struct render_buf out = { 0 };
	struct record r[2];
	struct error e = { 0 };
	size_t n = unhex(want, sizeof(want), CEL_SEPARATOR);
	int k;

	record_separator(&r[0], 1, RECORD_COMMITTED);
	record_separator(&r[1], 2, RECORD_COMMITTED);
	k = render_cel_tlv(&out, r, 2, &e);
	tap_ok(k == 0 && out.len == 2 * n && memcmp(out.data, want, n) == 0,
	       "cel-tlv: a TDX record in the pcr handle as its CC index, pcclient_std, AAEL");
	/* CEL 4.2.2: the second record of the same PCR is its number 1. */
	want[5] = 1;
	tap_ok(k == 0 && out.len == 2 * n && memcmp(out.data + n, want, n) == 0,
	       "cel-tlv: recnum counts the records of each handle");
	render_buf_free(&out);
	records_free(r, 2);
}

static void test_ccel(void)
{
	uint8_t firmware[1024];
	size_t fw = unhex(firmware, sizeof(firmware), CCEL_TABLE);
	size_t n = unhex(want, sizeof(want), CCEL_LOG TCG2_SEPARATOR "ffffffffffffffff");
	struct render_buf out = { 0 };
	struct record r[2];
	struct error e = { 0 };
	int k;

	record_separator(&r[0], 1, RECORD_COMMITTED);
	record_separator(&r[1], 2, RECORD_PENDING);
	k = render_ccel(&out, firmware, fw, r, 2, &e);
	tap_ok(k == 0 && out.len == n && memcmp(out.data, want, n) == 0,
	       "ccel: the firmware log without its padding, the committed records, 8 x 0xFF");
	render_buf_free(&out);
	records_free(r, 2);

	record_hello(&r[0], 1);
	k = render_ccel(&out, firmware, fw, r, 1, &e);
	tap_ok(k == -EINVAL && strstr(e.msg, "record 1 is of TPM PCR 9") && out.len == 0,
	       "ccel: a TPM record is refused (%s)", e.msg);
	render_buf_free(&out);
	record_free(&r[0]);
}

static void test_refusals(void)
{
	struct render_buf out = { 0 };
	struct record r[2];
	struct error e = { 0 };
	int k;

	record_separator(&r[0], 1, RECORD_COMMITTED);
	record_separator(&r[1], 2, RECORD_COMMITTED);
	r[1].digests.bank[0].digest[47] ^= 1;
	k = render_aael(&out, r, 2, &e);
	tap_ok(k == -EINVAL && out.len == 0 &&
		       strcmp(e.msg,
			      "record 2: its sha384 digest is not the hash of its event; the "
			      "log is damaged or was edited") == 0,
	       "a digest that is not its event's is refused, and nothing is rendered (%s)", e.msg);
	k = render_cel_tlv(&out, r, 2, &e);
	tap_ok(k == -EINVAL && out.len == 0, "cel-tlv refuses it too");
	records_free(r, 2);

	record_separator(&r[0], 1, RECORD_COMMITTED);
	record_hello(&r[1], 2);
	k = render_aael(&out, r, 2, &e);
	tap_ok(k == -EINVAL &&
		       strstr(e.msg, "record 1 is of a tdx register, record 2 of a tpm one"),
	       "a log of two register families is refused (%s)", e.msg);
	r[1].state = RECORD_ABORTED;
	k = render_aael(&out, r, 2, &e);
	tap_ok(k == 0, "unless the other family's record never measured anything");
	records_free(r, 2);
	render_buf_free(&out);
}

/* The output as a C string, for the text forms. */
static char *text_of(const struct render_buf *out)
{
	char *s = strndup(out->data ? (const char *)out->data : "", out->len);

	if (!s)
		abort();
	return s;
}

static void test_json(void)
{
	struct render_buf out = { 0 };
	struct record r;
	struct error e = { 0 };
	char reason[200] = "";
	const char *p;
	char *doc;
	int k;

	record_separator(&r, 7, RECORD_ABORTED);
	/* 80 two-byte characters: the 160-byte field keeps 79 and the first byte of one more. */
	for (int i = 0; i < 80; i++)
		strcat(reason, "\xc3\xa9");
	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	k = render_json(&out, &r, 1, &e);
	tap_ok(k == 0, "json: renders (%s)", e.msg);
	doc = text_of(&out);
	tap_ok(strncmp(doc, "{\"records\":[{\"seq\":7,\"state\":\"aborted\",\"pcr\":17,", 48) == 0,
	       "json: the record's fields with its final state");
	p = strstr(doc, ",\"reason\":\"");
	tap_ok(p && strlen(p) == 11 + 158 + 5 && strcmp(p + 11 + 158, "\"}]}\n") == 0 &&
		       memcmp(p + 11, reason, 158) == 0,
	       "json: the reason last, cut before a character its field could not hold");
	free(doc);
	render_buf_free(&out);
	record_free(&r);
}

static void test_text(void)
{
	struct render_buf out = { 0 };
	struct record r[2];
	struct error e = { 0 };
	char *text;
	int k;

	record_hello(&r[0], 1);
	record_separator(&r[1], 2, RECORD_PENDING);
	/* An edited journal can hold what record_event_set() would refuse. */
	free(r[1].event.content);
	r[1].event.content = strdup("{\"x\":\"\x1b[2J\"}");
	k = render_text(&out, "/run/log/mrboot/events.jsonseq", r, 2, &e);
	text = text_of(&out);
	tap_is_str(
		k == 0 ? text : e.msg,
		"# /run/log/mrboot/events.jsonseq: 2 records, 1 committed, 1 pending, 0 aborted\n"
		"1  committed  pcr9  mrboot extend hello world\n"
		"    sha256  " SHA256_HELLO "\n"
		"    sha1    " SHA1_HELLO "\n"
		"2  pending    rtmr3 (pcr 17)  mrboot separator {\"x\":\"\\x1b[2J\"}\n"
		"    sha384  " DIGEST_SEPARATOR "\n",
		"text: a header naming the log, a line per record, its digests, controls escaped");
	free(text);
	render_buf_free(&out);
	records_free(r, 2);
}

int main(void)
{
	test_formats();
	test_aael_committed_only();
	test_aael_tpm();
	test_cel();
	test_ccel();
	test_refusals();
	test_json();
	test_text();
	return tap_done();
}
