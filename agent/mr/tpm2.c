/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tpm2.h"

#include <errno.h>
#include <string.h>

#include "basic/error.h"
#include "basic/sleep.h"
#include "tpm2-rc.h"

#define TPM2_RETRY_FIRST_DELAY_MS 20
#define TPM2_RETRY_MAX_DELAY_MS 1000

static void tpm2_init(struct tpm2 *t)
{
	memset(t, 0, sizeof(*t));
	t->transport.fd = -1;
	t->timeout_ms = TPM2_TIMEOUT_MS_DEFAULT;
	t->retry_max = TPM2_RETRY_MAX_DEFAULT;
	t->keygen_timeout_ms = TPM2_KEYGEN_TIMEOUT_MS_DEFAULT;
}

int tpm2_open_device(struct tpm2 *t, const char *root, const char *path, struct error *e)
{
	tpm2_init(t);
	return tpm2_transport_open_device(&t->transport, root, path ? path : TPM2_DEVICE_PATH, e);
}

int tpm2_open_socket(struct tpm2 *t, const char *path, struct error *e)
{
	tpm2_init(t);
	return tpm2_transport_open_socket(&t->transport, path, t->timeout_ms, e);
}

void tpm2_close(struct tpm2 *t)
{
	tpm2_transport_close(&t->transport);
	explicit_bzero(t->response, sizeof(t->response));
}

/*
 * Sends the len bytes in t->command and leaves the response in t->response. Retries while
 * the TPM answers that it did not run the command; any other response, success or not, is
 * for the command's parser to judge.
 */
static int tpm2_transact_within(struct tpm2 *t, uint32_t command_code, size_t len, size_t *rsp_len,
				int timeout_ms, struct error *e)
{
	const char *name = tpm2_command_name(command_code);
	unsigned delay = TPM2_RETRY_FIRST_DELAY_MS;
	char what[TPM2_RC_DESCRIPTION_MAX];
	int r;

	t->last_rc = 0;
	for (t->attempts = 1;; t->attempts++) {
		r = tpm2_transport_transmit(&t->transport, t->command, len, t->response,
					    sizeof(t->response), rsp_len, timeout_ms, e);
		if (r < 0)
			return error_prefix(e, "%s", name);
		t->last_rc = tpm2_response_code(t->response, *rsp_len);
		if (!tpm2_rc_retryable(t->last_rc))
			return 0;
		if (t->attempts > t->retry_max)
			return error_set(
				e, -EAGAIN, "%s: gave up after %u attempts, each answered %s", name,
				t->attempts, tpm2_rc_describe(t->last_rc, what, sizeof(what)));
		sleep_ms(delay);
		if (delay < TPM2_RETRY_MAX_DELAY_MS)
			delay *= 2;
	}
}

static int tpm2_transact(struct tpm2 *t, uint32_t command_code, size_t len, size_t *rsp_len,
			 struct error *e)
{
	return tpm2_transact_within(t, command_code, len, rsp_len, t->timeout_ms, e);
}

static int tpm2_check_pcr(unsigned pcr, const char *command, struct error *e)
{
	if (pcr >= TPM2_PCR_COUNT)
		return error_set(e, -ERANGE, "%s: PCR %u is out of range 0..%d", command, pcr,
				 TPM2_PCR_COUNT - 1);
	return 0;
}

int tpm2_get_banks(struct tpm2 *t, struct tpm2_banks *out, struct error *e)
{
	struct tpm2_banks all;
	size_t len;
	int r;

	*out = (struct tpm2_banks){ 0 };
	r = tpm2_marshal_get_capability_pcrs(t->command, sizeof(t->command), &len, e);
	if (r >= 0)
		r = tpm2_transact(t, TPM2_CC_GET_CAPABILITY, len, &len, e);
	if (r >= 0)
		r = tpm2_unmarshal_get_capability_pcrs(t->response, len, &all, e);
	if (r < 0)
		return r;
	/* A bank with no PCR allocated is a bank the TPM does not keep: nothing to extend. */
	for (unsigned i = 0; i < all.count; i++)
		if (all.bank[i].pcrs != 0)
			out->bank[out->count++] = all.bank[i];
	return 0;
}

const struct tpm2_bank *tpm2_banks_find(const struct tpm2_banks *banks, uint16_t alg_id)
{
	for (unsigned i = 0; i < banks->count; i++)
		if (banks->bank[i].alg_id == alg_id)
			return &banks->bank[i];
	return NULL;
}

int tpm2_pcr_read(struct tpm2 *t, unsigned pcr, uint16_t alg_id, uint8_t *out, size_t cap,
		  size_t *len, struct error *e)
{
	size_t n;
	int r;

	r = tpm2_check_pcr(pcr, "TPM2_PCR_Read", e);
	if (r < 0)
		return r;
	r = tpm2_marshal_pcr_read(t->command, sizeof(t->command), pcr, alg_id, &n, e);
	if (r == 0)
		r = tpm2_transact(t, TPM2_CC_PCR_READ, n, &n, e);
	if (r == 0)
		r = tpm2_unmarshal_pcr_read(t->response, n, pcr, alg_id, out, cap, len, e);
	if (r < 0 && r != -ENOENT)
		return error_prefix(e, "PCR %u of bank 0x%04x", pcr, alg_id);
	return r;
}

int tpm2_pcr_extend(struct tpm2 *t, unsigned pcr, const struct mr_digests *d, struct error *e)
{
	size_t n;
	int r;

	r = tpm2_check_pcr(pcr, "TPM2_PCR_Extend", e);
	if (r < 0)
		return r;
	r = tpm2_marshal_pcr_extend(t->command, sizeof(t->command), pcr, d, &n, e);
	if (r == 0)
		r = tpm2_transact(t, TPM2_CC_PCR_EXTEND, n, &n, e);
	if (r == 0)
		r = tpm2_unmarshal_pcr_extend(t->response, n, e);
	if (r < 0)
		return error_prefix(e, "PCR %u", pcr);
	return 0;
}

int tpm2_get_random(struct tpm2 *t, void *buf, size_t n, struct error *e)
{
	uint8_t *p = buf;
	size_t done = 0;
	int r = 0;

	while (done < n) {
		/* A TPM returns at most its largest digest size per call, and may return fewer. */
		uint16_t ask = n - done > TPM2_DIGEST_MAX ? TPM2_DIGEST_MAX : (uint16_t)(n - done);
		size_t len, got;

		r = tpm2_marshal_get_random(t->command, sizeof(t->command), ask, &len, e);
		if (r >= 0)
			r = tpm2_transact(t, TPM2_CC_GET_RANDOM, len, &len, e);
		if (r >= 0)
			r = tpm2_unmarshal_get_random(t->response, len, ask, p + done, &got, e);
		if (r >= 0 && got == 0)
			r = error_set(e, -EIO, "TPM2_GetRandom returned no bytes");
		if (r < 0)
			break;
		done += got;
	}
	explicit_bzero(t->response, sizeof(t->response));
	if (r < 0)
		explicit_bzero(buf, n);
	return r;
}

int tpm2_create_ak(struct tpm2 *t, struct tpm2_ak *ak, struct error *e)
{
	struct error ignored = { 0 };
	size_t n;
	int r;

	*ak = (struct tpm2_ak){ 0 };
	r = tpm2_marshal_create_primary_ak(t->command, sizeof(t->command), &n, e);
	if (r == 0)
		r = tpm2_transact_within(t, TPM2_CC_CREATE_PRIMARY, n, &n, t->keygen_timeout_ms, e);
	if (r == 0)
		r = tpm2_unmarshal_create_primary_ak(t->response, n, ak, e);
	if (r < 0) {
		/* A success with a malformed answer may still have left an object behind. */
		if (ak->handle >> 24 == TPM2_HT_TRANSIENT)
			(void)tpm2_flush_context(t, ak->handle, &ignored);
		*ak = (struct tpm2_ak){ 0 };
		return error_prefix(e, "attestation key");
	}
	return 0;
}

int tpm2_quote(struct tpm2 *t, const struct tpm2_ak *ak, uint16_t alg_id, uint32_t pcrs,
	       const uint8_t *qualifying, size_t qualifying_len, struct tpm2_quote *out,
	       struct error *e)
{
	size_t n;
	int r;

	r = tpm2_marshal_quote(t->command, sizeof(t->command), ak->handle, qualifying,
			       qualifying_len, alg_id, pcrs, &n, e);
	if (r == 0)
		r = tpm2_transact(t, TPM2_CC_QUOTE, n, &n, e);
	if (r == 0)
		r = tpm2_unmarshal_quote(t->response, n, qualifying, qualifying_len, alg_id, pcrs,
					 out, e);
	if (r < 0)
		return error_prefix(e, "quote of bank 0x%04x", alg_id);
	return 0;
}

int tpm2_flush_context(struct tpm2 *t, uint32_t handle, struct error *e)
{
	size_t n;
	int r;

	r = tpm2_marshal_flush_context(t->command, sizeof(t->command), handle, &n, e);
	if (r == 0)
		r = tpm2_transact(t, TPM2_CC_FLUSH_CONTEXT, n, &n, e);
	if (r == 0)
		r = tpm2_unmarshal_flush_context(t->response, n, e);
	if (r < 0)
		return error_prefix(e, "handle 0x%08x", handle);
	return 0;
}
