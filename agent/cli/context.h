/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_CLI_CONTEXT_H
#define MRBOOT_CLI_CONTEXT_H

/*
 * What one command knows of the boot, each part acquired once and on first use: the kernel
 * command line and the settings (read when the context opens), the platform (prepared and
 * detected once), the registers measurements go to, and mrboot's event log (opened and its
 * pending records settled once). `run` passes one context through measure, verify and unlock,
 * so that a boot is read once however many steps look at it. The getters log what failed and
 * return EXIT_OK or the exit status; what they hand out belongs to the context until
 * context_close().
 */

#include <stdbool.h>

#include "cli/tool.h"
#include "config/settings.h"
#include "evlog/eventlog.h"
#include "evlog/firmware.h"
#include "mr/registers.h"
#include "mr/tpm2.h"
#include "platform/detect.h"
#include "platform/prepare.h"

struct context {
	struct tool *tool;
	char *cmdline; /* <root>/proc/cmdline, "" where it cannot be read */
	struct settings settings;
	bool settings_loaded;
	struct platform_preparation prep;
	struct detect detect;
	bool detected;
	bool detect_failed;
	struct tpm2 tpm;
	bool tpm_open;
	struct registers regs;
	bool regs_open;
	struct eventlog log;
	bool log_open;
	struct evlog_firmware firmware;
	bool firmware_read;
};

/*
 * Reads the kernel command line and loads the settings (the file, then the command line's
 * mrboot.* parameters), and points the log where they say unless the command line of mrboot
 * said otherwise. EXIT_OK or EXIT_CONFIG; context_close() is safe after either.
 */
int context_open(struct context *ctx, struct tool *tool);
void context_close(struct context *ctx);

/*
 * The platform, prepared (modules, mounts) and detected once; what was not found or could not
 * be done is in *d and in ctx->prep. EXIT_FAILED (said once) when detection could not read
 * what it must, such as a configfs-tsm report; *d has what was found before.
 */
int context_detect(struct context *ctx, const struct detect **d);

/*
 * The registers measurements go to: the TPM at [tpm] socket when one is configured (swtpm in
 * tests), else what detection found: a tsm-mr group (TDX, CCA), else a TPM 2.0 at [tpm]
 * device, never on a confidential platform but for the SEV-SNP SVSM's vTPM (registers of
 * family none where SEV-SNP has no register: events are logged only). EXIT_OK or EXIT_FAILED.
 */
int context_registers(struct context *ctx, struct registers **regs);

/* The TPM when the registers are a TPM's, else NULL (after context_registers() succeeded). */
struct tpm2 *context_tpm(struct context *ctx);

/*
 * mrboot's event log, opened (and made where it is missing), with what a dead writer left
 * pending settled against the registers and warned about. EXIT_OK or EXIT_FAILED.
 */
int context_eventlog(struct context *ctx, struct eventlog **log);

/*
 * The firmware's event log of the registers' family (the CCEL for tsm-mr registers, the TPM's
 * for PCRs), read once for replay and the evidence; its data NULL where the kernel has none.
 * EXIT_OK or EXIT_FAILED.
 */
int context_firmware(struct context *ctx, const struct evlog_firmware **firmware);

#endif
