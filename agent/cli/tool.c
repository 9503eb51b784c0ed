/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cli/tool.h"

#include <stdio.h>
#include <string.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "evlog/eventlog.h"

int tool_load_settings(struct tool *tool, struct settings *settings)
{
	struct error e = { 0 };
	int target, level;

	if (settings_load(settings, tool->root, tool->config_path, &e) < 0) {
		log_error(&tool->log, &e, "configuration");
		return EXIT_CONFIG;
	}
	target = tool->log_target >= 0 ? tool->log_target : settings->log_target;
	level = tool->log_level >= 0 ? tool->log_level : settings_log_priority(settings);
	log_close(&tool->log);
	log_open(&tool->log, (enum log_target)target, tool->root, level);
	return EXIT_OK;
}

/*
 * Where there is no tsm-mr group: a TPM 2.0, but never on a confidential platform, whose
 * registers are its own (a host that keeps tdx_guest from loading must not get its emulated
 * TPM measured into instead), except the SEV-SNP SVSM's vTPM. EXIT_OK and *logged_only when
 * events can only be logged, EXIT_OK alone when the TPM is to be opened, else EXIT_FAILED.
 */
static int tool_registers_without_mr(struct tool *tool, const struct detect *d, bool *logged_only)
{
	bool tpm2 = d->has_tpm && d->tpm_version == 2;

	if (d->platform == PLATFORM_SEV_SNP && !(tpm2 && d->tpm_svsm)) {
		log_warning(&tool->log,
			    "SEV-SNP without the SVSM's vTPM has no register to extend: events are "
			    "logged only, and are not attestable on this platform%s",
			    d->has_tpm ? " (the TPM here is not the SVSM's, and the host may "
					 "emulate it)"
				       : "");
		*logged_only = true;
		return EXIT_OK;
	}
	if (platform_is_confidential(d->platform) && d->platform != PLATFORM_SEV_SNP) {
		log_err(&tool->log,
			"platform %s (%s), but no tsm-mr measurement registers (Linux >= 6.16 "
			"for TDX)%s%s%s",
			platform_name(d->platform), d->n_signals ? d->signals[0].text : "detected",
			d->has_tpm ? "; the TPM never stands in for them" : "",
			d->blacklist[0] ? "; the kernel command line has " : "", d->blacklist);
		return EXIT_FAILED;
	}
	if (!tpm2) {
		log_err(&tool->log,
			"no extensible register on this platform (%s): no tsm-mr measurement "
			"registers and no TPM 2.0",
			platform_name(d->platform));
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

int tool_open_registers(struct tool *tool, const struct settings *settings,
			struct tool_registers *tr)
{
	struct error e = { 0 };
	int r;

	*tr = (struct tool_registers){ 0 };
	if (settings->tpm_socket) {
		r = tpm2_open_socket(&tr->tpm, settings->tpm_socket, &e);
	} else {
		if (detect_run(&tr->detect, tool->root, &e) < 0) {
			log_error(&tool->log, &e, "detect");
			return EXIT_FAILED;
		}
		if (tr->detect.has_mr) {
			if (registers_open_tsm(&tr->regs, &tr->detect.mr, &e) < 0) {
				log_error(&tool->log, &e, "registers");
				return EXIT_FAILED;
			}
			return EXIT_OK;
		}
		bool logged_only = false;

		r = tool_registers_without_mr(tool, &tr->detect, &logged_only);
		if (r != EXIT_OK)
			return r;
		if (logged_only) {
			registers_open_none(&tr->regs);
			return EXIT_OK;
		}
		r = tpm2_open_device(&tr->tpm, tool->root, settings->tpm_device, &e);
	}
	if (r < 0) {
		log_error(&tool->log, &e, "TPM");
		return EXIT_FAILED;
	}
	tr->tpm_open = true;
	if (registers_open_tpm(&tr->regs, &tr->tpm, &e) < 0) {
		log_error(&tool->log, &e, "TPM");
		tool_close_registers(tr);
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

void tool_close_registers(struct tool_registers *tr)
{
	if (tr->tpm_open)
		tpm2_close(&tr->tpm);
	tr->tpm_open = false;
}

/* Settles what a writer that died left pending, and says what became of it. */
int tool_recover_log(struct tool *tool, struct eventlog *log, struct registers *regs)
{
	struct error e = { 0 };
	unsigned settled;

	if (log->torn >= 0)
		log_warning(&tool->log,
			    "%s: the record at byte %lld was cut short by a writer that died; it "
			    "was never extended and is ignored",
			    log->journal.path, (long long)log->torn);
	if (eventlog_recover(log, regs, &settled, &e) < 0) {
		log_error(&tool->log, &e, log->journal.path);
		return EXIT_FAILED;
	}
	for (size_t i = 0; settled && i < log->count; i++)
		if (strncmp(log->records[i].reason, "recovered:", 10) == 0)
			log_warning(&tool->log, "record %llu (%s %s) was left pending: %s",
				    (unsigned long long)log->records[i].seq,
				    log->records[i].event.domain, log->records[i].event.operation,
				    log->records[i].reason);
	return EXIT_OK;
}

/* Measures one event and says where it went. */
int tool_measure_event(struct tool *tool, struct eventlog *log, struct registers *regs,
		       const struct record_event *ev)
{
	const struct mr_bank_digest *shown;
	const struct record *rec;
	struct error e = { 0 };
	char name[16], hex[2 * HASH_MAX_SIZE + 1];

	if (eventlog_measure(log, regs, ev, &rec, &e) < 0) {
		char what[2 * RECORD_WORD_MAX + 16];

		snprintf(what, sizeof(what), "measuring %s %s", ev->domain, ev->operation);
		log_error(&tool->log, &e, what);
		return EXIT_FAILED;
	}
	registers_name(regs, rec->index, name, sizeof(name));
	/* SHA-256 where the register has it: the digest people compare with other tools. */
	shown = &rec->digests.bank[0];
	for (unsigned i = 0; i < rec->digests.count; i++)
		if (rec->digests.bank[i].alg == HASH_SHA256)
			shown = &rec->digests.bank[i];
	hex_encode(hex, shown->digest, hash_info(shown->alg)->size);
	log_info(&tool->log, "%s %s %s into %s (pcr %u): %s:%s (record %llu)",
		 regs->family == MR_FAMILY_NONE ? "logged" : "measured", ev->domain, ev->operation,
		 name, ev->pcr, hash_info(shown->alg)->name, hex, (unsigned long long)rec->seq);
	return EXIT_OK;
}

int tool_measure_one(struct tool *tool, const struct settings *settings,
		     const struct record_event *ev)
{
	struct tool_registers tr;
	struct eventlog log;
	struct error e = { 0 };
	int r;

	r = tool_open_registers(tool, settings, &tr);
	if (r != EXIT_OK)
		return r;
	if (eventlog_open(&log, tool->root, &e) < 0) {
		log_error(&tool->log, &e, "event log");
		r = EXIT_FAILED;
	} else {
		r = tool_recover_log(tool, &log, &tr.regs);
		if (r == EXIT_OK)
			r = tool_measure_event(tool, &log, &tr.regs, ev);
		eventlog_close(&log);
	}
	tool_close_registers(&tr);
	return r;
}
