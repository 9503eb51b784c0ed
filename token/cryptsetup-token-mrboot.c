/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcryptsetup-token-mrboot.so: the LUKS2 token plugin (DESIGN.md section 8). libcryptsetup
 * loads it for tokens of type "mrboot" from its fixed plugin directory and calls it before it
 * asks for a passphrase; systemd-cryptsetup tries every token that way, so a crypttab line
 * needs no option for it. The key is fetched in-process, through the core library: attest
 * to the token's brokers, receive the key slot's key, hand it to libcryptsetup.
 *
 * What it returns matters more than anything else here: -ENOANO would make
 * systemd-cryptsetup ask for a token PIN that does not exist and trap the boot at that
 * prompt, and an errno other than -ENOENT, -EAGAIN, -EPERM or -ENOANO stops libcryptsetup
 * from trying the remaining tokens. Every failure is therefore -ENOENT (this token cannot
 * give the key) or -EAGAIN (this machine has no evidence to give), both of which pass on to
 * the next token and then to the passphrase.
 *
 * Exported, with the symbol version CRYPTSETUP_TOKEN_1.0 (libcryptsetup-token-mrboot.sym),
 * and nothing else: everything of the core library linked in stays local.
 */
#include <errno.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "mrboot-config.h"
#include "basic/error.h"
#include "json/json.h"
#include "luks/token-release.h"
#include "luks/token.h"
#include "basic/macro.h"
#include "basic/secret.h"
#include "basic/cmdline.h"
#include "config/settings.h"

#define TOKEN_EXPORT __attribute__((visibility("default")))

TOKEN_EXPORT const char *cryptsetup_token_version(void);
TOKEN_EXPORT int cryptsetup_token_open(struct crypt_device *cd, int token, char **buffer,
				       size_t *buffer_len, void *usrptr);
TOKEN_EXPORT void cryptsetup_token_buffer_free(void *buffer, size_t buffer_len);
TOKEN_EXPORT int cryptsetup_token_validate(struct crypt_device *cd, const char *json);
TOKEN_EXPORT void cryptsetup_token_dump(struct crypt_device *cd, const char *json);

const char *cryptsetup_token_version(void)
{
	return MRBOOT_VERSION;
}

/* The core library's progress lines into libcryptsetup's log (the journal, under systemd). */
static void token_report(void *userdata, int priority, const char *message)
{
	struct crypt_device *cd = userdata;
	int level = CRYPT_LOG_VERBOSE;

	if (priority <= LOG_ERR)
		level = CRYPT_LOG_ERROR;
	else if (priority >= LOG_DEBUG)
		level = CRYPT_LOG_DEBUG;
	crypt_logf(cd, level, "mrboot: %s", message);
}

/* The key of the token's key slot into *key. */
static int token_fetch(struct crypt_device *cd, int token, struct secret *key, struct error *e)
{
	struct json_arena arena = { 0 };
	_cleanup_free_ char *cmdline = NULL;
	struct settings settings;
	struct luks_token t;
	const char *json;
	int r;

	r = crypt_token_json_get(cd, token, &json);
	if (r < 0)
		return error_set_errno(e, r, "cannot read the token from the LUKS2 header");
	r = luks_token_parse(&t, &arena, json, strlen(json), e);
	if (r < 0) {
		/*
		 * libcryptsetup 2.6 calls _validate first and never gets here for such a token;
		 * another caller might. The refusal is said as _validate says it.
		 */
		crypt_logf(cd, CRYPT_LOG_ERROR, "mrboot token %d: refused: %s", token, e->msg);
		json_arena_free(&arena);
		*e = (struct error){ 0 };
		return -ENOENT;
	}
	/* The journal's mark of when the deadline starts, and what it is. */
	crypt_logf(cd, CRYPT_LOG_VERBOSE,
		   "mrboot token %d: fetching the key of key slot %u (resource %s), at most %u s",
		   token, t.keyslot, t.resource,
		   t.timeout ? t.timeout : LUKS_TOKEN_TIMEOUT_DEFAULT);
	/* Brokers, anchors and the TEE: the initrd's, which the firmware measured. */
	r = cmdline_read("/", &cmdline, e);
	if (r == -ENOENT)
		r = 0; /* no /proc: no mrboot.* parameters either */
	if (r >= 0)
		r = settings_load(&settings, "/", MRBOOT_SYSCONFDIR "/mrboot.conf", cmdline, e);
	if (r < 0) {
		error_prefix(e, "configuration");
	} else {
		const struct luks_token_release_options o = {
			.root = "/",
			.settings = &settings,
			.cmdline = cmdline,
			.report = token_report,
			.userdata = cd,
		};

		r = luks_token_release(&t, &o, key, e);
		settings_free(&settings);
	}
	json_arena_free(&arena);
	return r;
}

int cryptsetup_token_open(struct crypt_device *cd, int token, char **buffer, size_t *buffer_len,
			  void *usrptr)
{
	struct secret key = { 0 };
	struct error e = { 0 };
	char *copy = NULL;
	int r;

	(void)usrptr; /* what the caller of crypt_activate_by_token() passes: nothing for us */
	r = token_fetch(cd, token, &key, &e);
	if (r == -ENOENT && !e.msg[0])
		return -ENOENT; /* refused, and said so, in token_fetch() */
	if (r == 0) {
		/* libcryptsetup's interface: a malloc()ed buffer it gives back to buffer_free. */
		copy = malloc(key.len ? key.len : 1);
		if (copy)
			memcpy(copy, key.data, key.len);
		else
			r = error_set_errno(&e, -ENOMEM, "cannot hand the key over");
	}
	if (r < 0) {
		crypt_logf(cd, CRYPT_LOG_ERROR, "mrboot token %d: no key: %s", token, e.msg);
		secret_free(&key);
		/* -ENODEV: tee_from_detect() found no TEE, "hardware not present" to libcryptsetup.
		 */
		return r == -ENODEV ? -EAGAIN : -ENOENT;
	}
	crypt_logf(cd, CRYPT_LOG_VERBOSE, "mrboot token %d: key released (%zu bytes)", token,
		   key.len);
	*buffer = copy;
	*buffer_len = key.len;
	secret_free(&key);
	return 0;
}

void cryptsetup_token_buffer_free(void *buffer, size_t buffer_len)
{
	if (!buffer)
		return;
	explicit_bzero(buffer, buffer_len);
	free(buffer);
}

int cryptsetup_token_validate(struct crypt_device *cd, const char *json)
{
	struct json_arena arena = { 0 };
	struct error e = { 0 };
	struct luks_token t;
	int r;

	r = luks_token_parse(&t, &arena, json, strlen(json), &e);
	json_arena_free(&arena);
	if (r < 0) {
		crypt_logf(cd, CRYPT_LOG_ERROR, "mrboot token: %s", e.msg);
		return -EINVAL;
	}
	return 0;
}

void cryptsetup_token_dump(struct crypt_device *cd, const char *json)
{
	struct json_arena arena = { 0 };
	struct error e = { 0 };
	struct luks_token t;

	if (luks_token_parse(&t, &arena, json, strlen(json), &e) < 0) {
		crypt_logf(cd, CRYPT_LOG_ERROR, "mrboot token: %s", e.msg);
		json_arena_free(&arena);
		return;
	}
	for (char *const *u = t.urls; *u; u++)
		crypt_logf(cd, CRYPT_LOG_NORMAL, "\tmrboot-kbs-url:      %s\n", *u);
	if (!t.urls[0])
		crypt_logf(cd, CRYPT_LOG_NORMAL,
			   "\tmrboot-kbs-url:      the brokers of " MRBOOT_SYSCONFDIR
			   "/mrboot.conf\n");
	crypt_logf(cd, CRYPT_LOG_NORMAL, "\tmrboot-resource:     %s\n", t.resource);
	crypt_logf(cd, CRYPT_LOG_NORMAL, "\tmrboot-timeout:      %u s\n",
		   t.timeout ? t.timeout : LUKS_TOKEN_TIMEOUT_DEFAULT);
	json_arena_free(&arena);
}
