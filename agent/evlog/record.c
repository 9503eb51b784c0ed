/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "evlog/record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "evlog/aael.h"
#include "json/json.h"
#include "basic/macro.h"
#include "mr/registers.h"

static const char *const state_names[] = {
	[RECORD_PENDING] = "pending",
	[RECORD_COMMITTED] = "committed",
	[RECORD_ABORTED] = "aborted",
};

const char *record_state_name(enum record_state s)
{
	return state_names[s];
}

static int record_word(char *dst, const char *src, const char *what, struct error *e)
{
	size_t n = strlen(src);

	if (n == 0 || n >= RECORD_WORD_MAX)
		return error_set(e, -EINVAL, "%s must be 1..%d characters", what,
				 RECORD_WORD_MAX - 1);
	memcpy(dst, src, n + 1);
	return 0;
}

int record_event_set(struct record_event *ev, unsigned pcr, const char *domain,
		     const char *operation, const char *content, bool string_style,
		     const char *event_type, struct error *e)
{
	int r;

	*ev = (struct record_event){ .pcr = pcr, .string_style = string_style };
	if (pcr > 23)
		return error_set(e, -EINVAL, "PCR %u is out of range 0..23", pcr);
	r = aael_validate(domain, operation, content, e);
	if (r < 0)
		return r;
	r = record_word(ev->domain, domain, "the domain", e);
	if (r >= 0)
		r = record_word(ev->operation, operation, "the operation", e);
	if (r >= 0)
		r = record_word(ev->event_type, event_type, "the event type", e);
	if (r < 0)
		return r;
	ev->content = strdup(content);
	if (!ev->content)
		return error_set_errno(e, -ENOMEM, "event content");
	return 0;
}

void record_event_free(struct record_event *ev)
{
	free(ev->content);
	ev->content = NULL;
}

int record_event_tpm_string(const struct record_event *ev, char **out, struct error *e)
{
	if (ev->string_style)
		*out = strdup(ev->content);
	else if (asprintf(out, "%s %s %s", ev->domain, ev->operation, ev->content) < 0)
		*out = NULL; /* asprintf() leaves it undefined on failure */
	return *out ? 0 : error_set_errno(e, -ENOMEM, "event string");
}

int record_event_digests(const struct record_event *ev, enum mr_family family,
			 const enum hash_alg *banks, unsigned n_banks, struct mr_digests *out,
			 struct error *e)
{
	_cleanup_free_ char *text = NULL;
	int r;

	*out = (struct mr_digests){ .count = n_banks };
	if (family == MR_FAMILY_TPM) {
		r = record_event_tpm_string(ev, &text, e);
		if (r < 0)
			return r;
	}
	for (unsigned i = 0; i < n_banks; i++) {
		out->bank[i].alg = banks[i];
		if (text) {
			hash_buffer(banks[i], text, strlen(text), out->bank[i].digest);
			continue;
		}
		r = aael_digest(banks[i], ev->domain, ev->operation, ev->content,
				out->bank[i].digest, e);
		if (r < 0)
			return r;
	}
	return 0; /* NOLINT(clang-analyzer-unix.Malloc): _cleanup_free_ frees it */
}

static void record_write_digests(struct json_writer *w, const char *key, const struct mr_digests *d)
{
	char hex[2 * HASH_MAX_SIZE + 1];

	json_writer_key(w, key);
	json_writer_begin_array(w);
	for (unsigned i = 0; i < d->count; i++) {
		hex_encode(hex, d->bank[i].digest, hash_info(d->bank[i].alg)->size);
		json_writer_begin_object(w);
		json_writer_key(w, "alg");
		json_writer_string(w, hash_info(d->bank[i].alg)->name);
		json_writer_key(w, "digest");
		json_writer_string(w, hex);
		json_writer_end_object(w);
	}
	json_writer_end_array(w);
}

static int record_finish(struct json_writer *w, char **out, size_t *len, struct error *e)
{
	int r = json_writer_finish(w, e);

	if (r < 0) {
		json_writer_free(w);
		return r;
	}
	*out = w->buf; /* ownership passes to the caller */
	*len = w->len;
	return 0;
}

int record_to_json(const struct record *r, char **out, size_t *len, struct error *e)
{
	struct json_writer w;

	json_writer_init(&w, 1u << 20);
	json_writer_begin_object(&w);
	json_writer_key(&w, "seq");
	json_writer_uint64(&w, r->seq);
	json_writer_key(&w, "state");
	json_writer_string(&w, state_names[RECORD_PENDING]);
	json_writer_key(&w, "pcr");
	json_writer_uint64(&w, r->event.pcr);
	json_writer_key(&w, "family");
	json_writer_string(&w, mr_family_name(r->family));
	json_writer_key(&w, "index");
	json_writer_uint64(&w, r->index);
	json_writer_key(&w, "domain");
	json_writer_string(&w, r->event.domain);
	json_writer_key(&w, "operation");
	json_writer_string(&w, r->event.operation);
	json_writer_key(&w, "content");
	json_writer_string(&w, r->event.content);
	json_writer_key(&w, "style");
	json_writer_string(&w, r->event.string_style ? "string" : "aael");
	json_writer_key(&w, "event_type");
	json_writer_string(&w, r->event.event_type);
	record_write_digests(&w, "digests", &r->digests);
	record_write_digests(&w, "before", &r->before);
	record_write_digests(&w, "after", &r->after);
	json_writer_key(&w, "time_usec");
	json_writer_uint64(&w, r->time_usec);
	json_writer_key(&w, "boot_id");
	json_writer_string(&w, r->boot_id);
	json_writer_end_object(&w);
	return record_finish(&w, out, len, e);
}

int record_state_to_json(uint64_t seq, enum record_state state, const char *reason, char **out,
			 size_t *len, struct error *e)
{
	struct json_writer w;

	json_writer_init(&w, 4096);
	json_writer_begin_object(&w);
	json_writer_key(&w, "seq");
	json_writer_uint64(&w, seq);
	json_writer_key(&w, "state");
	json_writer_string(&w, state_names[state]);
	if (reason) {
		json_writer_key(&w, "reason");
		json_writer_string(&w, reason);
	}
	json_writer_end_object(&w);
	return record_finish(&w, out, len, e);
}

static int record_get_word(const struct json_value *v, const char *key, char *dst, struct error *e)
{
	const char *s;
	size_t n;
	int r = json_object_get_string(v, key, &s, &n, e);

	if (r < 0)
		return r;
	if (n == 0 || n >= RECORD_WORD_MAX || strlen(s) != n)
		return error_set(e, -EINVAL, "member '%s' must be 1..%d characters", key,
				 RECORD_WORD_MAX - 1);
	memcpy(dst, s, n + 1);
	return 0;
}

/* A log-only event (no register) has no value before or after: allow_empty. */
static int record_get_digests(const struct json_value *v, const char *key, bool allow_empty,
			      struct mr_digests *d, struct error *e)
{
	const struct json_value *arr, *item;
	int r = json_object_get_array(v, key, &arr, e);

	if (r < 0)
		return r;
	*d = (struct mr_digests){ 0 };
	if ((arr->u.container.count == 0 && !allow_empty) || arr->u.container.count > MR_BANKS_MAX)
		return error_set(e, -EINVAL, "member '%s' must list 1..%d digests", key,
				 MR_BANKS_MAX);
	json_foreach(item, arr)
	{
		struct mr_bank_digest *b = &d->bank[d->count];
		const char *alg, *hex;
		size_t alg_len, hex_len, n;

		if (json_object_get_string(item, "alg", &alg, &alg_len, e) < 0 ||
		    json_object_get_string(item, "digest", &hex, &hex_len, e) < 0)
			return error_prefix(e, "member '%s'", key);
		if (hash_alg_from_name(alg, &b->alg) < 0)
			return error_set(e, -EINVAL, "member '%s': unknown algorithm '%s'", key,
					 alg);
		r = hex_decode(b->digest, sizeof(b->digest), hex, hex_len, &n, e);
		if (r < 0)
			return error_prefix(e, "member '%s'", key);
		if (n != hash_info(b->alg)->size)
			return error_set(e, -EINVAL, "member '%s': a %s digest of %zu bytes", key,
					 alg, n);
		d->count++;
	}
	return 0;
}

int record_from_json(const struct json_value *v, struct record *r, bool *is_state, struct error *e)
{
	const char *state, *s;
	uint64_t u;
	size_t n;
	int k;

	*r = (struct record){ 0 };
	if (v->type != JSON_OBJECT)
		return error_set(e, -EINVAL, "a record must be a JSON object");
	if ((k = json_object_get_uint64(v, "seq", &r->seq, e)) < 0 ||
	    (k = json_object_get_string(v, "state", &state, &n, e)) < 0)
		return k;
	for (k = 0; k <= RECORD_ABORTED && strcmp(state, state_names[k]) != 0; k++)
		;
	if (k > RECORD_ABORTED)
		return error_set(e, -EINVAL, "unknown state '%s'", state);
	r->state = (enum record_state)k;
	*is_state = r->state != RECORD_PENDING;
	if (*is_state) {
		if (json_object_get(v, "reason") &&
		    json_object_get_string(v, "reason", &s, &n, e) == 0)
			snprintf(r->reason, sizeof(r->reason), "%s", s);
		return 0;
	}
	if ((k = json_object_get_uint64(v, "pcr", &u, e)) < 0)
		return k;
	if (u > 23)
		return error_set(e, -EINVAL, "member 'pcr' %llu is out of range 0..23",
				 (unsigned long long)u);
	r->event.pcr = (unsigned)u;
	if ((k = json_object_get_string(v, "family", &s, &n, e)) < 0)
		return k;
	for (k = 0; k <= MR_FAMILY_NONE && strcmp(s, mr_family_name((enum mr_family)k)) != 0; k++)
		;
	if (k > MR_FAMILY_NONE)
		return error_set(e, -EINVAL, "unknown register family '%s'", s);
	r->family = (enum mr_family)k;
	if ((k = json_object_get_uint64(v, "index", &u, e)) < 0)
		return k;
	if (u > 23)
		return error_set(e, -EINVAL, "member 'index' %llu is out of range",
				 (unsigned long long)u);
	r->index = (unsigned)u;
	if ((k = record_get_word(v, "domain", r->event.domain, e)) < 0 ||
	    (k = record_get_word(v, "operation", r->event.operation, e)) < 0 ||
	    (k = record_get_word(v, "event_type", r->event.event_type, e)) < 0 ||
	    (k = json_object_get_string(v, "content", &s, &n, e)) < 0)
		return k;
	if (strlen(s) != n)
		return error_set(e, -EINVAL, "member 'content' holds a NUL character");
	r->event.content = strdup(s);
	if (!r->event.content)
		return error_set_errno(e, -ENOMEM, "record content");
	if ((k = json_object_get_string(v, "style", &s, &n, e)) < 0)
		goto fail;
	if (strcmp(s, "string") != 0 && strcmp(s, "aael") != 0) {
		k = error_set(e, -EINVAL, "unknown event style '%s'", s);
		goto fail;
	}
	r->event.string_style = strcmp(s, "string") == 0;
	if ((k = record_get_digests(v, "digests", false, &r->digests, e)) < 0 ||
	    (k = record_get_digests(v, "before", r->family == MR_FAMILY_NONE, &r->before, e)) < 0 ||
	    (k = record_get_digests(v, "after", r->family == MR_FAMILY_NONE, &r->after, e)) < 0 ||
	    (k = json_object_get_uint64(v, "time_usec", &r->time_usec, e)) < 0 ||
	    (k = json_object_get_string(v, "boot_id", &s, NULL, e)) < 0)
		goto fail;
	/* Cut short, it could end inside a character, and the record would not write back. */
	if (strlen(s) >= sizeof(r->boot_id)) {
		k = error_set(e, -EINVAL, "member 'boot_id' is longer than %zu bytes",
			      sizeof(r->boot_id) - 1);
		goto fail;
	}
	memcpy(r->boot_id, s, strlen(s) + 1);
	return 0;
fail:
	record_free(r);
	return k;
}

void record_free(struct record *r)
{
	record_event_free(&r->event);
}
