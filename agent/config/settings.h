/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_SETTINGS_H
#define MRBOOT_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct error;
struct measure_plan_input;

/*
 * The agent's configuration: /etc/mrboot.conf, then every mrboot.<section>.<key>= of the
 * kernel command line. Each issue that adds behaviour adds its keys here and to mrboot(1).
 *
 * The file is the initrd's, which the firmware measures; the command line is the host's
 * (doc/trust-model.md). So the command line may set only what gives the host nothing: the log
 * level and target and the two timeouts. Everything else (what is measured and where, the
 * evidence, brokers, anchors, the TPM, the volumes and the hand-off) it may set only when the
 * file's [general] cmdline-overrides lists the key, and never cmdline-overrides itself.
 */

struct settings {
	int log_level;		  /* [general] log-level: a syslog priority, LOG_ERR .. LOG_DEBUG */
	int log_target;		  /* [general] log-target: enum log_target (basic/log.h) */
	char **cmdline_overrides; /* [general] "section.key" the command line may set */

	/* Where the settings came from, for measuring them (not configuration keys). */
	bool config_found;	   /* the file existed */
	uint8_t config_sha256[32]; /* of the bytes that were parsed */
	unsigned cmdline_applied;  /* mrboot.* parameters applied from the command line */
	bool cmdline_forced;	   /* [measure] cmdline = no was overruled because of them */

	/* [measure]: what `mrboot measure` measures, and into which logical PCR */
	bool measure_cmdline;
	bool measure_config;
	char **measure_files; /* further files, measured by digest */
	int measure_rootfs;   /* enum measure_rootfs (measure/plan.h) */
	char *rootfs_device;  /* for rootfs = device */
	char *roothash;	      /* hex; must equal the kernel command line's, if it has one */
	uint64_t pcr_cmdline;
	uint64_t pcr_config;
	uint64_t pcr_rootfs;
	uint64_t pcr_separator;

	/* [tpm]: where the TPM is when the platform has one */
	char *tpm_device; /* default /dev/tpmrm0 */
	char *tpm_socket; /* a swtpm command socket instead (tests, development) */

	/* [kbs]: the key broker (Trustee KBS, RCAR 0.4.0) and how to reach it */
	char **kbs_urls;      /* tried in turn, the list again until the deadline */
	char *kbs_ca_file;    /* PEM trust anchors for https */
	bool kbs_insecure;    /* allow http:// (tests only; warned about on every use) */
	int kbs_tee;	      /* enum tee_type (attest/tee.h); TEE_AUTO: detected */
	char *kbs_resource;   /* repository/type/tag; "{volume}" stands for the volume name */
	uint64_t kbs_timeout; /* seconds for everything from the first request to the key */
	int kbs_key; /* enum jwk_curve (jose/jwk.h): of the ephemeral key the secret is wrapped to
		      */

	/* [unlock]: which volumes `mrboot run` unlocks, and how their keys reach cryptsetup */
	char **unlock_volumes;
	int unlock_handoff;	    /* enum handoff_mode (handoff/handoff.h) */
	bool unlock_keyring;	    /* also add it to the user keyring as "cryptsetup" */
	char *unlock_key_dir;	    /* /run/cryptsetup-keys.d */
	uint64_t unlock_timeout;    /* seconds the key is offered for */
	int unlock_volume_identity; /* enum settings_volume_identity */
};

/* [unlock] volume-identity: a resource without an expected volume identity (luks/volume-resource.h)
 */
enum settings_volume_identity {
	SETTINGS_VOLUME_IDENTITY_REQUIRED, /* refused: the boot stays locked (the default) */
	SETTINGS_VOLUME_IDENTITY_OPTIONAL, /* its passphrase handed off unbound, with a warning */
};

/*
 * Defaults, then the file under root (missing is fine), then the mrboot.* parameters of the
 * kernel command line (cmdline_read()'s text; NULL for a tree without one). When any is
 * applied, the command line is measured whatever [measure] cmdline says: a parameter must not
 * be able to hide itself.
 */
int settings_load(struct settings *s, const char *root, const char *config_path,
		  const char *cmdline, struct error *e);
void settings_free(struct settings *s);

/* The effective configuration in the file's own syntax. */
int settings_write(const struct settings *s, FILE *out);

/*
 * The [measure] part of the plan's input (measure/plan.h); config_path is the configuration's
 * path as its event names it. The root, the command line and the progress are the caller's.
 */
void settings_measure_plan(const struct settings *s, const char *config_path,
			   struct measure_plan_input *in);

/* log-level (LOG_ERR .. LOG_DEBUG). */
int settings_log_priority(const struct settings *s);

#endif
