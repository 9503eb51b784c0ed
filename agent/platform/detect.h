/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_DETECT_H
#define MRBOOT_DETECT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "mr/tsm-mr.h"

struct error;

enum platform {
	PLATFORM_NONE,
	PLATFORM_TDX,
	PLATFORM_SEV_SNP,
	PLATFORM_CCA,
	PLATFORM_S390_PV,
	PLATFORM_TPM, /* no confidential platform, but a TPM */
	PLATFORM_COUNT,
};

const char *platform_name(enum platform p);

/*
 * TDX, SEV-SNP, CCA and s390 PV: platforms whose evidence and registers are their own. Once
 * detection names one, a TPM never stands in for it (doc/trust-model.md): the host decides
 * which modules load and may emulate the TPM.
 */
bool platform_is_confidential(enum platform p);

#define DETECT_SIGNALS_MAX 12
#define DETECT_BANKS_MAX 8
#define DETECT_NOTES_MAX 4

/* Things a person must know, said plainly: what detection or preparation found amiss. */
struct platform_notes {
	unsigned n;
	char text[DETECT_NOTES_MAX][200];
};

/* Adds a note; one past DETECT_NOTES_MAX is dropped. */
void platform_note(struct platform_notes *notes, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One piece of evidence for a platform, in the order detection found it. */
struct detect_signal {
	enum platform platform;
	char text[160]; /* "configfs-tsm report provider tdx_guest" */
};

struct detect {
	enum platform platform; /* the confidential platform, else tpm, else none */
	char provider[32];	/* configfs-tsm report provider, "" when there is none */
	bool report_node;	/* /sys/kernel/config/tsm/report exists */

	unsigned n_signals;
	struct detect_signal signals[DETECT_SIGNALS_MAX];

	bool has_mr; /* a tsm-mr measurements group: the registers below */
	struct tsm_mr mr;

	bool has_tpm;
	bool tpm_svsm;	     /* the SEV-SNP SVSM's vTPM, in the guest's trust domain */
	char tpm_device[64]; /* as seen inside the root: "/dev/tpmrm0" */
	unsigned tpm_version;
	unsigned n_banks;
	char banks[DETECT_BANKS_MAX][16]; /* "sha1", "sha256": from /sys/class/tpm/tpm0 */

	/* On a confidential platform: kernel parameters that keep its modules from loading. */
	char blacklist[160]; /* "modprobe.blacklist=tdx_guest", "" for none */

	struct platform_notes notes;
};

/*
 * Finds the platform below root: the configfs-tsm report provider first, the tsm-mr
 * measurements groups second, per-architecture signals third, and a TPM. It loads nothing and
 * mounts nothing (platform_prepare() does, before); it makes and removes one configfs-tsm
 * report, the only way to learn its provider. cmdline is the kernel command line's text
 * (NULL: none), for the parameters that keep the platform's modules out. Nothing found is
 * not an error.
 */
int detect_run(struct detect *d, const char *root, const char *cmdline, struct error *e);

/*
 * The modules that provide the platform's report and registers, by the per-architecture
 * signals that fire below root (tdx_guest, sev_guest, arm_cca_guest): at most max into
 * modules[], returns how many.
 */
size_t detect_arch_modules(const char *root, const char **modules, size_t max);

/*
 * What detection reads from a small sysfs or configfs text attribute: the len bytes at text
 * (NUL-terminated) without their trailing newlines and spaces, cut in place. Returns the
 * length left, or -EINVAL when the text holds a NUL or needs size bytes or more with its NUL.
 */
int detect_attr_text(char *text, size_t len, size_t size);

/* Whether the first "flags" line of /proc/cpuinfo's text lists flag; cuts the text up. */
bool detect_cpuinfo_has_flag(char *cpuinfo, const char *flag);

#endif
