/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config/settings.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "attest/tee.h"
#include "basic/error.h"
#include "basic/file.h"
#include "basic/log.h"
#include "basic/macro.h"
#include "basic/path.h"
#include "basic/cmdline.h"
#include "config/ini.h"
#include "crypto/hash.h"
#include "handoff/handoff.h"
#include "jose/jwk.h"
#include "measure/plan.h"
#include "mrboot-config.h"

/* The enums below are their modules': so are the names, but for the configuration's "auto". */
static const char *settings_tee_name(int tee)
{
	return tee == TEE_AUTO ? "auto" : tee_name((enum tee_type)tee);
}

static const char *settings_kbs_key_name(int curve)
{
	const struct jwk_curve_info *ci = jwk_curve_info((enum jwk_curve)curve);

	return ci ? ci->key_name : NULL;
}

static const char *settings_handoff_name(int mode)
{
	return handoff_mode_name((enum handoff_mode)mode);
}

/* In enum settings_volume_identity order. */
static const char *const volume_identity_names[] = { "required", "optional", NULL };

#define PCR(k, field)                                                           \
	{                                                                       \
		.section = "measure", .key = (k), .type = INI_UINT,             \
		.offset = offsetof(struct settings, field), .min = 0, .max = 23 \
	}

static const struct ini_entry settings_entries[] = {
	{ .section = "general",
	  .key = "log-level",
	  .type = INI_ENUM,
	  .offset = offsetof(struct settings, log_level),
	  .name = log_level_name,
	  .cmdline = INI_CMDLINE_ALWAYS },
	{ .section = "general",
	  .key = "log-target",
	  .type = INI_ENUM,
	  .offset = offsetof(struct settings, log_target),
	  .name = log_target_name,
	  .cmdline = INI_CMDLINE_ALWAYS },
	{ .section = "general",
	  .key = "cmdline-overrides",
	  .type = INI_LIST,
	  .offset = offsetof(struct settings, cmdline_overrides),
	  .cmdline = INI_CMDLINE_NEVER },
	{ .section = "measure",
	  .key = "cmdline",
	  .type = INI_BOOL,
	  .offset = offsetof(struct settings, measure_cmdline) },
	{ .section = "measure",
	  .key = "config",
	  .type = INI_BOOL,
	  .offset = offsetof(struct settings, measure_config) },
	{ .section = "measure",
	  .key = "file",
	  .type = INI_LIST,
	  .offset = offsetof(struct settings, measure_files) },
	{ .section = "measure",
	  .key = "rootfs",
	  .type = INI_ENUM,
	  .offset = offsetof(struct settings, measure_rootfs),
	  .name = measure_rootfs_name },
	{ .section = "measure",
	  .key = "rootfs-device",
	  .type = INI_PATH,
	  .offset = offsetof(struct settings, rootfs_device) },
	{ .section = "measure",
	  .key = "roothash",
	  .type = INI_STRING,
	  .offset = offsetof(struct settings, roothash) },
	PCR("pcr-cmdline", pcr_cmdline),
	PCR("pcr-config", pcr_config),
	PCR("pcr-rootfs", pcr_rootfs),
	PCR("pcr-separator", pcr_separator),
	{ .section = "tpm",
	  .key = "device",
	  .type = INI_PATH,
	  .offset = offsetof(struct settings, tpm_device) },
	{ .section = "tpm",
	  .key = "socket",
	  .type = INI_PATH,
	  .offset = offsetof(struct settings, tpm_socket) },
	{ .section = "kbs",
	  .key = "url",
	  .type = INI_LIST,
	  .offset = offsetof(struct settings, kbs_urls) },
	{ .section = "kbs",
	  .key = "ca-file",
	  .type = INI_PATH,
	  .offset = offsetof(struct settings, kbs_ca_file) },
	{ .section = "kbs",
	  .key = "insecure",
	  .type = INI_BOOL,
	  .offset = offsetof(struct settings, kbs_insecure) },
	{ .section = "kbs",
	  .key = "tee",
	  .type = INI_ENUM,
	  .offset = offsetof(struct settings, kbs_tee),
	  .name = settings_tee_name },
	{ .section = "kbs",
	  .key = "resource",
	  .type = INI_STRING,
	  .offset = offsetof(struct settings, kbs_resource) },
	{ .section = "kbs",
	  .key = "timeout",
	  .type = INI_UINT,
	  .offset = offsetof(struct settings, kbs_timeout),
	  .min = 1,
	  .max = 3600,
	  .cmdline = INI_CMDLINE_ALWAYS },
	{ .section = "kbs",
	  .key = "key",
	  .type = INI_ENUM,
	  .offset = offsetof(struct settings, kbs_key),
	  .name = settings_kbs_key_name },
	{ .section = "unlock",
	  .key = "volume",
	  .type = INI_LIST,
	  .offset = offsetof(struct settings, unlock_volumes) },
	{ .section = "unlock",
	  .key = "handoff",
	  .type = INI_ENUM,
	  .offset = offsetof(struct settings, unlock_handoff),
	  .name = settings_handoff_name },
	{ .section = "unlock",
	  .key = "keyring",
	  .type = INI_BOOL,
	  .offset = offsetof(struct settings, unlock_keyring) },
	{ .section = "unlock",
	  .key = "key-dir",
	  .type = INI_PATH,
	  .offset = offsetof(struct settings, unlock_key_dir) },
	{ .section = "unlock",
	  .key = "timeout",
	  .type = INI_UINT,
	  .offset = offsetof(struct settings, unlock_timeout),
	  .min = 1,
	  .max = 86400,
	  .cmdline = INI_CMDLINE_ALWAYS },
	/* From the command line only where [general] cmdline-overrides lists it: "optional" there
	   is the host turning the binding off. */
	{ .section = "unlock",
	  .key = "volume-identity",
	  .type = INI_ENUM,
	  .offset = offsetof(struct settings, unlock_volume_identity),
	  .names = volume_identity_names },
};

static const struct ini_schema settings_schema = {
	.entries = settings_entries,
	.count = ARRAY_SIZE(settings_entries),
};

/* One read: what is parsed is what is measured (the digest of these very bytes). */
static int settings_read_file(struct settings *s, const char *path, struct error *e)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	r = file_read_all(path, INI_SIZE_MAX, &text, &len, e);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	s->config_found = true;
	hash_buffer(HASH_SHA256, text, len, s->config_sha256);
	return ini_parse_text(&settings_schema, s, text, len, path, e);
}

int settings_load(struct settings *s, const char *root, const char *config_path,
		  const char *cmdline, struct error *e)
{
	char path[PATH_MAX];
	int r;

	/*
	 * Defaults (DESIGN.md section 4): PCR 15, which systemd-pcrosseparator leaves open in the
	 * initrd (doc/systemd-tpm2-log.md); on CC platforms PCR 8..15 are all RTMR2 / REM2.
	 */
	*s = (struct settings){
		.log_level = LOG_INFO,
		.log_target = LOG_TARGET_AUTO,
		.measure_cmdline = true,
		.measure_config = true,
		.measure_rootfs = MEASURE_ROOTFS_AUTO,
		.kbs_tee = TEE_AUTO,
		.kbs_key = JWK_P256,
		.unlock_handoff = HANDOFF_SOCKET,
		.pcr_cmdline = 15,
		.pcr_config = 15,
		.pcr_rootfs = 15,
		.pcr_separator = 15,
		.tpm_device = strdup("/dev/tpmrm0"),
		.kbs_ca_file = strdup(MRBOOT_SYSCONFDIR "/mrboot/kbs-ca.pem"),
		.kbs_resource = strdup("default/mrboot/{volume}"),
		/* Within systemd-cryptsetup's own 90 s default, with room to fall back to a prompt.
		 */
		.kbs_timeout = 60,
		.unlock_key_dir = strdup("/run/cryptsetup-keys.d"),
		.unlock_timeout = 90,
	};
	if (!s->tpm_device || !s->kbs_ca_file || !s->kbs_resource || !s->unlock_key_dir) {
		settings_free(s);
		return error_set_errno(e, -ENOMEM, "settings");
	}
	r = path_join_root(path, sizeof(path), root, config_path);
	if (r < 0)
		return error_set_errno(e, r, "configuration path %s under %s", config_path, root);
	r = settings_read_file(s, path, e);
	if (r < 0)
		goto fail;
	/* A fixture tree without /proc/cmdline has no overrides; a real system always has it. */
	if (!cmdline)
		return 0;
	r = ini_check_allow(&settings_schema, (const char *const *)s->cmdline_overrides, e);
	if (r < 0) {
		error_prefix(e, "%s: [general] cmdline-overrides", path);
		goto fail;
	}
	r = ini_apply_cmdline(&settings_schema, s, cmdline,
			      (const char *const *)s->cmdline_overrides, &s->cmdline_applied, e);
	if (r < 0)
		goto fail;
	if (s->cmdline_applied > 0 && !s->measure_cmdline) {
		s->measure_cmdline = true;
		s->cmdline_forced = true;
	}
	return 0;
fail:
	settings_free(s);
	return r;
}

void settings_free(struct settings *s)
{
	ini_free(&settings_schema, s);
}

int settings_write(const struct settings *s, FILE *out)
{
	return ini_write(&settings_schema, s, out);
}

int settings_log_priority(const struct settings *s)
{
	return s->log_level;
}

void settings_measure_plan(const struct settings *s, const char *config_path,
			   struct measure_plan_input *in)
{
	in->cmdline_event = s->measure_cmdline;
	in->config_event = s->measure_config;
	in->config_path = config_path;
	in->config_sha256 = s->config_found ? s->config_sha256 : NULL;
	in->files = s->measure_files;
	in->rootfs = (enum measure_rootfs)s->measure_rootfs;
	in->rootfs_device = s->rootfs_device;
	in->roothash = s->roothash;
	in->pcr_cmdline = (unsigned)s->pcr_cmdline;
	in->pcr_config = (unsigned)s->pcr_config;
	in->pcr_rootfs = (unsigned)s->pcr_rootfs;
	in->pcr_separator = (unsigned)s->pcr_separator;
}
