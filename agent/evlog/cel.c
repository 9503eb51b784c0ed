/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cel.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "aael.h"
#include "bytes.h"
#include "basic/error.h"
#include "tcg2.h"

/* Bytes of v in the shortest big-endian form, at least one. */
static size_t cel_uint_len(uint64_t v)
{
	size_t n = 1;

	while (v >>= 8)
		n++;
	return n;
}

static size_t cel_put_tl(uint8_t *p, uint8_t type, uint32_t len)
{
	p[0] = type;
	bytes_put_be32(p + 1, len);
	return CEL_TLV_HEADER_SIZE;
}

static size_t cel_put_uint(uint8_t *p, uint8_t type, uint64_t v)
{
	size_t n = cel_uint_len(v);

	cel_put_tl(p, type, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		p[CEL_TLV_HEADER_SIZE + i] = (uint8_t)(v >> 8 * (n - 1 - i));
	return CEL_TLV_HEADER_SIZE + n;
}

/* Checks the arguments and returns the record size in *size. */
static int cel_plan(uint64_t recnum, uint8_t handle_type, uint32_t handle,
		    const struct mr_digests *digests, uint32_t event_type, size_t event_size,
		    size_t *size, struct error *e)
{
	size_t digests_len = 0, content_len;

	if (handle_type != CEL_TYPE_PCR && handle_type != CEL_TYPE_NV_INDEX)
		return error_set(e, -EINVAL,
				 "CEL record: handle type %u is neither pcr nor nv_index",
				 handle_type);
	if (digests->count == 0 || digests->count > MR_BANKS_MAX)
		return error_set(e, -EINVAL, "CEL record with %u digests (1..%u)", digests->count,
				 MR_BANKS_MAX);
	for (unsigned i = 0; i < digests->count; i++) {
		const struct hash_info *info = hash_info(digests->bank[i].alg);

		/* A CEL type is one byte; every hash mrboot has fits. */
		if (!info || info->tcg_id > 0xff)
			return error_set(e, -EINVAL,
					 "CEL record: digest %u has unknown algorithm %d", i,
					 (int)digests->bank[i].alg);
		digests_len += CEL_TLV_HEADER_SIZE + info->size;
	}
	content_len = 2 * CEL_TLV_HEADER_SIZE + cel_uint_len(event_type);
	if (event_size > UINT32_MAX - content_len)
		return error_set(e, -EINVAL, "CEL record: event of %zu bytes is too large",
				 event_size);
	content_len += event_size;
	*size = 2 * CEL_TLV_HEADER_SIZE + cel_uint_len(recnum) + cel_uint_len(handle) +
		CEL_TLV_HEADER_SIZE + digests_len + CEL_TLV_HEADER_SIZE + content_len;
	return 0;
}

/* Everything up to the event data, which the caller puts at the returned offset. */
static size_t cel_put_head(uint8_t *buf, uint64_t recnum, uint8_t handle_type, uint32_t handle,
			   const struct mr_digests *digests, uint32_t event_type, size_t event_size)
{
	size_t pos = 0, digests_len = 0;

	pos += cel_put_uint(buf + pos, CEL_TYPE_RECNUM, recnum);
	pos += cel_put_uint(buf + pos, handle_type, handle);
	for (unsigned i = 0; i < digests->count; i++)
		digests_len += CEL_TLV_HEADER_SIZE + hash_info(digests->bank[i].alg)->size;
	pos += cel_put_tl(buf + pos, CEL_TYPE_DIGESTS, (uint32_t)digests_len);
	for (unsigned i = 0; i < digests->count; i++) {
		const struct hash_info *info = hash_info(digests->bank[i].alg);

		pos += cel_put_tl(buf + pos, (uint8_t)info->tcg_id, info->size);
		memcpy(buf + pos, digests->bank[i].digest, info->size);
		pos += info->size;
	}
	pos += cel_put_tl(
		buf + pos, CEL_TYPE_PCCLIENT_STD,
		(uint32_t)(2 * CEL_TLV_HEADER_SIZE + cel_uint_len(event_type) + event_size));
	pos += cel_put_uint(buf + pos, CEL_PCCLIENT_EVENT_TYPE, event_type);
	pos += cel_put_tl(buf + pos, CEL_PCCLIENT_EVENT_DATA, (uint32_t)event_size);
	return pos;
}

int cel_pcclient_write(uint8_t *buf, size_t cap, uint64_t recnum, uint8_t handle_type,
		       uint32_t handle, const struct mr_digests *digests, uint32_t event_type,
		       const void *event, size_t event_size, size_t *written, struct error *e)
{
	size_t size, pos;
	int r;

	r = cel_plan(recnum, handle_type, handle, digests, event_type, event_size, &size, e);
	if (r < 0)
		return r;
	*written = size;
	if (cap < size)
		return error_set(e, -ENOBUFS, "CEL record needs %zu bytes, buffer has %zu", size,
				 cap);
	pos = cel_put_head(buf, recnum, handle_type, handle, digests, event_type, event_size);
	if (event_size)
		memcpy(buf + pos, event, event_size);
	return 0;
}

int cel_aael_event_write(uint8_t *buf, size_t cap, uint64_t recnum, uint32_t pcr,
			 const struct mr_digests *digests, const char *domain,
			 const char *operation, const char *content, size_t *written,
			 struct error *e)
{
	size_t body_size, size, pos, n;
	int r;

	r = aael_validate(domain, operation, content, e);
	if (r < 0)
		return r;
	body_size = aael_body_size(domain, operation, content);
	r = cel_plan(recnum, CEL_TYPE_PCR, pcr, digests, TCG2_EV_EVENT_TAG, body_size, &size, e);
	if (r < 0)
		return r;
	*written = size;
	if (cap < size)
		return error_set(e, -ENOBUFS, "CEL record needs %zu bytes, buffer has %zu", size,
				 cap);
	pos = cel_put_head(buf, recnum, CEL_TYPE_PCR, pcr, digests, TCG2_EV_EVENT_TAG, body_size);
	return aael_body_write(buf + pos, body_size, domain, operation, content, &n, e);
}

int cel_numbering_next(struct cel_numbering *n, uint8_t handle_type, uint32_t handle,
		       uint64_t *recnum, struct error *e)
{
	unsigned i;

	for (i = 0; i < n->count; i++)
		if (n->index[i].handle_type == handle_type && n->index[i].handle == handle)
			break;
	if (i == n->count) {
		if (n->count == CEL_HANDLES_MAX)
			return error_set(e, -E2BIG,
					 "CEL log names more than %u PCRs and NV indices",
					 CEL_HANDLES_MAX);
		n->index[n->count++] = (struct cel_index_count){ handle_type, handle, 0 };
	}
	*recnum = n->index[i].next++;
	return 0;
}

void cel_reader_init(struct cel_reader *r, const void *data, size_t size, uint32_t max_records)
{
	*r = (struct cel_reader){ .data = data, .size = size };
	r->max_records = max_records ? max_records : CEL_RECORDS_MAX_DEFAULT;
}

struct cel_tlv {
	uint8_t type;
	uint32_t len;
	size_t pos; /* of the value */
};

/* The TLV whose header is at pos and whose value must end by limit. */
static int cel_get_tlv(const struct cel_reader *r, const struct cel_record *rec, size_t pos,
		       size_t limit, const char *field, struct cel_tlv *t, struct error *e)
{
	const char *within = limit == r->size ? "the data" : "the enclosing TLV";

	if (limit - pos < CEL_TLV_HEADER_SIZE)
		return error_set(e, -EBADMSG,
				 "record %u at byte %zu: byte %zu: %s TLV header is cut off by the "
				 "end of %s (%zu bytes left)",
				 rec->number, rec->offset, pos, field, within, limit - pos);
	t->type = r->data[pos];
	t->len = bytes_get_be32(r->data + pos + 1);
	t->pos = pos + CEL_TLV_HEADER_SIZE;
	if (t->len > limit - t->pos)
		return error_set(
			e, -EBADMSG,
			"record %u at byte %zu: byte %zu: %s length %u runs past the end of "
			"%s (%zu bytes left)",
			rec->number, rec->offset, pos + 1, field, t->len, within, limit - t->pos);
	return 0;
}

static int cel_get_uint(const struct cel_reader *r, const struct cel_record *rec,
			const struct cel_tlv *t, const char *field, unsigned max, uint64_t *v,
			struct error *e)
{
	if (t->len == 0 || t->len > max)
		return error_set(e, -EBADMSG,
				 "record %u at byte %zu: byte %zu: %s is an integer of %u bytes "
				 "(1..%u)",
				 rec->number, rec->offset, t->pos - CEL_TLV_HEADER_SIZE, field,
				 t->len, max);
	*v = 0;
	for (uint32_t i = 0; i < t->len; i++)
		*v = *v << 8 | r->data[t->pos + i];
	return 0;
}

static int cel_wrong_type(const struct cel_record *rec, const struct cel_tlv *t,
			  const char *expected, struct error *e)
{
	return error_set(e, -EBADMSG, "record %u at byte %zu: byte %zu: type %u where %s must be",
			 rec->number, rec->offset, t->pos - CEL_TLV_HEADER_SIZE, t->type, expected);
}

static int cel_get_digests(const struct cel_reader *r, struct cel_record *rec,
			   const struct cel_tlv *outer, struct error *e)
{
	size_t pos = outer->pos, end = outer->pos + outer->len;

	while (pos < end) {
		struct cel_tlv t;
		unsigned size;
		int k;

		k = cel_get_tlv(r, rec, pos, end, "digest", &t, e);
		if (k < 0)
			return k;
		size = tcg2_known_digest_size(t.type);
		if (size == 0)
			return error_set(
				e, -EBADMSG,
				"record %u at byte %zu: byte %zu: digest of unknown algorithm "
				"0x%02x",
				rec->number, rec->offset, pos, t.type);
		if (t.len != size)
			return error_set(
				e, -EBADMSG,
				"record %u at byte %zu: byte %zu: digest of algorithm 0x%02x "
				"is %u bytes, not %u",
				rec->number, rec->offset, pos + 1, t.type, t.len, size);
		for (unsigned i = 0; i < rec->digest_count; i++)
			if (rec->digests[i].alg_id == t.type)
				return error_set(
					e, -EBADMSG,
					"record %u at byte %zu: byte %zu: second digest of "
					"algorithm 0x%02x",
					rec->number, rec->offset, pos, t.type);
		if (rec->digest_count == CEL_DIGESTS_MAX)
			return error_set(e, -EBADMSG,
					 "record %u at byte %zu: byte %zu: more than %u digests",
					 rec->number, rec->offset, pos, CEL_DIGESTS_MAX);
		rec->digests[rec->digest_count++] =
			(struct cel_digest){ t.type, (uint16_t)size, r->data + t.pos };
		pos = t.pos + t.len;
	}
	return 0;
}

static int cel_get_pcclient(const struct cel_reader *r, struct cel_record *rec,
			    const struct cel_tlv *outer, struct error *e)
{
	size_t end = outer->pos + outer->len;
	struct cel_tlv t;
	uint64_t v;
	int k;

	k = cel_get_tlv(r, rec, outer->pos, end, "pcclient_std event_type", &t, e);
	if (k < 0)
		return k;
	if (t.type != CEL_PCCLIENT_EVENT_TYPE)
		return cel_wrong_type(rec, &t, "pcclient_std event_type (0)", e);
	k = cel_get_uint(r, rec, &t, "event_type", 4, &v, e);
	if (k < 0)
		return k;
	rec->event_type = (uint32_t)v;
	k = cel_get_tlv(r, rec, t.pos + t.len, end, "pcclient_std event_data", &t, e);
	if (k < 0)
		return k;
	if (t.type != CEL_PCCLIENT_EVENT_DATA)
		return cel_wrong_type(rec, &t, "pcclient_std event_data (1)", e);
	if (t.pos + t.len != end)
		return error_set(e, -EBADMSG,
				 "record %u at byte %zu: byte %zu: %zu bytes after event_data in "
				 "pcclient_std",
				 rec->number, rec->offset, t.pos + t.len, end - t.pos - t.len);
	rec->event_data = r->data + t.pos;
	rec->event_data_size = t.len;
	return 0;
}

int cel_reader_next(struct cel_reader *r, struct cel_record *rec, struct error *e)
{
	struct cel_tlv t;
	uint64_t v;
	int k;

	if (r->pos == r->size)
		return 0;
	if (r->records >= r->max_records)
		return error_set(e, -E2BIG, "CEL log has more than %u records", r->max_records);
	*rec = (struct cel_record){ .number = r->records + 1, .offset = r->pos };

	k = cel_get_tlv(r, rec, r->pos, r->size, "recnum", &t, e);
	if (k < 0)
		return k;
	if (t.type != CEL_TYPE_RECNUM)
		return cel_wrong_type(rec, &t, "recnum (0)", e);
	k = cel_get_uint(r, rec, &t, "recnum", 8, &rec->recnum, e);
	if (k < 0)
		return k;

	k = cel_get_tlv(r, rec, t.pos + t.len, r->size, "pcr or nv_index", &t, e);
	if (k < 0)
		return k;
	if (t.type != CEL_TYPE_PCR && t.type != CEL_TYPE_NV_INDEX)
		return cel_wrong_type(rec, &t, "pcr (1) or nv_index (2)", e);
	k = cel_get_uint(r, rec, &t, t.type == CEL_TYPE_PCR ? "pcr" : "nv_index", 4, &v, e);
	if (k < 0)
		return k;
	rec->handle_type = t.type;
	rec->handle = (uint32_t)v;
	k = cel_numbering_next(&r->numbering, rec->handle_type, rec->handle, &v, e);
	if (k < 0)
		return k;
	if (rec->recnum != v)
		return error_set(e, -EBADMSG,
				 "record %u at byte %zu: recnum %llu where %s %u expects %llu",
				 rec->number, rec->offset, (unsigned long long)rec->recnum,
				 rec->handle_type == CEL_TYPE_PCR ? "pcr" : "nv_index", rec->handle,
				 (unsigned long long)v);

	k = cel_get_tlv(r, rec, t.pos + t.len, r->size, "digests", &t, e);
	if (k < 0)
		return k;
	if (t.type != CEL_TYPE_DIGESTS)
		return cel_wrong_type(rec, &t, "digests (3)", e);
	k = cel_get_digests(r, rec, &t, e);
	if (k < 0)
		return k;

	k = cel_get_tlv(r, rec, t.pos + t.len, r->size, "content", &t, e);
	if (k < 0)
		return k;
	switch (t.type) {
	case CEL_TYPE_PCCLIENT_STD:
		k = cel_get_pcclient(r, rec, &t, e);
		if (k < 0)
			return k;
		break;
	case CEL_TYPE_CEL_MGT:
	case CEL_TYPE_IMA_TEMPLATE:
	case CEL_TYPE_IMA_TLV:
	case CEL_TYPE_SYSTEMD:
		break;
	default:
		return cel_wrong_type(rec, &t, "a content type (4, 5, 7, 8, 9)", e);
	}
	/* Only CEL management records extend nothing. */
	if (rec->digest_count == 0 && t.type != CEL_TYPE_CEL_MGT)
		return error_set(e, -EBADMSG, "record %u at byte %zu: no digests", rec->number,
				 rec->offset);
	rec->content_type = t.type;
	rec->content = r->data + t.pos;
	rec->content_size = t.len;
	rec->size = t.pos + t.len - rec->offset;
	r->pos = t.pos + t.len;
	r->records++;
	return 1;
}
