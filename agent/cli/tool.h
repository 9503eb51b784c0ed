/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_TOOL_H
#define MRBOOT_TOOL_H

#include "basic/log.h"
#include "mr/registers.h"
#include "platform/detect.h"
#include "config/settings.h"

/* Exit statuses, documented in mrboot(1): a script can tell which step failed. */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,  /* the command ran and failed; the message says what and where */
	EXIT_USAGE = 2,	  /* bad command line */
	EXIT_CONFIG = 3,  /* /etc/mrboot.conf or a mrboot.* kernel parameter is invalid */
	EXIT_REPLAY = 4,  /* replay: a register differs from what the logs say */
	EXIT_ATTEST = 5,  /* attest, unlock: no token or no key (every broker refused or failed) */
	EXIT_HANDOFF = 6, /* unlock: the key was released but not taken before the timeout */
	EXIT_VOLUME = 7,  /* unlock: the volume is not the one the broker's identity names */
};

/* What main() hands every command: the global options and the log sink. */
struct tool {
	const char *root;	 /* prefix for every kernel and system path ("/") */
	const char *config_path; /* absolute, resolved under root */
	int log_target; /* from --log-target (enum log_target), or -1: the configuration's */
	int log_level;	/* from --log-level, or -1: the configuration's */
	struct log log;
};

struct command {
	const char *name;
	const char *summary;
	const char *usage; /* the command's own --help text */
	int (*run)(struct tool *tool, int argc, char **argv);
};

extern const struct command command_config;
extern const struct command command_detect;
extern const struct command command_extend;
extern const struct command command_log;
extern const struct command command_measure;
extern const struct command command_replay;
extern const struct command command_attest;
extern const struct command command_unlock;
extern const struct command command_enroll;
extern const struct command command_run;
extern const struct command command_volume_identity;

/* For commands: prints the usage to stdout (for --help) or stderr (for errors). */
int tool_usage(const struct command *cmd, int status);

/*
 * Loads the configuration and points the log where it says, unless the command line said
 * otherwise. Logs the error itself; returns EXIT_OK or EXIT_CONFIG.
 */
int tool_load_settings(struct tool *tool, struct settings *settings);

/* The platform's registers as a command uses them, and what owns them. */
struct tool_registers {
	struct detect detect;
	struct tpm2 tpm;
	bool tpm_open;
	struct registers regs;
};

/*
 * Opens the registers measurements go to: the TPM at [tpm] socket when one is configured
 * (swtpm in tests), else what detect finds: a tsm-mr group (TDX, CCA), else a TPM 2.0 at
 * [tpm] device. Logs the reason when there is none; returns EXIT_OK or EXIT_FAILED.
 */
int tool_open_registers(struct tool *tool, const struct settings *settings,
			struct tool_registers *tr);
void tool_close_registers(struct tool_registers *tr);

struct eventlog;
struct record_event;

/* Settles records a dead writer left pending, warning about each; EXIT_OK or EXIT_FAILED. */
int tool_recover_log(struct tool *tool, struct eventlog *log, struct registers *regs);

/*
 * Measures what the configuration lists (kernel command line, configuration, files, root file
 * system, separator) into the platform's registers. A boot already measured is an error with
 * once, else left as it is (`run` started again). EXIT_OK or EXIT_FAILED.
 */
int tool_measure_boot(struct tool *tool, const struct settings *settings, bool once);

/* Measures one event through the write-ahead log and logs where it went. */
int tool_measure_event(struct tool *tool, struct eventlog *log, struct registers *regs,
		       const struct record_event *ev);

/*
 * Opens the registers and the event log, settles what a dead writer left pending, measures
 * ev and closes both again. EXIT_OK or EXIT_FAILED.
 */
int tool_measure_one(struct tool *tool, const struct settings *settings,
		     const struct record_event *ev);

#endif
