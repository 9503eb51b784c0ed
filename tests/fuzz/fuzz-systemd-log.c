/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * evidence_tpm_systemd_record() on any bytes as one record of systemd's tpm2-measure.log, as
 * the TPM evidence reads each to build aa_eventlog. An accepted record names a PCR in 0..23,
 * a string within the arena's text of that length, and an event type (maybe ""); a refusal
 * says why. The arena's budget bounds the memory, whatever the input.
 */
#include <string.h>

#include "attest/evidence-tpm.h"
#include "basic/error.h"
#include "fuzz.h"
#include "json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evidence_tpm_systemd_record rec;
	struct json_arena a;
	struct error e = { 0 };
	int k;

	json_arena_init(&a, 64 * size + 4096);
	k = evidence_tpm_systemd_record(&a, (const char *)data, size, &rec, &e);
	if (k == 0) {
		fuzz_check(rec.pcr < 24, "the PCR is one of 0..23");
		fuzz_check(rec.string && rec.string_len <= size, "the string is within the record");
		fuzz_check(rec.string[rec.string_len] == '\0', "the string is NUL-terminated");
		fuzz_check(rec.event_type && strlen(rec.event_type) < size,
			   "the event type is a C string from the record");
	} else {
		fuzz_check(k < 0 && e.msg[0], "a refusal says why");
	}
	json_arena_free(&a);
	return 0;
}
