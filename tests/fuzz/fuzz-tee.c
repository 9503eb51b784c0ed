/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The TDX and Arm CCA evidence writers on any bytes as the provider's outblob. The first
 * input byte picks the TEE (bit 0), the rest is the report:
 *  - tdx: the rest is also the firmware CCEL, to which render_ccel() adds one committed
 *    mrboot record (the separator of tests/unit/tee.c); an accepted stream is the firmware
 *    log up to its end, that record's TCG2 bytes as the TCG PC Client format lays them out
 *    (written out here), and 8 bytes of 0xFF. The evidence's cc_eventlog and quote decode
 *    back to the stream and the report;
 *  - cca: the token comes back from its JSON array of numbers byte for byte.
 * An empty report is refused as -ENODATA, never sent.
 */
#include <errno.h>
#include <string.h>

#include "attest/evidence-tee.h"
#include "basic/encoding.h"
#include "basic/error.h"
#include "evlog/ccel.h"
#include "evlog/record.h"
#include "evlog/render.h"
#include "fuzz.h"
#include "json/json.h"

/* SHA-384 of the AAEL body "mrboot separator {"done":true}" (tests/unit/render.c). */
#define DIGEST_SEPARATOR                                                                   \
	"bc197ca32e67a36859bdd02853834d5a6ee4b903f36e9901fd86c312a22033badebbf0b3c65b6e1f" \
	"c939e387e27dd8fd"
/* TCG_PCR_EVENT2: CC index 4, EV_EVENT_TAG, one SHA-384 digest, the AAEL tagged event. */
#define TCG2_SEPARATOR                     \
	"04000000"                         \
	"06000000"                         \
	"01000000"                         \
	"0c00" DIGEST_SEPARATOR "26000000" \
	"4c4541411e000000"                 \
	"6d72626f6f7420736570617261746f72207b22646f6e65223a747275657d"

static struct record separator;
static uint8_t separator_tcg2[128];
static size_t separator_tcg2_len;

/* RTMR3 (CC 4) from logical PCR 17, committed, as tests/unit/tee.c makes it. */
static void separator_init(void)
{
	struct error e = { 0 };
	size_t n;

	separator = (struct record){
		.seq = 1, .state = RECORD_COMMITTED, .family = MR_FAMILY_TDX, .index = 3
	};
	fuzz_check(record_event_set(&separator.event, 17, "mrboot", "separator", "{\"done\":true}",
				    false, "phase", &e) == 0,
		   "the separator event");
	separator.digests.count = 1;
	separator.digests.bank[0].alg = HASH_SHA384;
	fuzz_check(hex_decode(separator.digests.bank[0].digest,
			      sizeof(separator.digests.bank[0].digest), DIGEST_SEPARATOR,
			      strlen(DIGEST_SEPARATOR), &n, &e) == 0,
		   "the separator's digest");
	separator.before = separator.after =
		(struct mr_digests){ .count = 1, .bank = { { .alg = HASH_SHA384 } } };
	fuzz_check(hex_decode(separator_tcg2, sizeof(separator_tcg2), TCG2_SEPARATOR,
			      strlen(TCG2_SEPARATOR), &separator_tcg2_len, &e) == 0,
		   "the separator's TCG2 record");
}

/* The standard base64 string member name of obj, decoded: must equal want. */
static void check_base64(const struct json_value *obj, const char *name, const uint8_t *want,
			 size_t want_len)
{
	const char *text;
	size_t len, n;
	uint8_t *bytes;

	fuzz_check(json_object_get_string(obj, name, &text, &len, NULL) == 0,
		   "a base64 string member");
	bytes = malloc(base64_decoded_max(len) + 1);
	fuzz_check(bytes, "malloc");
	fuzz_check(base64_decode(bytes, base64_decoded_max(len) + 1, text, len, BASE64_STD, &n,
				 NULL) == 0,
		   "standard base64 with padding");
	fuzz_check(n == want_len && memcmp(bytes, want, n) == 0, "decodes to the bytes sent");
	free(bytes);
}

static const struct json_value *parse(struct json_arena *a, struct json_writer *w)
{
	const struct json_value *doc;

	fuzz_check(json_writer_finish(w, NULL) == 0, "accepted evidence is one JSON value");
	json_arena_init(a, 64 * w->len + 4096);
	fuzz_check(json_parse(a, w->buf, w->len, &doc, NULL) == 0 && doc->type == JSON_OBJECT,
		   "the evidence is a JSON object");
	return doc;
}

static void fuzz_tdx(const uint8_t *data, size_t size)
{
	struct render_buf log = { 0 };
	struct json_writer w;
	struct json_arena a;
	struct error e = { 0 };
	size_t end = 0;
	int r;

	r = render_ccel(&log, data, size, &separator, 1, &e);
	if (r < 0) {
		fuzz_check(e.msg[0] && log.len == 0, "a refused stream says why and has no bytes");
	} else {
		fuzz_check(ccel_firmware_end(data, size, &end, NULL) == 0,
			   "an accepted firmware log has an end");
		fuzz_check(log.len == end + separator_tcg2_len + CCEL_TERMINATOR_SIZE &&
				   memcmp(log.data, data, end) == 0 &&
				   memcmp(log.data + end, separator_tcg2, separator_tcg2_len) == 0,
			   "the firmware's log, then mrboot's record");
		for (size_t i = log.len - CCEL_TERMINATOR_SIZE; i < log.len; i++)
			fuzz_check(log.data[i] == 0xff, "8 bytes of 0xFF at the end");
	}

	json_writer_init(&w, 1u << 22);
	r = evidence_tdx_format(&w, data, size, log.data, log.len, &e);
	if (size == 0) {
		fuzz_check(r == -ENODATA && w.len == 0, "an empty quote is refused");
	} else {
		const struct json_value *doc = parse(&a, &w);

		fuzz_check(r == 0 && doc->u.container.count == 2, "{cc_eventlog, quote}");
		check_base64(doc, "cc_eventlog", log.data, log.len);
		check_base64(doc, "quote", data, size);
		json_arena_free(&a);
	}
	json_writer_free(&w);
	render_buf_free(&log);
}

static void fuzz_cca(const uint8_t *data, size_t size)
{
	const struct json_value *doc, *token, *item;
	struct json_writer w;
	struct json_arena a;
	struct error e = { 0 };
	size_t i = 0;
	int r;

	json_writer_init(&w, 1u << 22);
	r = evidence_cca_format(&w, data, size, &e);
	if (size == 0) {
		fuzz_check(r == -ENODATA && w.len == 0, "an empty token is refused");
		json_writer_free(&w);
		return;
	}
	doc = parse(&a, &w);
	token = json_object_get(doc, "token");
	fuzz_check(r == 0 && doc->u.container.count == 1 && token && token->type == JSON_ARRAY &&
			   token->u.container.count == size,
		   "{token: [one number a byte]}");
	json_foreach(item, token)
	{
		uint64_t b;

		fuzz_check(json_get_uint64(item, &b, NULL) == 0 && b == data[i],
			   "each number is the token's byte");
		i++;
	}
	json_arena_free(&a);
	json_writer_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!separator_tcg2_len)
		separator_init();
	if (size < 1)
		return 0;
	if (data[0] & 1)
		fuzz_cca(data + 1, size - 1);
	else
		fuzz_tdx(data + 1, size - 1);
	return 0;
}
