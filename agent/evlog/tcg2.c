/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tcg2.h"

#include <errno.h>
#include <string.h>

#include "aael.h"
#include "bytes.h"
#include "basic/error.h"
#include "basic/macro.h"

/* PC Client PFP, TCG_EfiSpecIDEvent: signature, platformClass, 4 version bytes, count. */
#define SPEC_ID_SIGNATURE "Spec ID Event03"
#define SPEC_ID_FIXED_SIZE 28u
/* PC Client PFP, TCG_EfiStartupLocalityEvent: signature and one locality byte. */
#define STARTUP_LOCALITY_SIGNATURE "StartupLocality"
#define STARTUP_LOCALITY_SIZE 17u
/* index, type and digest count of a TCG_PCR_EVENT2 */
#define EVENT2_HEADER_SIZE 12u
#define TERMINATOR_SIZE 8u

/*
 * Digest sizes of the algorithms the TCG Algorithm Registry defines for event logs. A Spec ID
 * table that gives one of them another size is lying about the records that follow.
 */
static const struct tcg2_alg_size tcg2_known_algs[] = {
	{ 0x0004, 20 }, /* SHA-1 */
	{ 0x000b, 32 }, /* SHA-256 */
	{ 0x000c, 48 }, /* SHA-384 */
	{ 0x000d, 64 }, /* SHA-512 */
	{ 0x0012, 32 }, /* SM3-256 */
	{ 0x0027, 32 }, /* SHA3-256 */
	{ 0x0028, 48 }, /* SHA3-384 */
	{ 0x0029, 64 }, /* SHA3-512 */
};

unsigned tcg2_known_digest_size(uint16_t alg_id)
{
	for (size_t i = 0; i < ARRAY_SIZE(tcg2_known_algs); i++)
		if (tcg2_known_algs[i].alg_id == alg_id)
			return tcg2_known_algs[i].digest_size;
	return 0;
}

size_t tcg2_event2_size(const struct mr_digests *digests, size_t event_size)
{
	size_t size = EVENT2_HEADER_SIZE + 4;

	for (unsigned i = 0; i < digests->count && i < MR_BANKS_MAX; i++) {
		const struct hash_info *info = hash_info(digests->bank[i].alg);

		size += 2 + (info ? info->size : 0);
	}
	if (event_size > UINT32_MAX - size)
		return 0;
	return size + event_size;
}

/* Header and digests; the caller puts the event size and data after them. */
static size_t tcg2_put_head(uint8_t *buf, uint32_t index, uint32_t type,
			    const struct mr_digests *digests)
{
	size_t pos = EVENT2_HEADER_SIZE;

	bytes_put_le32(buf, index);
	bytes_put_le32(buf + 4, type);
	bytes_put_le32(buf + 8, digests->count);
	for (unsigned i = 0; i < digests->count; i++) {
		const struct hash_info *info = hash_info(digests->bank[i].alg);

		bytes_put_le16(buf + pos, info->tcg_id);
		memcpy(buf + pos + 2, digests->bank[i].digest, info->size);
		pos += 2 + info->size;
	}
	return pos;
}

static int tcg2_check_digests(const struct mr_digests *digests, struct error *e)
{
	if (digests->count == 0 || digests->count > MR_BANKS_MAX)
		return error_set(e, -EINVAL, "TCG2 record with %u digests (1..%u)", digests->count,
				 MR_BANKS_MAX);
	for (unsigned i = 0; i < digests->count; i++)
		if (!hash_info(digests->bank[i].alg))
			return error_set(e, -EINVAL,
					 "TCG2 record: digest %u has unknown algorithm %d", i,
					 (int)digests->bank[i].alg);
	return 0;
}

int tcg2_event2_write(uint8_t *buf, size_t cap, uint32_t index, uint32_t type,
		      const struct mr_digests *digests, const void *event, size_t event_size,
		      size_t *written, struct error *e)
{
	size_t size, pos;
	int r;

	r = tcg2_check_digests(digests, e);
	if (r < 0)
		return r;
	size = tcg2_event2_size(digests, event_size);
	if (size == 0)
		return error_set(e, -EINVAL, "TCG2 record: event of %zu bytes is too large",
				 event_size);
	*written = size;
	if (cap < size)
		return error_set(e, -ENOBUFS, "TCG2 record needs %zu bytes, buffer has %zu", size,
				 cap);
	pos = tcg2_put_head(buf, index, type, digests);
	bytes_put_le32(buf + pos, (uint32_t)event_size);
	if (event_size)
		memcpy(buf + pos + 4, event, event_size);
	return 0;
}

int tcg2_aael_event_write(uint8_t *buf, size_t cap, uint32_t cc_index, enum hash_alg alg,
			  const char *domain, const char *operation, const char *content,
			  size_t *written, struct error *e)
{
	struct mr_digests digests = { .count = 1, .bank = { { .alg = alg } } };
	size_t body_size, size, pos, n;
	int r;

	r = tcg2_check_digests(&digests, e);
	if (r < 0)
		return r;
	r = aael_validate(domain, operation, content, e);
	if (r < 0)
		return r;
	body_size = aael_body_size(domain, operation, content);
	size = tcg2_event2_size(&digests, body_size);
	*written = size;
	if (cap < size)
		return error_set(e, -ENOBUFS, "TCG2 record needs %zu bytes, buffer has %zu", size,
				 cap);
	/* The body goes to its place in the record first; the digest is then taken from it. */
	pos = size - body_size;
	r = aael_body_write(buf + pos, body_size, domain, operation, content, &n, e);
	if (r < 0)
		return r;
	hash_buffer(alg, buf + pos, body_size, digests.bank[0].digest);
	pos = tcg2_put_head(buf, cc_index, TCG2_EV_EVENT_TAG, &digests);
	bytes_put_le32(buf + pos, (uint32_t)body_size);
	return 0;
}

static int tcg2_parse_spec_id(struct tcg2_spec_id *spec, const uint8_t *ev, uint32_t n,
			      struct error *e)
{
	/* Byte offsets below are in the log: the event data starts after the 32-byte header. */
	const size_t base = TCG2_PCR_EVENT_HEADER_SIZE;
	uint32_t count;
	size_t pos;

	if (n < SPEC_ID_FIXED_SIZE)
		return error_set(e, -EBADMSG,
				 "Spec ID event: event size %u is shorter than its %u "
				 "fixed bytes",
				 n, SPEC_ID_FIXED_SIZE);
	if (memcmp(ev, SPEC_ID_SIGNATURE, sizeof(SPEC_ID_SIGNATURE)) != 0)
		return error_set(e, -EBADMSG, "Spec ID event: byte %zu: signature is not \"%s\"",
				 base, SPEC_ID_SIGNATURE);
	spec->platform_class = bytes_get_le32(ev + 16);
	spec->version_minor = ev[20];
	spec->version_major = ev[21];
	spec->errata = ev[22];
	spec->uintn_size = ev[23];
	/* "Spec ID Event03" is the crypto-agile format of PFP version 2.0. */
	if (spec->version_major != 2 || spec->version_minor != 0)
		return error_set(e, -EBADMSG, "Spec ID event: byte %zu: version %u.%u, not 2.0",
				 base + 20, spec->version_major, spec->version_minor);
	if (spec->uintn_size != 1 && spec->uintn_size != 2)
		return error_set(e, -EBADMSG, "Spec ID event: byte %zu: uintnSize %u (1 or 2)",
				 base + 23, spec->uintn_size);
	count = bytes_get_le32(ev + 24);
	if (count == 0 || count > TCG2_ALGS_MAX)
		return error_set(e, -EBADMSG, "Spec ID event: byte %zu: %u algorithms (1..%u)",
				 base + 24, count, TCG2_ALGS_MAX);
	/* The table and the vendor-info size byte after it must fit in the event. */
	if (n < SPEC_ID_FIXED_SIZE + 4 * count + 1)
		return error_set(e, -EBADMSG,
				 "Spec ID event: event size %u cannot hold %u algorithms", n,
				 count);
	spec->alg_count = count;
	pos = SPEC_ID_FIXED_SIZE;
	for (unsigned i = 0; i < count; i++, pos += 4) {
		uint16_t id = bytes_get_le16(ev + pos), size = bytes_get_le16(ev + pos + 2);
		unsigned known;

		for (unsigned k = 0; k < i; k++)
			if (spec->algs[k].alg_id == id)
				return error_set(e, -EBADMSG,
						 "Spec ID event: byte %zu: algorithm "
						 "0x%04x listed twice",
						 base + pos, id);
		known = tcg2_known_digest_size(id);
		if (known && known != size)
			return error_set(e, -EBADMSG,
					 "Spec ID event: byte %zu: algorithm 0x%04x with "
					 "digest size %u, not %u",
					 base + pos + 2, id, size, known);
		if (size == 0 || size > TCG2_DIGEST_SIZE_MAX)
			return error_set(e, -EBADMSG,
					 "Spec ID event: byte %zu: digest size %u (1..%u)",
					 base + pos + 2, size, TCG2_DIGEST_SIZE_MAX);
		spec->algs[i].alg_id = id;
		spec->algs[i].digest_size = size;
	}
	if (pos + 1 + ev[pos] != n)
		return error_set(e, -EBADMSG,
				 "Spec ID event: byte %zu: vendor info of %u bytes "
				 "does not end at the event's end (event size %u)",
				 base + pos, ev[pos], n);
	return 0;
}

int tcg2_reader_init(struct tcg2_reader *r, const void *data, size_t size, uint32_t max_records,
		     struct error *e)
{
	static const uint8_t zero_sha1[20];
	const uint8_t *p = data;
	uint32_t index, type, n;
	int k;

	*r = (struct tcg2_reader){ .data = p, .size = size };
	r->max_records = max_records ? max_records : TCG2_RECORDS_MAX_DEFAULT;
	if (size < TCG2_PCR_EVENT_HEADER_SIZE)
		return error_set(
			e, -EBADMSG,
			"event log of %zu bytes is shorter than the Spec ID event's header", size);
	index = bytes_get_le32(p);
	type = bytes_get_le32(p + 4);
	n = bytes_get_le32(p + 28);
	if (index != 0)
		return error_set(e, -EBADMSG, "Spec ID event: byte 0: index %u, not 0", index);
	if (type != TCG2_EV_NO_ACTION)
		return error_set(e, -EBADMSG,
				 "Spec ID event: byte 4: event type 0x%08x, not EV_NO_ACTION",
				 type);
	if (memcmp(p + 8, zero_sha1, sizeof(zero_sha1)) != 0)
		return error_set(e, -EBADMSG, "Spec ID event: byte 8: SHA-1 digest is not zero");
	if (n > size - TCG2_PCR_EVENT_HEADER_SIZE)
		return error_set(e, -EBADMSG,
				 "Spec ID event: byte 28: event size %u runs past the end of the "
				 "data (%zu bytes left)",
				 n, size - TCG2_PCR_EVENT_HEADER_SIZE);
	k = tcg2_parse_spec_id(&r->spec, p + TCG2_PCR_EVENT_HEADER_SIZE, n, e);
	if (k < 0)
		return k;
	r->pos = TCG2_PCR_EVENT_HEADER_SIZE + n;
	return 0;
}

static const struct tcg2_alg_size *tcg2_spec_find(const struct tcg2_spec_id *spec, uint16_t id)
{
	for (unsigned i = 0; i < spec->alg_count; i++)
		if (spec->algs[i].alg_id == id)
			return &spec->algs[i];
	return NULL;
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

static int tcg2_reader_end(struct tcg2_reader *r, enum tcg2_end reason)
{
	r->ended = true;
	r->end_reason = reason;
	r->end = r->pos;
	return 0;
}

int tcg2_reader_next(struct tcg2_reader *r, struct tcg2_record *rec, struct error *e)
{
	const uint8_t *p = r->data + r->pos;
	size_t left = r->size - r->pos, pos;
	uint32_t number = r->records + 1;

	if (r->ended)
		return 0;
	if (left == 0)
		return tcg2_reader_end(r, TCG2_END_DATA);
	if (left < TERMINATOR_SIZE)
		return error_set(
			e, -EBADMSG,
			"record %u at byte %zu: %zu bytes left, too few for a record header",
			number, r->pos, left);
	/* The CCEL table is longer than its log; firmware fills the rest with 0xFF or 0x00. */
	if (all_bytes(p, TERMINATOR_SIZE, 0xff))
		return tcg2_reader_end(r, TCG2_END_ONES);
	if (all_bytes(p, TERMINATOR_SIZE, 0x00))
		return tcg2_reader_end(r, TCG2_END_ZEROS);
	if (r->records >= r->max_records)
		return error_set(e, -E2BIG, "event log has more than %u records", r->max_records);
	if (left < EVENT2_HEADER_SIZE)
		return error_set(
			e, -EBADMSG,
			"record %u at byte %zu: %zu bytes left, too few for a record header",
			number, r->pos, left);

	*rec = (struct tcg2_record){ .number = number, .offset = r->pos };
	rec->index = bytes_get_le32(p);
	rec->type = bytes_get_le32(p + 4);
	rec->digest_count = bytes_get_le32(p + 8);
	if (rec->digest_count == 0 || rec->digest_count > r->spec.alg_count)
		return error_set(
			e, -EBADMSG,
			"record %u at byte %zu: byte %zu: digest count %u (1..%u, as the Spec ID "
			"event lists)",
			number, r->pos, r->pos + 8, rec->digest_count, r->spec.alg_count);
	pos = EVENT2_HEADER_SIZE;
	for (unsigned i = 0; i < rec->digest_count; i++) {
		const struct tcg2_alg_size *alg;
		uint16_t id;

		if (left - pos < 2)
			return error_set(
				e, -EBADMSG,
				"record %u at byte %zu: byte %zu: digest %u is cut off by the "
				"end of the data",
				number, r->pos, r->pos + pos, i);
		id = bytes_get_le16(p + pos);
		alg = tcg2_spec_find(&r->spec, id);
		if (!alg)
			return error_set(e, -EBADMSG,
					 "record %u at byte %zu: byte %zu: digest %u has algorithm "
					 "0x%04x, which the Spec ID event does not list",
					 number, r->pos, r->pos + pos, i, id);
		for (unsigned k = 0; k < i; k++)
			if (rec->digests[k].alg_id == id)
				return error_set(
					e, -EBADMSG,
					"record %u at byte %zu: byte %zu: second digest of "
					"algorithm 0x%04x",
					number, r->pos, r->pos + pos, id);
		if (left - pos - 2 < alg->digest_size)
			return error_set(
				e, -EBADMSG,
				"record %u at byte %zu: byte %zu: digest %u is cut off by the "
				"end of the data",
				number, r->pos, r->pos + pos, i);
		rec->digests[i] = (struct tcg2_digest){ id, alg->digest_size, p + pos + 2 };
		pos += 2 + alg->digest_size;
	}
	if (left - pos < 4)
		return error_set(
			e, -EBADMSG,
			"record %u at byte %zu: byte %zu: event size is cut off by the end of "
			"the data",
			number, r->pos, r->pos + pos);
	rec->event_size = bytes_get_le32(p + pos);
	pos += 4;
	if (rec->event_size > left - pos)
		return error_set(
			e, -EBADMSG,
			"record %u at byte %zu: byte %zu: event size %u runs past the end of "
			"the data (%zu bytes left)",
			number, r->pos, r->pos + pos - 4, rec->event_size, left - pos);
	rec->event = p + pos;
	rec->size = pos + rec->event_size;
	r->pos += rec->size;
	r->records++;
	return 1;
}

const struct tcg2_digest *tcg2_record_digest(const struct tcg2_record *rec, enum hash_alg alg)
{
	const struct hash_info *info = hash_info(alg);

	for (unsigned i = 0; info && i < rec->digest_count; i++)
		if (rec->digests[i].alg_id == info->tcg_id)
			return &rec->digests[i];
	return NULL;
}

/* A "StartupLocality" event: its locality, or -1 when rec is not one. */
static int tcg2_startup_locality(const struct tcg2_record *rec)
{
	if (rec->type != TCG2_EV_NO_ACTION || rec->index != 0 ||
	    rec->event_size != STARTUP_LOCALITY_SIZE ||
	    memcmp(rec->event, STARTUP_LOCALITY_SIGNATURE, sizeof(STARTUP_LOCALITY_SIGNATURE)) != 0)
		return -1;
	return rec->event[STARTUP_LOCALITY_SIZE - 1];
}

/*
 * Trustee's CCEL replay (deps/eventlog/src/lib.rs, replay_and_match) differs: it extends every
 * record at an index, EV_NO_ACTION ones included, and knows no StartupLocality. The two agree
 * on a log without EV_NO_ACTION records after the Spec ID event at the indices it checks, and
 * ccel_stream_build() refuses to produce any other.
 */
int tcg2_replay(const void *log, size_t size, struct tcg2_register *regs, size_t count,
		struct error *e)
{
	bool pcr0_extended = false, locality_seen = false;
	struct tcg2_reader reader;
	struct tcg2_record rec;
	int r;

	for (size_t i = 0; i < count; i++) {
		if (!hash_info(regs[i].alg))
			return error_set(e, -EINVAL, "replay: register %u has unknown algorithm %d",
					 regs[i].index, (int)regs[i].alg);
		memset(regs[i].value, 0, sizeof(regs[i].value));
		regs[i].extends = 0;
	}
	r = tcg2_reader_init(&reader, log, size, 0, e);
	if (r < 0)
		return r;
	while ((r = tcg2_reader_next(&reader, &rec, e)) > 0) {
		int locality = tcg2_startup_locality(&rec);

		if (locality >= 0) {
			/* PFP: logged once, before anything is measured into PCR 0; the TPM's
			 * localities are 0..4. */
			if (locality_seen || pcr0_extended || locality > 4)
				return error_set(e, -EBADMSG,
						 "record %u at byte %zu: StartupLocality %d %s",
						 rec.number, rec.offset, locality,
						 locality > 4 ? "is not a locality"
							      : "comes after PCR 0 was set");
			locality_seen = true;
			for (size_t i = 0; i < count; i++)
				if (regs[i].index == 0)
					regs[i].value[hash_info(regs[i].alg)->size - 1] =
						(uint8_t)locality;
			continue;
		}
		if (rec.type == TCG2_EV_NO_ACTION)
			continue;
		if (rec.index == 0)
			pcr0_extended = true;
		for (size_t i = 0; i < count; i++) {
			const struct hash_info *info = hash_info(regs[i].alg);
			const struct tcg2_digest *d;
			struct hash_ctx ctx;

			if (regs[i].index != rec.index)
				continue;
			d = tcg2_record_digest(&rec, regs[i].alg);
			if (!d)
				return error_set(e, -EBADMSG,
						 "record %u at byte %zu: index %u has no %s digest",
						 rec.number, rec.offset, rec.index, info->name);
			hash_init(&ctx, regs[i].alg);
			hash_update(&ctx, regs[i].value, info->size);
			hash_update(&ctx, d->bytes, d->size);
			hash_final(&ctx, regs[i].value);
			regs[i].extends++;
		}
	}
	return r;
}
