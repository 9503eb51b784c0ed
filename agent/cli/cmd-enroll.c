/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mrboot enroll: binds a LUKS2 volume to the key broker, as systemd-cryptenroll binds one to
 * a TPM. The key is fetched once, exactly as the token plugin will fetch it at boot (attest,
 * release), so that an enrolment that succeeds proves the broker releases the key to this
 * machine; then a key slot for it is added with an existing passphrase, and the token that
 * tells the plugin where to get it is imported, bound to that slot.
 *
 * The static agent has no libcryptsetup: cryptsetup(8) does the header work. The key goes to
 * it on a pipe (agent/luks/cryptsetup.h), never in its argv or environment; the existing
 * passphrase never passes through mrboot at all: cryptsetup reads it from the key file as its
 * stdin, or asks for it on the terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "json/json.h"
#include "luks/cryptsetup.h"
#include "luks/token-release.h"
#include "luks/token.h"
#include "luks/volume-identity.h"
#include "net/deadline.h"
#include "basic/secret.h"
#include "cli/context.h"
#include "cli/tool.h"

/*
 * The cheap KDF (PBKDF2 at the minimum cost, as systemd-cryptenroll gives TPM2 keys) only for
 * a key the user vouches is random by construction (--random-key): a slow memory-hard KDF
 * protects guessable passphrases and would only cost every boot time and memory there. The
 * length of a released secret says nothing of its entropy (a 40-character passphrase is
 * long), so without the option the key slot keeps cryptsetup's default KDF (argon2id).
 */
/* Each cryptsetup step; a memory-hard KDF on a slow machine takes seconds, not minutes. */
#define ENROLL_CRYPTSETUP_TIMEOUT_MS 120000

struct enroll_args {
	const char *device;
	struct luks_token token;
	unsigned n_urls;
	const char *unlock_key_file;
	bool random_key;
	const char *name; /* --name: print the volume's identity for the broker */
};

static int enroll_options(struct enroll_args *a, int argc, char **argv)
{
	static const struct option options[] = {
		{ "kbs", required_argument, NULL, 'u' },
		{ "resource", required_argument, NULL, 'R' },
		{ "unlock-key-file", required_argument, NULL, 'k' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "random-key", no_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char *end;
	long v;
	int c;

	while ((c = getopt_long(argc, argv, "u:R:k:T:rn:h", options, NULL)) != -1) {
		switch (c) {
		case 'u':
			if (a->n_urls == KBS_URLS_MAX) {
				fprintf(stderr, "mrboot enroll: at most %d --kbs\n", KBS_URLS_MAX);
				return EXIT_USAGE;
			}
			a->token.urls[a->n_urls++] = optarg;
			break;
		case 'R':
			a->token.resource = optarg;
			break;
		case 'k':
			a->unlock_key_file = optarg;
			break;
		case 'T':
			v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > LUKS_TOKEN_TIMEOUT_MAX) {
				fprintf(stderr, "mrboot enroll: --timeout takes 1 to %d seconds\n",
					LUKS_TOKEN_TIMEOUT_MAX);
				return EXIT_USAGE;
			}
			a->token.timeout = (unsigned)v;
			break;
		case 'r':
			a->random_key = true;
			break;
		case 'n':
			a->name = optarg;
			break;
		case 'h':
			tool_usage(&command_enroll, EXIT_OK);
			return -1; /* done, successfully */
		default:
			return tool_usage(&command_enroll, EXIT_USAGE);
		}
	}
	if (optind + 1 != argc || !a->token.resource) {
		fprintf(stderr, "mrboot enroll: DEVICE and --resource are required\n");
		return EXIT_USAGE;
	}
	a->device = argv[optind];
	return EXIT_OK;
}

/* The first key slot the header does not use, from `cryptsetup luksDump --dump-json-metadata`. */
static int enroll_free_keyslot(const char *device, unsigned *slot, struct error *e)
{
	const char *const argv[] = { "cryptsetup", "luksDump", "--dump-json-metadata", device,
				     NULL };
	const struct json_value *top = NULL, *keyslots = NULL;
	bool used[LUKS_TOKEN_KEYSLOTS] = { false };
	_cleanup_free_ char *json = NULL;
	struct json_arena arena;
	size_t len = 0;
	int r;

	const struct cryptsetup_command c = {
		.argv = argv,
		.output = &json,
		.output_len = &len,
		.deadline = deadline_after_ms(ENROLL_CRYPTSETUP_TIMEOUT_MS),
	};
	r = cryptsetup_run(&c, e);
	if (r < 0)
		return error_prefix(e, "%s: not a LUKS2 device cryptsetup can read", device);
	json_arena_init(&arena, 64 * len + 4096);
	r = json_parse(&arena, json, len, &top, e);
	if (r == 0)
		r = json_object_get_object(top, "keyslots", &keyslots, e);
	if (r < 0 || !keyslots) {
		json_arena_free(&arena);
		return error_prefix(e, "%s: LUKS2 metadata", device);
	}
	const struct json_value *k;
	json_foreach(k, keyslots)
	{
		char *end;
		unsigned long n = strtoul(k->key, &end, 10);

		if (k->key[0] >= '0' && k->key[0] <= '9' && !*end && n < LUKS_TOKEN_KEYSLOTS)
			used[n] = true;
	}
	json_arena_free(&arena);
	for (unsigned i = 0; i < LUKS_TOKEN_KEYSLOTS; i++)
		if (!used[i]) {
			*slot = i;
			return 0;
		}
	return error_set(e, -ENOSPC, "%s: every one of the %d key slots is in use", device,
			 LUKS_TOKEN_KEYSLOTS);
}

/* The token as it goes into the header, checked by the parser the plugin uses. */
static int enroll_token_json(const struct luks_token *t, struct json_writer *w, struct error *e)
{
	struct json_arena arena = { 0 };
	struct luks_token check;
	int r;

	json_writer_init(w, LUKS_TOKEN_JSON_MAX);
	luks_token_write(t, w);
	r = json_writer_finish(w, e);
	if (r == 0)
		r = luks_token_parse(&check, &arena, w->buf, w->len, e);
	json_arena_free(&arena);
	return r < 0 ? error_prefix(e, "token") : 0;
}

/*
 * luksAddKey: the new key on descriptor 3; the existing passphrase on stdin, from the key
 * file opened here (never read by mrboot), or mrboot's own stdin, where cryptsetup asks for
 * it when that is a terminal.
 */
static int enroll_add_key(const char *device, unsigned slot, const char *unlock_key_file,
			  bool random_key, const struct secret *key, struct error *e)
{
	_cleanup_close_ int key_file = -1;
	char slot_arg[32];
	const char *argv[12];
	size_t n = 0;

	if (unlock_key_file) {
		key_file = open(unlock_key_file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (key_file < 0)
			return error_set_errno(e, -errno, "%s", unlock_key_file);
	}
	snprintf(slot_arg, sizeof(slot_arg), "--new-key-slot=%u", slot);
	argv[n++] = "cryptsetup";
	argv[n++] = "luksAddKey";
	argv[n++] = "--batch-mode";
	if (unlock_key_file)
		argv[n++] = "--key-file=-";
	argv[n++] = "--new-keyfile=/dev/fd/3";
	argv[n++] = slot_arg;
	if (random_key) {
		argv[n++] = "--pbkdf=pbkdf2";
		argv[n++] = "--pbkdf-force-iterations=1000";
	}
	argv[n++] = device;
	argv[n] = NULL;
	const struct cryptsetup_input inputs[] = {
		{ .fd = 0, .pass_fd = unlock_key_file ? key_file : STDIN_FILENO },
		{ .fd = 3, .data = key->data, .len = key->len },
	};
	const struct cryptsetup_command c = {
		.argv = argv,
		.inputs = inputs,
		.n_inputs = 2,
		.deadline = deadline_after_ms(ENROLL_CRYPTSETUP_TIMEOUT_MS),
	};
	return cryptsetup_run(&c, e);
}

static int enroll_import_token(const char *device, const struct json_writer *token, struct error *e)
{
	const char *const argv[] = {
		"cryptsetup", "token", "import", "--json-file=-", device, NULL
	};
	const struct cryptsetup_input input = { .fd = 0, .data = token->buf, .len = token->len };
	const struct cryptsetup_command c = {
		.argv = argv,
		.inputs = &input,
		.n_inputs = 1,
		.deadline = deadline_after_ms(ENROLL_CRYPTSETUP_TIMEOUT_MS),
	};
	return cryptsetup_run(&c, e);
}

/* Undoes the key slot when its token could not be imported: no slot nobody knows about. */
static int enroll_kill_slot(const char *device, unsigned slot, struct error *e)
{
	char slot_text[16];

	snprintf(slot_text, sizeof(slot_text), "%u", slot);
	const char *const argv[] = { "cryptsetup", "luksKillSlot", "--batch-mode",
				     device,	   slot_text,	   NULL };
	const struct cryptsetup_command c = {
		.argv = argv,
		.deadline = deadline_after_ms(ENROLL_CRYPTSETUP_TIMEOUT_MS),
	};
	return cryptsetup_run(&c, e);
}

static void enroll_report(void *userdata, int priority, const char *message)
{
	struct tool *tool = userdata;

	log_printf(&tool->log, priority, "%s", message);
}

/* The key slot and its token, once the key is in hand. */
static int enroll_write(struct tool *tool, const struct enroll_args *a,
			const struct json_writer *token, const struct secret *key)
{
	struct error e = { 0 };
	unsigned slot = a->token.keyslot;

	if (enroll_add_key(a->device, slot, a->unlock_key_file, a->random_key, key, &e) < 0) {
		log_error(&tool->log, &e, "adding the key slot");
		return EXIT_FAILED;
	}
	if (enroll_import_token(a->device, token, &e) < 0) {
		struct error undo = { 0 };

		log_error(&tool->log, &e, "importing the token");
		if (enroll_kill_slot(a->device, slot, &undo) < 0)
			log_error(&tool->log, &undo, "removing the new key slot again");
		else
			log_info(&tool->log, "%s: key slot %u removed again", a->device, slot);
		return EXIT_FAILED;
	}
	log_info(&tool->log, "%s: key slot %u opens with the key from %s, through an mrboot token",
		 a->device, slot, a->token.urls[0] ? a->token.urls[0] : "the configured brokers");
	return EXIT_OK;
}

/*
 * The identity the broker is to release with the key (tool-volume.h): the volume key read back
 * with the key just enrolled, on stdout for the broker's resource {"passphrase","volume-key-id"}.
 */
static int enroll_identity(struct tool *tool, const struct enroll_args *a, const struct secret *key)
{
	uint8_t id[VOLUME_IDENTITY_SIZE];
	char hex[VOLUME_IDENTITY_HEX_SIZE];
	struct volume_key vk = { 0 };
	struct error e = { 0 };
	int r;

	r = volume_key_read(a->device, key, deadline_after_ms(ENROLL_CRYPTSETUP_TIMEOUT_MS), &vk,
			    &e);
	if (r == 0)
		r = volume_identity_compute(vk.key.data, vk.key.len, a->name, vk.uuid, id, &e);
	volume_key_free(&vk);
	if (r < 0) {
		log_error(&tool->log, &e, "volume identity");
		return EXIT_FAILED;
	}
	hex_encode(hex, id, sizeof(id));
	log_info(&tool->log, "%s as %s: volume key id %s (the broker's \"volume-key-id\")",
		 a->device, a->name, hex);
	return printf("%s\n", hex) < 0 || fflush(stdout) == EOF ? EXIT_FAILED : EXIT_OK;
}

static int enroll_run(struct tool *tool, int argc, char **argv)
{
	struct enroll_args a = { 0 };
	char *brokers[KBS_URLS_MAX + 1];
	_cleanup_secret_ struct secret key = { 0 };
	struct json_writer token = { 0 };
	const struct detect *d = NULL;
	struct context ctx;
	struct error e = { 0 };
	int r;

	r = enroll_options(&a, argc, argv);
	if (r != EXIT_OK)
		return r < 0 ? EXIT_OK : r;
	r = context_open(&ctx, tool);
	if (r != EXIT_OK)
		goto out;
	r = EXIT_FAILED;
	if (enroll_free_keyslot(a.device, &a.token.keyslot, &e) < 0 ||
	    enroll_token_json(&a.token, &token, &e) < 0) {
		log_error(&tool->log, &e, "enroll");
		goto out;
	}
	/* A --kbs the configuration does not list would be refused at every boot: say so now. */
	if (luks_token_brokers(&a.token, ctx.settings.kbs_urls, brokers, &e) < 0) {
		log_error(&tool->log, &e, "enroll");
		r = EXIT_CONFIG;
		goto out;
	}
	/* Here, unlike in the token plugin, the platform is prepared (modules, mounts) first. */
	if (ctx.settings.kbs_tee == TEE_AUTO && !ctx.settings.tpm_socket &&
	    context_detect(&ctx, &d) != EXIT_OK)
		goto out;
	const struct luks_token_release_options o = {
		.root = tool->root,
		.settings = &ctx.settings,
		.detect = d,
		.report = enroll_report,
		.userdata = tool,
	};
	if (luks_token_release(&a.token, &o, &key, &e) < 0) {
		log_error(&tool->log, &e, "no key");
		r = EXIT_ATTEST;
		goto out;
	}
	log_info(&tool->log, "key released (%zu bytes); adding key slot %u to %s", key.len,
		 a.token.keyslot, a.device);
	r = enroll_write(tool, &a, &token, &key);
	if (r == EXIT_OK && a.name)
		r = enroll_identity(tool, &a, &key);
out:
	json_writer_free(&token);
	context_close(&ctx);
	return r;
}

const struct command command_enroll = {
	.name = "enroll",
	.summary = "Bind a LUKS2 volume to the key broker (a key slot and a token)",
	.usage =
		"DEVICE --resource R [--kbs URL]... [OPTIONS]\n"
		"\n"
		"Fetches the key from the broker once, as the token plugin will at boot, adds a\n"
		"key slot for it with an existing passphrase and imports an mrboot token bound to\n"
		"that slot. Runs cryptsetup(8); no secret is ever on its command line. Brokers,\n"
		"trust anchors and the TEE come from the configuration ([kbs]), here and at boot:\n"
		"the token, which the host can rewrite, names only the key and may narrow the\n"
		"brokers to some of the configured ones.\n"
		"\n"
		"  -R, --resource R           repository/type/tag of the key at the broker\n"
		"  -u, --kbs URL              Ask only this configured broker (https),\n"
		"                             repeatable, tried in order (default: all)\n"
		"  -k, --unlock-key-file F    An existing passphrase, the whole file (default:\n"
		"                             cryptsetup asks on the terminal)\n"
		"  -T, --timeout S            Seconds the plugin may take at boot (default 30)\n"
		"  -r, --random-key           The key is random (made by a machine): PBKDF2 at\n"
		"                             1000 iterations, not argon2id, for its key slot\n"
		"  -n, --name NAME            Print the volume's identity as NAME (systemd's\n"
		"                             fixate-volume-key=), for the broker's resource\n"
		"\n"
		"Exit status: 0 enrolled, 5 no key was released (nothing was changed); 1, 2 and 3\n"
		"as for every command.\n",
	.run = enroll_run,
};
