/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_TOOL_H
#define MRBOOT_TOOL_H

#include "basic/log.h"

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
extern const struct command command_predict;

/* For commands: prints the usage to stdout (for --help) or stderr (for errors). */
int tool_usage(const struct command *cmd, int status);

struct context;
struct eventlog;
struct record_event;
struct registers;

/*
 * Measures what the configuration lists (kernel command line, configuration, files, root file
 * system, separator) into the platform's registers. A boot already measured is an error with
 * once, else left as it is (`run` started again). EXIT_OK or EXIT_FAILED.
 */
int tool_measure_boot(struct tool *tool, struct context *ctx, bool once);

/* Measures one event through the write-ahead log and logs where it went. */
int tool_measure_event(struct tool *tool, struct eventlog *log, struct registers *regs,
		       const struct record_event *ev);

/* Measures ev through the context's registers and event log. EXIT_OK or EXIT_FAILED. */
int tool_measure_one(struct tool *tool, struct context *ctx, const struct record_event *ev);

/*
 * Replays the context's registers against the logs and prints the verdicts (as JSON with
 * json); EXIT_OK, EXIT_REPLAY when a register differs, or EXIT_FAILED.
 */
int tool_replay(struct tool *tool, struct context *ctx, bool json);

#endif
