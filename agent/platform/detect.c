/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "detect.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cmdline.h"
#include "basic/error.h"
#include "basic/file.h"
#include "basic/macro.h"
#include "basic/path.h"

#define REPORT_DIR "/sys/kernel/config/tsm/report"

const char *platform_name(enum platform p)
{
	static const char *const names[PLATFORM_COUNT] = {
		[PLATFORM_NONE] = "none",	[PLATFORM_TDX] = "tdx",
		[PLATFORM_SEV_SNP] = "sev-snp", [PLATFORM_CCA] = "cca",
		[PLATFORM_S390_PV] = "s390-pv", [PLATFORM_TPM] = "tpm",
	};

	return p < PLATFORM_COUNT ? names[p] : "?";
}

bool platform_is_confidential(enum platform p)
{
	return p == PLATFORM_TDX || p == PLATFORM_SEV_SNP || p == PLATFORM_CCA ||
	       p == PLATFORM_S390_PV;
}

/* configfs-tsm report providers, as the guest drivers register them. */
static const struct {
	const char *provider;
	enum platform platform;
} report_providers[] = {
	{ "tdx_guest", PLATFORM_TDX },
	{ "sev_guest", PLATFORM_SEV_SNP },
	{ "arm_cca_guest", PLATFORM_CCA },
};

/* tsm-mr measurement groups. */
static const struct {
	const char *dir;
	enum platform platform;
	enum mr_family family;
} mr_groups[] = {
	{ TSM_MR_TDX_DIR, PLATFORM_TDX, MR_FAMILY_TDX },
	{ TSM_MR_CCA_DIR, PLATFORM_CCA, MR_FAMILY_CCA },
};

/* Per-architecture signals, and the module that provides the platform's report. */
enum signal_kind {
	SIGNAL_EXISTS,	 /* the path exists */
	SIGNAL_CPU_FLAG, /* a word of the "flags" line of /proc/cpuinfo */
	SIGNAL_ONE,	 /* the file holds "1" */
};

static const struct {
	enum platform platform;
	enum signal_kind kind;
	const char *path;
	const char *word;
	const char *module;
} arch_signals[] = {
	{ PLATFORM_TDX, SIGNAL_CPU_FLAG, "/proc/cpuinfo", "tdx_guest", "tdx_guest" },
	{ PLATFORM_SEV_SNP, SIGNAL_EXISTS, "/sys/devices/platform/sev-guest", NULL, "sev_guest" },
	{ PLATFORM_SEV_SNP, SIGNAL_EXISTS, "/sys/devices/system/cpu/sev/vmpl", NULL, "sev_guest" },
	{ PLATFORM_CCA, SIGNAL_EXISTS, "/sys/devices/platform/arm-cca-dev", NULL, "arm_cca_guest" },
	{ PLATFORM_S390_PV, SIGNAL_ONE, "/sys/firmware/uv/prot_virt_guest", NULL, NULL },
};

static void detect_signal(struct detect *d, enum platform p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void detect_signal(struct detect *d, enum platform p, const char *fmt, ...)
{
	va_list ap;

	if (d->n_signals == DETECT_SIGNALS_MAX)
		return;
	d->signals[d->n_signals].platform = p;
	va_start(ap, fmt);
	vsnprintf(d->signals[d->n_signals].text, sizeof(d->signals[0].text), fmt, ap);
	va_end(ap);
	d->n_signals++;
}

void platform_note(struct platform_notes *notes, const char *fmt, ...)
{
	va_list ap;

	if (notes->n == DETECT_NOTES_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(notes->text[notes->n++], sizeof(notes->text[0]), fmt, ap);
	va_end(ap);
}

static bool path_exists(const char *root, const char *path)
{
	char p[PATH_MAX];

	return path_join_root(p, sizeof(p), root, path) == 0 && access(p, F_OK) == 0;
}

/* Reads a small text attribute without its trailing newline; "" when absent. */
static int read_attr(const char *root, const char *path, char *out, size_t size, struct error *e)
{
	_cleanup_free_ char *text = NULL;
	char p[PATH_MAX];
	size_t len;
	int r;

	out[0] = '\0';
	r = path_join_root(p, sizeof(p), root, path);
	if (r < 0)
		return error_set_errno(e, r, "%s under %s", path, root);
	r = file_read_all(p, 4096, &text, &len, e);
	if (r < 0)
		return r;
	r = detect_attr_text(text, len, size);
	if (r < 0)
		return error_set(e, r, "%s: unexpected content", p);
	memcpy(out, text, (size_t)r + 1);
	return 0;
}

int detect_attr_text(char *text, size_t len, size_t size)
{
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
		text[--len] = '\0';
	if (len >= size || strlen(text) != len)
		return -EINVAL;
	return (int)len;
}

static bool cpu_has_flag(const char *root, const char *flag)
{
	_cleanup_free_ char *text = NULL;
	char p[PATH_MAX];
	size_t len;

	if (path_join_root(p, sizeof(p), root, "/proc/cpuinfo") < 0 ||
	    file_read_all(p, 4 << 20, &text, &len, NULL) < 0)
		return false;
	return detect_cpuinfo_has_flag(text, flag);
}

bool detect_cpuinfo_has_flag(char *cpuinfo, const char *flag)
{
	size_t n = strlen(flag);
	char *save = NULL;

	for (char *line = strtok_r(cpuinfo, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		for (char *w = strchr(line, ':'); w && *w; w += strcspn(w, " ")) {
			w += strspn(w, " :");
			if (strncmp(w, flag, n) == 0 && (w[n] == ' ' || w[n] == '\0'))
				return true;
		}
		return false; /* every CPU lists the same flags; the first line says it */
	}
	return false;
}

static bool arch_signal_fires(const char *root, size_t i)
{
	char value[16];

	switch (arch_signals[i].kind) {
	case SIGNAL_EXISTS:
		return path_exists(root, arch_signals[i].path);
	case SIGNAL_CPU_FLAG:
		return cpu_has_flag(root, arch_signals[i].word);
	case SIGNAL_ONE:
		return read_attr(root, arch_signals[i].path, value, sizeof(value), NULL) == 0 &&
		       strcmp(value, "1") == 0;
	}
	return false;
}

size_t detect_arch_modules(const char *root, const char **modules, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(arch_signals) && n < max; i++) {
		const char *mod = arch_signals[i].module;

		if (mod && (n == 0 || strcmp(modules[n - 1], mod) != 0) &&
		    arch_signal_fires(root, i))
			modules[n++] = mod;
	}
	return n;
}

/*
 * The common node: a report directory made in configfs-tsm names its provider. The kernel
 * refuses the mkdir with ENXIO while no provider is registered.
 */
static int detect_report(struct detect *d, const char *root, struct error *e)
{
	char dir[PATH_MAX], entry[PATH_MAX + 32], attr[PATH_MAX + 48];
	int r;

	r = path_join_root(dir, sizeof(dir), root, REPORT_DIR);
	if (r < 0)
		return error_set_errno(e, r, "%s under %s", REPORT_DIR, root);
	if (access(dir, F_OK) < 0)
		return 0;
	d->report_node = true;
	snprintf(entry, sizeof(entry), "%s/mrboot-detect-%d", dir, (int)getpid());
	if (mkdir(entry, 0700) < 0) {
		if (errno == ENXIO)
			return 0;
		return error_set_errno(e, -errno, "cannot make a report in %s", dir);
	}
	snprintf(attr, sizeof(attr), "%s/mrboot-detect-%d/provider", REPORT_DIR, (int)getpid());
	r = read_attr(root, attr, d->provider, sizeof(d->provider), e);
	/* The report must go whatever happened: configfs keeps it until rmdir. */
	if (rmdir(entry) < 0 && r == 0)
		r = error_set_errno(e, -errno, "cannot remove the report %s", entry);
	if (r < 0)
		return error_prefix(e, "configfs-tsm report provider");
	for (size_t i = 0; i < ARRAY_SIZE(report_providers); i++)
		if (strcmp(d->provider, report_providers[i].provider) == 0) {
			detect_signal(d, report_providers[i].platform,
				      "configfs-tsm report provider %s", d->provider);
			return 0;
		}
	platform_note(&d->notes, "configfs-tsm report provider '%s' is not one mrboot knows",
		      d->provider);
	return 0;
}

static int detect_mr_groups(struct detect *d, const char *root, struct error *e)
{
	for (size_t i = 0; i < ARRAY_SIZE(mr_groups) && !d->has_mr; i++) {
		int r = tsm_mr_open(&d->mr, root, mr_groups[i].dir, mr_groups[i].family, e);

		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		d->has_mr = true;
		detect_signal(d, mr_groups[i].platform, "tsm-mr measurements %s", mr_groups[i].dir);
	}
	return 0;
}

static int detect_tpm(struct detect *d, const char *root, struct error *e)
{
	char version[16], p[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int r;

	if (!path_exists(root, "/dev/tpmrm0"))
		return 0;
	d->has_tpm = true;
	snprintf(d->tpm_device, sizeof(d->tpm_device), "/dev/tpmrm0");
	r = read_attr(root, "/sys/class/tpm/tpm0/tpm_version_major", version, sizeof(version), e);
	if (r < 0 && r != -ENOENT)
		return r;
	d->tpm_version = strcmp(version, "2") == 0 ? 2 : strcmp(version, "1") == 0 ? 1 : 0;
	/*
	 * drivers/char/tpm/tpm_svsm.c binds the platform device "tpm-svsm", which the kernel
	 * registers only when the SVSM (VMPL0, inside the guest's trust domain) offers a vTPM.
	 */
	r = read_attr(root, "/sys/class/tpm/tpm0/device/modalias", p, sizeof(p), e);
	if (r < 0 && r != -ENOENT)
		return r;
	d->tpm_svsm = r >= 0 && strcmp(p, "platform:tpm-svsm") == 0;
	/* Linux >= 5.12 lists each allocated bank as a pcr-<alg> directory. */
	r = path_join_root(p, sizeof(p), root, "/sys/class/tpm/tpm0");
	if (r < 0)
		return error_set_errno(e, r, "TPM sysfs path");
	dir = opendir(p);
	if (!dir)
		return 0;
	while ((de = readdir(dir)) && d->n_banks < DETECT_BANKS_MAX)
		if (strncmp(de->d_name, "pcr-", 4) == 0 && strlen(de->d_name + 4) < 16)
			snprintf(d->banks[d->n_banks++], sizeof(d->banks[0]), "%s", de->d_name + 4);
	closedir(dir);
	/* readdir order is the file system's; sort for stable output. */
	for (unsigned i = 1; i < d->n_banks; i++)
		for (unsigned j = i; j > 0 && strcmp(d->banks[j - 1], d->banks[j]) > 0; j--) {
			char t[16];

			memcpy(t, d->banks[j], sizeof(t));
			memcpy(d->banks[j], d->banks[j - 1], sizeof(t));
			memcpy(d->banks[j - 1], t, sizeof(t));
		}
	if (d->tpm_version != 2)
		platform_note(&d->notes,
			      "the TPM at /dev/tpmrm0 is not a TPM 2.0; mrboot will not use it");
	return 0;
}

/* The strongest signal names the platform; another platform's signal is worth a note. */
static void detect_decide(struct detect *d)
{
	d->platform = PLATFORM_NONE;
	for (unsigned i = 0; i < d->n_signals; i++) {
		if (d->platform == PLATFORM_NONE)
			d->platform = d->signals[i].platform;
		else if (d->signals[i].platform != d->platform)
			platform_note(&d->notes, "conflicting signal ignored: %s (%s)",
				      d->signals[i].text, platform_name(d->signals[i].platform));
	}
	if (d->platform == PLATFORM_NONE && d->has_tpm && d->tpm_version == 2)
		d->platform = PLATFORM_TPM;

	if (d->platform == PLATFORM_SEV_SNP && !(d->has_tpm && d->tpm_svsm))
		platform_note(
			&d->notes,
			"SEV-SNP has no extensible register and there is no SVSM vTPM: mrboot "
			"logs its measurements, but they are not attestable on this platform");
	if (platform_is_confidential(d->platform) && d->has_tpm && !d->tpm_svsm)
		platform_note(&d->notes,
			      "the TPM at %s is not used: on a confidential platform the host may "
			      "emulate it",
			      d->tpm_device);
	if ((d->platform == PLATFORM_TDX || d->platform == PLATFORM_CCA) && !d->has_mr)
		platform_note(&d->notes,
			      "no tsm-mr measurements group (Linux >= 6.16 for TDX): the "
			      "registers cannot be extended");
	if (d->platform == PLATFORM_NONE)
		platform_note(&d->notes,
			      "no confidential platform and no TPM: nothing can be measured into "
			      "a register");
}

/* The modules a confidential platform's report and registers come from. */
static bool platform_module(enum platform p, const char *name, size_t len)
{
	static const char *const common[] = { "configfs", "tsm", "tsm_report" };
	char word[32];

	/* Module names treat '-' as '_' (kernel/params.c, kmod's modname_normalize()). */
	if (len >= sizeof(word))
		return false;
	memcpy(word, name, len);
	word[len] = '\0';
	for (char *dash = strchr(word, '-'); dash; dash = strchr(dash, '-'))
		*dash = '_';
	for (size_t i = 0; i < ARRAY_SIZE(common); i++)
		if (strcmp(word, common[i]) == 0)
			return true;
	for (size_t i = 0; i < ARRAY_SIZE(arch_signals); i++)
		if (arch_signals[i].platform == p && arch_signals[i].module &&
		    strcmp(word, arch_signals[i].module) == 0)
			return true;
	return false;
}

struct blacklist_walk {
	struct detect *d;
};

/* modprobe.blacklist= (kmod) and module_blacklist= (the kernel): comma-separated names. */
static int blacklist_param(const char *key, const char *value, void *userdata)
{
	struct detect *d = ((struct blacklist_walk *)userdata)->d;
	size_t used = strlen(d->blacklist);

	if (!value ||
	    (strcmp(key, "modprobe.blacklist") != 0 && strcmp(key, "module_blacklist") != 0))
		return 0;
	for (const char *p = value; *p;) {
		size_t n = strcspn(p, ",");

		if (platform_module(d->platform, p, n)) {
			snprintf(d->blacklist + used, sizeof(d->blacklist) - used, "%s%s=%s",
				 used ? " " : "", key, value);
			return 0;
		}
		p += n + (p[n] == ',');
	}
	return 0;
}

/* Says which kernel parameters keep the platform's modules out: the host sets them. */
static void detect_blacklist(struct detect *d, const char *cmdline)
{
	struct blacklist_walk w = { d };
	_cleanup_free_ char *text = cmdline ? strdup(cmdline) : NULL;
	struct error e = { 0 };

	/* cmdline_parse() cuts its text up; the caller's stays whole. */
	if (text)
		(void)cmdline_parse(text, blacklist_param, &w, &e);
}

int detect_run(struct detect *d, const char *root, const char *cmdline, struct error *e)
{
	int r;

	*d = (struct detect){ .platform = PLATFORM_NONE };
	r = detect_report(d, root, e);
	if (r < 0)
		return r;
	r = detect_mr_groups(d, root, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(arch_signals); i++)
		if (arch_signal_fires(root, i))
			detect_signal(
				d, arch_signals[i].platform, "%s%s%s",
				arch_signals[i].kind == SIGNAL_CPU_FLAG ? "cpu flag " : "",
				arch_signals[i].kind == SIGNAL_CPU_FLAG ? arch_signals[i].word : "",
				arch_signals[i].kind == SIGNAL_CPU_FLAG ? ""
									: arch_signals[i].path);
	r = detect_tpm(d, root, e);
	if (r < 0)
		return r;
	detect_decide(d);
	if (platform_is_confidential(d->platform))
		detect_blacklist(d, cmdline);
	return 0;
}
