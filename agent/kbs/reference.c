/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kbs/reference.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "basic/macro.h"
#include "json/json.h"
#include "measure/plan.h"
#include "measure/predict.h"

#define REFERENCE_IMAGE_MAX 64
/* A payload is a few events and registers; a megabyte is far beyond any plan. */
#define REFERENCE_JSON_MAX (1u << 20)

static int reference_image_check(const char *name, size_t n, struct error *e)
{
	/* Trustee's file, Postgres and Redis stores take [A-Za-z0-9._/-] in a key; '/' is ours. */
	static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789._-";
	size_t ok = 0;

	while (ok < n && name[ok] && strchr(allowed, name[ok]))
		ok++;
	if (n == 0 || n > REFERENCE_IMAGE_MAX || ok != n)
		return error_set(e, -EINVAL,
				 "image name '%.*s': 1 to %d letters, digits, '.', '_' or '-'",
				 (int)n, name, REFERENCE_IMAGE_MAX);
	return 0;
}

int reference_image_name_check(const char *name, struct error *e)
{
	return reference_image_check(name, strlen(name), e);
}

int reference_image_list_check(const char *list, struct error *e)
{
	for (;;) {
		size_t n = strcspn(list, ",");
		int r = reference_image_check(list, n, e);

		if (r < 0 || list[n] == '\0')
			return r;
		list += n + 1;
	}
}

const char *reference_tee(const struct predict *p)
{
	static const char *const tee[] = {
		[MR_FAMILY_TDX] = "tdx",
		[MR_FAMILY_CCA] = "cca",
		[MR_FAMILY_TPM] = "tpm",
		[MR_FAMILY_NONE] = "snp", /* the one platform predict_layout() gives no register */
	};

	return tee[p->layout.family];
}

/* The bank a broker compares: TDX and CCA have one; Trustee's TPM claims are SHA-256 only. */
static const struct mr_bank_digest *reference_bank(const struct predict *p,
						   const struct predict_register *pr)
{
	for (unsigned b = 0; b < pr->value.count; b++)
		if (p->layout.family != MR_FAMILY_TPM || pr->value.bank[b].alg == HASH_SHA256)
			return &pr->value.bank[b];
	return NULL;
}

static bool reference_register_held(const struct predict *p, const struct predict_register *pr)
{
	return pr->complete && reference_bank(p, pr);
}

bool reference_rvps_holds(const struct predict *p)
{
	if (p->layout.family == MR_FAMILY_TDX && p->n_events > 0)
		return true;
	if (p->layout.family == MR_FAMILY_NONE)
		return false; /* SEV-SNP: no register of mrboot's, and no log in Trustee's evidence
			       */
	for (unsigned i = 0; i < p->n_registers; i++)
		if (reference_register_held(p, &p->registers[i]))
			return true;
	return false;
}

/*
 * Trustee's AAEL parser (deps/eventlog/src/ccel/event_tag.rs) gives a content that parses as
 * JSON as that value, and any other as a string: the reference holds it the same way, so that
 * the policy compares values, not texts.
 */
static void reference_content(struct json_writer *w, const char *content)
{
	struct json_arena arena;
	const struct json_value *v;
	struct error ignored = { 0 };
	size_t n = strlen(content);

	json_arena_init(&arena, 64 * n + 4096);
	if (json_parse(&arena, content, n, &v, &ignored) == 0)
		json_writer_raw(w, content, n);
	else
		json_writer_string(w, content);
	json_arena_free(&arena);
}

/* The claim name and the value's encoding of Trustee's verifiers (the sheet's section 2). */
static void reference_rvps_register(struct json_writer *w, const struct predict *p,
				    const struct predict_register *pr)
{
	const struct mr_bank_digest *d = reference_bank(p, pr);
	size_t size = hash_info(d->alg)->size;
	char name[16], text[2 * HASH_MAX_SIZE + 4];

	switch (p->layout.family) {
	case MR_FAMILY_TDX:
		snprintf(name, sizeof(name), "rtmr_%u", pr->index);
		hex_encode(text, d->digest, size);
		break;
	case MR_FAMILY_CCA:
		snprintf(name, sizeof(name), "rem%u", pr->index);
		base64_encode(text, d->digest, size, BASE64_STD);
		break;
	default: /* TPM: by position in the quote's list, which holds PCR 0 onwards */
		snprintf(name, sizeof(name), "pcr%02u", pr->index);
		hex_encode(text, d->digest, size);
		break;
	}
	json_writer_key(w, name);
	json_writer_string(w, text);
}

static void reference_rvps_alternative(struct json_writer *w, const struct predict *p,
				       const struct measure_plan *plan)
{
	json_writer_begin_object(w);
	json_writer_key(w, "registers");
	json_writer_begin_object(w);
	for (unsigned i = 0; i < p->n_registers; i++)
		if (reference_register_held(p, &p->registers[i]))
			reference_rvps_register(w, p, &p->registers[i]);
	json_writer_end_object(w);
	json_writer_key(w, "events");
	json_writer_begin_array(w);
	for (unsigned i = 0; p->layout.family == MR_FAMILY_TDX && i < plan->count; i++) {
		json_writer_begin_object(w);
		json_writer_key(w, "domain");
		json_writer_string(w, plan->ev[i].domain);
		json_writer_key(w, "operation");
		json_writer_string(w, plan->ev[i].operation);
		json_writer_key(w, "content");
		reference_content(w, plan->ev[i].content);
		json_writer_end_object(w);
	}
	json_writer_end_array(w);
	json_writer_end_object(w);
}

/* The sample extractor's payload: a JSON object of names to values, stored as given. */
static int reference_rvps_payload(struct json_writer *w, const struct reference_input *in)
{
	static const char *const tees[] = { "tdx", "cca", "tpm" };
	char key[32 + REFERENCE_IMAGE_MAX];
	int held = 0;

	json_writer_begin_object(w);
	for (size_t t = 0; t < ARRAY_SIZE(tees); t++) {
		bool open = false;

		for (size_t i = 0; i < in->n; i++) {
			const struct predict *p = &in->predictions[i];

			if (strcmp(reference_tee(p), tees[t]) != 0 || !reference_rvps_holds(p))
				continue;
			if (!open) {
				snprintf(key, sizeof(key), "mrboot/%s/%s", in->image, tees[t]);
				json_writer_key(w, key);
				json_writer_begin_array(w);
				open = true;
			}
			reference_rvps_alternative(w, p, in->plan);
			held++;
		}
		if (open)
			json_writer_end_array(w);
	}
	json_writer_key(w, "mrboot/images");
	json_writer_begin_array(w);
	json_writer_string(w, in->image);
	for (const char *l = in->also_accepted; l && *l;) {
		size_t n = strcspn(l, ",");

		if (n != strlen(in->image) || strncmp(l, in->image, n) != 0)
			json_writer_string_len(w, l, n);
		l += n + (l[n] == ',');
	}
	json_writer_end_array(w);
	json_writer_end_object(w);
	return held;
}

int reference_write_rvps(struct json_writer *w, const struct reference_input *in, struct error *e)
{
	_cleanup_free_ char *b64 = NULL;
	struct json_writer payload;
	int held, r;

	json_writer_init(&payload, REFERENCE_JSON_MAX);
	held = reference_rvps_payload(&payload, in);
	r = json_writer_finish(&payload, e);
	if (r == 0 && held == 0)
		r = error_set(e, -ENODATA,
			      "no platform has a whole register to hold, nor (TDX) the events");
	if (r == 0) {
		b64 = malloc(base64_encoded_len(payload.len, BASE64_STD) + 1);
		if (!b64)
			r = error_set(e, -ENOMEM, "rvps payload");
	}
	if (r == 0) {
		/* rvps/src/lib.rs: Message {version "0.1.0", type, payload (standard base64)} */
		base64_encode(b64, payload.buf, payload.len, BASE64_STD);
		json_writer_begin_object(w);
		json_writer_key(w, "version");
		json_writer_string(w, "0.1.0");
		json_writer_key(w, "type");
		json_writer_string(w, "sample");
		json_writer_key(w, "payload");
		json_writer_string(w, b64);
		json_writer_end_object(w);
	}
	json_writer_free(&payload);
	return r;
}

/* The index the test broker reads from a record of this TEE's log; false: no log there. */
static bool reference_broker_index(const struct predict *p, unsigned event,
				   const struct measure_plan *plan, unsigned *index)
{
	switch (p->layout.family) {
	case MR_FAMILY_TPM:
		*index = plan->ev[event].pcr;
		return true;
	case MR_FAMILY_TDX: /* the CCEL's MR index: 1 + the RTMR's */
		*index = p->index[event] + 1;
		return true;
	default: /* CCA and SEV-SNP evidence carry no log */
		return false;
	}
}

static void reference_broker_tee(struct json_writer *w, const struct predict *p)
{
	char name[16], hex[2 * HASH_MAX_SIZE + 1];

	json_writer_key(w, reference_tee(p));
	json_writer_begin_object(w);
	if (p->layout.family == MR_FAMILY_TDX || p->layout.family == MR_FAMILY_TPM) {
		json_writer_key(w, "eventlog");
		json_writer_string(w, "required");
	}
	json_writer_key(w, "registers");
	json_writer_begin_object(w);
	for (unsigned i = 0; i < p->n_registers; i++) {
		const struct predict_register *pr = &p->registers[i];
		const struct mr_bank_digest *d = reference_bank(p, pr);

		if (!reference_register_held(p, pr))
			continue;
		registers_name(&p->layout, pr->index, name, sizeof(name));
		hex_encode(hex, d->digest, hash_info(d->alg)->size);
		json_writer_key(w, name);
		json_writer_string(w, hex);
	}
	json_writer_end_object(w);
	json_writer_end_object(w);
}

static void reference_broker_rule(struct json_writer *w, const struct reference_input *in,
				  unsigned event)
{
	const struct record_event *ev = &in->plan->ev[event];
	bool indexed = false;

	json_writer_begin_object(w);
	json_writer_key(w, "domain");
	json_writer_string(w, ev->domain);
	json_writer_key(w, "operation");
	json_writer_string(w, ev->operation);
	json_writer_key(w, "content");
	json_writer_string(w, ev->content);
	json_writer_key(w, "required");
	json_writer_bool(w, true);
	json_writer_key(w, "max");
	json_writer_uint64(w, 1);
	for (size_t i = 0; i < in->n; i++) {
		unsigned index;

		if (!reference_broker_index(&in->predictions[i], event, in->plan, &index))
			continue;
		if (!indexed) {
			json_writer_key(w, "index");
			json_writer_begin_object(w);
			indexed = true;
		}
		json_writer_key(w, reference_tee(&in->predictions[i]));
		json_writer_uint64(w, index);
	}
	if (indexed)
		json_writer_end_object(w);
	/* mrboot's last event closes its part of the log: the broker allows nothing after it */
	if (strcmp(ev->operation, "separator") == 0) {
		json_writer_key(w, "separator");
		json_writer_bool(w, true);
	}
	json_writer_end_object(w);
}

int reference_write_broker_policy(struct json_writer *w, const struct reference_input *in,
				  struct error *e)
{
	for (size_t i = 0; i < in->n; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(reference_tee(&in->predictions[i]),
				   reference_tee(&in->predictions[j])) == 0)
				return error_set(e, -EINVAL,
						 "two platforms of TEE %s: the broker's policy "
						 "holds one set of registers per TEE",
						 reference_tee(&in->predictions[i]));
	json_writer_begin_object(w);
	json_writer_key(w, "version");
	json_writer_uint64(w, 1);
	if (in->image) {
		json_writer_key(w, "comment");
		json_writer_string(w, in->image);
	}
	json_writer_key(w, "tees");
	json_writer_begin_object(w);
	for (size_t i = 0; i < in->n; i++)
		reference_broker_tee(w, &in->predictions[i]);
	json_writer_end_object(w);
	json_writer_key(w, "domains");
	json_writer_begin_array(w);
	json_writer_string(w, "mrboot");
	json_writer_end_array(w);
	json_writer_key(w, "other_domains");
	json_writer_string(w, "deny");
	json_writer_key(w, "events");
	json_writer_begin_array(w);
	for (unsigned i = 0; i < in->plan->count; i++)
		reference_broker_rule(w, in, i);
	json_writer_end_array(w);
	json_writer_end_object(w);
	return 0;
}
