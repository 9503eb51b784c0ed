/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_MEASURE_PREDICT_H
#define MRBOOT_MEASURE_PREDICT_H

/*
 * What a boot will measure, worked out before it happens: the plan `measure` runs (plan.h),
 * each event's digests as the platform's registers would be extended with them, and every
 * register mrboot extends as it will stand after mrboot's last event. Nothing is read from or
 * written to a register: the platform is named, not detected.
 */

#include <stdbool.h>
#include <stddef.h>

#include "evlog/replay.h"
#include "measure/plan.h"
#include "mr/registers.h"

struct error;
struct evlog_firmware;

/*
 * "tdx" (RTMRs, SHA-384), "cca-sha256" and "cca-sha512" (REMs), "tpm" (PCRs, SHA-256 bank),
 * "tpm:sha1,sha256,..." (the banks the TPM has allocated), "sev-snp" (no register: the
 * events only). regs gets the family and banks; -EINVAL naming what is wrong.
 */
int predict_layout(const char *name, struct registers *regs, struct error *e);

struct predict_register {
	unsigned index;
	char name[16];
	struct mr_digests value; /* after mrboot's last event */
	unsigned firmware_events;
	unsigned events; /* mrboot's */
	/*
	 * The firmware's log was given: the value is the register's, whole. Otherwise it is
	 * mrboot's part from zero, which is the register's only when nothing before mrboot
	 * (firmware, boot loader, a UKI's stub) extends it.
	 */
	bool complete;
};

struct predict {
	struct registers layout;
	unsigned n_events;
	struct mr_digests digests[MEASURE_PLAN_MAX]; /* of plan->ev[i], one per bank */
	unsigned index[MEASURE_PLAN_MAX];	     /* the register plan->ev[i] extends */
	unsigned n_registers;
	struct predict_register registers[REPLAY_REGISTERS_MAX];
};

/*
 * Predicts plan on layout (predict_layout()); firmware is the platform's firmware log (the
 * CCEL, or the TPM's BIOS log), or NULL. Errors name the event or the log.
 */
int predict_run(struct predict *p, const struct registers *layout, const struct measure_plan *plan,
		const struct evlog_firmware *firmware, struct error *e);

#endif
