/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * TPM 2.0 commands and responses as bytes. Every expected command is written out by hand from
 * the TCG TPM 2.0 Library specification (Part 2 structures, Part 3 commands), field by field;
 * every response is one a TPM would send, or one broken in exactly one way.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/error.h"
#include "mr/tpm2-marshal.h"
#include "mr/tpm2-rc.h"
#include "tap.h"

/* Hex with optional spaces into out; the length, or aborts on a typo in the test itself. */
static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (*s == ' ')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else
			abort();
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == cap)
			abort();
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		abort();
	return n;
}

/* The 32 bytes 00 01 ... 1f and 48 bytes 80 81 ... af: digests nobody would mistake. */
static void fill_digests(struct mr_digests *d)
{
	*d = (struct mr_digests){ 0 };
	d->count = 1;
	d->bank[0].alg = HASH_SHA256;
	for (int i = 0; i < 32; i++)
		d->bank[0].digest[i] = (uint8_t)i;
	d->bank[1].alg = HASH_SHA384;
	for (int i = 0; i < 48; i++)
		d->bank[1].digest[i] = (uint8_t)(0x80 + i);
}

static void expect_command(const uint8_t *got, size_t got_len, int r, const char *hex,
			   const char *what)
{
	uint8_t want[512];
	size_t n = unhex(hex, want, sizeof(want));

	if (!tap_ok(r == 0 && got_len == n, "%s: built, %zu bytes", what, n)) {
		tap_diag("r=%d, %zu bytes", r, got_len);
		return;
	}
	tap_is_mem(got, want, n, "%s: bytes as the specification lays them out", what);
}

static void test_pcr_read_command(void)
{
	uint8_t buf[TPM2_BUFFER_SIZE];
	struct error e = { 0 };
	size_t len = 0;
	int r;

	r = tpm2_marshal_pcr_read(buf, sizeof(buf), 16, TPM2_ALG_SHA256, &len, &e);
	expect_command(buf, len, r,
		       "8001"	  /* tag: TPM_ST_NO_SESSIONS */
		       "00000014" /* commandSize: 20 */
		       "0000017e" /* commandCode: TPM_CC_PCR_Read */
		       "00000001" /* pcrSelectionIn.count */
		       "000b"	  /* [0].hash: TPM_ALG_SHA256 */
		       "03"	  /* [0].sizeofSelect: PCR_SELECT_MIN, PCRs 0..23 */
		       "000001",  /* [0].pcrSelect: PCR 16 is byte 2, bit 0 */
		       "TPM2_PCR_Read of PCR 16, sha256");

	r = tpm2_marshal_pcr_read(buf, sizeof(buf), 0, TPM2_ALG_SHA1, &len, &e);
	expect_command(buf, len, r,
		       "8001 00000014 0000017e 00000001"
		       "0004"	    /* TPM_ALG_SHA1 */
		       "03 010000", /* PCR 0: byte 0, bit 0 */
		       "TPM2_PCR_Read of PCR 0, sha1");

	r = tpm2_marshal_pcr_read(buf, sizeof(buf), 23, TPM2_ALG_SHA384, &len, &e);
	expect_command(buf, len, r,
		       "8001 00000014 0000017e 00000001"
		       "000c"	    /* TPM_ALG_SHA384 */
		       "03 000080", /* PCR 23: byte 2, bit 7 */
		       "TPM2_PCR_Read of PCR 23, sha384");

	r = tpm2_marshal_pcr_read(buf, sizeof(buf), 24, TPM2_ALG_SHA256, &len, &e);
	tap_ok(r == -EINVAL && strstr(e.msg, "PCR 24"), "TPM2_PCR_Read of PCR 24 is refused (%s)",
	       e.msg);

	r = tpm2_marshal_pcr_read(buf, 19, 16, TPM2_ALG_SHA256, &len, &e);
	tap_is_int(r, -ENOBUFS, "TPM2_PCR_Read into 19 bytes is -ENOBUFS");
}

static void test_pcr_extend_command(void)
{
	uint8_t buf[TPM2_BUFFER_SIZE];
	struct error e = { 0 };
	struct mr_digests d;
	size_t len = 0;
	int r;

	fill_digests(&d);
	r = tpm2_marshal_pcr_extend(buf, sizeof(buf), 16, &d, &len, &e);
	expect_command(buf, len, r,
		       "8002"	  /* tag: TPM_ST_SESSIONS */
		       "00000041" /* commandSize: 10 + 4 + 4 + 9 + 4 + 2 + 32 = 65 */
		       "00000182" /* commandCode: TPM_CC_PCR_Extend */
		       "00000010" /* pcrHandle: PCR 16 */
		       "00000009" /* authorizationSize: one TPMS_AUTH_COMMAND of 9 bytes */
		       "40000009" /* sessionHandle: TPM_RS_PW */
		       "0000"	  /* nonceCaller.size: empty */
		       "00"	  /* sessionAttributes */
		       "0000"	  /* hmac.size: the empty password */
		       "00000001" /* digests.count */
		       "000b"	  /* digests[0].hashAlg: TPM_ALG_SHA256 */
		       "000102030405060708090a0b0c0d0e0f"
		       "101112131415161718191a1b1c1d1e1f", /* digests[0].digest */
		       "TPM2_PCR_Extend of PCR 16 with one sha256 digest");

	d.count = 2;
	r = tpm2_marshal_pcr_extend(buf, sizeof(buf), 7, &d, &len, &e);
	expect_command(buf, len, r,
		       "8002"
		       "00000073" /* 10 + 4 + 4 + 9 + 4 + (2 + 32) + (2 + 48) = 115 */
		       "00000182"
		       "00000007" /* PCR 7 */
		       "00000009 40000009 0000 00 0000"
		       "00000002" /* two banks */
		       "000b"
		       "000102030405060708090a0b0c0d0e0f"
		       "101112131415161718191a1b1c1d1e1f"
		       "000c" /* TPM_ALG_SHA384 */
		       "808182838485868788898a8b8c8d8e8f"
		       "909192939495969798999a9b9c9d9e9f"
		       "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
		       "TPM2_PCR_Extend of PCR 7 with sha256 and sha384 digests");

	r = tpm2_marshal_pcr_extend(buf, sizeof(buf), 24, &d, &len, &e);
	tap_ok(r == -EINVAL && strstr(e.msg, "PCR 24"), "TPM2_PCR_Extend of PCR 24 is refused (%s)",
	       e.msg);
	d.count = 0;
	r = tpm2_marshal_pcr_extend(buf, sizeof(buf), 16, &d, &len, &e);
	tap_ok(r == -EINVAL, "TPM2_PCR_Extend with no digest is refused (%s)", e.msg);
	d.count = 2;
	d.bank[1].alg = HASH_SHA256;
	r = tpm2_marshal_pcr_extend(buf, sizeof(buf), 16, &d, &len, &e);
	tap_ok(r == -EINVAL && strstr(e.msg, "two sha256"),
	       "TPM2_PCR_Extend with two digests for one bank is refused (%s)", e.msg);
}

static void test_get_capability_and_random_commands(void)
{
	uint8_t buf[TPM2_BUFFER_SIZE];
	struct error e = { 0 };
	size_t len = 0;
	int r;

	r = tpm2_marshal_get_capability_pcrs(buf, sizeof(buf), &len, &e);
	expect_command(buf, len, r,
		       "8001"	   /* TPM_ST_NO_SESSIONS */
		       "00000016"  /* commandSize: 22 */
		       "0000017a"  /* TPM_CC_GetCapability */
		       "00000005"  /* capability: TPM_CAP_PCRS */
		       "00000000"  /* property: none for TPM_CAP_PCRS */
		       "00000010", /* propertyCount: up to 16 banks */
		       "TPM2_GetCapability(TPM_CAP_PCRS)");

	r = tpm2_marshal_get_random(buf, sizeof(buf), 16, &len, &e);
	expect_command(buf, len, r,
		       "8001"	  /* TPM_ST_NO_SESSIONS */
		       "0000000c" /* commandSize: 12 */
		       "0000017b" /* TPM_CC_GetRandom */
		       "0010",	  /* bytesRequested: 16 */
		       "TPM2_GetRandom of 16 bytes");

	r = tpm2_marshal_get_random(buf, sizeof(buf), 0, &len, &e);
	tap_is_int(r, -EINVAL, "TPM2_GetRandom of 0 bytes is refused");
}

/* PCR 16 of sha256 holding 32 bytes of 0xaa. */
#define PCR_READ_OK                                                                    \
	"8001"			  /* tag */                                            \
	"0000003e"		  /* responseSize: 10 + 4 + 4 + 6 + 4 + 2 + 32 = 62 */ \
	"00000000"		  /* TPM_RC_SUCCESS */                                 \
	"00000005"		  /* pcrUpdateCounter */                               \
	"00000001 000b 03 000001" /* pcrSelectionOut: sha256, PCR 16 */                \
	"00000001"		  /* pcrValues.count */                                \
	"0020"			  /* digests[0].size */                                \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static int parse_pcr_read(const char *hex, size_t cut, uint8_t *out, size_t *n, struct error *e)
{
	uint8_t rsp[512];
	size_t len = unhex(hex, rsp, sizeof(rsp));

	return tpm2_unmarshal_pcr_read(rsp, len - cut, 16, TPM2_ALG_SHA256, out, 64, n, e);
}

static void expect_malformed(int r, const struct error *e, const char *field, const char *what)
{
	tap_ok(r == -EBADMSG && strstr(e->msg, field), "%s is refused naming %s (%s)", what, field,
	       e->msg);
}

static void test_pcr_read_response(void)
{
	struct error e = { 0 };
	uint8_t out[64], want[32];
	size_t n = 0;
	int r;

	memset(want, 0xaa, sizeof(want));
	r = parse_pcr_read(PCR_READ_OK, 0, out, &n, &e);
	tap_ok(r == 0 && n == 32, "PCR_Read response: 32 bytes of sha256 PCR 16");
	tap_is_mem(out, want, sizeof(want), "PCR_Read response: the value");

	r = parse_pcr_read("8001 0000", 0, out, &n, &e);
	expect_malformed(r, &e, "header", "a 4-byte response");
	r = parse_pcr_read(PCR_READ_OK, 1, out, &n, &e);
	expect_malformed(r, &e, "header size 62 does not match the 61 bytes",
			 "a response shorter than its header says");
	r = parse_pcr_read(PCR_READ_OK "00", 0, out, &n, &e);
	expect_malformed(r, &e, "header size 62 does not match the 63 bytes",
			 "a response longer than its header says");
	/* The header agrees with the bytes, but the digest is one byte short. */
	r = parse_pcr_read("8001 0000003d 00000000 00000005 00000001 000b 03 000001 00000001 0020"
			   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			   0, out, &n, &e);
	expect_malformed(r, &e, "pcrValues.digests[0].buffer", "a truncated digest");
	r = parse_pcr_read("8001 00000014 00000000 00000005 00000001 000b", 0, out, &n, &e);
	expect_malformed(r, &e, "pcrSelectionOut.pcrSelections[0].sizeofSelect",
			 "a response cut inside the selection");
	r = parse_pcr_read("8001 0000003e 00000000 00000005 00000002 000b 03 000001 00000001 0020"
			   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			   0, out, &n, &e);
	expect_malformed(r, &e, "pcrSelectionOut.count", "two banks for one asked");
	r = parse_pcr_read("8001 0000003e 00000000 00000005 00000001 000b 03 000001 10000000 0020"
			   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			   0, out, &n, &e);
	expect_malformed(r, &e, "pcrValues.count", "a digest count of 2^28");
	r = parse_pcr_read("8001 0000003e 00000000 00000005 00000001 000b 09 000001 00000001 0020"
			   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			   0, out, &n, &e);
	expect_malformed(r, &e, "sizeofSelect", "a sizeofSelect of 9");
	r = parse_pcr_read("8001 0000003e 00000000 00000005 00000001 000b 03 010001 00000001 0020"
			   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			   0, out, &n, &e);
	expect_malformed(r, &e, "pcrSelectionOut selects", "a PCR that was not asked for");
	r = parse_pcr_read("8001 0000003e 00000000 00000005 00000001 000c 03 000001 00000001 0020"
			   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			   0, out, &n, &e);
	expect_malformed(r, &e, "pcrSelectionOut.pcrSelections[0].hash",
			 "a bank that was not asked for");
	r = parse_pcr_read("8001 00000032 00000000 00000005 00000001 000b 03 000001 00000001 0014"
			   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			   0, out, &n, &e);
	expect_malformed(r, &e, "pcrValues.digests[0].size", "a 20-byte sha256 value");
	r = parse_pcr_read("8001 0000003f 00000000 00000005 00000001 000b 03 000001 00000001 0020"
			   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 00",
			   0, out, &n, &e);
	expect_malformed(r, &e, "after pcrValues", "a byte after the last field");
	r = parse_pcr_read("8002 0000003e 00000000 00000005 00000001 000b 03 000001 00000001 0020"
			   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			   0, out, &n, &e);
	expect_malformed(r, &e, "tag 0x8002", "TPM_ST_SESSIONS on a command sent without");

	/* What a TPM answers for a bank that is not allocated: an empty selection, no value. */
	r = parse_pcr_read("8001 0000001c 00000000 00000005 00000001 000b 03 000000 00000000", 0,
			   out, &n, &e);
	tap_ok(r == -ENOENT && strstr(e.msg, "not allocated"), "an empty selection is -ENOENT (%s)",
	       e.msg);
	r = parse_pcr_read("8001 00000016 00000000 00000005 00000000 00000000", 0, out, &n, &e);
	tap_ok(r == -ENOENT, "no selection at all is -ENOENT (%s)", e.msg);
	r = parse_pcr_read("8001 0000001c 00000000 00000005 00000001 000b 03 000000 00000001", 0,
			   out, &n, &e);
	expect_malformed(r, &e, "pcrValues.count 1, but 0 PCRs", "a value for no PCR selected");

	r = parse_pcr_read("8001 0000000a 000001c3", 0, out, &n, &e);
	tap_ok(r == -EIO && strstr(e.msg, "TPM2_PCR_Read failed: TPM_RC_HASH (0x000001c3, "
					  "parameter 1)"),
	       "error response 0x1c3 is TPM_RC_HASH of parameter 1 (%s)", e.msg);
	r = parse_pcr_read("8001 0000000e 00000100 00000000", 0, out, &n, &e);
	expect_malformed(r, &e, "4 bytes after the header of an error response",
			 "an error response with a body");
}

/* TPM_ST_SESSIONS, 19 bytes, success, no parameters, the password session's response. */
#define PCR_EXTEND_OK                                       \
	"8002 00000013 00000000"                            \
	"00000000" /* parameterSize */                      \
	"0000"	   /* nonceTPM.size */                      \
	"01"	   /* sessionAttributes: continueSession */ \
	"0000"	   /* hmac.size */

static int parse_pcr_extend(const char *hex, struct error *e)
{
	uint8_t rsp[512];
	size_t len = unhex(hex, rsp, sizeof(rsp));

	return tpm2_unmarshal_pcr_extend(rsp, len, e);
}

static void test_pcr_extend_response(void)
{
	struct error e = { 0 };
	int r;

	tap_is_int(parse_pcr_extend(PCR_EXTEND_OK, &e), 0, "PCR_Extend response: success");
	r = parse_pcr_extend("8002 00000017 00000000 00000004 0000 01 0000 00000000", &e);
	expect_malformed(r, &e, "parameterSize 4", "PCR_Extend parameters");
	r = parse_pcr_extend("8002 00000012 00000000 00000000 0000 01 00", &e);
	expect_malformed(r, &e, "hmac.size", "an authorization response cut short");
	r = parse_pcr_extend("8002 00000014 00000000 00000000 0000 01 0005 00", &e);
	expect_malformed(r, &e, "hmac.buffer", "an hmac size past the end");
	r = parse_pcr_extend("8002 00000014 00000000 00000000 0000 01 0000 00", &e);
	expect_malformed(r, &e, "after the one authorization response",
			 "a second authorization response");
	r = parse_pcr_extend("8001 00000013 00000000 00000000 0000 01 0000", &e);
	expect_malformed(r, &e, "tag 0x8001", "TPM_ST_NO_SESSIONS on a command with a session");

	r = parse_pcr_extend("8001 0000000a 00000907", &e);
	tap_ok(r == -EIO && strstr(e.msg, "TPM_RC_LOCALITY"), "error 0x907 is TPM_RC_LOCALITY (%s)",
	       e.msg);
	r = parse_pcr_extend("8001 0000000a 000009a2", &e);
	tap_ok(r == -EIO && strstr(e.msg, "TPM_RC_BAD_AUTH (0x000009a2, session 1)"),
	       "error 0x9a2 is TPM_RC_BAD_AUTH of session 1 (%s)", e.msg);
	r = parse_pcr_extend("00c4 0000000a 0000001e", &e);
	tap_ok(r == -EIO && strstr(e.msg, "TPM_RC_BAD_TAG"),
	       "a TPM_ST_RSP_COMMAND reply is TPM_RC_BAD_TAG (%s)", e.msg);
	r = parse_pcr_extend("8002 0000000a 00000907", &e);
	expect_malformed(r, &e, "tag 0x8002 of an error response", "an error with sessions");
}

static int parse_banks(const char *hex, struct tpm2_banks *banks, struct error *e)
{
	uint8_t rsp[512];
	size_t len = unhex(hex, rsp, sizeof(rsp));

	return tpm2_unmarshal_get_capability_pcrs(rsp, len, banks, e);
}

static void test_get_capability_response(void)
{
	struct tpm2_banks b;
	struct error e = { 0 };
	int r;

	r = parse_banks("8001"
			"00000025"	  /* 10 + 1 + 4 + 4 + 3 * 6 = 37 */
			"00000000"	  /* TPM_RC_SUCCESS */
			"00"		  /* moreData: NO */
			"00000005"	  /* capability: TPM_CAP_PCRS */
			"00000003"	  /* assignedPCR.count */
			"0004 03 ffffff"  /* sha1, PCRs 0..23 */
			"000b 03 ffffff"  /* sha256, PCRs 0..23 */
			"0012 03 000000", /* sm3_256, none */
			&b, &e);
	tap_ok(r == 0 && b.count == 3, "GetCapability response: 3 banks (%s)", r ? e.msg : "");
	tap_ok(b.bank[0].alg_id == TPM2_ALG_SHA1 && b.bank[0].supported &&
		       b.bank[0].alg == HASH_SHA1 && b.bank[0].pcrs == 0xffffff,
	       "bank 0 is sha1, PCRs 0..23, supported (TPM banks only)");
	tap_ok(b.bank[1].alg_id == TPM2_ALG_SHA256 && b.bank[1].supported &&
		       b.bank[1].alg == HASH_SHA256 && b.bank[1].pcrs == 0xffffff,
	       "bank 1 is sha256, PCRs 0..23, supported");
	tap_ok(b.bank[2].alg_id == TPM2_ALG_SM3_256 && !b.bank[2].supported && b.bank[2].pcrs == 0,
	       "bank 2 is sm3_256 with no PCRs, still listed");

	r = parse_banks("8001 00000019 00000000 01 00000005 00000001 000b 03 ffffff", &b, &e);
	expect_malformed(r, &e, "moreData", "moreData YES");
	r = parse_banks("8001 00000019 00000000 00 00000006 00000001 000b 03 ffffff", &b, &e);
	expect_malformed(r, &e, "capabilityData.capability", "another capability");
	r = parse_banks("8001 00000019 00000000 00 00000005 00000011 000b 03 ffffff", &b, &e);
	expect_malformed(r, &e, "assignedPCR.count 17", "17 banks");
	r = parse_banks("8001 00000019 00000000 00 00000005 00000002 000b 03 ffffff", &b, &e);
	expect_malformed(r, &e, "assignedPCR.pcrSelections[1].hash", "a second bank cut off");
	r = parse_banks("8001 00000018 00000000 00 00000005 00000001 000b 03 ffff", &b, &e);
	expect_malformed(r, &e, "assignedPCR.pcrSelections[0].pcrSelect", "a selection cut short");
	r = parse_banks("8001 0000001f 00000000 00 00000005 00000002 000b 03 ffffff 000b 03 ffffff",
			&b, &e);
	expect_malformed(r, &e, "twice", "a bank listed twice");
}

static void test_get_random_response(void)
{
	static const uint8_t want[] = { 0xde, 0xad, 0xbe, 0xef };
	uint8_t rsp[64], out[16];
	struct error e = { 0 };
	size_t len, n = 0;
	int r;

	len = unhex("8001 00000010 00000000 0004 deadbeef", rsp, sizeof(rsp));
	r = tpm2_unmarshal_get_random(rsp, len, 4, out, &n, &e);
	tap_ok(r == 0 && n == 4, "GetRandom response: 4 bytes");
	tap_is_mem(out, want, sizeof(want), "GetRandom response: the bytes");
	r = tpm2_unmarshal_get_random(rsp, len, 3, out, &n, &e);
	expect_malformed(r, &e, "randomBytes.size 4", "more bytes than requested");
	len = unhex("8001 0000000f 00000000 0004 deadbe", rsp, sizeof(rsp));
	r = tpm2_unmarshal_get_random(rsp, len, 4, out, &n, &e);
	expect_malformed(r, &e, "randomBytes.buffer", "random bytes cut short");
}

static void test_attestation_key_commands(void)
{
	uint8_t buf[TPM2_BUFFER_SIZE], data[TPM2_QUALIFYING_DATA_MAX + 1] = { 1, 2, 3, 4 };
	struct error e = { 0 };
	size_t len = 0;
	int r;

	r = tpm2_marshal_create_primary_ak(buf, sizeof(buf), &len, &e);
	expect_command(buf, len, r,
		       "8002"	  /* TPM_ST_SESSIONS */
		       "00000041" /* commandSize: 10 + 4 + 13 + 6 + 26 + 2 + 4 = 65 */
		       "00000131" /* TPM_CC_CreatePrimary */
		       "4000000b" /* primaryHandle: TPM_RH_ENDORSEMENT */
		       "00000009 40000009 0000 00 0000" /* the empty password */
		       "0004"				/* inSensitive.size */
		       "0000 0000"			/* userAuth, data: empty */
		       "0018"				/* inPublic.size: 24 */
		       "0001"				/* type: TPM_ALG_RSA */
		       "000b"				/* nameAlg: TPM_ALG_SHA256 */
		       "00050072"  /* fixedTPM 1, fixedParent 4, sensitiveDataOrigin 5,
				      userWithAuth 6, restricted 16, sign 18 */
		       "0000"	   /* authPolicy: empty */
		       "0010"	   /* symmetric: TPM_ALG_NULL */
		       "0014 000b" /* scheme: TPM_ALG_RSASSA, TPM_ALG_SHA256 */
		       "0800"	   /* keyBits: 2048 */
		       "00000000"  /* exponent: the default */
		       "0000"	   /* unique: empty */
		       "0000"	   /* outsideInfo: empty */
		       "00000000", /* creationPCR.count */
		       "TPM2_CreatePrimary of the AK template");

	r = tpm2_marshal_quote(buf, sizeof(buf), 0x80000000, data, 4, TPM2_ALG_SHA256, 0xffffff,
			       &len, &e);
	expect_command(buf, len, r,
		       "8002"
		       "0000002d" /* 10 + 4 + 13 + 6 + 2 + 4 + 6 = 45 */
		       "00000158" /* TPM_CC_Quote */
		       "80000000" /* signHandle */
		       "00000009 40000009 0000 00 0000"
		       "0004 01020304"	 /* qualifyingData */
		       "0010"		 /* inScheme: TPM_ALG_NULL, the key's own */
		       "00000001"	 /* PCRselect.count */
		       "000b 03 ffffff", /* sha256, PCRs 0..23 */
		       "TPM2_Quote of sha256 PCRs 0..23 over 4 bytes");
	r = tpm2_marshal_quote(buf, sizeof(buf), 0x80000001, data, 0, TPM2_ALG_SHA1, 0x818000, &len,
			       &e);
	expect_command(buf, len, r,
		       "8002 00000029 00000158 80000001 00000009 40000009 0000 00 0000"
		       "0000"		 /* no qualifyingData */
		       "0010 00000001"	 /* */
		       "0004 03 008081", /* sha1, PCRs 15, 16, 23 */
		       "TPM2_Quote of sha1 PCRs 15, 16 and 23");
	r = tpm2_marshal_quote(buf, sizeof(buf), 0x80000000, data, sizeof(data), TPM2_ALG_SHA256,
			       0xffffff, &len, &e);
	tap_ok(r == -EINVAL, "TPM2_Quote over 65 bytes is refused (%s)", e.msg);
	r = tpm2_marshal_quote(buf, sizeof(buf), 0x80000000, data, 4, TPM2_ALG_SHA256, 0, &len, &e);
	tap_ok(r == -EINVAL, "TPM2_Quote of no PCR is refused (%s)", e.msg);
	r = tpm2_marshal_quote(buf, sizeof(buf), 0x80000000, data, 4, TPM2_ALG_SHA256, 0x1000000,
			       &len, &e);
	tap_ok(r == -EINVAL, "TPM2_Quote of PCR 24 is refused (%s)", e.msg);

	r = tpm2_marshal_flush_context(buf, sizeof(buf), 0x80000002, &len, &e);
	expect_command(buf, len, r,
		       "8001"	   /* TPM_ST_NO_SESSIONS */
		       "0000000e"  /* 14 */
		       "00000165"  /* TPM_CC_FlushContext */
		       "80000002", /* flushHandle */
		       "TPM2_FlushContext of a transient object");
}

/* The AK's modulus here: a top bit set, then 255 bytes of 01. */
#define AK_MODULUS                                                         \
	"8001010101010101010101010101010101010101010101010101010101010101" \
	"0101010101010101010101010101010101010101010101010101010101010101" \
	"0101010101010101010101010101010101010101010101010101010101010101" \
	"0101010101010101010101010101010101010101010101010101010101010101" \
	"0101010101010101010101010101010101010101010101010101010101010101" \
	"0101010101010101010101010101010101010101010101010101010101010101" \
	"0101010101010101010101010101010101010101010101010101010101010101" \
	"0101010101010101010101010101010101010101010101010101010101010101"

/*
 * A TPM2_CreatePrimary response for the AK template (Part 3, 24.1): the handle, the public
 * area, creation data of a primary key (no PCRs, locality 0, the hierarchy as parent), and a
 * name that is 000b || SHA-256 of the public area (computed with Python's hashlib).
 */
/* clang-format off */
#define CREATE_PRIMARY_OK \
	"8002 000001d8 00000000"	/* 10 + 4 + 4 + 449 + 5 = 472 */ \
	"80000000"			/* objectHandle */ \
	"000001c1"			/* parameterSize: 449 */ \
	"0118"				/* outPublic.size: 280; publicArea at offset 20 */ \
	"0001 000b 00050072 0000 0010 0014 000b 0800 00000000" /* the template */ \
	"0100" AK_MODULUS		/* unique: n */ \
	"0037"				/* creationData.size: 55 */ \
	"00000000"			/* pcrSelect.count */ \
	"0020"				/* pcrDigest: SHA-256 of nothing */ \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
	"00"				/* locality */ \
	"0010"				/* parentNameAlg: TPM_ALG_NULL */ \
	"0004 4000000b 0004 4000000b"	/* parentName, parentQualifiedName */ \
	"0000"				/* outsideInfo */ \
	"0020"				/* creationHash */ \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"8021 4000000b 0020"	/* creationTicket: TPM_ST_CREATION */ \
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" \
	"0022 000b"			/* name: nameAlg, then the digest */ \
	"22fda5837da0bec9d90f2220bdf6c9745207e47a1bad4418ed59184b698bd3d9" \
	"0000 01 0000"			/* the password session's response */
/* clang-format on */

static int parse_create_primary(const char *hex, size_t patch_at, uint8_t patch, struct tpm2_ak *ak,
				struct error *e)
{
	uint8_t rsp[1024];
	size_t len = unhex(hex, rsp, sizeof(rsp));

	if (patch_at)
		rsp[patch_at] = patch;
	return tpm2_unmarshal_create_primary_ak(rsp, len, ak, e);
}

static void test_create_primary_response(void)
{
	static const uint8_t name_digest[] = {
		0x22, 0xfd, 0xa5, 0x83, 0x7d, 0xa0, 0xbe, 0xc9, 0xd9, 0x0f, 0x22,
		0x20, 0xbd, 0xf6, 0xc9, 0x74, 0x52, 0x07, 0xe4, 0x7a, 0x1b, 0xad,
		0x44, 0x18, 0xed, 0x59, 0x18, 0x4b, 0x69, 0x8b, 0xd3, 0xd9,
	};
	uint8_t modulus[TPM2_AK_MODULUS_SIZE];
	struct error e = { 0 };
	struct tpm2_ak ak;
	int r;

	r = parse_create_primary(CREATE_PRIMARY_OK, 0, 0, &ak, &e);
	tap_ok(r == 0, "CreatePrimary response: parsed (%s)", r ? e.msg : "");
	tap_is_int(ak.handle, 0x80000000, "CreatePrimary response: the transient handle");
	memset(modulus, 0x01, sizeof(modulus));
	modulus[0] = 0x80;
	tap_is_mem(ak.modulus, modulus, sizeof(modulus), "CreatePrimary response: the modulus");
	tap_is_int(ak.exponent, 65537, "CreatePrimary response: exponent 0 is 65537");
	tap_ok(ak.name[0] == 0x00 && ak.name[1] == 0x0b, "CreatePrimary response: name is sha256");
	tap_is_mem(ak.name + 2, name_digest, sizeof(name_digest),
		   "CreatePrimary response: the name's digest");

	/* Offsets: header 10, objectHandle 4, parameterSize 4, outPublic.size 2. */
	r = parse_create_primary(CREATE_PRIMARY_OK, 10, 0x81, &ak, &e);
	expect_malformed(r, &e, "objectHandle 0x81000000", "a persistent handle");
	r = parse_create_primary(CREATE_PRIMARY_OK, 15, 0x01, &ak, &e);
	expect_malformed(r, &e, "parameterSize 65985 runs past", "a parameterSize past the end");
	r = parse_create_primary(CREATE_PRIMARY_OK, 21, 0x00, &ak, &e);
	expect_malformed(r, &e, "outPublic.publicArea.type 0x0000", "a public area of no type");
	r = parse_create_primary(CREATE_PRIMARY_OK, 27, 0x73, &ak, &e);
	expect_malformed(r, &e, "objectAttributes 0x00050073", "a key with other attributes");
	r = parse_create_primary(CREATE_PRIMARY_OK, 29, 0x20, &ak, &e);
	expect_malformed(r, &e, "authPolicy.size", "a key with a policy");
	r = parse_create_primary(CREATE_PRIMARY_OK, 31, 0x06, &ak, &e);
	expect_malformed(r, &e, "symmetric.algorithm 0x0006", "a storage key's AES");
	r = parse_create_primary(CREATE_PRIMARY_OK, 33, 0x18, &ak, &e);
	expect_malformed(r, &e, "scheme.scheme 0x0018", "an ECDSA scheme");
	r = parse_create_primary(CREATE_PRIMARY_OK, 36, 0x10, &ak, &e);
	expect_malformed(r, &e, "keyBits 0x1000", "a 4096-bit key");
	r = parse_create_primary(CREATE_PRIMARY_OK, 41, 0x03, &ak, &e);
	expect_malformed(r, &e, "exponent 0x00000003", "an exponent of 3");
	r = parse_create_primary(CREATE_PRIMARY_OK, 42, 0x00, &ak, &e);
	expect_malformed(r, &e, "unique.size 0x0000", "an empty modulus");
	r = parse_create_primary(CREATE_PRIMARY_OK, 44, 0x7f, &ak, &e);
	expect_malformed(r, &e, "not a 2048-bit modulus", "a modulus of 2047 bits");
	r = parse_create_primary(CREATE_PRIMARY_OK, 18 + 282 + 57 + 34 + 1, 0x80, &ak, &e);
	expect_malformed(r, &e, "creationTicket.tag 0x8080", "a ticket of another kind");
	r = parse_create_primary(CREATE_PRIMARY_OK, 18 + 282 + 57 + 34 + 40 + 35, 0xd8, &ak, &e);
	expect_malformed(r, &e, "name is not the SHA-256 name", "a name of another key");
	r = parse_create_primary(CREATE_PRIMARY_OK, 18 + 282 + 57 + 34 + 40 + 1, 0x23, &ak, &e);
	expect_malformed(r, &e, "name.size 35 is more than 34", "a name too long for its key");
	r = parse_create_primary("8001 0000000a 00000185", 0, 0, &ak, &e);
	tap_ok(r == -EIO && ak.handle == 0 && strstr(e.msg, "TPM2_CreatePrimary failed"),
	       "an error response is -EIO and leaves no handle (%s)", e.msg);
}

/*
 * A TPM2_Quote response (Part 3, 18.4): TPMS_ATTEST of TPM_ST_ATTEST_QUOTE with the 64 bytes
 * 00 01 .. 3f as extraData and sha256 PCRs 0..23, then an RSASSA SHA-256 signature.
 */
/* clang-format off */
#define QUOTE_ATTEST \
	"ff544347"			/* magic: TPM_GENERATED_VALUE */ \
	"8018"				/* type: TPM_ST_ATTEST_QUOTE */ \
	"0022 000b"			/* qualifiedSigner */ \
	"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc" \
	"0040"				/* extraData */ \
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" \
	"202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f" \
	"0000000000001234 00000001 00000000 01"	/* clockInfo, its safe flag last */ \
	"2019102300163636"		/* firmwareVersion */ \
	"00000001 000b 03 ffffff"	/* pcrSelect: sha256, PCRs 0..23 */ \
	"0020"				/* pcrDigest */ \
	"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
#define QUOTE_OK \
	"8002 000001cc 00000000"	/* 10 + 4 + 441 + 5 = 460 */ \
	"000001b9"			/* parameterSize: 2 + 177 + 6 + 256 */ \
	"00b1" QUOTE_ATTEST		/* quoted: 177 bytes from offset 16 */ \
	"0014 000b 0100"		/* signature: TPM_ALG_RSASSA, TPM_ALG_SHA256, 256 bytes */ \
	"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee" \
	"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee" \
	"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee" \
	"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee" \
	"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee" \
	"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee" \
	"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee" \
	"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee" \
	"0000 01 0000"
/* clang-format on */

static int parse_quote(const char *hex, size_t patch_at, uint8_t patch, uint16_t alg, uint32_t pcrs,
		       struct tpm2_quote *q, struct error *e)
{
	uint8_t rsp[1024], data[64];
	size_t len = unhex(hex, rsp, sizeof(rsp));

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	if (patch_at)
		rsp[patch_at] = patch;
	return tpm2_unmarshal_quote(rsp, len, data, sizeof(data), alg, pcrs, q, e);
}

static void test_quote_response(void)
{
	uint8_t attest[256], sig[TPM2_AK_MODULUS_SIZE], digest[32], data[64] = { 0 };
	uint8_t rsp[1024];
	struct error e = { 0 };
	struct tpm2_quote q;
	size_t len;
	int r;

	r = parse_quote(QUOTE_OK, 0, 0, TPM2_ALG_SHA256, 0xffffff, &q, &e);
	tap_ok(r == 0, "Quote response: parsed (%s)", r ? e.msg : "");
	len = unhex(QUOTE_ATTEST, attest, sizeof(attest));
	tap_ok(q.attest_len == 177 && len == 177, "Quote response: a 177-byte TPMS_ATTEST");
	tap_is_mem(q.attest, attest, len, "Quote response: the TPMS_ATTEST bytes as signed");
	memset(sig, 0xee, sizeof(sig));
	tap_is_mem(q.rsa_signature, sig, sizeof(sig), "Quote response: the bare signature");
	tap_ok(q.signature[0] == 0x00 && q.signature[1] == 0x14 && q.signature[3] == 0x0b &&
		       q.signature[4] == 0x01 && q.signature[5] == 0x00 &&
		       memcmp(q.signature + 6, sig, sizeof(sig)) == 0,
	       "Quote response: the TPMT_SIGNATURE as marshalled");
	memset(digest, 0xdd, sizeof(digest));
	tap_is_mem(q.pcr_digest, digest, sizeof(digest), "Quote response: pcrDigest");

	/* Offsets: header 10, parameterSize 4, quoted.size 2: TPMS_ATTEST from 16. */
	r = parse_quote(QUOTE_OK, 0, 0, TPM2_ALG_SHA1, 0xffffff, &q, &e);
	expect_malformed(r, &e, "pcrSelections[0].hash 0x000b", "a quote of another bank");
	r = parse_quote(QUOTE_OK, 0, 0, TPM2_ALG_SHA256, 0x00ffff, &q, &e);
	expect_malformed(r, &e, "selects PCRs 0xffffff", "a quote of other PCRs");
	r = parse_quote(QUOTE_OK, 16, 0x00, TPM2_ALG_SHA256, 0xffffff, &q, &e);
	expect_malformed(r, &e, "quoted.magic 0x00544347", "a TPMS_ATTEST made outside a TPM");
	r = parse_quote(QUOTE_OK, 21, 0x17, TPM2_ALG_SHA256, 0xffffff, &q, &e);
	expect_malformed(r, &e, "quoted.type 0x8017", "a certification, not a quote");
	r = parse_quote(QUOTE_OK, 16 + 6 + 36 + 2 + 63, 0x00, TPM2_ALG_SHA256, 0xffffff, &q, &e);
	expect_malformed(r, &e, "extraData is not the qualifying data", "another nonce");
	r = parse_quote(QUOTE_OK, 16 + 6 + 36 + 66 + 16, 0x02, TPM2_ALG_SHA256, 0xffffff, &q, &e);
	expect_malformed(r, &e, "clockInfo.safe 2", "a safe flag of 2");
	r = parse_quote(QUOTE_OK, 16 + 6 + 36 + 66 + 25 + 3, 0x02, TPM2_ALG_SHA256, 0xffffff, &q,
			&e);
	expect_malformed(r, &e, "pcrSelect.count", "two selections");
	r = parse_quote(QUOTE_OK, 16 + 6 + 36 + 66 + 25 + 10 + 1, 0x14, TPM2_ALG_SHA256, 0xffffff,
			&q, &e);
	expect_malformed(r, &e, "pcrDigest.size", "a SHA-1 sized pcrDigest");
	r = parse_quote(QUOTE_OK, 15, 0xb2, TPM2_ALG_SHA256, 0xffffff, &q, &e);
	expect_malformed(r, &e, "1 unexpected bytes after quoted.attested.quote.pcrDigest",
			 "a TPMS_ATTEST with a byte after it");
	r = parse_quote(QUOTE_OK, 14, 0x02, TPM2_ALG_SHA256, 0xffffff, &q, &e);
	expect_malformed(r, &e, "quoted.size 689 is more than 512", "a TPMS_ATTEST of 689 bytes");
	r = parse_quote(QUOTE_OK, 16 + 177 + 1, 0x18, TPM2_ALG_SHA256, 0xffffff, &q, &e);
	expect_malformed(r, &e, "signature.sigAlg 0x0018", "an ECDSA signature");
	r = parse_quote(QUOTE_OK, 16 + 177 + 3, 0x0c, TPM2_ALG_SHA256, 0xffffff, &q, &e);
	expect_malformed(r, &e, "signature.rsassa.hash 0x000c", "a SHA-384 signature");
	r = parse_quote(QUOTE_OK, 16 + 177 + 4, 0x00, TPM2_ALG_SHA256, 0xffffff, &q, &e);
	expect_malformed(r, &e, "signature.rsassa.sig.size 0x0000", "a 0-byte signature");
	r = parse_quote(QUOTE_OK, 13, 0xba, TPM2_ALG_SHA256, 0xffffff, &q, &e);
	expect_malformed(r, &e, "1 unexpected bytes after signature", "a parameter area too long");

	/* TPM_RC_SIZE of parameter 1: the qualifying data is too large for this TPM. */
	len = unhex("8001 0000000a 000001d5", rsp, sizeof(rsp));
	r = tpm2_unmarshal_quote(rsp, len, data, sizeof(data), TPM2_ALG_SHA256, 0xffffff, &q, &e);
	tap_ok(r == -EIO && strstr(e.msg, "TPM_RC_SIZE (0x000001d5, parameter 1)"),
	       "a qualifyingData too large is TPM_RC_SIZE of parameter 1 (%s)", e.msg);
}

static void test_flush_context_response(void)
{
	uint8_t rsp[64];
	struct error e = { 0 };
	size_t len;
	int r;

	len = unhex("8001 0000000a 00000000", rsp, sizeof(rsp));
	tap_is_int(tpm2_unmarshal_flush_context(rsp, len, &e), 0, "FlushContext response: success");
	len = unhex("8001 0000000a 0000018b", rsp, sizeof(rsp));
	r = tpm2_unmarshal_flush_context(rsp, len, &e);
	tap_ok(r == -EIO && strstr(e.msg, "TPM_RC_HANDLE"),
	       "FlushContext of no object is TPM_RC_HANDLE (%s)", e.msg);
	len = unhex("8001 0000000b 00000000 00", rsp, sizeof(rsp));
	r = tpm2_unmarshal_flush_context(rsp, len, &e);
	expect_malformed(r, &e, "after the header", "a FlushContext response with a body");
	len = unhex("8002 0000000a 00000000", rsp, sizeof(rsp));
	r = tpm2_unmarshal_flush_context(rsp, len, &e);
	expect_malformed(r, &e, "tag 0x8002", "a FlushContext response with sessions");
}

static void test_response_codes(void)
{
	char buf[TPM2_RC_DESCRIPTION_MAX];

	/* Part 2, TPM_RC: format zero, RC_VER1 (0x100) + n; warnings RC_WARN (0x900) + n. */
	tap_is_str(tpm2_rc_name(0x100), "TPM_RC_INITIALIZE", "0x100 is TPM_RC_INITIALIZE");
	tap_is_str(tpm2_rc_name(0x920), "TPM_RC_NV_RATE", "0x920 is TPM_RC_NV_RATE");
	tap_is_str(tpm2_rc_name(0x921), "TPM_RC_LOCKOUT", "0x921 is TPM_RC_LOCKOUT");
	tap_is_str(tpm2_rc_name(0x922), "TPM_RC_RETRY", "0x922 is TPM_RC_RETRY");
	tap_is_str(tpm2_rc_name(0x908), "TPM_RC_YIELDED", "0x908 is TPM_RC_YIELDED");
	tap_is_str(tpm2_rc_name(0x909), "TPM_RC_CANCELED", "0x909 is TPM_RC_CANCELED");
	/* Format one: RC_FMT1 (0x080) + n, with the parameter (bit 6 and bits 11:8). */
	tap_is_str(tpm2_rc_name(0x1c4), "TPM_RC_VALUE", "0x1c4 is TPM_RC_VALUE");
	tap_is_str(tpm2_rc_name(0x2c4), "TPM_RC_VALUE", "0x2c4 is TPM_RC_VALUE");
	tap_is_str(tpm2_rc_name(0x0d5), "TPM_RC_SIZE", "0x0d5 is TPM_RC_SIZE");
	tap_is_int(tpm2_rc_base(0x1c4), 0x084, "the base of 0x1c4 is 0x084");
	tap_is_str(tpm2_rc_describe(0x2c4, buf, sizeof(buf)),
		   "TPM_RC_VALUE (0x000002c4, parameter 2): value out of range or not correct "
		   "for the context",
		   "0x2c4 names parameter 2");
	tap_ok(strstr(tpm2_rc_describe(0x195, buf, sizeof(buf)),
		      "TPM_RC_SIZE (0x00000195, handle 1)") != NULL,
	       "0x195 is TPM_RC_SIZE of handle 1 (%s)", buf);
	tap_ok(strstr(tpm2_rc_describe(0x98e, buf, sizeof(buf)),
		      "TPM_RC_AUTH_FAIL (0x0000098e, session 1)") != NULL,
	       "0x98e is TPM_RC_AUTH_FAIL of session 1 (%s)", buf);
	tap_is_str(tpm2_rc_describe(0x92b, buf, sizeof(buf)),
		   "unknown TPM response code 0x0000092b (warning)", "0x92b is an unknown warning");
	tap_ok(tpm2_rc_name(0x000b0922) == NULL && !tpm2_rc_retryable(0x000b0922),
	       "a code from a software layer is not read as the TPM's");
	tap_ok(tpm2_rc_name(0x522) == NULL, "a vendor code 0x522 has no TPM name");

	tap_ok(tpm2_rc_retryable(0x922), "TPM_RC_RETRY is retried");
	tap_ok(tpm2_rc_retryable(0x908), "TPM_RC_YIELDED is retried");
	tap_ok(tpm2_rc_retryable(0x909), "TPM_RC_CANCELED is retried");
	tap_ok(tpm2_rc_retryable(0x90a), "TPM_RC_TESTING is retried");
	tap_ok(!tpm2_rc_retryable(0x920), "TPM_RC_NV_RATE is not retried");
	tap_ok(!tpm2_rc_retryable(0x921), "TPM_RC_LOCKOUT is not retried");
	tap_ok(!tpm2_rc_retryable(0x907), "TPM_RC_LOCALITY is not retried");
	tap_ok(!tpm2_rc_retryable(0), "success is not retried");
}

static void test_algorithms(void)
{
	tap_is_str(tpm2_alg_name(TPM2_ALG_SHA1), "sha1", "TPM_ALG 0x0004 is sha1");
	tap_is_int(tpm2_alg_digest_size(TPM2_ALG_SHA1), 20, "sha1 digests are 20 bytes");
	tap_is_str(tpm2_alg_name(TPM2_ALG_SM3_256), "sm3_256", "TPM_ALG 0x0012 is sm3_256");
	tap_is_int(tpm2_alg_digest_size(TPM2_ALG_SHA512), 64, "sha512 digests are 64 bytes");
	tap_ok(tpm2_alg_name(0x0001) == NULL, "TPM_ALG 0x0001 (RSA) is no hash");
}

int main(void)
{
	test_pcr_read_command();
	test_pcr_extend_command();
	test_get_capability_and_random_commands();
	test_pcr_read_response();
	test_pcr_extend_response();
	test_get_capability_response();
	test_get_random_response();
	test_attestation_key_commands();
	test_create_primary_response();
	test_quote_response();
	test_flush_context_response();
	test_response_codes();
	test_algorithms();
	return tap_done();
}
