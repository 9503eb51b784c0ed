/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Writes the TPM evidence of a swtpm to stdout, for tests/integration/tpm-evidence.sh to check with
 * witnesses that share no code with mrboot (Python's cryptography, tpm2-tools).
 *
 * Usage: tpm-evidence SOCKET HASHHEX [ROOT]
 *   SOCKET   swtpm's server socket
 *   HASHHEX  the runtime-data hash (32, 48 or 64 bytes in hex)
 *   ROOT     the root prefix: its mrboot event log (created empty if absent) goes into
 *            aa_eventlog, its sys/kernel/security/tpm0/binary_bios_measurements into eventlog
 * Exits 0 with the JSON and a newline, or 1 with the error on stderr.
 */
#include <stdio.h>
#include <string.h>

#include "attest/evidence-tpm.h"
#include "basic/encoding.h"
#include "basic/error.h"
#include "evlog/eventlog.h"
#include "json/json.h"
#include "mr/tpm2.h"

int main(int argc, char **argv)
{
	struct tee_evidence_input in = { .root = "/", .tee = TEE_TPM };
	struct eventlog log = { .journal.fd = -1 };
	uint8_t hash[TEE_HASH_MAX];
	struct error e = { 0 };
	struct json_writer w;
	struct tpm2 tpm;
	int k;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: %s SOCKET HASHHEX [ROOT]\n", argv[0]);
		return 2;
	}
	k = hex_decode(hash, sizeof(hash), argv[2], strlen(argv[2]), &in.hash_len, &e);
	if (k < 0) {
		fprintf(stderr, "HASHHEX: %s\n", e.msg);
		return 2;
	}
	in.hash = hash;
	if (argc == 4) {
		in.root = argv[3];
		k = eventlog_open(&log, in.root, &e);
		if (k < 0) {
			fprintf(stderr, "event log: %s\n", e.msg);
			return 1;
		}
		in.log = &log;
	}
	k = tpm2_open_socket(&tpm, argv[1], &e);
	if (k < 0) {
		fprintf(stderr, "%s\n", e.msg);
		eventlog_close(&log);
		return 1;
	}
	in.tpm = &tpm;
	json_writer_init(&w, 64u << 20);
	k = evidence_tpm_write(&w, &in, &e);
	if (k >= 0)
		k = json_writer_finish(&w, &e);
	tpm2_close(&tpm);
	eventlog_close(&log);
	if (k < 0) {
		fprintf(stderr, "%s\n", e.msg);
		json_writer_free(&w);
		return 1;
	}
	printf("%s\n", w.buf);
	json_writer_free(&w);
	return 0;
}
