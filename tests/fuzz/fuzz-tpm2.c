/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every TPM 2.0 response parser on any bytes, as from a hostile or broken TPM. The first byte
 * chooses what was asked (the PCR, the bank, the bytes of random); the rest is the response.
 * Bounds checked: a parser never hands back more than the caller's buffer or request holds.
 */
#include <errno.h>
#include <string.h>

#include "basic/error.h"
#include "fuzz.h"
#include "mr/tpm2-marshal.h"

/* Banks to ask for: those hash.h has, two it has not, and ids no registry names. */
static const uint16_t banks[8] = {
	TPM2_ALG_SHA1,	  TPM2_ALG_SHA256,   TPM2_ALG_SHA384, TPM2_ALG_SHA512,
	TPM2_ALG_SM3_256, TPM2_ALG_SHA3_384, 0x0000,	      0xffff,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[TPM2_DIGEST_MAX], random[32];
	struct tpm2_banks list;
	struct error e = { 0 };
	unsigned pcr;
	uint16_t alg, requested;
	size_t n = SIZE_MAX;
	int r;

	if (size < 1)
		return 0;
	pcr = data[0] % TPM2_PCR_COUNT;
	alg = banks[data[0] >> 5];
	requested = (uint16_t)(data[0] % sizeof(random) + 1);
	data++, size--;

	if (size >= TPM2_HEADER_SIZE)
		(void)tpm2_response_size(data);
	(void)tpm2_response_code(data, size);

	r = tpm2_unmarshal_pcr_read(data, size, pcr, alg, out, sizeof(out), &n, &e);
	if (r == 0)
		fuzz_check(n > 0 && n <= sizeof(out), "a PCR value fits the buffer");
	else
		fuzz_check(e.msg[0], "a refusal says why");

	r = tpm2_unmarshal_pcr_extend(data, size, &e);
	fuzz_check(r <= 0, "0 or a negative errno");

	r = tpm2_unmarshal_get_capability_pcrs(data, size, &list, &e);
	if (r == 0) {
		fuzz_check(list.count <= TPM2_BANKS_MAX, "banks fit the list");
		for (unsigned i = 0; i < list.count; i++)
			for (unsigned j = 0; j < i; j++)
				fuzz_check(list.bank[i].alg_id != list.bank[j].alg_id,
					   "no bank is listed twice");
	}

	n = SIZE_MAX;
	r = tpm2_unmarshal_get_random(data, size, requested, random, &n, &e);
	if (r == 0)
		fuzz_check(n <= requested, "no more random bytes than requested");
	return 0;
}
