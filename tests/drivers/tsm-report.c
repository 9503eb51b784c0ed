/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Driver for tests/integration/tsm-report.sh: requests one configfs-tsm report under ROOT and
 * prints what came back, so that the script can compare it with the emulator's log and parse the
 * blobs with its own reader.
 * Usage: tsm-report ROOT INBLOB_HEX [PRIVLEVEL]
 * Prints "provider NAME", "generation N", "attempts N" and "outblob|auxblob|manifestblob HEX"
 * lines and exits 0, or prints "error ERRNO-NAME MESSAGE" on stderr and exits 1 (3 when the
 * failed request left something in the report).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "attest/tsm-report.h"

static const char *errno_name(int code)
{
	static const struct {
		int code;
		const char *name;
	} names[] = {
		{ ENOENT, "ENOENT" }, { ENXIO, "ENXIO" }, { EINVAL, "EINVAL" },
		{ EBUSY, "EBUSY" },   { EFBIG, "EFBIG" }, { ENODATA, "ENODATA" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].code == -code)
			return names[i].name;
	return "other";
}

static void print_blob(const char *label, const struct tsm_report_blob *blob)
{
	char *hex = malloc(2 * blob->len + 1);

	if (!hex)
		abort();
	hex_encode(hex, blob->data, blob->len);
	printf("%s %s\n", label, blob->len ? hex : "-");
	free(hex);
}

int main(int argc, char **argv)
{
	struct tsm_report_options opt = { .privlevel = TSM_REPORT_PRIVLEVEL_FLOOR };
	struct tsm_report report;
	struct error e = { 0 };
	uint8_t inblob[128];
	size_t inblob_len;
	int r;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: %s ROOT INBLOB_HEX [PRIVLEVEL]\n", argv[0]);
		return 2;
	}
	if (hex_decode(inblob, sizeof(inblob), argv[2], strlen(argv[2]), &inblob_len, &e) < 0) {
		fprintf(stderr, "INBLOB_HEX: %s\n", e.msg);
		return 2;
	}
	if (argc == 4)
		opt.privlevel = atoi(argv[3]);

	r = tsm_report_generate(argv[1], inblob, inblob_len, &opt, &report, &e);
	if (r < 0) {
		fprintf(stderr, "error %s %s\n", errno_name(r), e.msg);
		/* A failed request leaves nothing for the caller to free. */
		if (report.provider || report.outblob.data || report.auxblob.data ||
		    report.manifestblob.data) {
			fprintf(stderr, "the report was not emptied on failure\n");
			return 3;
		}
		return 1;
	}
	printf("provider %s\n", report.provider);
	printf("generation %lu\n", report.generation);
	printf("attempts %u\n", report.attempts);
	print_blob("outblob", &report.outblob);
	print_blob("auxblob", &report.auxblob);
	print_blob("manifestblob", &report.manifestblob);
	tsm_report_free(&report);
	return 0;
}
