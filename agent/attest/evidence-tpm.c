/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * TPM evidence in the shape Trustee's TPM verifiers read. Two lineages exist, and one object
 * carries what each needs (serde ignores members a struct does not name, in both):
 *
 * confidential-containers/trustee at 78962cd4 (2026-08-21), deps/verifier/src/tpm/mod.rs (with
 * its README.md, and the reference attester guest-components
 * attestation-agent/attester/src/tpm/{mod,utils}.rs):
 *  - Evidence { ak_public: String, tpm_quote: { signature, message: String, pcrs: Vec<String> } }.
 *  - ak_public is base64 (standard) of a DER SubjectPublicKeyInfo. The verifier checks the
 *    quote with it; whether it is trusted is the attestation policy's, comparing the string with
 *    reference values (`input.tpm.ak_public in query_reference_value("trusted_aks")`, Trustee
 *    2f87a432; before it, a directory of PEM keys). So the same key must always give the same
 *    bytes: OpenSSL's canonical encoding (rsaEncryption with NULL parameters, minimal
 *    INTEGERs), which is also what `openssl pkey -pubin -outform DER` registers.
 *  - signature is base64 of a marshalled TPMT_SIGNATURE; it must unmarshal as RSASSA (any
 *    other scheme is refused), and its bare signature is checked with OpenSSL's SHA-256
 *    verifier (PKCS #1 v1.5 for an RSA key) over message, the marshalled TPMS_ATTEST
 *    (az-cvm-vtpm's Quote::verify_signature).
 *  - pcrs are the SHA-256 PCR values, exactly 64 hex digits each; the SHA-256 of their
 *    concatenation in list order must be TPMS_QUOTE_INFO.pcrDigest (Quote::verify_pcrs), and
 *    the list is indexed by PCR number (pcrs[8] is the init-data PCR, the claims are
 *    pcr00..pcr23): PCRs 0..23 of the SHA-256 bank, in order, as the attester quotes them.
 *  - extraData must equal the expected report data (the runtime-data hash, SHA-384 of the
 *    JCS runtime data) resized to TPM_REPORT_DATA_SIZE = 32 bytes, compared with ==: the
 *    first 32 bytes of the hash, so a 64-byte extraData is refused. (Trustee 7c390d7a,
 *    2025-10-30, changed 64 to 32; the verifier came in 45e7c3a2 and both first shipped in
 *    v0.16.0, so no release ever wanted 64.) With an init-data hash, PCR 8 must be
 *    SHA-256(32 zero bytes || that hash).
 *  - Claims: init_data (PCR 8), report_data (extraData), ak_public, pcr00..pcr23.
 *  - No event log is read.
 *
 * openanolis/trustee at 531bcb0b (2026-08-20), deps/verifier/src/tpm/mod.rs (Alibaba's fork;
 * its attester is attestation-agent/attester/src/tpm in openanolis/guest-components):
 *  - TpmEvidence { ek_pubkey (optional), ek_cert: Option<String> (PEM certificate),
 *    ak_pubkey: String (PEM public key), keylime_agent_uuid (optional),
 *    quote: HashMap<String, TpmQuote>, eventlog, aa_eventlog: Option<String> } with
 *    TpmQuote { attest_body, attest_sig: base64, pcrs: Vec<String> hex }, keyed "SHA256" or
 *    "SHA1".
 *  - Every quote's attest_sig (the bare signature) is checked with OpenSSL's SHA-256 verifier
 *    and ak_pubkey over attest_body; the SHA-256 of its pcrs concatenated must be pcrDigest;
 *    extraData and the expected report data are compared on their first 32 bytes
 *    (TPM_REPORT_DATA_SIZE = 32; bytes after them are ignored). The AK is trusted only through
 *    a Keylime registrar, when keylime_agent_uuid is given.
 *  - eventlog (the firmware's TCG log) and then aa_eventlog (a TCG2 log: a Spec ID event, then
 *    TCG_PCR_EVENT2 records, 8 bytes of 0xFF; the Confidential Containers attestation agent
 *    writes its AAEL events there at the PCR they extended) are replayed from zero, SHA-1 and
 *    SHA-256 digests into their banks, aa_eventlog's SHA-256 only; each replayed PCR must equal
 *    pcrs[index] of the quote of its bank, and a bank replayed without a quote is refused.
 *
 * So: PCRs 0..23 of the SHA-256 bank, quoted with qualifyingData = the first 32 bytes of the
 * hash (what both lineages compare; 32 bytes fit the TPM2B_DATA of every TPM with SHA-256,
 * where 64 needed SHA-512 and gave TPM_RC_SIZE elsewhere), by an RSA-2048 RSASSA-SHA-256 key;
 * a SHA-1 quote too when the firmware log goes along and the TPM keeps a SHA-1 bank, since
 * such a log carries SHA-1 digests. mrboot's records carry only their SHA-256 digest in
 * aa_eventlog: it is the bank both verifiers read, and a SHA-1 digest makes some Trustee log
 * parsers refuse a whole log (evlog/ccel.h).
 *
 * Every record of systemd's tpm2-measure.log goes into aa_eventlog, in that log's order (the
 * order of the extends): mrboot's as AAEL tagged events, the others (systemd-pcrphase's PCR 11,
 * systemd 262's os-separator in PCRs 0-7, 9, 12-14, ...) as EV_IPL with their string. A quote
 * of PCRs 0..23 taken after them is explained only with them; without systemd's log, mrboot's
 * own records stand alone as before.
 */
#include "attest/evidence-tpm.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attest/evidence-tee.h"
#include "basic/encoding.h"
#include "basic/error.h"
#include "evlog/aael.h"
#include "evlog/ccel.h"
#include "evlog/eventlog.h"
#include "evlog/firmware.h"
#include "evlog/tcg2.h"
#include "crypto/hash.h"
#include "json/json.h"
#include "basic/macro.h"
#include "basic/path.h"
#include "mr/registers.h"
#include "mr/tpm2.h"

#define EVIDENCE_TPM_PCRS 0x00ffffffu /* PCRs 0..23 */
/* Another extend between reading the PCRs and quoting them makes the two disagree. */
#define EVIDENCE_TPM_QUOTE_ATTEMPTS 3
/* qualifyingData: Trustee's TPM_REPORT_DATA_SIZE (see the top of the file). */
#define EVIDENCE_TPM_QUALIFYING_SIZE 32
_Static_assert(EVIDENCE_TPM_QUALIFYING_SIZE <= TEE_REPORT_DATA_SIZE, "a prefix of the report data");
/* SubjectPublicKeyInfo of an RSA-2048 key with a small exponent: 294 bytes. */
#define EVIDENCE_TPM_SPKI_MAX 300

/* One bank's quote and the PCR values it covers. */
struct bank_quote {
	uint16_t alg_id;
	const char *key; /* the bank as openanolis' "quote" map names it */
	size_t pcr_size;
	uint8_t pcrs[TPM2_PCR_COUNT][TPM2_DIGEST_MAX];
	struct tpm2_quote quote;
};

static int read_pcrs(struct tpm2 *t, struct bank_quote *q, struct error *e)
{
	size_t n;

	q->pcr_size = tpm2_alg_digest_size(q->alg_id);
	for (unsigned pcr = 0; pcr < TPM2_PCR_COUNT; pcr++) {
		int k = tpm2_pcr_read(t, pcr, q->alg_id, q->pcrs[pcr], sizeof(q->pcrs[pcr]), &n, e);

		if (k < 0)
			return k;
		if (n != q->pcr_size)
			return error_set(e, -EBADMSG, "%s PCR %u has %zu bytes, not %zu", q->key,
					 pcr, n, q->pcr_size);
	}
	return 0;
}

/*
 * Reads the PCRs, quotes them and checks that the quote is of those values, so that the
 * evidence never lists values other than the quoted ones.
 */
static int quote_bank(struct tpm2 *t, const struct tpm2_ak *ak, const uint8_t *qualifying,
		      struct bank_quote *q, struct error *e)
{
	uint8_t digest[32];

	for (unsigned attempt = 0; attempt < EVIDENCE_TPM_QUOTE_ATTEMPTS; attempt++) {
		struct hash_ctx h;
		int k;

		k = read_pcrs(t, q, e);
		if (k == 0)
			k = tpm2_quote(t, ak, q->alg_id, EVIDENCE_TPM_PCRS, qualifying,
				       EVIDENCE_TPM_QUALIFYING_SIZE, &q->quote, e);
		if (k < 0)
			return k;
		/* Part 3, TPM2_Quote: the signing scheme's hash of the values, in order. */
		hash_init(&h, HASH_SHA256);
		for (unsigned pcr = 0; pcr < TPM2_PCR_COUNT; pcr++)
			hash_update(&h, q->pcrs[pcr], q->pcr_size);
		hash_final(&h, digest);
		if (memcmp(digest, q->quote.pcr_digest, sizeof(digest)) == 0)
			return 0;
	}
	return error_set(e, -EAGAIN, "the %s PCRs changed while they were quoted, %d times", q->key,
			 EVIDENCE_TPM_QUOTE_ATTEMPTS);
}

/* The banks to quote: SHA-256 always, SHA-1 with a firmware log (see the top of the file). */
static int choose_banks(struct tpm2 *t, bool firmware_log, struct bank_quote *q, unsigned *count,
			struct error *e)
{
	static const struct {
		uint16_t alg_id;
		const char *key;
	} wanted[] = { { TPM2_ALG_SHA256, "SHA256" }, { TPM2_ALG_SHA1, "SHA1" } };
	struct tpm2_banks banks;
	int k;

	k = tpm2_get_banks(t, &banks, e);
	if (k < 0)
		return k;
	*count = 0;
	for (size_t i = 0; i < ARRAY_SIZE(wanted); i++) {
		const struct tpm2_bank *b = tpm2_banks_find(&banks, wanted[i].alg_id);
		bool complete = b && (b->pcrs & EVIDENCE_TPM_PCRS) == EVIDENCE_TPM_PCRS;

		if (wanted[i].alg_id == TPM2_ALG_SHA256 && !complete)
			return error_set(e, -ENODEV,
					 "the TPM has no SHA-256 bank of PCRs 0..23, which "
					 "Trustee's TPM verifier reads");
		if (wanted[i].alg_id == TPM2_ALG_SHA1 && (!complete || !firmware_log))
			continue;
		q[*count].alg_id = wanted[i].alg_id;
		q[*count].key = wanted[i].key;
		(*count)++;
	}
	return 0;
}

/* Creates the AK, quotes every bank with it and flushes it again, whatever happened. */
static int quote_banks(struct tpm2 *t, const uint8_t *qualifying, struct bank_quote *q,
		       unsigned count, struct tpm2_ak *ak, struct error *e)
{
	struct error flush = { 0 };
	int k, f;

	k = tpm2_create_ak(t, ak, e);
	if (k < 0)
		return k;
	for (unsigned i = 0; i < count && k == 0; i++)
		k = quote_bank(t, ak, qualifying, &q[i], e);
	f = tpm2_flush_context(t, ak->handle, &flush);
	if (k == 0 && f < 0) {
		*e = flush;
		return f;
	}
	return k;
}

static size_t der_length_size(size_t n)
{
	return n < 0x80 ? 1 : n < 0x100 ? 2 : 3;
}

static uint8_t *der_put_header(uint8_t *p, uint8_t tag, size_t n)
{
	*p++ = tag;
	if (n >= 0x100) {
		*p++ = 0x82;
		*p++ = (uint8_t)(n >> 8);
	} else if (n >= 0x80) {
		*p++ = 0x81;
	}
	*p++ = (uint8_t)n;
	return p;
}

/* A DER INTEGER's content for a non-negative big-endian number: minimal, 00 before a high bit. */
static size_t der_integer_size(const uint8_t *v, size_t n)
{
	while (n > 1 && v[0] == 0)
		v++, n--;
	return n + (v[0] & 0x80 ? 1 : 0);
}

static uint8_t *der_put_integer(uint8_t *p, const uint8_t *v, size_t n)
{
	size_t size = der_integer_size(v, n);

	while (n > 1 && v[0] == 0)
		v++, n--;
	p = der_put_header(p, 0x02, size);
	if (size > n)
		*p++ = 0;
	memcpy(p, v, n);
	return p + n;
}

/*
 * RFC 5280 SubjectPublicKeyInfo of an RSA key (RFC 8017 appendix A.1.1 RSAPublicKey), with
 * rsaEncryption's NULL parameters (RFC 4055 section 1.2): byte for byte what OpenSSL writes.
 */
static size_t spki_rsa_der(const struct tpm2_ak *ak, uint8_t out[EVIDENCE_TPM_SPKI_MAX])
{
	static const uint8_t algorithm[] = {
		0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
		0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
	};
	const uint8_t e[4] = { (uint8_t)(ak->exponent >> 24), (uint8_t)(ak->exponent >> 16),
			       (uint8_t)(ak->exponent >> 8), (uint8_t)ak->exponent };
	size_t n_size = der_integer_size(ak->modulus, sizeof(ak->modulus));
	size_t e_size = der_integer_size(e, sizeof(e));
	size_t key = 1 + der_length_size(n_size) + n_size + 1 + der_length_size(e_size) + e_size;
	size_t bits = 1 + 1 + der_length_size(key) + key; /* unused-bits octet, the SEQUENCE */
	size_t spki = sizeof(algorithm) + 1 + der_length_size(bits) + bits;
	uint8_t *p = out;

	p = der_put_header(p, 0x30, spki);
	memcpy(p, algorithm, sizeof(algorithm));
	p += sizeof(algorithm);
	p = der_put_header(p, 0x03, bits);
	*p++ = 0; /* no unused bits */
	p = der_put_header(p, 0x30, key);
	p = der_put_integer(p, ak->modulus, sizeof(ak->modulus));
	p = der_put_integer(p, e, sizeof(e));
	return (size_t)(p - out);
}

/* RFC 7468 "PUBLIC KEY": base64 in lines of 64 characters. */
static int write_pem(struct json_writer *w, const uint8_t *der, size_t len, struct error *e)
{
	static const char begin[] = "-----BEGIN PUBLIC KEY-----\n";
	static const char end[] = "-----END PUBLIC KEY-----\n";
	size_t b64_len = base64_encoded_len(len, BASE64_STD);
	_cleanup_free_ char *b64 = malloc(b64_len + 1);
	_cleanup_free_ char *pem = malloc(sizeof(begin) + b64_len + b64_len / 64 + 1 + sizeof(end));
	size_t n = 0;

	if (!b64 || !pem)
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): _cleanup_free_ frees both */
		return error_set_errno(e, -ENOMEM, "AK public key PEM");
	base64_encode(b64, der, len, BASE64_STD);
	memcpy(pem, begin, sizeof(begin) - 1);
	n = sizeof(begin) - 1;
	for (size_t i = 0; i < b64_len; i += 64) {
		size_t line = b64_len - i < 64 ? b64_len - i : 64;

		memcpy(pem + n, b64 + i, line);
		n += line;
		pem[n++] = '\n';
	}
	memcpy(pem + n, end, sizeof(end) - 1);
	n += sizeof(end) - 1;
	return json_writer_string_len(w, pem, n);
}

/*
 * The Spec ID event (PC Client PFP, TCG_EfiSpecIDEvent in a SHA-1 format TCG_PCR_EVENT) of a
 * log whose records carry SHA-256 digests only.
 */
/* clang-format off */
static const uint8_t spec_id_sha256[] = {
	0x00, 0x00, 0x00, 0x00,		/* pcrIndex 0 */
	0x03, 0x00, 0x00, 0x00,		/* eventType EV_NO_ACTION */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* digest: 20 zero bytes */
	0x21, 0x00, 0x00, 0x00,		/* eventSize 33 */
	'S', 'p', 'e', 'c', ' ', 'I', 'D', ' ', 'E', 'v', 'e', 'n', 't', '0', '3', 0x00,
	0x00, 0x00, 0x00, 0x00,		/* platformClass: client */
	0x00, 0x02, 0x00,		/* specVersionMinor 0, specVersionMajor 2, specErrata 0 */
	0x02,				/* uintnSize: UINTN is 64 bits */
	0x01, 0x00, 0x00, 0x00,		/* numberOfAlgorithms */
	0x0b, 0x00, 0x20, 0x00,		/* TPM_ALG_SHA256, 32 bytes */
	0x00,				/* vendorInfoSize */
};
/* clang-format on */

/* The SHA-256 digest a committed TPM record logged, checked against its event. */
static int record_sha256(const struct record *r, struct mr_digests *one, struct error *e)
{
	static const enum hash_alg sha256 = HASH_SHA256;
	const uint8_t *logged = NULL;
	int k;

	if (r->family != MR_FAMILY_TPM)
		return error_set(e, -EINVAL,
				 "record %llu is of a %s register; TPM evidence explains PCRs only",
				 (unsigned long long)r->seq, mr_family_name(r->family));
	for (unsigned i = 0; i < r->digests.count; i++)
		if (r->digests.bank[i].alg == HASH_SHA256)
			logged = r->digests.bank[i].digest;
	if (!logged)
		return error_set(e, -EINVAL, "record %llu has no SHA-256 digest",
				 (unsigned long long)r->seq);
	k = record_event_digests(&r->event, MR_FAMILY_TPM, &sha256, 1, one, e);
	if (k < 0)
		return error_prefix(e, "record %llu", (unsigned long long)r->seq);
	if (memcmp(one->bank[0].digest, logged, 32) != 0)
		return error_set(
			e, -EINVAL,
			"record %llu: its SHA-256 digest is not the hash of its event; the "
			"log is damaged or was edited",
			(unsigned long long)r->seq);
	return aael_validate(r->event.domain, r->event.operation, r->event.content, e);
}

/* The records of aa_eventlog, grown as they come. */
struct aa_buf {
	uint8_t *p;
	size_t len;
};

static int aa_put(struct aa_buf *b, unsigned index, uint32_t type, const struct mr_digests *d,
		  const void *data, size_t size, struct error *e)
{
	size_t n = tcg2_event2_size(d, size), written;
	uint8_t *p;
	int k;

	if (n == 0 || n > SIZE_MAX - b->len)
		return error_set(e, -EINVAL, "an event of %zu bytes is too large", size);
	p = realloc(b->p, b->len + n);
	if (!p)
		return error_set_errno(e, -ENOMEM, "the event log for the evidence");
	b->p = p;
	k = tcg2_event2_write(p + b->len, n, index, type, d, data, size, &written, e);
	if (k == 0)
		b->len += written;
	return k;
}

/* One of mrboot's committed records: EV_EVENT_TAG, the AAEL body, its SHA-256 digest. */
static int aa_put_record(struct aa_buf *b, const struct record *r, struct error *e)
{
	const struct record_event *ev = &r->event;
	_cleanup_free_ uint8_t *body = NULL;
	struct mr_digests one;
	size_t size;
	int k;

	k = record_sha256(r, &one, e);
	if (k < 0)
		return k;
	size = aael_body_size(ev->domain, ev->operation, ev->content);
	body = malloc(size);
	if (!body)
		return error_set_errno(e, -ENOMEM, "the event log for the evidence");
	k = aael_body_write(body, size, ev->domain, ev->operation, ev->content, &size, e);
	if (k == 0)
		k = aa_put(b, r->index, TCG2_EV_EVENT_TAG, &one, body, size, e);
	return k < 0 ? error_prefix(e, "record %llu", (unsigned long long)r->seq) : 0;
}

int evidence_tpm_systemd_record(struct json_arena *a, const char *json, size_t len,
				struct evidence_tpm_systemd_record *rec, struct error *e)
{
	const struct json_value *v, *digests, *content, *item;
	bool found = false;
	size_t n;
	int k;

	*rec = (struct evidence_tpm_systemd_record){ .event_type = "" };
	k = json_parse(a, json, len, &v, e);
	if (k >= 0)
		k = json_object_get_uint64(v, "pcr", &rec->pcr, e);
	if (k >= 0 && rec->pcr >= TPM2_PCR_COUNT)
		k = error_set(e, -EINVAL, "PCR %llu is out of range 0..23",
			      (unsigned long long)rec->pcr);
	if (k >= 0)
		k = json_object_get_array(v, "digests", &digests, e);
	if (k >= 0)
		k = json_object_get_object(v, "content", &content, e);
	if (k >= 0)
		k = json_object_get_string(content, "string", &rec->string, &rec->string_len, e);
	if (k >= 0 && json_object_get(content, "eventType"))
		k = json_object_get_string(content, "eventType", &rec->event_type, NULL, e);
	if (k < 0)
		return k;
	json_foreach(item, digests)
	{
		const char *alg, *hex;
		size_t hex_len;

		if ((k = json_object_get_string(item, "hashAlg", &alg, NULL, e)) < 0 ||
		    (k = json_object_get_string(item, "digest", &hex, &hex_len, e)) < 0)
			return k;
		if (strcmp(alg, "sha256") != 0)
			continue;
		if (found)
			return error_set(e, -EINVAL, "two sha256 digests");
		k = hex_decode(rec->sha256, sizeof(rec->sha256), hex, hex_len, &n, e);
		if (k < 0)
			return k;
		if (n != sizeof(rec->sha256))
			return error_set(e, -EINVAL, "a sha256 digest of %zu bytes", n);
		found = true;
	}
	return found ? 0 : error_set(e, -EINVAL, "no sha256 digest");
}

/* Walking systemd's log: mrboot's committed records are met in their order. */
struct aa_systemd {
	struct aa_buf *b;
	const struct eventlog *log;
	size_t next; /* mrboot's next record to meet there */
	uint64_t n;
	struct error *e;
};

/* mrboot's next committed record from s->next on, or NULL. */
static const struct record *aa_next_record(struct aa_systemd *s)
{
	while (s->next < s->log->count && s->log->records[s->next].state != RECORD_COMMITTED)
		s->next++;
	return s->next < s->log->count ? &s->log->records[s->next] : NULL;
}

static int aa_systemd_one(const char *json, size_t len, uint64_t offset, void *userdata)
{
	struct aa_systemd *s = userdata;
	struct mr_digests one = { .count = 1, .bank[0].alg = HASH_SHA256 };
	struct evidence_tpm_systemd_record rec;
	const struct record *r;
	struct json_arena arena;
	int k;

	s->n++;
	json_arena_init(&arena, 64 * len + 4096);
	k = evidence_tpm_systemd_record(&arena, json, len, &rec, s->e);
	r = k < 0 ? NULL : aa_next_record(s);
	if (r && strcmp(rec.event_type, r->event.event_type) == 0 && rec.pcr == r->index) {
		k = record_sha256(r, &one, s->e);
		if (k < 0 || memcmp(one.bank[0].digest, rec.sha256, 32) != 0)
			r = NULL;
	} else {
		r = NULL;
	}
	if (k >= 0 && r) {
		/* mrboot's own: as its log has it. */
		k = aa_put_record(s->b, r, s->e);
		s->next++;
	} else if (k >= 0 && strcmp(rec.event_type, "mrboot") == 0) {
		k = error_set(s->e, -EINVAL,
			      "an mrboot event that is not mrboot's next committed record");
	} else if (k >= 0) {
		memcpy(one.bank[0].digest, rec.sha256, 32);
		k = aa_put(s->b, (unsigned)rec.pcr, TCG2_EV_IPL, &one, rec.string, rec.string_len,
			   s->e);
	}
	json_arena_free(&arena);
	if (k < 0)
		return error_prefix(s->e, "%s: record %llu at byte %llu", EVENTLOG_SYSTEMD_PATH,
				    (unsigned long long)s->n, (unsigned long long)offset);
	return 0;
}

/*
 * systemd's log, in its order (the PCRs' order: every writer holds its lock across the
 * extend): mrboot's records as EV_EVENT_TAG, everyone else's as EV_IPL with their string.
 * mrboot's committed records must all be there, in their order.
 */
static int aa_systemd(const char *root, const struct eventlog *log, struct aa_buf *b,
		      struct error *e)
{
	struct aa_systemd s = { .b = b, .log = log, .e = e };
	const struct record *r;
	struct journal j;
	int64_t torn;
	int k;

	k = journal_open(&j, root, EVENTLOG_SYSTEMD_PATH, EVENTLOG_LOCK_MS, e);
	if (k < 0)
		return k;
	k = journal_read(&j, aa_systemd_one, &s, &torn, e);
	journal_close(&j);
	if (k < 0)
		return k;
	if (torn >= 0)
		return error_set(e, -EBADMSG, "%s: a record at byte %lld was never finished",
				 EVENTLOG_SYSTEMD_PATH, (long long)torn);
	r = aa_next_record(&s);
	if (r)
		return error_set(e, -EBADMSG, "record %llu is committed but not in %s",
				 (unsigned long long)r->seq, EVENTLOG_SYSTEMD_PATH);
	return 0;
}

/*
 * The records of aa_eventlog: systemd's log where there is one (see aa_systemd()), else
 * mrboot's committed records.
 */
static int aa_records(const char *root, const struct eventlog *log, struct aa_buf *b,
		      struct error *e)
{
	char p[PATH_MAX];
	int k = 0;

	for (size_t i = 0; i < log->count; i++)
		if (log->records[i].state == RECORD_PENDING)
			return error_set(e, -EBUSY,
					 "record %llu is pending: the log must be recovered before "
					 "the PCRs it describes are attested",
					 (unsigned long long)log->records[i].seq);
	if (path_join_root(p, sizeof(p), root, EVENTLOG_SYSTEMD_PATH) == 0 && access(p, F_OK) == 0)
		return aa_systemd(root, log, b, e);
	for (size_t i = 0; i < log->count && k == 0; i++)
		if (log->records[i].state == RECORD_COMMITTED)
			k = aa_put_record(b, &log->records[i], e);
	return k;
}

/* aa_eventlog: the Spec ID event, the records, the 0xFF terminator; *out NULL if none. */
static int aa_eventlog(const char *root, const struct eventlog *log, uint8_t **out, size_t *len,
		       struct error *e)
{
	struct aa_buf b = { 0 };
	size_t cap;
	int k;

	*out = NULL;
	*len = 0;
	if (!log)
		return 0;
	k = aa_records(root, log, &b, e);
	if (k < 0 || !b.p) {
		free(b.p);
		return k;
	}
	cap = sizeof(spec_id_sha256) + b.len + CCEL_TERMINATOR_SIZE;
	*out = malloc(cap);
	/* The CCEL stream builder: the same layout, checked with the rules Trustee's parser has. */
	k = *out ? ccel_stream_build(*out, cap, spec_id_sha256, sizeof(spec_id_sha256), b.p, b.len,
				     len, e)
		 : error_set_errno(e, -ENOMEM, "the event log for the evidence");
	free(b.p);
	if (k < 0) {
		free(*out);
		*out = NULL;
	}
	return k;
}

/* The firmware's event log, the caller's or read here; its data NULL when the kernel has none. */
static int firmware_log(const struct tee_evidence_input *in, struct evlog_firmware *own,
			const struct evlog_firmware **fw, struct error *e)
{
	int k;

	*fw = in->firmware;
	if (*fw)
		return 0;
	k = evlog_firmware_load(own, in->root, EVLOG_FIRMWARE_TPM, e);
	*fw = own;
	return k;
}

/*
 * A failure of a value written here (out of memory) goes into the writer, which keeps its
 * first failure and refuses the rest: the object is checked once, at its end.
 */
static void writer_keep(struct json_writer *w, int k, const struct error *e)
{
	if (k < 0)
		json_writer_fail(w, k, "%s", e->msg);
}

/* base64 of n bytes at p, or null when p is NULL. */
static void write_base64(struct json_writer *w, const void *p, size_t n)
{
	struct error e = { 0 };

	if (!p)
		json_writer_null(w);
	else
		writer_keep(w, tee_json_base64(w, p, n, &e), &e);
}

static void write_pcrs(struct json_writer *w, const struct bank_quote *q)
{
	char hex[2 * TPM2_DIGEST_MAX + 1];

	json_writer_begin_array(w);
	for (unsigned pcr = 0; pcr < TPM2_PCR_COUNT; pcr++) {
		hex_encode(hex, q->pcrs[pcr], q->pcr_size);
		json_writer_string(w, hex);
	}
	json_writer_end_array(w);
}

struct evidence_tpm {
	uint8_t spki[EVIDENCE_TPM_SPKI_MAX];
	size_t spki_len;
	struct bank_quote quotes[2];
	unsigned count;
	struct evlog_firmware own; /* the firmware log when the caller gave none */
	const struct evlog_firmware *firmware;
	uint8_t *aa_eventlog;
	size_t aa_eventlog_len;
};

static int write_json(struct json_writer *w, const struct evidence_tpm *ev, struct error *e)
{
	const struct bank_quote *sha256 = &ev->quotes[0];
	struct error pem = { 0 };

	json_writer_begin_object(w);
	json_writer_key(w, "ak_public");
	write_base64(w, ev->spki, ev->spki_len);
	json_writer_key(w, "tpm_quote");
	json_writer_begin_object(w);
	json_writer_key(w, "signature");
	write_base64(w, sha256->quote.signature, TPM2_AK_SIGNATURE_SIZE);
	json_writer_key(w, "message");
	write_base64(w, sha256->quote.attest, sha256->quote.attest_len);
	json_writer_key(w, "pcrs");
	write_pcrs(w, sha256);
	json_writer_end_object(w);

	json_writer_key(w, "ek_cert");
	json_writer_null(w);
	json_writer_key(w, "ak_pubkey");
	writer_keep(w, write_pem(w, ev->spki, ev->spki_len, &pem), &pem);
	json_writer_key(w, "quote");
	json_writer_begin_object(w);
	for (unsigned i = 0; i < ev->count; i++) {
		const struct bank_quote *q = &ev->quotes[i];

		json_writer_key(w, q->key);
		json_writer_begin_object(w);
		json_writer_key(w, "attest_body");
		write_base64(w, q->quote.attest, q->quote.attest_len);
		json_writer_key(w, "attest_sig");
		write_base64(w, q->quote.rsa_signature, TPM2_AK_MODULUS_SIZE);
		json_writer_key(w, "pcrs");
		write_pcrs(w, q);
		json_writer_end_object(w);
	}
	json_writer_end_object(w);
	json_writer_key(w, "eventlog");
	write_base64(w, ev->firmware->data, ev->firmware->len);
	json_writer_key(w, "aa_eventlog");
	write_base64(w, ev->aa_eventlog, ev->aa_eventlog_len);
	if (json_writer_end_object(w) < 0)
		return error_set(e, w->error.code, "%s", w->error.msg);
	return 0;
}

int evidence_tpm_write(struct json_writer *w, const struct tee_evidence_input *in, struct error *e)
{
	struct evidence_tpm *ev = NULL;
	/* The hash zero-padded to 64; its first EVIDENCE_TPM_QUALIFYING_SIZE bytes are quoted. */
	uint8_t qualifying[TEE_REPORT_DATA_SIZE];
	struct tpm2_ak ak;
	int k;

	if (!in->tpm)
		return error_set(e, -EINVAL, "no TPM open for the evidence");
	k = tee_report_data(in, qualifying, e);
	if (k < 0)
		return k;
	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return error_set_errno(e, -ENOMEM, "the evidence");
	/* The logs first: a log that cannot be sent is found before the TPM makes a key. */
	k = firmware_log(in, &ev->own, &ev->firmware, e);
	if (k >= 0)
		k = aa_eventlog(in->root, in->log, &ev->aa_eventlog, &ev->aa_eventlog_len, e);
	if (k < 0) {
		error_prefix(e, "event log");
		goto out;
	}
	k = choose_banks(in->tpm, ev->firmware->data != NULL, ev->quotes, &ev->count, e);
	if (k >= 0)
		k = quote_banks(in->tpm, qualifying, ev->quotes, ev->count, &ak, e);
	if (k < 0)
		goto out;
	ev->spki_len = spki_rsa_der(&ak, ev->spki);
	k = write_json(w, ev, e);
out:
	evlog_firmware_free(&ev->own);
	free(ev->aa_eventlog);
	free(ev);
	return k;
}
