/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The attestation key's TPM 2.0 response parsers on any bytes, as from a hostile or broken
 * TPM: TPM2_CreatePrimary, TPM2_Quote (with its TPMS_ATTEST and TPMT_SIGNATURE) and
 * TPM2_FlushContext. The first byte chooses what was asked: its value modulo 65 is how many
 * bytes of qualifying data (00 01 02 ...) the quote was over, its top bit the bank (SHA-1 or
 * SHA-256); the PCRs are 0..23. The rest is the response.
 */
#include <errno.h>
#include <string.h>

#include "basic/error.h"
#include "fuzz.h"
#include "mr/tpm2-marshal.h"

/* n bytes equal to p somewhere in data..data+size. */
static int fuzz_contains(const uint8_t *data, size_t size, const uint8_t *p, size_t n)
{
	for (size_t i = 0; n <= size && i <= size - n; i++)
		if (memcmp(data + i, p, n) == 0)
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t qualifying[TPM2_QUALIFYING_DATA_MAX];
	struct error e = { 0 };
	struct tpm2_quote quote;
	struct tpm2_ak ak;
	size_t qualifying_len;
	uint16_t alg;
	int r;

	if (size < 1)
		return 0;
	qualifying_len = data[0] % (TPM2_QUALIFYING_DATA_MAX + 1);
	alg = data[0] & 0x80 ? TPM2_ALG_SHA1 : TPM2_ALG_SHA256;
	for (size_t i = 0; i < sizeof(qualifying); i++)
		qualifying[i] = (uint8_t)i;
	data++, size--;

	r = tpm2_unmarshal_create_primary_ak(data, size, &ak, &e);
	if (r == 0) {
		fuzz_check(ak.handle >> 24 == TPM2_HT_TRANSIENT, "the AK has a transient handle");
		fuzz_check(ak.modulus[0] & 0x80, "the modulus has 2048 bits");
		fuzz_check(ak.exponent == 65537, "the template's exponent");
		fuzz_check(fuzz_contains(data, size, ak.modulus, sizeof(ak.modulus)),
			   "the modulus is the response's");
		fuzz_check(fuzz_contains(data, size, ak.name, sizeof(ak.name)),
			   "the name is the response's");
	} else {
		fuzz_check(r == -EBADMSG || r == -EIO, "malformed or an error response");
		fuzz_check(e.msg[0], "a refusal says why");
	}

	r = tpm2_unmarshal_quote(data, size, qualifying, qualifying_len, alg, 0xffffff, &quote, &e);
	if (r == 0) {
		fuzz_check(quote.attest_len > 0 && quote.attest_len <= sizeof(quote.attest),
			   "the TPMS_ATTEST fits its buffer");
		fuzz_check(fuzz_contains(data, size, quote.attest, quote.attest_len),
			   "the TPMS_ATTEST is the response's");
		fuzz_check(
			fuzz_contains(quote.attest, quote.attest_len, qualifying, qualifying_len),
			"the TPMS_ATTEST carries the qualifying data");
		fuzz_check(fuzz_contains(quote.attest, quote.attest_len, quote.pcr_digest,
					 sizeof(quote.pcr_digest)),
			   "pcrDigest is the TPMS_ATTEST's");
		fuzz_check(memcmp(quote.signature + 6, quote.rsa_signature,
				  sizeof(quote.rsa_signature)) == 0,
			   "the bare signature is the TPMT_SIGNATURE's");
		fuzz_check(fuzz_contains(data, size, quote.signature, sizeof(quote.signature)),
			   "the TPMT_SIGNATURE is the response's");
	} else {
		fuzz_check(r == -EBADMSG || r == -EIO, "malformed or an error response");
		fuzz_check(e.msg[0], "a refusal says why");
	}

	r = tpm2_unmarshal_flush_context(data, size, &e);
	fuzz_check(r <= 0, "0 or a negative errno");
	return 0;
}
