/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "evlog/render.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "evlog/aael.h"
#include "evlog/ccel.h"
#include "evlog/cel.h"
#include "evlog/journal.h"
#include "evlog/tcg2.h"
#include "json/jcs.h"
#include "json/json.h"
#include "basic/macro.h"
#include "mr/registers.h"
#include "basic/utf8.h"

static const char *const format_names[] = {
	[RENDER_JSON] = "json",	      [RENDER_TEXT] = "text", [RENDER_AAEL] = "aael",
	[RENDER_CEL_TLV] = "cel-tlv", [RENDER_CCEL] = "ccel",
};

int render_format_from_name(const char *name, enum render_format *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(format_names); i++)
		if (strcmp(name, format_names[i]) == 0) {
			*ret = (enum render_format)i;
			return 0;
		}
	return -EINVAL;
}

const char *render_format_name(enum render_format format)
{
	return format_names[format];
}

bool render_format_is_binary(enum render_format format)
{
	return format != RENDER_JSON && format != RENDER_TEXT;
}

void render_buf_free(struct render_buf *b)
{
	free(b->data);
	*b = (struct render_buf){ 0 };
}

static int render_buf_reserve(struct render_buf *b, size_t n, struct error *e)
{
	size_t cap;
	uint8_t *p;

	if (b->cap - b->len >= n)
		return 0;
	if (n > SIZE_MAX / 2 - b->len)
		return error_set(e, -ENOMEM, "rendered log: %zu more bytes is too much", n);
	cap = b->cap ? b->cap : 4096;
	while (cap - b->len < n)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		return error_set_errno(e, -ENOMEM, "rendered log");
	b->data = p;
	b->cap = cap;
	return 0;
}

static int render_buf_append(struct render_buf *b, const void *data, size_t n, struct error *e)
{
	int r = render_buf_reserve(b, n, e);

	if (r < 0)
		return r;
	if (n)
		memcpy(b->data + b->len, data, n);
	b->len += n;
	return 0;
}

__attribute__((format(printf, 3, 4))) static int render_buf_printf(struct render_buf *b,
								   struct error *e, const char *fmt,
								   ...)
{
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return error_set_errno(e, -EINVAL, "rendered log");
	/* One more for the NUL vsnprintf() writes; it is not counted in len. */
	r = render_buf_reserve(b, (size_t)n + 1, e);
	if (r < 0)
		return r;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

/*
 * Text from the journal is data, and a journal can be edited: a control character in it must
 * not reach a terminal as one (an escape sequence could rewrite what is on the screen).
 */
static int render_buf_put_text(struct render_buf *b, const char *s, struct error *e)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int r = c < 0x20 || c == 0x7f ? render_buf_printf(b, e, "\\x%02x", c)
					      : render_buf_append(b, &c, 1, e);

		if (r < 0)
			return r;
	}
	return 0;
}

/* The reason is cut to its buffer's size and may end inside a character; JSON needs whole ones. */
static size_t render_utf8_prefix(const char *s)
{
	size_t n = strlen(s), bad;
	const char *why;

	return utf8_validate(s, n, &bad, &why) < 0 ? bad : n;
}

/*
 * record_to_json() is the one definition of a record's fields: each one is taken from it
 * in its order, the state replaced by the final one (record_to_json() writes the pending
 * record that went ahead of the extend).
 */
static int render_json_record(struct json_writer *w, const struct record *r, struct error *e)
{
	_cleanup_free_ char *text = NULL;
	const struct json_value *doc, *m;
	struct json_arena arena;
	size_t len;
	int k;

	k = record_to_json(r, &text, &len, e);
	if (k < 0)
		return error_prefix(e, "record %llu", (unsigned long long)r->seq);
	json_arena_init(&arena, 64 * len + 4096);
	k = json_parse(&arena, text, len, &doc, e);
	if (k < 0) {
		json_arena_free(&arena);
		return error_prefix(e, "record %llu", (unsigned long long)r->seq);
	}
	json_writer_begin_object(w);
	json_foreach(m, doc)
	{
		json_writer_key_len(w, m->key, m->key_len);
		if (strcmp(m->key, "state") == 0)
			json_writer_string(w, record_state_name(r->state));
		else if (m->type == JSON_NUMBER)
			/* As written: seq and time_usec are u64, beyond a double's exact range. */
			json_writer_raw(w, m->u.number.text, m->u.number.len);
		else
			jcs_write(w, m);
	}
	if (r->reason[0]) {
		json_writer_key(w, "reason");
		json_writer_string_len(w, r->reason, render_utf8_prefix(r->reason));
	}
	json_writer_end_object(w);
	json_arena_free(&arena);
	return 0;
}

int render_json(struct render_buf *out, const struct record *records, size_t count, struct error *e)
{
	struct json_writer w;
	int k = 0;

	/* Re-escaping can make a record longer than the journal held it, never 4 times. */
	json_writer_init(&w, 4 * (size_t)JOURNAL_SIZE_MAX);
	json_writer_begin_object(&w);
	json_writer_key(&w, "records");
	json_writer_begin_array(&w);
	for (size_t i = 0; i < count && k >= 0; i++)
		k = render_json_record(&w, &records[i], e);
	json_writer_end_array(&w);
	json_writer_end_object(&w);
	if (k >= 0)
		k = json_writer_finish(&w, e);
	if (k >= 0)
		k = render_buf_append(out, w.buf, w.len, e);
	if (k >= 0)
		k = render_buf_append(out, "\n", 1, e);
	json_writer_free(&w);
	return k;
}

static int render_text_digests(struct render_buf *out, const struct mr_digests *d, struct error *e)
{
	char hex[2 * HASH_MAX_SIZE + 1];

	for (unsigned i = 0; i < d->count; i++) {
		const struct hash_info *info = hash_info(d->bank[i].alg);
		int k;

		hex_encode(hex, d->bank[i].digest, info->size);
		k = render_buf_printf(out, e, "    %-7s %s\n", info->name, hex);
		if (k < 0)
			return k;
	}
	return 0;
}

static int render_text_record(struct render_buf *out, const struct record *r, struct error *e)
{
	char name[24];
	int k;

	mr_register_name(r->family, r->index, name, sizeof(name));
	k = render_buf_printf(out, e, "%llu  %-9s  %s", (unsigned long long)r->seq,
			      record_state_name(r->state), name);
	if (k >= 0 && r->family != MR_FAMILY_TPM)
		k = render_buf_printf(out, e, " (pcr %u)", r->event.pcr);
	if (k >= 0)
		k = render_buf_append(out, "  ", 2, e);
	if (k >= 0)
		k = render_buf_put_text(out, r->event.domain, e);
	if (k >= 0)
		k = render_buf_append(out, " ", 1, e);
	if (k >= 0)
		k = render_buf_put_text(out, r->event.operation, e);
	if (k >= 0)
		k = render_buf_append(out, " ", 1, e);
	if (k >= 0)
		k = render_buf_put_text(out, r->event.content, e);
	if (k >= 0)
		k = render_buf_append(out, "\n", 1, e);
	if (k >= 0)
		k = render_text_digests(out, &r->digests, e);
	if (k >= 0 && r->reason[0]) {
		k = render_buf_append(out, "    reason: ", 12, e);
		if (k >= 0)
			k = render_buf_put_text(out, r->reason, e);
		if (k >= 0)
			k = render_buf_append(out, "\n", 1, e);
	}
	return k;
}

int render_text(struct render_buf *out, const char *log_path, const struct record *records,
		size_t count, struct error *e)
{
	size_t states[RECORD_ABORTED + 1] = { 0 };
	int k;

	for (size_t i = 0; i < count; i++)
		states[records[i].state]++;
	k = render_buf_append(out, "# ", 2, e);
	if (k >= 0)
		k = render_buf_put_text(out, log_path, e);
	if (k >= 0)
		k = render_buf_printf(
			out, e, ": %zu records, %zu committed, %zu pending, %zu aborted\n", count,
			states[RECORD_COMMITTED], states[RECORD_PENDING], states[RECORD_ABORTED]);
	for (size_t i = 0; i < count && k >= 0; i++)
		k = render_text_record(out, &records[i], e);
	return k;
}

/*
 * A binary log names a register by number alone: PCR 2 and RTMR1 (CC index 2) would read as
 * one register, and a TDX log cannot be replayed into CCA registers. One family per log.
 */
static int render_check_family(const struct record *records, size_t count, bool cc_only,
			       struct error *e)
{
	const struct record *first = NULL;

	for (size_t i = 0; i < count; i++) {
		const struct record *r = &records[i];

		if (r->state != RECORD_COMMITTED)
			continue;
		if (r->family == MR_FAMILY_NONE)
			return error_set(e, -EINVAL,
					 "record %llu was logged without a register (this platform "
					 "has none); a binary event log describes register extends",
					 (unsigned long long)r->seq);
		if (cc_only && r->family == MR_FAMILY_TPM)
			return error_set(e, -EINVAL,
					 "record %llu is of TPM PCR %u; the CCEL describes TDX and "
					 "CCA registers only",
					 (unsigned long long)r->seq, r->index);
		if (!first)
			first = r;
		else if (r->family != first->family)
			return error_set(
				e, -EINVAL,
				"record %llu is of a %s register, record %llu of a %s one; "
				"a binary log cannot tell their registers apart",
				(unsigned long long)first->seq, mr_family_name(first->family),
				(unsigned long long)r->seq, mr_family_name(r->family));
	}
	return 0;
}

/* The digests are what a verifier replays: they must be what the event says was measured. */
static int render_check_digests(const struct record *r, struct error *e)
{
	enum hash_alg banks[MR_BANKS_MAX];
	struct mr_digests want;
	int k;

	if (r->family != MR_FAMILY_TPM && r->digests.count != 1)
		return error_set(e, -EINVAL, "record %llu: a %s register has one bank, not %u",
				 (unsigned long long)r->seq, mr_family_name(r->family),
				 r->digests.count);
	for (unsigned i = 0; i < r->digests.count; i++)
		banks[i] = r->digests.bank[i].alg;
	k = record_event_digests(&r->event, r->family, banks, r->digests.count, &want, e);
	if (k < 0)
		return error_prefix(e, "record %llu", (unsigned long long)r->seq);
	for (unsigned i = 0; i < r->digests.count; i++)
		if (memcmp(want.bank[i].digest, r->digests.bank[i].digest,
			   hash_info(banks[i])->size) != 0)
			return error_set(e, -EINVAL,
					 "record %llu: its %s digest is not the hash of its event; "
					 "the log is damaged or was edited",
					 (unsigned long long)r->seq, hash_info(banks[i])->name);
	return 0;
}

/* The CC index of a TDX RTMR or CCA REM: the CCEL counts MRTD / RIM as 0. */
static uint32_t render_handle(const struct record *r)
{
	return r->family == MR_FAMILY_TPM ? r->index : r->index + 1;
}

static int render_tcg2_record(struct render_buf *out, const struct record *r, struct error *e)
{
	const struct record_event *ev = &r->event;
	struct mr_digests one = { .count = 1, .bank = { { .alg = r->digests.bank[0].alg } } };
	_cleanup_free_ uint8_t *body = NULL;
	size_t body_size, need, n;
	int k;

	k = aael_validate(ev->domain, ev->operation, ev->content, e);
	if (k < 0)
		return k;
	body_size = aael_body_size(ev->domain, ev->operation, ev->content);
	need = tcg2_event2_size(r->family == MR_FAMILY_TPM ? &r->digests : &one, body_size);
	if (need == 0)
		return error_set(e, -EINVAL, "an event of %zu bytes is too large", body_size);
	k = render_buf_reserve(out, need, e);
	if (k < 0)
		return k;
	if (r->family != MR_FAMILY_TPM) {
		/* The very writer that appends to the CCEL, so that the two cannot differ. */
		k = tcg2_aael_event_write(out->data + out->len, need, render_handle(r),
					  r->digests.bank[0].alg, ev->domain, ev->operation,
					  ev->content, &n, e);
		if (k >= 0)
			out->len += n;
		return k;
	}
	body = malloc(body_size);
	if (!body)
		return error_set_errno(e, -ENOMEM, "AAEL body");
	k = aael_body_write(body, body_size, ev->domain, ev->operation, ev->content, &n, e);
	if (k >= 0)
		k = tcg2_event2_write(out->data + out->len, need, r->index, TCG2_EV_EVENT_TAG,
				      &r->digests, body, body_size, &n, e);
	if (k >= 0)
		out->len += n;
	return k;
}

/* The committed records as TCG_PCR_EVENT2, checked first; no output is left on an error. */
static int render_tcg2_records(struct render_buf *out, const struct record *records, size_t count,
			       struct error *e)
{
	size_t start = out->len;

	for (size_t i = 0; i < count; i++) {
		const struct record *r = &records[i];
		int k;

		if (r->state != RECORD_COMMITTED)
			continue;
		k = render_check_digests(r, e);
		if (k >= 0) {
			k = render_tcg2_record(out, r, e);
			if (k < 0)
				error_prefix(e, "record %llu", (unsigned long long)r->seq);
		}
		if (k < 0) {
			out->len = start;
			return k;
		}
	}
	return 0;
}

int render_aael(struct render_buf *out, const struct record *records, size_t count, struct error *e)
{
	int k = render_check_family(records, count, false, e);

	return k < 0 ? k : render_tcg2_records(out, records, count, e);
}

static int render_cel_record(struct render_buf *out, struct cel_numbering *numbering,
			     const struct record *r, struct error *e)
{
	const struct record_event *ev = &r->event;
	struct error probe = { 0 };
	size_t size = 0, n;
	uint64_t recnum;
	int k;

	k = cel_numbering_next(numbering, CEL_TYPE_PCR, render_handle(r), &recnum, e);
	if (k < 0)
		return k;
	/* The writer says how much room the record needs when it is given none. */
	k = cel_aael_event_write(NULL, 0, recnum, render_handle(r), &r->digests, ev->domain,
				 ev->operation, ev->content, &size, &probe);
	if (k != -ENOBUFS) {
		*e = probe; /* refused whatever the room: the event breaks the AAEL rules */
		return k;
	}
	k = render_buf_reserve(out, size, e);
	if (k >= 0)
		k = cel_aael_event_write(out->data + out->len, size, recnum, render_handle(r),
					 &r->digests, ev->domain, ev->operation, ev->content, &n,
					 e);
	if (k >= 0)
		out->len += n;
	return k;
}

int render_cel_tlv(struct render_buf *out, const struct record *records, size_t count,
		   struct error *e)
{
	struct cel_numbering numbering = { 0 };
	size_t start = out->len;
	int k;

	k = render_check_family(records, count, false, e);
	for (size_t i = 0; i < count && k >= 0; i++) {
		const struct record *r = &records[i];

		if (r->state != RECORD_COMMITTED)
			continue;
		k = render_check_digests(r, e);
		if (k >= 0) {
			k = render_cel_record(out, &numbering, r, e);
			if (k < 0)
				error_prefix(e, "record %llu", (unsigned long long)r->seq);
		}
	}
	if (k < 0)
		out->len = start;
	return k;
}

int render_ccel(struct render_buf *out, const void *firmware, size_t firmware_size,
		const struct record *records, size_t count, struct error *e)
{
	struct render_buf ours = { 0 };
	size_t written = 0, cap;
	int k;

	k = render_check_family(records, count, true, e);
	if (k >= 0)
		k = render_tcg2_records(&ours, records, count, e);
	if (k < 0)
		goto out;
	/* The stream keeps at most all of the firmware's bytes. */
	cap = firmware_size + ours.len + CCEL_TERMINATOR_SIZE;
	if (cap < firmware_size) {
		k = error_set(e, -EINVAL, "CCEL stream too large");
		goto out;
	}
	k = render_buf_reserve(out, cap, e);
	if (k >= 0)
		k = ccel_stream_build(out->data + out->len, cap, firmware, firmware_size, ours.data,
				      ours.len, &written, e);
	if (k >= 0)
		out->len += written;
out:
	render_buf_free(&ours);
	return k;
}
