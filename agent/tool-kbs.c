/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tool-kbs.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "error.h"
#include "net/deadline.h"
#include "path.h"

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
	} else if (s->kbs_tee != SETTINGS_TEE_AUTO) {
		*tee = (enum tee_type)(s->kbs_tee - 1);
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
			log_err(&tool->log, "attest: tee tpm, but the registers here are not a TPM's");
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
		log_err(&tool->log, "no key broker: set [kbs] url in %s or mrboot.kbs.url=",
			tool->config_path);
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
	if (!o->attest_only) {
		const char *resource = o->resource ? o->resource : s->kbs_resource;

		if (kbs_resource_path(resource, o->volume, k->resource_path, &e) < 0) {
			log_error(&tool->log, &e, "[kbs] resource");
			return EXIT_CONFIG;
		}
		opt->resource_path = k->resource_path;
	}
	opt->anchors = &k->anchors;
	opt->allow_plain = s->kbs_insecure;
	switch (s->kbs_key) {
	case SETTINGS_KBS_KEY_EC_P521:
		opt->key_type = JWK_EC;
		opt->curve = JWK_P521;
		break;
	case SETTINGS_KBS_KEY_RSA_3072:
		opt->key_type = JWK_RSA;
		opt->rsa_bits = 3072;
		break;
	default:
		opt->key_type = JWK_EC;
		opt->curve = JWK_P256;
	}
	opt->evidence = (struct tee_evidence_input){
		.root = tool->root,
		.tee = tee,
		.report = { .privlevel = EVIDENCE_PRIVLEVEL_FLOOR },
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
