/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cli/tool.h"

#include <stdio.h>
#include <string.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "cli/context.h"
#include "evlog/eventlog.h"

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

int tool_measure_one(struct tool *tool, struct context *ctx, const struct record_event *ev)
{
	struct registers *regs;
	struct eventlog *log;
	int r;

	r = context_eventlog(ctx, &log);
	if (r == EXIT_OK)
		r = context_registers(ctx, &regs);
	if (r == EXIT_OK)
		r = tool_measure_event(tool, log, regs, ev);
	return r;
}
