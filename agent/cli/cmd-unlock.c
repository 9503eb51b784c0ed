/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handoff/handoff.h"
#include "cli/tool-kbs.h"

#define UNLOCK_URLS_MAX 16

struct unlock_args {
	struct tool_unlock_request req;
	char *urls[UNLOCK_URLS_MAX + 1];
	unsigned n_urls;
	char *volumes[HANDOFF_VOLUMES_MAX + 1];
	unsigned n_volumes;
};

/* EXIT_OK to go on, -1 after --help, or EXIT_USAGE. */
static int unlock_options(struct unlock_args *a, int argc, char **argv)
{
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
	long v;
	int c;

	while ((c = getopt_long(argc, argv, "v:R:t:u:H:kT:d:h", options, NULL)) != -1) {
		switch (c) {
		case 'v':
			if (a->n_volumes == HANDOFF_VOLUMES_MAX) {
				fprintf(stderr, "mrboot unlock: at most %d --volume\n",
					HANDOFF_VOLUMES_MAX);
				return EXIT_USAGE;
			}
			a->volumes[a->n_volumes++] = optarg;
			break;
		case 'R':
			a->req.o.resource = optarg;
			break;
		case 't':
			a->req.o.tee = optarg;
			break;
		case 'u':
			if (a->n_urls == UNLOCK_URLS_MAX) {
				fprintf(stderr, "mrboot unlock: at most %d --url\n",
					UNLOCK_URLS_MAX);
				return EXIT_USAGE;
			}
			a->urls[a->n_urls++] = optarg;
			a->req.o.urls = a->urls;
			break;
		case 'H':
			a->req.handoff = handoff_mode_from_name(optarg);
			if (a->req.handoff < 0) {
				fprintf(stderr, "mrboot unlock: --handoff socket, file or none\n");
				return EXIT_USAGE;
			}
			break;
		case 'k':
			a->req.keyring = 1;
			break;
		case 'T':
			v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 86400) {
				fprintf(stderr,
					"mrboot unlock: --timeout takes 1 to 86400 seconds\n");
				return EXIT_USAGE;
			}
			a->req.timeout_s = (uint64_t)v;
			break;
		case 'd':
			if (optarg[0] != '/') {
				fprintf(stderr,
					"mrboot unlock: --key-dir needs an absolute path\n");
				return EXIT_USAGE;
			}
			a->req.key_dir = optarg;
			break;
		case 'h':
			tool_usage(&command_unlock, EXIT_OK);
			return -1;
		default:
			return tool_usage(&command_unlock, EXIT_USAGE);
		}
	}
	if (optind < argc || a->n_volumes == 0) {
		fprintf(stderr, "mrboot unlock: --volume NAME is required, and nothing else\n");
		return EXIT_USAGE;
	}
	a->req.volumes = a->volumes;
	return EXIT_OK;
}

static int unlock_run(struct tool *tool, int argc, char **argv)
{
	struct unlock_args a = { .req = { .handoff = -1, .keyring = -1 } };
	struct context ctx;
	int r;

	r = unlock_options(&a, argc, argv);
	if (r != EXIT_OK)
		return r < 0 ? EXIT_OK : r;
	r = context_open(&ctx, tool);
	if (r == EXIT_OK)
		r = tool_unlock(tool, &ctx, &a.req);
	context_close(&ctx);
	return r;
}

const struct command command_unlock = {
	.name = "unlock",
	.summary = "Attest to the key broker and hand disk keys to cryptsetup",
	.usage = "--volume NAME [--volume NAME...] [OPTIONS]\n"
		 "\n"
		 "Attests to the key broker with the platform's evidence, receives each volume's\n"
		 "key and offers them to systemd-cryptsetup on KEY-DIR/NAME.key until the volumes\n"
		 "are open.\n"
		 "\n"
		 "  -v, --volume NAME     A volume, as named in crypttab (required, repeatable)\n"
		 "  -R, --resource R      repository/type/tag at the broker ([kbs] resource)\n"
		 "  -t, --tee TEE         tdx, snp, cca, tpm or sample ([kbs] tee)\n"
		 "  -u, --url URL         A broker to try, repeatable ([kbs] url)\n"
		 "  -H, --handoff H       socket, file or none ([unlock] handoff)\n"
		 "  -k, --keyring         Also add the keys to the user keyring as \"cryptsetup\"\n"
		 "  -T, --timeout S       Seconds the keys are offered ([unlock] timeout)\n"
		 "  -d, --key-dir DIR     Where cryptsetup looks ([unlock] key-dir)\n"
		 "\n"
		 "Exit status: 0 the volumes were opened, 5 no key was released, 6 a key was not\n"
		 "taken before the timeout; 1, 2 and 3 as for every command.\n",
	.run = unlock_run,
};
