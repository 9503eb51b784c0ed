/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "luks/token-release.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <syslog.h>

#include "basic/error.h"
#include "evlog/eventlog.h"
#include "mr/tpm2.h"
#include "net/deadline.h"
#include "net/trust-anchors.h"
#include "platform/detect.h"
#include "basic/path.h"
#include "basic/secret.h"
#include "config/settings.h"

/* What a token's evidence needs open while the broker is asked, and who closes it. */
struct token_release {
	const struct luks_token_release_options *o;
	enum tee_type tee;
	struct trust_anchors anchors;
	struct tpm2 tpm;
	bool tpm_open;
	struct eventlog log;
	bool log_open;
};

static void release_report(const struct token_release *tr, int priority, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void release_report(const struct token_release *tr, int priority, const char *fmt, ...)
{
	char message[ERROR_MSG_MAX];
	va_list ap;

	if (!tr->o->report)
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	tr->o->report(tr->o->userdata, priority, message);
}

/* The configuration's TEE, or the one this machine attests with: never "sample" unless named. */
static int release_tee(struct token_release *tr, struct error *e)
{
	const struct settings *s = tr->o->settings;
	struct detect d;
	int r;

	if (s->kbs_tee != TEE_AUTO) {
		tr->tee = (enum tee_type)s->kbs_tee;
		return 0;
	}
	r = detect_run(&d, tr->o->root, e);
	if (r < 0)
		return error_prefix(e, "detect");
	return tee_from_detect(&d, &tr->tee, e);
}

static int release_open_evidence(struct token_release *tr, struct error *e)
{
	const struct luks_token_release_options *o = tr->o;
	int r;

	/* The TPM's evidence is a quote: it needs the TPM open. */
	if (tr->tee == TEE_TPM) {
		if (o->settings->tpm_socket)
			r = tpm2_open_socket(&tr->tpm, o->settings->tpm_socket, e);
		else
			r = tpm2_open_device(&tr->tpm, o->root, o->settings->tpm_device, e);
		if (r < 0)
			return error_prefix(e, "TPM");
		tr->tpm_open = true;
	}
	/* TDX and the TPM send mrboot's event log along, for the broker to replay. */
	if (tr->tee == TEE_TDX || tr->tee == TEE_TPM) {
		r = eventlog_open(&tr->log, o->root, e);
		if (r < 0)
			return error_prefix(e, "event log");
		tr->log_open = true;
	}
	return 0;
}

static void release_close(struct token_release *tr)
{
	if (tr->log_open)
		eventlog_close(&tr->log);
	if (tr->tpm_open)
		tpm2_close(&tr->tpm);
	trust_anchors_free(&tr->anchors);
}

static int release_run(struct token_release *tr, const struct luks_token *t, uint64_t deadline,
		       struct secret *key, struct error *e)
{
	const struct settings *s = tr->o->settings;
	char resource_path[KBS_RESOURCE_PATH_MAX], anchors[PATH_MAX];
	char *urls[KBS_URLS_MAX + 1];
	int r;

	r = kbs_resource_path(t->resource, NULL, resource_path, e);
	if (r < 0)
		return r;
	r = luks_token_brokers(t, s->kbs_urls, urls, e);
	if (r < 0)
		return r;
	if (!s->kbs_ca_file)
		return error_set(e, -ENOENT,
				 "the configuration names no trust anchor ([kbs] ca-file)");
	r = path_join_root(anchors, sizeof(anchors), tr->o->root, s->kbs_ca_file);
	if (r < 0)
		return error_set_errno(e, r, "trust anchor %s under %s", s->kbs_ca_file,
				       tr->o->root);
	r = trust_anchors_load(&tr->anchors, anchors, e);
	if (r < 0)
		return error_prefix(e, "trust anchor %s", s->kbs_ca_file);
	r = release_tee(tr, e);
	if (r < 0)
		return r;
	r = release_open_evidence(tr, e);
	if (r < 0)
		return r;
	release_report(tr, LOG_INFO, "key slot %u: %s evidence, resource %s, %d ms left",
		       t->keyslot, tee_name(tr->tee), t->resource, deadline_left_ms(deadline));
	const struct kbs_release_options opt = {
		.urls = urls,
		.anchors = &tr->anchors,
		.curve = JWK_P256,
		.evidence = {
			.root = tr->o->root,
			.tee = tr->tee,
			.report = { .privlevel = TSM_REPORT_PRIVLEVEL_FLOOR },
			.log = tr->log_open ? &tr->log : NULL,
			.tpm = tr->tpm_open ? &tr->tpm : NULL,
		},
		.resource_paths = (const char *const[]){ resource_path },
		.n_resources = 1,
		.deadline = deadline,
		.report = tr->o->report,
		.userdata = tr->o->userdata,
	};
	return kbs_release(&opt, key, NULL, e);
}

int luks_token_release(const struct luks_token *t, const struct luks_token_release_options *o,
		       struct secret *key, struct error *e)
{
	/* From the first step: detection and a TPM that hangs count against it too. */
	uint64_t deadline =
		deadline_after_ms(1000ull * (t->timeout ? t->timeout : LUKS_TOKEN_TIMEOUT_DEFAULT));
	struct token_release tr = { .o = o };
	int r;

	r = release_run(&tr, t, deadline, key, e);
	release_close(&tr);
	return r;
}
