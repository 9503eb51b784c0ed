/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kbs/session.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "basic/error.h"
#include "basic/path.h"
#include "config/settings.h"
#include "platform/detect.h"

int kbs_session_tee(const struct kbs_session_options *o, enum tee_type *tee, struct error *e)
{
	const struct settings *s = o->settings;

	if (o->tee)
		return tee_from_name(o->tee, tee, e);
	if (s->kbs_tee != TEE_AUTO) {
		*tee = (enum tee_type)s->kbs_tee;
		return 0;
	}
	if (s->tpm_socket) {
		*tee = TEE_TPM;
		return 0;
	}
	if (!o->detect)
		return error_set(e, -ENODEV, "tee auto: no platform detected");
	return tee_from_detect(o->detect, tee, e);
}

/* The TPM's evidence is a quote; TDX and the TPM send mrboot's event log along. */
static int session_open_evidence(struct kbs_session *ks, const struct kbs_session_options *o,
				 enum tee_type tee, struct error *e)
{
	const struct settings *s = o->settings;
	struct tpm2 *tpm = o->tpm;
	const struct eventlog *log = o->log;
	int r;

	if (tee == TEE_TPM && !tpm) {
		if (s->tpm_socket)
			r = tpm2_open_socket(&ks->tpm, s->tpm_socket, e);
		else
			r = tpm2_open_device(&ks->tpm, o->root, s->tpm_device, e);
		if (r < 0)
			return error_prefix(e, "TPM");
		ks->tpm_open = true;
		tpm = &ks->tpm;
	}
	if ((tee == TEE_TDX || tee == TEE_TPM) && !log) {
		r = eventlog_open(&ks->log, o->root, e);
		if (r < 0)
			return error_prefix(e, "event log");
		ks->log_open = true;
		log = &ks->log;
	}
	ks->opt.evidence = (struct tee_evidence_input){
		.root = o->root,
		.tee = tee,
		.report = { .privlevel = TSM_REPORT_PRIVLEVEL_FLOOR },
		.log = tee == TEE_TDX || tee == TEE_TPM ? log : NULL,
		.tpm = tee == TEE_TPM ? tpm : NULL,
		.firmware = tee == TEE_TDX || tee == TEE_TPM ? o->firmware : NULL,
	};
	return 0;
}

static bool session_any_https(char *const *urls)
{
	for (; urls && *urls; urls++)
		if (strncmp(*urls, "http://", 7) != 0)
			return true;
	return false;
}

/* The trust anchors for https brokers, under root like the configuration that names them. */
static int session_anchors(struct kbs_session *ks, const struct kbs_session_options *o,
			   struct error *e)
{
	const char *file = o->settings->kbs_ca_file;
	char path[PATH_MAX];
	int r;

	if (!session_any_https(ks->opt.urls))
		return 0;
	if (!file)
		return error_set(e, -ENOENT,
				 "the configuration names no trust anchor ([kbs] ca-file)");
	r = path_join_root(path, sizeof(path), o->root, file);
	if (r < 0)
		return error_set_errno(e, r, "[kbs] ca-file %s", file);
	r = trust_anchors_load(&ks->anchors, path, e);
	if (r < 0)
		return error_prefix(e, "[kbs] ca-file");
	return 0;
}

int kbs_session_open(struct kbs_session *ks, const struct kbs_session_options *o, struct error *e)
{
	const struct settings *s = o->settings;
	enum tee_type tee;
	int r;

	*ks = (struct kbs_session){ 0 };
	ks->opt.urls = o->urls ? o->urls : s->kbs_urls;
	if (!ks->opt.urls || !ks->opt.urls[0]) {
		ks->config_error = true;
		return error_set(e, -ENOENT, "no key broker: [kbs] url is not set");
	}
	r = session_anchors(ks, o, e);
	if (r < 0) {
		ks->config_error = true;
		return r;
	}
	r = kbs_session_tee(o, &tee, e);
	if (r < 0) {
		ks->config_error = r == -EINVAL;
		return r;
	}
	r = session_open_evidence(ks, o, tee, e);
	if (r < 0)
		return r;
	ks->opt.anchors = &ks->anchors;
	ks->opt.allow_plain = s->kbs_insecure;
	ks->opt.curve = (enum jwk_curve)s->kbs_key;
	ks->opt.deadline = o->deadline;
	ks->opt.report = o->report;
	ks->opt.userdata = o->userdata;
	return 0;
}

void kbs_session_close(struct kbs_session *ks)
{
	if (ks->log_open)
		eventlog_close(&ks->log);
	if (ks->tpm_open)
		tpm2_close(&ks->tpm);
	trust_anchors_free(&ks->anchors);
	*ks = (struct kbs_session){ 0 };
}
