/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cli/tool-kbs.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "basic/error.h"
#include "handoff/handoff.h"
#include "handoff/keyring.h"
#include "cli/notify.h"
#include "basic/secret.h"
#include "net/deadline.h"
#include "basic/path.h"
#include "cli/tool-volume.h"

static void tool_kbs_report(void *userdata, int priority, const char *message)
{
	struct tool *tool = userdata;

	log_printf(&tool->log, priority, "%s", message);
}

/* What the TEE's evidence needs from the context: the TPM for a quote, an open event log. */
static int tool_kbs_evidence(struct tool *tool, struct context *ctx, struct kbs_session_options *so)
{
	const struct settings *s = &ctx->settings;
	struct registers *regs;
	struct error e = { 0 };
	enum tee_type tee;
	int r;

	if (!so->tee && s->kbs_tee == TEE_AUTO && !s->tpm_socket) {
		r = context_detect(ctx, &so->detect);
		if (r != EXIT_OK)
			return r;
	}
	if (kbs_session_tee(so, &tee, &e) < 0) {
		log_error(&tool->log, &e, so->tee ? "--tee" : "attest");
		return so->tee ? EXIT_USAGE : EXIT_FAILED;
	}
	if (tee == TEE_TPM) {
		r = context_registers(ctx, &regs);
		if (r != EXIT_OK)
			return r;
		so->tpm = context_tpm(ctx);
		if (!so->tpm) {
			log_err(&tool->log,
				"attest: tee tpm, but the registers here are not a TPM's");
			return EXIT_FAILED;
		}
	}
	/* run measured and replayed through it already: the logs are not read twice. */
	if (ctx->log_open)
		so->log = &ctx->log;
	if (ctx->firmware_read && ((tee == TEE_TDX && ctx->regs.family == MR_FAMILY_TDX) ||
				   (tee == TEE_TPM && ctx->regs.family == MR_FAMILY_TPM)))
		so->firmware = &ctx->firmware;
	return EXIT_OK;
}

int tool_kbs_open(struct tool *tool, struct context *ctx, const struct tool_kbs_overrides *o,
		  struct kbs_session *ks)
{
	const struct settings *s = &ctx->settings;
	struct kbs_session_options so = {
		.root = tool->root,
		.settings = s,
		.urls = o->urls,
		.tee = o->tee,
		.report = tool_kbs_report,
		.userdata = tool,
	};
	struct error e = { 0 };
	int r;

	*ks = (struct kbs_session){ 0 };
	/* No broker is the configuration's fault; the session says so before anything else. */
	/* Said before detection or the TPM are touched; the session checks it too, for the
	 * callers that come without a configuration path to name. */
	if (!so.urls && (!s->kbs_urls || !s->kbs_urls[0])) {
		log_err(&tool->log,
			"no key broker: set [kbs] url in %s or mrboot.kbs.url=", tool->config_path);
		return EXIT_CONFIG;
	}
	r = tool_kbs_evidence(tool, ctx, &so);
	if (r != EXIT_OK)
		return r;
	so.deadline = deadline_after_ms(s->kbs_timeout * 1000);
	if (kbs_session_open(ks, &so, &e) < 0) {
		log_error(&tool->log, &e, "attest");
		return ks->config_error ? EXIT_CONFIG : EXIT_FAILED;
	}
	if (s->kbs_insecure)
		log_warning(&tool->log, "[kbs] insecure = yes: plain HTTP brokers are accepted");
	return EXIT_OK;
}

static void tool_unlock_ready(void *userdata)
{
	struct tool *tool = userdata;
	struct error e = { 0 };

	if (notify_ready(&e) < 0)
		log_error(&tool->log, &e, "systemd");
}

/*
 * Every volume's key from the broker, in one attested session, into keys[]; EXIT_OK or the
 * failure's status.
 */
static int tool_unlock_release(struct tool *tool, struct context *ctx,
			       const struct tool_unlock_request *req, struct secret *keys, size_t n)
{
	const char *resource = req->o.resource ? req->o.resource : ctx->settings.kbs_resource;
	char paths[HANDOFF_VOLUMES_MAX][KBS_RESOURCE_PATH_MAX];
	const char *path_list[HANDOFF_VOLUMES_MAX];
	struct kbs_session k;
	struct error e = { 0 };
	int r;

	for (size_t i = 0; i < n; i++) {
		if (kbs_resource_path(resource, req->volumes[i], paths[i], &e) < 0) {
			log_error(&tool->log, &e, "[kbs] resource");
			return EXIT_CONFIG;
		}
		path_list[i] = paths[i];
	}
	/* Whatever it opened before a failure is closed below. */
	r = tool_kbs_open(tool, ctx, &req->o, &k);
	k.opt.resource_paths = path_list;
	k.opt.n_resources = n;
	for (size_t i = 0; r == EXIT_OK && i < n; i++)
		log_info(&tool->log, "unlocking %s: %s evidence, resource %s", req->volumes[i],
			 tee_name(k.opt.evidence.tee), paths[i]);
	if (r == EXIT_OK && kbs_release(&k.opt, keys, NULL, &e) < 0) {
		log_error(&tool->log, &e, "no key");
		r = EXIT_ATTEST;
	}
	for (size_t i = 0; r == EXIT_OK && i < n; i++)
		log_info(&tool->log, "key for %s released (%zu bytes)", req->volumes[i],
			 keys[i].len);
	kbs_session_close(&k);
	return r;
}

static int tool_unlock_offer(struct tool *tool, const struct settings *s,
			     const struct tool_unlock_request *req, struct secret *keys, size_t all,
			     const bool *opened)
{
	int mode = req->handoff >= 0 ? req->handoff : s->unlock_handoff;
	bool keyring = req->keyring >= 0 ? req->keyring : s->unlock_keyring;
	uint64_t timeout = req->timeout_s ? req->timeout_s : s->unlock_timeout;
	struct handoff_volume vols[HANDOFF_VOLUMES_MAX];
	struct error e = { 0 };
	int32_t serial = -1;
	int r = EXIT_OK;
	size_t n = 0;

	/* A volume mrboot opened itself (tool-volume.h) needs no key from anyone. */
	for (size_t i = 0; i < all; i++)
		if (!opened[i])
			vols[n++] =
				(struct handoff_volume){ .name = req->volumes[i], .key = &keys[i] };
	if (n == 0) {
		log_info(&tool->log, "every volume is open and bound: no key to hand off");
		tool_unlock_ready(tool);
		return EXIT_OK;
	}
	if (mode == HANDOFF_WAIT && !keyring) {
		tool_unlock_ready(tool);
		return EXIT_OK;
	}
	const struct handoff_options ho = {
		.root = tool->root,
		.key_dir = req->key_dir ? req->key_dir : s->unlock_key_dir,
		.mode = (enum handoff_mode)mode,
		.keyring_serial = keyring ? &serial : NULL,
		.deadline = deadline_after_ms(timeout * 1000),
		.ready = tool_unlock_ready,
		.userdata = tool,
	};
	log_info(&tool->log, "offering %zu key%s on %s (%s%s) for up to %llu s", n,
		 n == 1 ? "" : "s", ho.key_dir,
		 mode == HANDOFF_WAIT	? "no files"
		 : mode == HANDOFF_FILE ? "files"
					: "sockets",
		 keyring ? ", keyring" : "", (unsigned long long)timeout);
	if (handoff_serve(&ho, vols, n, &e) < 0) {
		log_error(&tool->log, &e, "unlock");
		r = EXIT_HANDOFF;
	}
	if (serial == 0)
		log_info(&tool->log, "keyring: \"%s\" added and invalidated", KEYRING_DESCRIPTION);
	else if (serial > 0)
		log_warning(&tool->log, "keyring: key %d stays until its timeout: %s", serial,
			    strerror(errno));
	for (size_t i = 0; i < n; i++) {
		if (vols[i].replaced)
			log_warning(&tool->log, "%s was replaced: key wiped, name left",
				    vols[i].path);
		if (r == EXIT_OK)
			log_info(&tool->log, "volume %s is open (%u hand-off%s); its key is gone",
				 vols[i].name, vols[i].served, vols[i].served == 1 ? "" : "s");
	}
	return r;
}

int tool_unlock(struct tool *tool, struct context *ctx, const struct tool_unlock_request *req)
{
	const struct settings *s = &ctx->settings;
	struct secret keys[HANDOFF_VOLUMES_MAX] = { 0 };
	bool opened[HANDOFF_VOLUMES_MAX] = { false };
	struct error e = { 0 };
	size_t n = 0;
	int r;

	while (req->volumes && req->volumes[n])
		n++;
	if (n == 0 || n > HANDOFF_VOLUMES_MAX) {
		log_err(&tool->log, "unlock: %zu volumes named, 1 to %d can be unlocked", n,
			HANDOFF_VOLUMES_MAX);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < n; i++)
		if (handoff_volume_valid(req->volumes[i], &e) < 0) {
			log_error(&tool->log, &e, "unlock");
			return EXIT_USAGE;
		}
	r = tool_unlock_release(tool, ctx, req, keys, n);
	if (r == EXIT_OK)
		r = tool_volume_bind(tool, ctx, req->volumes, keys, n, opened);
	if (r == EXIT_OK)
		r = tool_unlock_offer(tool, s, req, keys, n, opened);
	for (size_t i = 0; i < n; i++)
		secret_free(&keys[i]);
	return r;
}
