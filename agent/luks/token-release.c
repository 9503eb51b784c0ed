/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "luks/token-release.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <syslog.h>

#include "basic/error.h"
#include "kbs/session.h"
#include "net/deadline.h"
#include "platform/detect.h"
#include "basic/secret.h"
#include "config/settings.h"

static void release_report(const struct luks_token_release_options *o, int priority,
			   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void release_report(const struct luks_token_release_options *o, int priority,
			   const char *fmt, ...)
{
	char message[ERROR_MSG_MAX];
	va_list ap;

	if (!o->report)
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	o->report(o->userdata, priority, message);
}

/*
 * The platform as the initrd left it: detection loads no module and mounts nothing here, inside
 * systemd-cryptsetup (platform/prepare.h); what it cannot find, the message puts down to that.
 */
static int release_detect(const struct luks_token_release_options *o, struct detect *d,
			  struct error *e)
{
	enum tee_type tee;
	int r;

	r = detect_run(d, o->root, o->cmdline, e);
	if (r < 0)
		return error_prefix(e, "detect");
	r = tee_from_detect(d, &tee, e);
	if (r < 0 && !d->report_node)
		return error_prefix(e, "no configfs-tsm: the token plugin prepares nothing; mrboot "
				       "run in the initrd does");
	return r;
}

static int release_run(const struct luks_token *t, const struct luks_token_release_options *o,
		       struct kbs_session *ks, uint64_t deadline, struct secret *key,
		       struct error *e)
{
	const struct settings *s = o->settings;
	char resource_path[KBS_RESOURCE_PATH_MAX];
	char *urls[KBS_URLS_MAX + 1];
	struct detect d;
	struct kbs_session_options so = {
		.root = o->root,
		.settings = s,
		.urls = urls,
		.deadline = deadline,
		.report = o->report,
		.userdata = o->userdata,
	};
	int r;

	r = kbs_resource_path(t->resource, NULL, resource_path, e);
	if (r < 0)
		return r;
	r = luks_token_brokers(t, s->kbs_urls, urls, e);
	if (r < 0)
		return r;
	if (s->kbs_tee == TEE_AUTO && !s->tpm_socket) {
		if (!o->detect && (r = release_detect(o, &d, e)) < 0)
			return r;
		so.detect = o->detect ? o->detect : &d;
	}
	r = kbs_session_open(ks, &so, e);
	if (r < 0)
		return r;
	release_report(o, LOG_INFO, "key slot %u: %s evidence, resource %s, %d ms left", t->keyslot,
		       tee_name(ks->opt.evidence.tee), t->resource, deadline_left_ms(deadline));
	ks->opt.resource_paths = (const char *const[]){ resource_path };
	ks->opt.n_resources = 1;
	return kbs_release(&ks->opt, key, NULL, e);
}

int luks_token_release(const struct luks_token *t, const struct luks_token_release_options *o,
		       struct secret *key, struct error *e)
{
	/* From the first step: detection and a TPM that hangs count against it too. */
	uint64_t deadline =
		deadline_after_ms(1000ull * (t->timeout ? t->timeout : LUKS_TOKEN_TIMEOUT_DEFAULT));
	struct kbs_session ks = { 0 };
	int r;

	r = release_run(t, o, &ks, deadline, key, e);
	kbs_session_close(&ks);
	return r;
}
