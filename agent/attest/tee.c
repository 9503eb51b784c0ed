/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "attest/tee.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "attest/evidence-tee.h"
#include "attest/evidence-tpm.h"
#include "basic/encoding.h"
#include "basic/error.h"
#include "json/json.h"
#include "basic/macro.h"
#include "platform/detect.h"

typedef int (*tee_writer)(struct json_writer *w, const struct tee_evidence_input *in,
			  struct error *e);

/*
 * Names as Trustee's kbs-types spells its Tee enum in the auth request (serde, lowercase),
 * the configfs-tsm provider whose report is the evidence, and the writer of the evidence.
 */
static const struct {
	const char *name;
	const char *provider; /* NULL: the evidence is not a configfs-tsm report */
	tee_writer write;
} tees[TEE_COUNT] = {
	[TEE_TDX] = { "tdx", "tdx_guest", evidence_tdx_write },
	[TEE_SNP] = { "snp", "sev_guest", evidence_snp_write },
	[TEE_CCA] = { "cca", "arm_cca_guest", evidence_cca_write },
	[TEE_TPM] = { "tpm", NULL, evidence_tpm_write },
	[TEE_SAMPLE] = { "sample", NULL, evidence_sample_write },
};

const char *tee_name(enum tee_type tee)
{
	return (unsigned)tee < TEE_COUNT ? tees[tee].name : NULL;
}

int tee_from_name(const char *name, enum tee_type *ret, struct error *e)
{
	for (unsigned i = 0; i < TEE_COUNT; i++)
		if (name && strcmp(name, tees[i].name) == 0) {
			*ret = (enum tee_type)i;
			return 0;
		}
	return error_set(e, -EINVAL, "unknown TEE '%s' (tdx, snp, cca, tpm or sample)",
			 name ? name : "");
}

int tee_from_detect(const struct detect *d, enum tee_type *ret, struct error *e)
{
	for (unsigned i = 0; i < TEE_COUNT; i++)
		if (tees[i].provider && strcmp(d->provider, tees[i].provider) == 0) {
			*ret = (enum tee_type)i;
			return 0;
		}
	/*
	 * TDX, SEV-SNP and CCA evidence is a configfs-tsm report: a platform seen by its other
	 * signals but without the provider has none to give, and a TPM must not give it
	 * instead (the host may have kept the provider's module out and emulate the TPM).
	 */
	if (platform_is_confidential(d->platform))
		return error_set(
			e, -ENODEV,
			"no evidence: platform %s (%s), but no configfs-tsm report "
			"provider (%s); a TPM never stands in for it%s%s",
			platform_name(d->platform), d->n_signals ? d->signals[0].text : "detected",
			d->provider[0]	 ? d->provider
			: d->report_node ? "the report directory has none"
					 : "no /sys/kernel/config/tsm/report",
			d->blacklist[0] ? "; the kernel command line has " : "", d->blacklist);
	if (d->provider[0])
		return error_set(e, -ENODEV,
				 "no TEE to attest with: configfs-tsm report provider '%s' is "
				 "not one mrboot knows (tdx_guest, sev_guest, arm_cca_guest)",
				 d->provider);
	if (d->has_tpm && d->tpm_version == 2) {
		*ret = TEE_TPM;
		return 0;
	}
	if (d->has_tpm)
		return error_set(e, -ENODEV,
				 "no TEE to attest with: the TPM %s is version %u, Trustee attests "
				 "TPM 2.0 only",
				 d->tpm_device, d->tpm_version);
	return error_set(e, -ENODEV,
			 "no TEE to attest with: no confidential platform and no TPM 2.0");
}

int tee_report_data(const struct tee_evidence_input *in, uint8_t out[TEE_REPORT_DATA_SIZE],
		    struct error *e)
{
	if (in->hash_len != 32 && in->hash_len != 48 && in->hash_len != 64)
		return error_set(e, -EINVAL,
				 "a runtime-data hash of %zu bytes (SHA-256, SHA-384 or SHA-512 "
				 "make 32, 48 or 64)",
				 in->hash_len);
	memset(out, 0, TEE_REPORT_DATA_SIZE);
	memcpy(out, in->hash, in->hash_len);
	return 0;
}

int tee_report_request(const struct tee_evidence_input *in, const char *provider,
		       struct tsm_report *out, struct error *e)
{
	uint8_t data[TEE_REPORT_DATA_SIZE];
	int k;

	k = tee_report_data(in, data, e);
	if (k < 0)
		return k;
	k = tsm_report_generate(in->root, data, sizeof(data), &in->report, out, e);
	if (k < 0)
		return k;
	if (strcmp(out->provider, provider) != 0) {
		k = error_set(e, -ENXIO,
			      "the report is from provider %s, %s evidence comes from %s",
			      out->provider, tee_name(in->tee), provider);
		tsm_report_free(out);
		return k;
	}
	return 0;
}

int tee_json_bytes(struct json_writer *w, const uint8_t *p, size_t n)
{
	json_writer_begin_array(w);
	for (size_t i = 0; i < n; i++)
		json_writer_uint64(w, p[i]);
	return json_writer_end_array(w);
}

int tee_json_base64(struct json_writer *w, const uint8_t *p, size_t n, struct error *e)
{
	_cleanup_free_ char *text = NULL;
	size_t len = base64_encoded_len(n, BASE64_STD);

	text = malloc(len + 1);
	if (!text)
		return error_set_errno(e, -ENOMEM, "base64 of %zu bytes", n);
	base64_encode(text, p, n, BASE64_STD);
	return json_writer_string_len(w, text, len);
}

int tee_evidence_write(struct json_writer *w, const struct tee_evidence_input *in, struct error *e)
{
	struct error local = { 0 };
	const char *name = tee_name(in->tee);
	int k;

	if (!e)
		e = &local;
	if (!name)
		k = error_set(e, -EINVAL, "TEE %d is not one mrboot knows", (int)in->tee);
	else if (w->error.code)
		/* A writer that failed before keeps its first failure: report that one. */
		return error_set(e, w->error.code, "%s evidence: %s", name, w->error.msg);
	else
		k = tees[in->tee].write(w, in, e);
	/* A failure of the writer itself leaves its message there, not in e. */
	if (w->error.code)
		k = error_set(e, w->error.code, "%s", w->error.msg);
	if (k < 0) {
		if (name)
			error_prefix(e, "%s evidence", name);
		/* The document must not go out without its evidence. */
		json_writer_fail(w, k, "%s", e->msg);
	}
	return k;
}
