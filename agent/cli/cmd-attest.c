/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/error.h"
#include "json/json.h"
#include "cli/tool-kbs.h"

#define ATTEST_URLS_MAX 16

static void attest_wipe_free(char **token)
{
	if (*token) {
		explicit_bzero(*token, strlen(*token));
		free(*token);
	}
}

static int attest_print(const char *tee, const char *token, bool json)
{
	struct json_writer w;
	struct error e = { 0 };

	if (!json)
		return puts(token) < 0 ? EXIT_FAILED : EXIT_OK;
	json_writer_init(&w, 2 * KBS_TOKEN_MAX);
	json_writer_begin_object(&w);
	json_writer_key(&w, "tee");
	json_writer_string(&w, tee);
	json_writer_key(&w, "token");
	json_writer_string(&w, token);
	json_writer_end_object(&w);
	if (json_writer_finish(&w, &e) < 0 || puts(w.buf) < 0) {
		json_writer_free(&w);
		return EXIT_FAILED;
	}
	explicit_bzero(w.buf, w.len);
	json_writer_free(&w);
	return EXIT_OK;
}

static int attest_run(struct tool *tool, int argc, char **argv)
{
	static const struct option options[] = {
		{ "tee", required_argument, NULL, 't' },
		{ "url", required_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct tool_kbs_overrides o = { 0 };
	char *urls[ATTEST_URLS_MAX + 1] = { NULL };
	_cleanup_(attest_wipe_free) char *token = NULL;
	unsigned n_urls = 0;
	bool json = false;
	struct context ctx;
	struct kbs_session k = { 0 };
	struct error e = { 0 };
	int c, r;

	while ((c = getopt_long(argc, argv, "t:u:jh", options, NULL)) != -1) {
		switch (c) {
		case 't':
			o.tee = optarg;
			break;
		case 'u':
			if (n_urls == ATTEST_URLS_MAX)
				return tool_usage(&command_attest, EXIT_USAGE);
			urls[n_urls++] = optarg;
			o.urls = urls;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			return tool_usage(&command_attest, EXIT_OK);
		default:
			return tool_usage(&command_attest, EXIT_USAGE);
		}
	}
	if (optind < argc)
		return tool_usage(&command_attest, EXIT_USAGE);
	r = context_open(&ctx, tool);
	if (r == EXIT_OK)
		r = tool_kbs_open(tool, &ctx, &o, &k);
	if (r == EXIT_OK) {
		if (kbs_release(&k.opt, NULL, &token, &e) < 0) {
			log_error(&tool->log, &e, "no token");
			r = EXIT_ATTEST;
		} else {
			log_info(&tool->log, "attested with %s evidence",
				 tee_name(k.opt.evidence.tee));
			r = attest_print(tee_name(k.opt.evidence.tee), token, json);
		}
	}
	kbs_session_close(&k);
	context_close(&ctx);
	return r;
}

const struct command command_attest = {
	.name = "attest",
	.summary = "Attest to the key broker and print the attestation token",
	.usage =
		"[OPTIONS]\n"
		"\n"
		"Runs the broker's handshake (auth, evidence bound to its nonce and to a fresh key,\n"
		"attest) and prints the token the broker issues. The token grants what the broker's\n"
		"policy allows for five minutes: treat it as a secret.\n"
		"\n"
		"  -t, --tee TEE   tdx, snp, cca, tpm or sample ([kbs] tee)\n"
		"  -u, --url URL   A broker to try, repeatable ([kbs] url)\n"
		"  -j, --json      {\"tee\":...,\"token\":...} instead of the bare token\n",
	.run = attest_run,
};
