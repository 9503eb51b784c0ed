/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cli/context.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/error.h"
#include "basic/cmdline.h"

int context_open(struct context *ctx, struct tool *tool)
{
	struct error e = { 0 };
	int r, target, level;

	*ctx = (struct context){ .tool = tool };
	r = cmdline_read(tool->root, &ctx->cmdline, &e);
	/* A fixture tree without /proc/cmdline: no parameters; a real system always has it. */
	if (r < 0 && r != -ENOENT) {
		log_error(&tool->log, &e, "configuration");
		return EXIT_CONFIG;
	}
	if (settings_load(&ctx->settings, tool->root, tool->config_path, ctx->cmdline, &e) < 0) {
		log_error(&tool->log, &e, "configuration");
		return EXIT_CONFIG;
	}
	ctx->settings_loaded = true;
	target = tool->log_target >= 0 ? tool->log_target : ctx->settings.log_target;
	level = tool->log_level >= 0 ? tool->log_level : settings_log_priority(&ctx->settings);
	log_close(&tool->log);
	log_open(&tool->log, (enum log_target)target, tool->root, level);
	return EXIT_OK;
}

void context_close(struct context *ctx)
{
	evlog_firmware_free(&ctx->firmware);
	if (ctx->log_open)
		eventlog_close(&ctx->log);
	if (ctx->tpm_open)
		tpm2_close(&ctx->tpm);
	if (ctx->settings_loaded)
		settings_free(&ctx->settings);
	free(ctx->cmdline);
	*ctx = (struct context){ 0 };
}

int context_detect(struct context *ctx, const struct detect **d)
{
	struct error e = { 0 };

	if (!ctx->detected) {
		platform_prepare(&ctx->prep, ctx->tool->root);
		if (detect_run(&ctx->detect, ctx->tool->root, ctx->cmdline, &e) < 0) {
			log_error(&ctx->tool->log, &e, "detect");
			ctx->detect_failed = true;
		}
		ctx->detected = true;
	}
	*d = &ctx->detect;
	return ctx->detect_failed ? EXIT_FAILED : EXIT_OK;
}

/*
 * Where there is no tsm-mr group: a TPM 2.0, but never on a confidential platform, whose
 * registers are its own (a host that keeps tdx_guest from loading must not get its emulated
 * TPM measured into instead), except the SEV-SNP SVSM's vTPM. EXIT_OK and *logged_only when
 * events can only be logged, EXIT_OK alone when the TPM is to be opened, else EXIT_FAILED.
 */
static int context_registers_without_mr(struct context *ctx, const struct detect *d,
					bool *logged_only)
{
	struct log *log = &ctx->tool->log;
	bool tpm2 = d->has_tpm && d->tpm_version == 2;

	if (d->platform == PLATFORM_SEV_SNP && !(tpm2 && d->tpm_svsm)) {
		log_warning(log,
			    "SEV-SNP without the SVSM's vTPM has no register to extend: events are "
			    "logged only, and are not attestable on this platform%s",
			    d->has_tpm ? " (the TPM here is not the SVSM's, and the host may "
					 "emulate it)"
				       : "");
		*logged_only = true;
		return EXIT_OK;
	}
	if (platform_is_confidential(d->platform) && d->platform != PLATFORM_SEV_SNP) {
		log_err(log,
			"platform %s (%s), but no tsm-mr measurement registers (Linux >= 6.16 "
			"for TDX)%s%s%s",
			platform_name(d->platform), d->n_signals ? d->signals[0].text : "detected",
			d->has_tpm ? "; the TPM never stands in for them" : "",
			d->blacklist[0] ? "; the kernel command line has " : "", d->blacklist);
		return EXIT_FAILED;
	}
	if (!tpm2) {
		log_err(log,
			"no extensible register on this platform (%s): no tsm-mr measurement "
			"registers and no TPM 2.0",
			platform_name(d->platform));
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

static int context_open_tpm(struct context *ctx)
{
	const struct settings *s = &ctx->settings;
	struct error e = { 0 };
	int r;

	if (s->tpm_socket)
		r = tpm2_open_socket(&ctx->tpm, s->tpm_socket, &e);
	else
		r = tpm2_open_device(&ctx->tpm, ctx->tool->root, s->tpm_device, &e);
	if (r < 0) {
		log_error(&ctx->tool->log, &e, "TPM");
		return EXIT_FAILED;
	}
	ctx->tpm_open = true;
	if (registers_open_tpm(&ctx->regs, &ctx->tpm, &e) < 0) {
		log_error(&ctx->tool->log, &e, "TPM");
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

static int context_open_registers(struct context *ctx)
{
	const struct detect *d;
	struct error e = { 0 };
	bool logged_only = false;
	int r;

	if (ctx->settings.tpm_socket)
		return context_open_tpm(ctx);
	r = context_detect(ctx, &d);
	if (r != EXIT_OK)
		return r;
	if (d->has_mr) {
		if (registers_open_tsm(&ctx->regs, &d->mr, &e) < 0) {
			log_error(&ctx->tool->log, &e, "registers");
			return EXIT_FAILED;
		}
		return EXIT_OK;
	}
	r = context_registers_without_mr(ctx, d, &logged_only);
	if (r != EXIT_OK)
		return r;
	if (logged_only) {
		registers_open_none(&ctx->regs);
		return EXIT_OK;
	}
	return context_open_tpm(ctx);
}

int context_registers(struct context *ctx, struct registers **regs)
{
	int r;

	if (!ctx->regs_open) {
		r = context_open_registers(ctx);
		if (r != EXIT_OK)
			return r;
		ctx->regs_open = true;
	}
	*regs = &ctx->regs;
	return EXIT_OK;
}

struct tpm2 *context_tpm(struct context *ctx)
{
	return ctx->regs_open && ctx->tpm_open ? &ctx->tpm : NULL;
}

/* Settles what a writer that died left pending, and says what became of it. */
static int context_recover(struct context *ctx)
{
	struct eventlog *log = &ctx->log;
	struct error e = { 0 };
	unsigned settled;

	if (log->torn >= 0)
		log_warning(&ctx->tool->log,
			    "%s: the record at byte %lld was cut short by a writer that died; it "
			    "was never extended and is ignored",
			    log->journal.path, (long long)log->torn);
	if (eventlog_recover(log, &ctx->regs, &settled, &e) < 0) {
		log_error(&ctx->tool->log, &e, log->journal.path);
		return EXIT_FAILED;
	}
	for (size_t i = 0; settled && i < log->count; i++)
		if (strncmp(log->records[i].reason, "recovered:", 10) == 0)
			log_warning(&ctx->tool->log, "record %llu (%s %s) was left pending: %s",
				    (unsigned long long)log->records[i].seq,
				    log->records[i].event.domain, log->records[i].event.operation,
				    log->records[i].reason);
	return EXIT_OK;
}

int context_eventlog(struct context *ctx, struct eventlog **log)
{
	struct registers *regs;
	struct error e = { 0 };
	int r;

	if (!ctx->log_open) {
		r = context_registers(ctx, &regs);
		if (r != EXIT_OK)
			return r;
		if (eventlog_open(&ctx->log, ctx->tool->root, &e) < 0) {
			log_error(&ctx->tool->log, &e, "event log");
			return EXIT_FAILED;
		}
		ctx->log_open = true;
		r = context_recover(ctx);
		if (r != EXIT_OK)
			return r;
	}
	*log = &ctx->log;
	return EXIT_OK;
}

int context_firmware(struct context *ctx, const struct evlog_firmware **firmware)
{
	struct registers *regs;
	struct error e = { 0 };
	int r;

	if (!ctx->firmware_read) {
		r = context_registers(ctx, &regs);
		if (r != EXIT_OK)
			return r;
		if (evlog_firmware_load(&ctx->firmware, ctx->tool->root,
					regs->family == MR_FAMILY_TPM ? EVLOG_FIRMWARE_TPM
								      : EVLOG_FIRMWARE_CCEL,
					&e) < 0) {
			log_error(&ctx->tool->log, &e, "firmware event log");
			return EXIT_FAILED;
		}
		ctx->firmware_read = true;
	}
	*firmware = &ctx->firmware;
	return EXIT_OK;
}
