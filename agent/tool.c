/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tool.h"

#include <stdio.h>
#include <string.h>

#include "encoding.h"
#include "error.h"
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
		if (!tr->detect.has_tpm || tr->detect.tpm_version != 2) {
			if (tr->detect.platform == PLATFORM_SEV_SNP) {
				log_warning(
					&tool->log,
					"SEV-SNP without a vTPM has no register to extend: events "
					"are logged only, and are not attestable on this platform");
				registers_open_none(&tr->regs);
				return EXIT_OK;
			}
			log_err(&tool->log,
				"no extensible register on this platform (%s): no tsm-mr "
				"measurement registers and no TPM 2.0",
				platform_name(tr->detect.platform));
			return EXIT_FAILED;
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
