/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tpm2-marshal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "basic/error.h"
#include "basic/macro.h"
#include "tpm2-rc.h"

/* PCR_SELECT_MIN of the PC Client platform: three bytes cover PCRs 0..23. */
#define TPM2_PCR_SELECT_SIZE 3
/* sessionHandle (4), nonce.size (2), sessionAttributes (1), hmac.size (2) */
#define TPM2_PW_AUTH_SIZE 9

static const struct {
	uint16_t id;
	uint8_t size;
	const char *name;
} tpm2_algs[] = {
	{ TPM2_ALG_SHA1, 20, "sha1" },	       { TPM2_ALG_SHA256, 32, "sha256" },
	{ TPM2_ALG_SHA384, 48, "sha384" },     { TPM2_ALG_SHA512, 64, "sha512" },
	{ TPM2_ALG_SM3_256, 32, "sm3_256" },   { TPM2_ALG_SHA3_256, 32, "sha3_256" },
	{ TPM2_ALG_SHA3_384, 48, "sha3_384" }, { TPM2_ALG_SHA3_512, 64, "sha3_512" },
};

static const struct {
	uint32_t code;
	const char *name;
} tpm2_commands[] = {
	{ TPM2_CC_GET_CAPABILITY, "TPM2_GetCapability" },
	{ TPM2_CC_GET_RANDOM, "TPM2_GetRandom" },
	{ TPM2_CC_PCR_READ, "TPM2_PCR_Read" },
	{ TPM2_CC_PCR_EXTEND, "TPM2_PCR_Extend" },
	{ TPM2_CC_CREATE_PRIMARY, "TPM2_CreatePrimary" },
	{ TPM2_CC_QUOTE, "TPM2_Quote" },
	{ TPM2_CC_FLUSH_CONTEXT, "TPM2_FlushContext" },
};

const char *tpm2_alg_name(uint16_t alg_id)
{
	for (size_t i = 0; i < ARRAY_SIZE(tpm2_algs); i++)
		if (tpm2_algs[i].id == alg_id)
			return tpm2_algs[i].name;
	return NULL;
}

unsigned tpm2_alg_digest_size(uint16_t alg_id)
{
	for (size_t i = 0; i < ARRAY_SIZE(tpm2_algs); i++)
		if (tpm2_algs[i].id == alg_id)
			return tpm2_algs[i].size;
	return 0;
}

const char *tpm2_command_name(uint32_t command_code)
{
	for (size_t i = 0; i < ARRAY_SIZE(tpm2_commands); i++)
		if (tpm2_commands[i].code == command_code)
			return tpm2_commands[i].name;
	return "TPM2 command";
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * A command being written. Bytes past cap are counted but not stored, so that a builder
 * writes its fields unconditionally and finds out once, at the end, whether they fitted.
 */
struct writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
};

static void put_bytes(struct writer *w, const void *p, size_t n)
{
	if (w->len <= w->cap && n <= w->cap - w->len)
		memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void put_u8(struct writer *w, uint8_t v)
{
	put_bytes(w, &v, 1);
}

static void put_u16(struct writer *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put_bytes(w, b, sizeof(b));
}

static void put_u32(struct writer *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	put_bytes(w, b, sizeof(b));
}

/* The header, with commandSize patched in by finish_command(). */
static void put_header(struct writer *w, uint16_t tag, uint32_t command_code)
{
	put_u16(w, tag);
	put_u32(w, 0);
	put_u32(w, command_code);
}

static int finish_command(struct writer *w, uint32_t command_code, size_t *len, struct error *e)
{
	if (w->len > w->cap)
		return error_set(e, -ENOBUFS, "%s command of %zu bytes does not fit in %zu",
				 tpm2_command_name(command_code), w->len, w->cap);
	w->buf[2] = (uint8_t)(w->len >> 24);
	w->buf[3] = (uint8_t)(w->len >> 16);
	w->buf[4] = (uint8_t)(w->len >> 8);
	w->buf[5] = (uint8_t)w->len;
	*len = w->len;
	return 0;
}

static int check_pcr(uint32_t command_code, unsigned pcr, struct error *e)
{
	if (pcr >= TPM2_PCR_COUNT)
		return error_set(e, -EINVAL, "%s: PCR %u is out of range 0..%d",
				 tpm2_command_name(command_code), pcr, TPM2_PCR_COUNT - 1);
	return 0;
}

/* TPMS_PCR_SELECTION: hash, sizeofSelect, pcrSelect (PCR n is bit n % 8 of byte n / 8). */
static void put_pcr_selection(struct writer *w, uint16_t alg_id, uint32_t pcrs)
{
	put_u16(w, alg_id);
	put_u8(w, TPM2_PCR_SELECT_SIZE);
	for (unsigned i = 0; i < TPM2_PCR_SELECT_SIZE; i++)
		put_u8(w, (uint8_t)(pcrs >> (8 * i)));
}

/*
 * The authorization area of one TPMS_AUTH_COMMAND with the empty password. TPM_RS_PW is no
 * session the TPM keeps, so no attribute applies and none is set.
 */
static void put_password_auth(struct writer *w)
{
	put_u32(w, TPM2_PW_AUTH_SIZE); /* authorizationSize */
	put_u32(w, TPM2_RS_PW);
	put_u16(w, 0); /* nonceCaller.size */
	put_u8(w, 0);  /* sessionAttributes */
	put_u16(w, 0); /* hmac.size: the password */
}

int tpm2_marshal_pcr_read(uint8_t *buf, size_t cap, unsigned pcr, uint16_t alg_id, size_t *len,
			  struct error *e)
{
	struct writer w = { buf, cap, 0 };
	int r;

	r = check_pcr(TPM2_CC_PCR_READ, pcr, e);
	if (r < 0)
		return r;
	put_header(&w, TPM2_ST_NO_SESSIONS, TPM2_CC_PCR_READ);
	put_u32(&w, 1); /* pcrSelectionIn.count */
	put_pcr_selection(&w, alg_id, UINT32_C(1) << pcr);
	return finish_command(&w, TPM2_CC_PCR_READ, len, e);
}

int tpm2_marshal_pcr_extend(uint8_t *buf, size_t cap, unsigned pcr, const struct mr_digests *d,
			    size_t *len, struct error *e)
{
	struct writer w = { buf, cap, 0 };
	int r;

	r = check_pcr(TPM2_CC_PCR_EXTEND, pcr, e);
	if (r < 0)
		return r;
	if (d->count == 0 || d->count > MR_BANKS_MAX)
		return error_set(e, -EINVAL, "TPM2_PCR_Extend: %u digests, not 1..%d", d->count,
				 MR_BANKS_MAX);
	for (unsigned i = 0; i < d->count; i++) {
		if (!hash_info(d->bank[i].alg))
			return error_set(e, -EINVAL, "TPM2_PCR_Extend: digest %u has no algorithm",
					 i);
		/* The TPM would extend the bank twice, leaving a value no log replays. */
		for (unsigned j = 0; j < i; j++)
			if (d->bank[j].alg == d->bank[i].alg)
				return error_set(e, -EINVAL, "TPM2_PCR_Extend: two %s digests",
						 hash_info(d->bank[i].alg)->name);
	}

	put_header(&w, TPM2_ST_SESSIONS, TPM2_CC_PCR_EXTEND);
	put_u32(&w, pcr); /* pcrHandle: PCR n is handle n (HR_PCR = 0) */
	/* A PCR's authValue is empty unless someone set one, which only PCRs 16 and 23 allow. */
	put_password_auth(&w);
	put_u32(&w, d->count); /* TPML_DIGEST_VALUES.count */
	for (unsigned i = 0; i < d->count; i++) {
		const struct hash_info *info = hash_info(d->bank[i].alg);

		put_u16(&w, info->tcg_id); /* TPMT_HA.hashAlg */
		put_bytes(&w, d->bank[i].digest, info->size);
	}
	return finish_command(&w, TPM2_CC_PCR_EXTEND, len, e);
}

int tpm2_marshal_get_capability_pcrs(uint8_t *buf, size_t cap, size_t *len, struct error *e)
{
	struct writer w = { buf, cap, 0 };

	put_header(&w, TPM2_ST_NO_SESSIONS, TPM2_CC_GET_CAPABILITY);
	put_u32(&w, TPM2_CAP_PCRS);
	put_u32(&w, 0); /* property: none for TPM_CAP_PCRS */
	/* propertyCount: a count of 0 would list no bank at all; this allows every one. */
	put_u32(&w, TPM2_BANKS_MAX);
	return finish_command(&w, TPM2_CC_GET_CAPABILITY, len, e);
}

int tpm2_marshal_get_random(uint8_t *buf, size_t cap, uint16_t bytes, size_t *len, struct error *e)
{
	struct writer w = { buf, cap, 0 };

	if (bytes == 0)
		return error_set(e, -EINVAL, "TPM2_GetRandom: 0 bytes requested");
	put_header(&w, TPM2_ST_NO_SESSIONS, TPM2_CC_GET_RANDOM);
	put_u16(&w, bytes);
	return finish_command(&w, TPM2_CC_GET_RANDOM, len, e);
}

/* TPMT_PUBLIC of the AK template (tpm2-marshal.h), the unique field left empty. */
static void put_ak_template(struct writer *w)
{
	put_u16(w, TPM2_ALG_RSA);	/* type */
	put_u16(w, TPM2_ALG_SHA256);	/* nameAlg */
	put_u32(w, TPM2_AK_ATTRIBUTES); /* objectAttributes */
	put_u16(w, 0);			/* authPolicy.size */
	put_u16(w, TPM2_ALG_NULL);	/* parameters.rsaDetail.symmetric.algorithm */
	put_u16(w, TPM2_ALG_RSASSA);	/* parameters.rsaDetail.scheme.scheme */
	put_u16(w, TPM2_ALG_SHA256);	/* parameters.rsaDetail.scheme.details.hashAlg */
	put_u16(w, TPM2_AK_KEY_BITS);	/* parameters.rsaDetail.keyBits */
	put_u32(w, 0);			/* parameters.rsaDetail.exponent: the default, 2^16 + 1 */
	put_u16(w, 0);			/* unique.size */
}

/* Bytes of the TPMT_PUBLIC put_ak_template() writes. */
#define TPM2_AK_TEMPLATE_SIZE 24

int tpm2_marshal_create_primary_ak(uint8_t *buf, size_t cap, size_t *len, struct error *e)
{
	struct writer w = { buf, cap, 0 };

	put_header(&w, TPM2_ST_SESSIONS, TPM2_CC_CREATE_PRIMARY);
	/* The endorsement hierarchy's authValue is empty unless the owner set one. */
	put_u32(&w, TPM2_RH_ENDORSEMENT); /* primaryHandle */
	put_password_auth(&w);
	put_u16(&w, 4); /* inSensitive.size */
	put_u16(&w, 0); /* inSensitive.sensitive.userAuth.size: the AK's empty password */
	put_u16(&w, 0); /* inSensitive.sensitive.data.size */
	put_u16(&w, TPM2_AK_TEMPLATE_SIZE); /* inPublic.size */
	put_ak_template(&w);
	put_u16(&w, 0); /* outsideInfo.size */
	put_u32(&w, 0); /* creationPCR.count */
	return finish_command(&w, TPM2_CC_CREATE_PRIMARY, len, e);
}

int tpm2_marshal_quote(uint8_t *buf, size_t cap, uint32_t key, const uint8_t *qualifying,
		       size_t qualifying_len, uint16_t alg_id, uint32_t pcrs, size_t *len,
		       struct error *e)
{
	struct writer w = { buf, cap, 0 };

	if (qualifying_len > TPM2_QUALIFYING_DATA_MAX)
		return error_set(e, -EINVAL,
				 "TPM2_Quote: %zu bytes of qualifying data, more than %d",
				 qualifying_len, TPM2_QUALIFYING_DATA_MAX);
	if (pcrs == 0 || pcrs >> TPM2_PCR_COUNT)
		return error_set(e, -EINVAL, "TPM2_Quote: PCR selection 0x%08x is not within 0..%d",
				 pcrs, TPM2_PCR_COUNT - 1);
	put_header(&w, TPM2_ST_SESSIONS, TPM2_CC_QUOTE);
	put_u32(&w, key); /* signHandle */
	put_password_auth(&w);
	put_u16(&w, (uint16_t)qualifying_len); /* qualifyingData.size */
	put_bytes(&w, qualifying, qualifying_len);
	put_u16(&w, TPM2_ALG_NULL); /* inScheme: the key's own, RSASSA with SHA-256 */
	put_u32(&w, 1);		    /* PCRselect.count */
	put_pcr_selection(&w, alg_id, pcrs);
	return finish_command(&w, TPM2_CC_QUOTE, len, e);
}

int tpm2_marshal_flush_context(uint8_t *buf, size_t cap, uint32_t handle, size_t *len,
			       struct error *e)
{
	struct writer w = { buf, cap, 0 };

	put_header(&w, TPM2_ST_NO_SESSIONS, TPM2_CC_FLUSH_CONTEXT);
	put_u32(&w, handle); /* flushHandle: a parameter, not a handle of the handle area */
	return finish_command(&w, TPM2_CC_FLUSH_CONTEXT, len, e);
}

uint32_t tpm2_response_code(const uint8_t *rsp, size_t len)
{
	return len < TPM2_HEADER_SIZE ? 0 : get_be32(rsp + 6);
}

uint32_t tpm2_response_size(const uint8_t *rsp)
{
	return get_be32(rsp + 2);
}

/* A response being parsed; every read is checked against what is left. */
struct reader {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	const char *command;
	struct error *e;
};

static int take(struct reader *r, size_t n, const char *field, const uint8_t **p)
{
	if (r->len - r->pos < n)
		return error_set(r->e, -EBADMSG,
				 "%s response truncated in %s: %zu bytes needed at offset %zu, "
				 "%zu left",
				 r->command, field, n, r->pos, r->len - r->pos);
	*p = r->buf + r->pos;
	r->pos += n;
	return 0;
}

static int get_u8(struct reader *r, const char *field, uint8_t *v)
{
	const uint8_t *p;
	int ret = take(r, 1, field, &p);

	if (ret == 0)
		*v = p[0];
	return ret;
}

static int get_u16(struct reader *r, const char *field, uint16_t *v)
{
	const uint8_t *p;
	int ret = take(r, 2, field, &p);

	if (ret == 0)
		*v = get_be16(p);
	return ret;
}

static int get_u32(struct reader *r, const char *field, uint32_t *v)
{
	const uint8_t *p;
	int ret = take(r, 4, field, &p);

	if (ret == 0)
		*v = get_be32(p);
	return ret;
}

static int malformed(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int malformed(struct reader *r, const char *fmt, ...)
{
	char what[ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return error_set(r->e, -EBADMSG, "%s response: %s", r->command, what);
}

#ifdef __clang_analyzer__
/* What malformed() returns, for the static analyser (see error.h): -EBADMSG. */
#define malformed(r, ...) ((malformed)(r, __VA_ARGS__), -EBADMSG)
#endif

/*
 * The header: a size that is exactly the bytes received, then either an error response (the
 * header alone, tagged TPM_ST_NO_SESSIONS, or TPM_ST_RSP_COMMAND for a rejected tag) or a
 * success with the command's own tag (Part 1, command and response structure).
 */
static int unmarshal_header(struct reader *r, uint16_t tag_ok)
{
	char what[TPM2_RC_DESCRIPTION_MAX];
	uint16_t tag;
	uint32_t size, rc;

	if (r->len < TPM2_HEADER_SIZE)
		return malformed(r, "%zu bytes, shorter than the %d-byte header", r->len,
				 TPM2_HEADER_SIZE);
	tag = get_be16(r->buf);
	size = get_be32(r->buf + 2);
	rc = get_be32(r->buf + 6);
	if (size != r->len)
		return malformed(r, "header size %u does not match the %zu bytes received", size,
				 r->len);
	r->pos = TPM2_HEADER_SIZE;
	if (rc != TPM2_RC_SUCCESS) {
		tpm2_rc_describe(rc, what, sizeof(what));
		if (tag != TPM2_ST_NO_SESSIONS && tag != TPM2_ST_RSP_COMMAND)
			return malformed(r, "tag 0x%04x of an error response (%s)", tag, what);
		if (size != TPM2_HEADER_SIZE)
			return malformed(r, "%u bytes after the header of an error response (%s)",
					 size - TPM2_HEADER_SIZE, what);
		return error_set(r->e, -EIO, "%s failed: %s", r->command, what);
	}
	if (tag != tag_ok)
		return malformed(r, "tag 0x%04x, expected 0x%04x", tag, tag_ok);
	return 0;
}

static int unmarshal_end(struct reader *r, const char *last)
{
	if (r->pos != r->len)
		return malformed(r, "%zu unexpected bytes after %s", r->len - r->pos, last);
	return 0;
}

/*
 * One TPMS_PCR_SELECTION of the list named list: its algorithm and the PCRs it selects
 * (0..31; selection bits above are bounded and read, but mrboot has no use for them).
 */
static int unmarshal_pcr_selection(struct reader *r, const char *list, unsigned i, uint16_t *alg_id,
				   uint32_t *pcrs)
{
	char field[64];
	const uint8_t *select;
	uint8_t size;
	int ret;

	snprintf(field, sizeof(field), "%s.pcrSelections[%u].hash", list, i);
	ret = get_u16(r, field, alg_id);
	if (ret < 0)
		return ret;
	snprintf(field, sizeof(field), "%s.pcrSelections[%u].sizeofSelect", list, i);
	ret = get_u8(r, field, &size);
	if (ret < 0)
		return ret;
	if (size > TPM2_PCR_SELECT_MAX)
		return malformed(r, "%s %u is more than %d", field, size, TPM2_PCR_SELECT_MAX);
	snprintf(field, sizeof(field), "%s.pcrSelections[%u].pcrSelect", list, i);
	ret = take(r, size, field, &select);
	if (ret < 0)
		return ret;
	*pcrs = 0;
	for (unsigned b = 0; b < size && b < sizeof(*pcrs); b++)
		*pcrs |= (uint32_t)select[b] << (8 * b);
	return 0;
}

int tpm2_unmarshal_pcr_read(const uint8_t *rsp, size_t len, unsigned pcr, uint16_t alg_id,
			    uint8_t *out, size_t cap, size_t *out_len, struct error *e)
{
	struct reader r = { rsp, len, 0, "TPM2_PCR_Read", e };
	const uint8_t *digest = NULL;
	uint32_t counter, count, values, pcrs = 0;
	uint16_t hash, size = 0;
	unsigned expected = tpm2_alg_digest_size(alg_id);
	int ret;

	ret = check_pcr(TPM2_CC_PCR_READ, pcr, e);
	if (ret < 0)
		return ret;
	ret = unmarshal_header(&r, TPM2_ST_NO_SESSIONS);
	if (ret < 0)
		return ret;
	ret = get_u32(&r, "pcrUpdateCounter", &counter);
	if (ret < 0)
		return ret;
	ret = get_u32(&r, "pcrSelectionOut.count", &count);
	if (ret < 0)
		return ret;
	if (count > 1)
		return malformed(&r, "pcrSelectionOut.count %u, but 1 bank was asked for", count);
	if (count == 1) {
		ret = unmarshal_pcr_selection(&r, "pcrSelectionOut", 0, &hash, &pcrs);
		if (ret < 0)
			return ret;
		if (hash != alg_id)
			return malformed(&r,
					 "pcrSelectionOut.pcrSelections[0].hash 0x%04x, but bank "
					 "0x%04x was asked for",
					 hash, alg_id);
		/* The TPM may only drop PCRs from the selection, never add one. */
		if (pcrs & ~(UINT32_C(1) << pcr))
			return malformed(&r,
					 "pcrSelectionOut selects PCRs 0x%08x, but only PCR %u "
					 "was asked for",
					 pcrs, pcr);
	}
	ret = get_u32(&r, "pcrValues.count", &values);
	if (ret < 0)
		return ret;
	if (values != (pcrs ? 1u : 0u))
		return malformed(&r, "pcrValues.count %u, but %u PCRs are selected", values,
				 pcrs ? 1u : 0u);
	if (values == 1) {
		ret = get_u16(&r, "pcrValues.digests[0].size", &size);
		if (ret < 0)
			return ret;
		if (size == 0 || size > TPM2_DIGEST_MAX || (expected && size != expected))
			return malformed(&r,
					 "pcrValues.digests[0].size %u is not a digest size of "
					 "algorithm 0x%04x",
					 size, alg_id);
		ret = take(&r, size, "pcrValues.digests[0].buffer", &digest);
		if (ret < 0)
			return ret;
	}
	ret = unmarshal_end(&r, "pcrValues");
	if (ret < 0)
		return ret;
	if (!digest)
		return error_set(e, -ENOENT, "TPM2_PCR_Read: PCR %u is not allocated in bank %s",
				 pcr, tpm2_alg_name(alg_id) ? tpm2_alg_name(alg_id) : "(unknown)");
	if (size > cap)
		return error_set(e, -ENOBUFS, "TPM2_PCR_Read: PCR %u holds %u bytes, more than %zu",
				 pcr, size, cap);
	memcpy(out, digest, size);
	*out_len = size;
	return 0;
}

/* One TPMS_AUTH_RESPONSE, for the one password authorization sent. */
static int unmarshal_auth_response(struct reader *r)
{
	const uint8_t *p;
	uint16_t size;
	uint8_t attributes;
	int ret;

	ret = get_u16(r, "nonceTPM.size", &size);
	if (ret == 0)
		ret = take(r, size, "nonceTPM.buffer", &p);
	if (ret == 0)
		ret = get_u8(r, "sessionAttributes", &attributes);
	if (ret == 0)
		ret = get_u16(r, "hmac.size", &size);
	if (ret == 0)
		ret = take(r, size, "hmac.buffer", &p);
	return ret;
}

int tpm2_unmarshal_pcr_extend(const uint8_t *rsp, size_t len, struct error *e)
{
	struct reader r = { rsp, len, 0, "TPM2_PCR_Extend", e };
	uint32_t parameter_size;
	int ret;

	ret = unmarshal_header(&r, TPM2_ST_SESSIONS);
	if (ret < 0)
		return ret;
	/* With TPM_ST_SESSIONS the parameter area has a size; PCR_Extend returns no parameter. */
	ret = get_u32(&r, "parameterSize", &parameter_size);
	if (ret < 0)
		return ret;
	if (parameter_size != 0)
		return malformed(&r, "parameterSize %u, but the command returns no parameters",
				 parameter_size);
	ret = unmarshal_auth_response(&r);
	if (ret < 0)
		return ret;
	return unmarshal_end(&r, "the one authorization response");
}

int tpm2_unmarshal_get_capability_pcrs(const uint8_t *rsp, size_t len, struct tpm2_banks *out,
				       struct error *e)
{
	struct reader r = { rsp, len, 0, "TPM2_GetCapability(TPM_CAP_PCRS)", e };
	uint32_t capability, count;
	uint8_t more;
	int ret;

	*out = (struct tpm2_banks){ 0 };
	ret = unmarshal_header(&r, TPM2_ST_NO_SESSIONS);
	if (ret < 0)
		return ret;
	ret = get_u8(&r, "moreData", &more);
	if (ret < 0)
		return ret;
	/* A partial list would hide a bank that then goes unmeasured. */
	if (more > 1)
		return malformed(&r, "moreData %u is not a TPMI_YES_NO", more);
	if (more)
		return malformed(&r, "moreData is set: the TPM did not list every bank");
	ret = get_u32(&r, "capabilityData.capability", &capability);
	if (ret < 0)
		return ret;
	if (capability != TPM2_CAP_PCRS)
		return malformed(&r, "capabilityData.capability 0x%08x, expected TPM_CAP_PCRS",
				 capability);
	ret = get_u32(&r, "assignedPCR.count", &count);
	if (ret < 0)
		return ret;
	if (count > TPM2_BANKS_MAX)
		return malformed(&r, "assignedPCR.count %u is more than %d", count, TPM2_BANKS_MAX);
	for (unsigned i = 0; i < count; i++) {
		struct tpm2_bank *bank = &out->bank[i];

		ret = unmarshal_pcr_selection(&r, "assignedPCR", i, &bank->alg_id, &bank->pcrs);
		if (ret < 0)
			return ret;
		for (unsigned j = 0; j < i; j++)
			if (out->bank[j].alg_id == bank->alg_id)
				return malformed(&r, "assignedPCR lists bank 0x%04x twice",
						 bank->alg_id);
		bank->supported = hash_alg_from_tcg_id(bank->alg_id, &bank->alg) == 0;
		out->count++;
	}
	return unmarshal_end(&r, "assignedPCR");
}

int tpm2_unmarshal_get_random(const uint8_t *rsp, size_t len, uint16_t requested, uint8_t *out,
			      size_t *out_len, struct error *e)
{
	struct reader r = { rsp, len, 0, "TPM2_GetRandom", e };
	const uint8_t *bytes;
	uint16_t size;
	int ret;

	ret = unmarshal_header(&r, TPM2_ST_NO_SESSIONS);
	if (ret < 0)
		return ret;
	ret = get_u16(&r, "randomBytes.size", &size);
	if (ret < 0)
		return ret;
	if (size > requested)
		return malformed(&r, "randomBytes.size %u, but %u bytes were requested", size,
				 requested);
	ret = take(&r, size, "randomBytes.buffer", &bytes);
	if (ret < 0)
		return ret;
	ret = unmarshal_end(&r, "randomBytes");
	if (ret < 0)
		return ret;
	memcpy(out, bytes, size);
	*out_len = size;
	return 0;
}

static int expect_u16(struct reader *r, const char *field, uint16_t want)
{
	uint16_t v;
	int ret = get_u16(r, field, &v);

	if (ret == 0 && v != want)
		return malformed(r, "%s 0x%04x, expected 0x%04x", field, v, want);
	return ret;
}

static int expect_u32(struct reader *r, const char *field, uint32_t want)
{
	uint32_t v;
	int ret = get_u32(r, field, &v);

	if (ret == 0 && v != want)
		return malformed(r, "%s 0x%08x, expected 0x%08x", field, v, want);
	return ret;
}

/* A TPM2B: a size of at most max, then that many bytes. */
static int get_sized(struct reader *r, const char *field, size_t max, const uint8_t **p,
		     uint16_t *size)
{
	char name[96];
	int ret;

	snprintf(name, sizeof(name), "%s.size", field);
	ret = get_u16(r, name, size);
	if (ret < 0)
		return ret;
	if (*size > max)
		return malformed(r, "%s %u is more than %zu", name, *size, max);
	return take(r, *size, field, p);
}

/*
 * With TPM_ST_SESSIONS the parameters come with their size, then the authorization area: a
 * reader of exactly the parameters, so that none runs into the authorization area.
 */
static int parameter_area(struct reader *r, struct reader *params)
{
	uint32_t size;
	int ret = get_u32(r, "parameterSize", &size);

	if (ret < 0)
		return ret;
	if (size > r->len - r->pos)
		return malformed(r, "parameterSize %u runs past the %zu bytes left", size,
				 r->len - r->pos);
	*params = (struct reader){ r->buf, r->pos + size, r->pos, r->command, r->e };
	return 0;
}

/* After the parameters: the one TPMS_AUTH_RESPONSE and the end of the response. */
static int unmarshal_after_parameters(struct reader *r, struct reader *params, const char *last)
{
	int ret = unmarshal_end(params, last);

	if (ret < 0)
		return ret;
	r->pos = params->pos;
	ret = unmarshal_auth_response(r);
	return ret < 0 ? ret : unmarshal_end(r, "the one authorization response");
}

/* outPublic.publicArea: the AK template's TPMT_PUBLIC, field for field, with a 2048-bit n. */
static int unmarshal_ak_public(const struct reader *outer, const uint8_t *area, uint16_t size,
			       struct tpm2_ak *out)
{
	struct reader r = { area, size, 0, outer->command, outer->e };
	const uint8_t *modulus;
	int ret;

	ret = expect_u16(&r, "outPublic.publicArea.type", TPM2_ALG_RSA);
	if (ret == 0)
		ret = expect_u16(&r, "outPublic.publicArea.nameAlg", TPM2_ALG_SHA256);
	if (ret == 0)
		ret = expect_u32(&r, "outPublic.publicArea.objectAttributes", TPM2_AK_ATTRIBUTES);
	if (ret == 0)
		ret = expect_u16(&r, "outPublic.publicArea.authPolicy.size", 0);
	if (ret == 0)
		ret = expect_u16(&r, "outPublic.publicArea.parameters.symmetric.algorithm",
				 TPM2_ALG_NULL);
	if (ret == 0)
		ret = expect_u16(&r, "outPublic.publicArea.parameters.scheme.scheme",
				 TPM2_ALG_RSASSA);
	if (ret == 0)
		ret = expect_u16(&r, "outPublic.publicArea.parameters.scheme.details.hashAlg",
				 TPM2_ALG_SHA256);
	if (ret == 0)
		ret = expect_u16(&r, "outPublic.publicArea.parameters.keyBits", TPM2_AK_KEY_BITS);
	/* The template's 0, echoed: the TPM's default exponent. */
	if (ret == 0)
		ret = expect_u32(&r, "outPublic.publicArea.parameters.exponent", 0);
	if (ret == 0)
		ret = expect_u16(&r, "outPublic.publicArea.unique.size", TPM2_AK_MODULUS_SIZE);
	if (ret == 0)
		ret = take(&r, TPM2_AK_MODULUS_SIZE, "outPublic.publicArea.unique.buffer",
			   &modulus);
	if (ret == 0)
		ret = unmarshal_end(&r, "outPublic.publicArea.unique");
	if (ret < 0)
		return ret;
	if (!(modulus[0] & 0x80))
		return malformed(&r, "outPublic.publicArea.unique is not a %d-bit modulus",
				 TPM2_AK_KEY_BITS);
	memcpy(out->modulus, modulus, TPM2_AK_MODULUS_SIZE);
	out->exponent = 65537;
	return 0;
}

int tpm2_unmarshal_create_primary_ak(const uint8_t *rsp, size_t len, struct tpm2_ak *out,
				     struct error *e)
{
	struct reader r = { rsp, len, 0, "TPM2_CreatePrimary", e }, params;
	const uint8_t *public_area = NULL, *name = NULL, *p;
	uint8_t digest[32];
	uint16_t public_size = 0, name_size = 0, size;
	int ret;

	*out = (struct tpm2_ak){ 0 };
	ret = unmarshal_header(&r, TPM2_ST_SESSIONS);
	if (ret == 0)
		ret = get_u32(&r, "objectHandle", &out->handle);
	if (ret < 0)
		return ret;
	if (out->handle >> 24 != TPM2_HT_TRANSIENT)
		return malformed(&r, "objectHandle 0x%08x is not a transient object's",
				 out->handle);
	ret = parameter_area(&r, &params);
	if (ret == 0)
		ret = get_sized(&params, "outPublic", UINT16_MAX, &public_area, &public_size);
	if (ret == 0)
		ret = unmarshal_ak_public(&params, public_area, public_size, out);
	/* Creation data, hash and ticket are for TPM2_CertifyCreation, which mrboot never asks. */
	if (ret == 0)
		ret = get_sized(&params, "creationData", UINT16_MAX, &p, &size);
	if (ret == 0)
		ret = get_sized(&params, "creationHash", TPM2_DIGEST_MAX, &p, &size);
	if (ret == 0)
		ret = expect_u16(&params, "creationTicket.tag", TPM2_ST_CREATION);
	if (ret == 0)
		ret = expect_u32(&params, "creationTicket.hierarchy", TPM2_RH_ENDORSEMENT);
	if (ret == 0)
		ret = get_sized(&params, "creationTicket.digest", TPM2_DIGEST_MAX, &p, &size);
	if (ret == 0)
		ret = get_sized(&params, "name", TPM2_AK_NAME_SIZE, &name, &name_size);
	if (ret < 0)
		return ret;
	/* Part 1, "Names": nameAlg, then the nameAlg digest of the marshalled TPMT_PUBLIC. */
	hash_buffer(HASH_SHA256, public_area, public_size, digest);
	if (name_size != TPM2_AK_NAME_SIZE || get_be16(name) != TPM2_ALG_SHA256 ||
	    memcmp(name + 2, digest, sizeof(digest)) != 0)
		return malformed(&params, "name is not the SHA-256 name of outPublic");
	memcpy(out->name, name, TPM2_AK_NAME_SIZE);
	return unmarshal_after_parameters(&r, &params, "name");
}

/* quoted.attestationData: the TPMS_ATTEST of a quote of exactly what was asked. */
static int unmarshal_quote_attest(const struct reader *outer, const uint8_t *attest, uint16_t size,
				  const uint8_t *qualifying, size_t qualifying_len, uint16_t alg_id,
				  uint32_t pcrs, struct tpm2_quote *out)
{
	struct reader r = { attest, size, 0, outer->command, outer->e };
	const uint8_t *p, *extra = NULL, *select = NULL, *digest = NULL;
	uint16_t n, extra_size = 0;
	uint8_t select_size = 0;
	uint32_t selected = 0;
	int ret;

	ret = expect_u32(&r, "quoted.magic", TPM2_GENERATED_VALUE);
	if (ret == 0)
		ret = expect_u16(&r, "quoted.type", TPM2_ST_ATTEST_QUOTE);
	if (ret == 0) /* TPM2B_NAME: a TPMT_HA at most */
		ret = get_sized(&r, "quoted.qualifiedSigner", 2 + TPM2_DIGEST_MAX, &p, &n);
	if (ret == 0)
		ret = get_sized(&r, "quoted.extraData", 2 + TPM2_DIGEST_MAX, &extra, &extra_size);
	if (ret == 0)
		ret = take(&r, 17, "quoted.clockInfo",
			   &p); /* clock, resetCount, restartCount, safe */
	if (ret == 0 && p[16] > 1)
		ret = malformed(&r, "quoted.clockInfo.safe %u is not a TPMI_YES_NO", p[16]);
	if (ret == 0)
		ret = take(&r, 8, "quoted.firmwareVersion", &p);
	if (ret == 0)
		ret = expect_u32(&r, "quoted.attested.quote.pcrSelect.count", 1);
	if (ret == 0)
		ret = expect_u16(&r, "quoted.attested.quote.pcrSelect.pcrSelections[0].hash",
				 alg_id);
	if (ret == 0)
		ret = get_u8(&r, "quoted.attested.quote.pcrSelect.pcrSelections[0].sizeofSelect",
			     &select_size);
	if (ret == 0 && (select_size < TPM2_PCR_SELECT_SIZE || select_size > TPM2_PCR_SELECT_MAX))
		ret = malformed(&r,
				"quoted.attested.quote.pcrSelect.pcrSelections[0].sizeofSelect %u "
				"is not %d..%d",
				select_size, TPM2_PCR_SELECT_SIZE, TPM2_PCR_SELECT_MAX);
	if (ret == 0)
		ret = take(&r, select_size,
			   "quoted.attested.quote.pcrSelect.pcrSelections[0].pcrSelect", &select);
	if (ret == 0)
		ret = expect_u16(&r, "quoted.attested.quote.pcrDigest.size", 32);
	if (ret == 0)
		ret = take(&r, 32, "quoted.attested.quote.pcrDigest.buffer", &digest);
	if (ret == 0)
		ret = unmarshal_end(&r, "quoted.attested.quote.pcrDigest");
	if (ret < 0)
		return ret;
	/* The nonce binding: a quote that carries other data answers someone else's question. */
	if (extra_size != qualifying_len || memcmp(extra, qualifying, qualifying_len) != 0)
		return malformed(&r, "quoted.extraData is not the qualifying data sent");
	for (unsigned i = TPM2_PCR_SELECT_SIZE; i < select_size; i++)
		if (select[i] != 0)
			return malformed(&r, "quoted selects PCRs above %d", TPM2_PCR_COUNT - 1);
	for (unsigned i = 0; i < TPM2_PCR_SELECT_SIZE; i++)
		selected |= (uint32_t)select[i] << (8 * i);
	if (selected != pcrs)
		return malformed(&r, "quoted selects PCRs 0x%06x, but PCRs 0x%06x were asked for",
				 selected, pcrs);
	memcpy(out->pcr_digest, digest, sizeof(out->pcr_digest));
	memcpy(out->attest, attest, size);
	out->attest_len = size;
	return 0;
}

int tpm2_unmarshal_quote(const uint8_t *rsp, size_t len, const uint8_t *qualifying,
			 size_t qualifying_len, uint16_t alg_id, uint32_t pcrs,
			 struct tpm2_quote *out, struct error *e)
{
	struct reader r = { rsp, len, 0, "TPM2_Quote", e }, params;
	const uint8_t *attest = NULL, *signature = NULL, *sig;
	uint16_t attest_size = 0;
	int ret;

	*out = (struct tpm2_quote){ 0 };
	ret = unmarshal_header(&r, TPM2_ST_SESSIONS);
	if (ret == 0)
		ret = parameter_area(&r, &params);
	if (ret == 0)
		ret = get_sized(&params, "quoted", TPM2_ATTEST_MAX, &attest, &attest_size);
	if (ret == 0)
		ret = unmarshal_quote_attest(&params, attest, attest_size, qualifying,
					     qualifying_len, alg_id, pcrs, out);
	if (ret == 0)
		signature = params.buf + params.pos;
	/* TPMT_SIGNATURE: the AK's scheme, RSASSA with SHA-256, a signature of the key's size. */
	if (ret == 0)
		ret = expect_u16(&params, "signature.sigAlg", TPM2_ALG_RSASSA);
	if (ret == 0)
		ret = expect_u16(&params, "signature.rsassa.hash", TPM2_ALG_SHA256);
	if (ret == 0)
		ret = expect_u16(&params, "signature.rsassa.sig.size", TPM2_AK_MODULUS_SIZE);
	if (ret == 0)
		ret = take(&params, TPM2_AK_MODULUS_SIZE, "signature.rsassa.sig.buffer", &sig);
	if (ret == 0)
		ret = unmarshal_after_parameters(&r, &params, "signature");
	if (ret != 0)
		return ret;
	memcpy(out->signature, signature, TPM2_AK_SIGNATURE_SIZE);
	memcpy(out->rsa_signature, sig, TPM2_AK_MODULUS_SIZE);
	return 0;
}

int tpm2_unmarshal_flush_context(const uint8_t *rsp, size_t len, struct error *e)
{
	struct reader r = { rsp, len, 0, "TPM2_FlushContext", e };
	int ret = unmarshal_header(&r, TPM2_ST_NO_SESSIONS);

	return ret < 0 ? ret : unmarshal_end(&r, "the header");
}
