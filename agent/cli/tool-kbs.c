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

static int tool_kbs_tee(struct tool *tool, const struct settings *s,
			const struct tool_kbs_overrides *o, struct tool_kbs *k, enum tee_type *tee)
{
	struct error e = { 0 };
	int r;

	if (o->tee) {
		if (tee_from_name(o->tee, tee, &e) < 0) {
			log_error(&tool->log, &e, "--tee");
			return EXIT_USAGE;
		}
	} else if (s->kbs_tee != TEE_AUTO) {
		*tee = (enum tee_type)s->kbs_tee;
	} else if (s->tpm_socket) {
		*tee = TEE_TPM;
	} else {
		r = tool_open_registers(tool, s, &k->tr);
		if (r != EXIT_OK)
			return r;
		k->regs_open = true;
		if (tee_from_detect(&k->tr.detect, tee, &e) < 0) {
			log_error(&tool->log, &e, "attest");
			return EXIT_FAILED;
		}
		return EXIT_OK;
	}
	/* The TPM's evidence is a quote: it needs the TPM open. */
	if (*tee == TEE_TPM) {
		r = tool_open_registers(tool, s, &k->tr);
		if (r != EXIT_OK)
			return r;
		k->regs_open = true;
		if (!k->tr.tpm_open) {
			log_err(&tool->log,
				"attest: tee tpm, but the registers here are not a TPM's");
			return EXIT_FAILED;
		}
	}
	return EXIT_OK;
}

static bool tool_kbs_any_https(char *const *urls)
{
	for (; urls && *urls; urls++)
		if (strncmp(*urls, "http://", 7) != 0)
			return true;
	return false;
}

int tool_kbs_prepare(struct tool *tool, const struct settings *s,
		     const struct tool_kbs_overrides *o, struct tool_kbs *k)
{
	struct kbs_release_options *opt = &k->opt;
	struct error e = { 0 };
	enum tee_type tee;
	int r;

	*k = (struct tool_kbs){ 0 };
	opt->urls = o->urls ? o->urls : s->kbs_urls;
	if (!opt->urls || !opt->urls[0]) {
		log_err(&tool->log,
			"no key broker: set [kbs] url in %s or mrboot.kbs.url=", tool->config_path);
		return EXIT_CONFIG;
	}
	r = tool_kbs_tee(tool, s, o, k, &tee);
	if (r != EXIT_OK)
		return r;
	if (tee == TEE_TDX || tee == TEE_TPM) {
		if (eventlog_open(&k->log, tool->root, &e) < 0) {
			log_error(&tool->log, &e, "event log");
			return EXIT_FAILED;
		}
		k->log_open = true;
	}
	if (tool_kbs_any_https(opt->urls)) {
		char ca[PATH_MAX];

		/* Under --root like the configuration that names it. */
		if (path_join_root(ca, sizeof(ca), tool->root, s->kbs_ca_file) < 0 ||
		    trust_anchors_load(&k->anchors, ca, &e) < 0) {
			if (!e.code)
				error_set(&e, -ENAMETOOLONG, "%s: path too long", s->kbs_ca_file);
			log_error(&tool->log, &e, "[kbs] ca-file");
			return EXIT_CONFIG;
		}
	}
	opt->anchors = &k->anchors;
	opt->allow_plain = s->kbs_insecure;
	opt->curve = (enum jwk_curve)s->kbs_key;
	opt->evidence = (struct tee_evidence_input){
		.root = tool->root,
		.tee = tee,
		.report = { .privlevel = TSM_REPORT_PRIVLEVEL_FLOOR },
		.log = k->log_open ? &k->log : NULL,
		.tpm = k->regs_open && k->tr.tpm_open ? &k->tr.tpm : NULL,
	};
	opt->report = tool_kbs_report;
	opt->userdata = tool;
	opt->deadline = deadline_after_ms(s->kbs_timeout * 1000);
	if (s->kbs_insecure)
		log_warning(&tool->log, "[kbs] insecure = yes: plain HTTP brokers are accepted");
	return EXIT_OK;
}

void tool_kbs_close(struct tool_kbs *k)
{
	if (k->log_open)
		eventlog_close(&k->log);
	if (k->regs_open)
		tool_close_registers(&k->tr);
	trust_anchors_free(&k->anchors);
	*k = (struct tool_kbs){ 0 };
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
static int tool_unlock_release(struct tool *tool, const struct settings *s,
			       const struct tool_unlock_request *req, struct secret *keys, size_t n)
{
	const char *resource = req->o.resource ? req->o.resource : s->kbs_resource;
	char paths[HANDOFF_VOLUMES_MAX][KBS_RESOURCE_PATH_MAX];
	const char *path_list[HANDOFF_VOLUMES_MAX];
	struct tool_kbs k;
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
	r = tool_kbs_prepare(tool, s, &req->o, &k);
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
	tool_kbs_close(&k);
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

int tool_unlock(struct tool *tool, const struct settings *s, const struct tool_unlock_request *req)
{
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
	r = tool_unlock_release(tool, s, req, keys, n);
	if (r == EXIT_OK)
		r = tool_volume_bind(tool, s, req->volumes, keys, n, opened);
	if (r == EXIT_OK)
		r = tool_unlock_offer(tool, s, req, keys, n, opened);
	for (size_t i = 0; i < n; i++)
		secret_free(&keys[i]);
	return r;
}
