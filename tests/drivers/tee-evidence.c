/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Driver for tests/integration/tee-evidence.sh: writes the evidence of one TEE under ROOT (a
 * fixture tree with the configfs-tsm emulator mounted) for the runtime-data hash HASHHEX, so that
 * the script can check it with its own reader of each format.
 * Usage: tee-evidence ROOT TEE HASHHEX
 * Prints the JSON document and exits 0, or prints "error MESSAGE" on stderr and exits 1.
 */
#include <stdio.h>
#include <string.h>

#include "attest/tee.h"
#include "basic/encoding.h"
#include "basic/error.h"
#include "json/json.h"

int main(int argc, char **argv)
{
	struct tee_evidence_input in = { .report = { .privlevel = TSM_REPORT_PRIVLEVEL_FLOOR } };
	uint8_t hash[TEE_HASH_MAX];
	struct json_writer w;
	struct error e = { 0 };
	int k;

	if (argc != 4) {
		fprintf(stderr, "usage: %s ROOT TEE HASHHEX\n", argv[0]);
		return 2;
	}
	in.root = argv[1];
	if (tee_from_name(argv[2], &in.tee, &e) < 0 ||
	    hex_decode(hash, sizeof(hash), argv[3], strlen(argv[3]), &in.hash_len, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return 2;
	}
	in.hash = hash;
	json_writer_init(&w, 64u << 20);
	k = tee_evidence_write(&w, &in, &e);
	if (k >= 0)
		k = json_writer_finish(&w, &e);
	if (k < 0) {
		fprintf(stderr, "error %s\n", e.msg);
		json_writer_free(&w);
		return 1;
	}
	printf("%s\n", w.buf);
	json_writer_free(&w);
	return 0;
}
