/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "handoff.h"
#include "keyring.h"
#include "net/deadline.h"
#include "secret.h"
#include "tool-kbs.h"

#define UNLOCK_URLS_MAX 16

struct unlock_args {
	struct tool_kbs_overrides o;
	char *urls[UNLOCK_URLS_MAX + 1];
	unsigned n_urls;
	int handoff; /* enum settings_handoff, or -1 for the configuration's */
	int keyring; /* -1 for the configuration's */
	long timeout;
	const char *key_dir;
};

static int unlock_options(struct unlock_args *a, int argc, char **argv)
{
	static const char *const handoffs[] = { "socket", "file", "none" };
	static const struct option options[] = {
		{ "volume", required_argument, NULL, 'v' },
		{ "resource", required_argument, NULL, 'R' },
		{ "tee", required_argument, NULL, 't' },
		{ "url", required_argument, NULL, 'u' },
		{ "handoff", required_argument, NULL, 'H' },
		{ "keyring", no_argument, NULL, 'k' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "key-dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "v:R:t:u:H:kT:d:h", options, NULL)) != -1) {
		switch (c) {
		case 'v':
			a->o.volume = optarg;
			break;
		case 'R':
			a->o.resource = optarg;
			break;
		case 't':
			a->o.tee = optarg;
			break;
		case 'u':
			if (a->n_urls == UNLOCK_URLS_MAX) {
				fprintf(stderr, "mrboot unlock: at most %d --url\n", UNLOCK_URLS_MAX);
				return EXIT_USAGE;
			}
			a->urls[a->n_urls++] = optarg;
			a->o.urls = a->urls;
			break;
		case 'H':
			a->handoff = -1;
			for (int i = 0; i < 3; i++)
				if (strcmp(optarg, handoffs[i]) == 0)
					a->handoff = i;
			if (a->handoff < 0) {
				fprintf(stderr, "mrboot unlock: --handoff socket, file or none\n");
				return EXIT_USAGE;
			}
			break;
		case 'k':
			a->keyring = 1;
			break;
		case 'T':
			a->timeout = strtol(optarg, &end, 10);
			if (*end || a->timeout < 1 || a->timeout > 86400) {
				fprintf(stderr, "mrboot unlock: --timeout takes 1 to 86400 seconds\n");
				return EXIT_USAGE;
			}
			break;
		case 'd':
			if (optarg[0] != '/') {
				fprintf(stderr, "mrboot unlock: --key-dir needs an absolute path\n");
				return EXIT_USAGE;
			}
			a->key_dir = optarg;
			break;
		case 'h':
			tool_usage(&command_unlock, EXIT_OK);
			return -1; /* done, successfully */
		default:
			return tool_usage(&command_unlock, EXIT_USAGE);
		}
	}
	if (optind < argc || !a->o.volume) {
		fprintf(stderr, "mrboot unlock: --volume NAME is required, and nothing else\n");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* The key to where cryptsetup looks for it, then wait for the volume. */
static int unlock_handoff(struct tool *tool, const struct settings *s, const struct unlock_args *a,
			  const struct secret *key)
{
	int mode = a->handoff >= 0 ? a->handoff : s->unlock_handoff;
	bool keyring = a->keyring >= 0 ? a->keyring : s->unlock_keyring;
	uint64_t timeout = a->timeout ? (uint64_t)a->timeout : s->unlock_timeout;
	struct error e = { 0 };
	unsigned served;
	int32_t serial;

	if (keyring) {
		if (keyring_add_cryptsetup(key, (unsigned)timeout, &serial, &e) < 0) {
			log_error(&tool->log, &e, "unlock");
			return EXIT_HANDOFF;
		}
		log_info(&tool->log, "key for %s in the user keyring as \"%s\" (serial %d, %llu s)",
			 a->o.volume, KEYRING_DESCRIPTION, serial, (unsigned long long)timeout);
	}
	if (mode == SETTINGS_HANDOFF_NONE)
		return EXIT_OK;
	const struct handoff_options ho = {
		.root = tool->root,
		.key_dir = a->key_dir ? a->key_dir : s->unlock_key_dir,
		.volume = a->o.volume,
		.mode = mode == SETTINGS_HANDOFF_FILE ? HANDOFF_FILE : HANDOFF_SOCKET,
		.deadline = deadline_after_ms(timeout * 1000),
	};
	log_info(&tool->log, "offering the key for %s on %s/%s.key (%s) for up to %llu s",
		 a->o.volume, ho.key_dir, a->o.volume, mode == SETTINGS_HANDOFF_FILE ? "file" : "socket",
		 (unsigned long long)timeout);
	if (handoff_serve(&ho, key, &served, &e) < 0) {
		log_error(&tool->log, &e, "unlock");
		return EXIT_HANDOFF;
	}
	log_info(&tool->log, "volume %s is open (%u hand-off%s); the key is gone from %s",
		 a->o.volume, served, served == 1 ? "" : "s", ho.key_dir);
	return EXIT_OK;
}

static int unlock_run(struct tool *tool, int argc, char **argv)
{
	struct unlock_args a = { .handoff = -1, .keyring = -1 };
	struct settings s;
	struct tool_kbs k = { 0 };
	struct secret key = { 0 };
	struct error e = { 0 };
	int r;

	r = unlock_options(&a, argc, argv);
	if (r != EXIT_OK)
		return r < 0 ? EXIT_OK : r;
	if (handoff_volume_valid(a.o.volume, &e) < 0) {
		log_error(&tool->log, &e, "--volume");
		return EXIT_USAGE;
	}
	r = tool_load_settings(tool, &s);
	if (r != EXIT_OK)
		return r;
	r = tool_kbs_prepare(tool, &s, &a.o, &k);
	if (r != EXIT_OK)
		goto out;
	log_info(&tool->log, "unlocking %s: %s evidence, resource %s", a.o.volume,
		 tee_name(k.opt.evidence.tee), k.resource_path);
	if (kbs_release(&k.opt, &key, NULL, &e) < 0) {
		log_error(&tool->log, &e, "no key");
		r = EXIT_ATTEST;
		goto out;
	}
	log_info(&tool->log, "key for %s released (%zu bytes)", a.o.volume, key.len);
	/* The broker's part is done: nothing below needs the TPM or the log. */
	tool_kbs_close(&k);
	r = unlock_handoff(tool, &s, &a, &key);
out:
	secret_free(&key);
	tool_kbs_close(&k);
	settings_free(&s);
	return r;
}

const struct command command_unlock = {
	.name = "unlock",
	.summary = "Attest to the key broker and hand the disk key to cryptsetup",
	.usage = "--volume NAME [OPTIONS]\n"
		 "\n"
		 "Attests to the key broker with the platform's evidence, receives the volume's key\n"
		 "and offers it to systemd-cryptsetup on KEY-DIR/NAME.key until the volume is open.\n"
		 "\n"
		 "  -v, --volume NAME     The volume, as named in crypttab (required)\n"
		 "  -R, --resource R      repository/type/tag at the broker ([kbs] resource)\n"
		 "  -t, --tee TEE         tdx, snp, cca, tpm or sample ([kbs] tee)\n"
		 "  -u, --url URL         A broker to try, repeatable ([kbs] url)\n"
		 "  -H, --handoff H       socket, file or none ([unlock] handoff)\n"
		 "  -k, --keyring         Also add the key to the user keyring as \"cryptsetup\"\n"
		 "  -T, --timeout S       Seconds the key is offered ([unlock] timeout)\n"
		 "  -d, --key-dir DIR     Where cryptsetup looks ([unlock] key-dir)\n"
		 "\n"
		 "Exit status: 0 the volume was opened, 5 no key was released, 6 the key was not\n"
		 "taken before the timeout; 1, 2 and 3 as for every command.\n",
	.run = unlock_run,
};
