/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tpm2-rc.h"

#include <stdio.h>

#include "basic/macro.h"

#define RC_FMT1 0x080 /* format one: bits 5:0 error number, bits 11:8 where */
#define RC_FMT1_P 0x040
#define RC_FMT1_N_SHIFT 8
#define RC_FMT1_SESSION 0x8 /* in N: a session number, not a handle */
#define RC_VER1 0x100	    /* format zero: a TPM 2.0 code */
#define RC_VENDOR 0x400
#define RC_WARN 0x800
#define RC_LAYER_SHIFT 16 /* bits 23:16: a software layer (TSS, resource manager), not the TPM */

struct tpm2_rc_entry {
	uint16_t code;
	bool retry;
	const char *name;
	const char *text;
};

/* TCG TPM 2.0 Library Part 2, TPM_RC; the texts are short paraphrases of its descriptions. */
static const struct tpm2_rc_entry tpm2_rc_table[] = {
	{ 0x000, false, "TPM_RC_SUCCESS", "success" },
	{ 0x01e, false, "TPM_RC_BAD_TAG", "the command tag is not valid" },

	/* Format zero errors, RC_VER1 + n */
	{ 0x100, false, "TPM_RC_INITIALIZE", "TPM2_Startup has not run, or ran twice" },
	{ 0x101, false, "TPM_RC_FAILURE", "the TPM is in failure mode" },
	{ 0x103, false, "TPM_RC_SEQUENCE", "improper use of a sequence handle" },
	{ 0x10b, false, "TPM_RC_PRIVATE", "not currently used" },
	{ 0x119, false, "TPM_RC_HMAC", "not currently used" },
	{ 0x120, false, "TPM_RC_DISABLED", "the command is disabled" },
	{ 0x121, false, "TPM_RC_EXCLUSIVE",
	  "the command failed because an audit sequence is required" },
	{ 0x124, false, "TPM_RC_AUTH_TYPE",
	  "the authorization handle is not correct for the command" },
	{ 0x125, false, "TPM_RC_AUTH_MISSING", "the command requires an authorization session" },
	{ 0x126, false, "TPM_RC_POLICY", "a policy computation failed or authPolicy is not valid" },
	{ 0x127, false, "TPM_RC_PCR", "PCR check failed" },
	{ 0x128, false, "TPM_RC_PCR_CHANGED",
	  "the PCRs changed since the policy session checked them" },
	{ 0x12d, false, "TPM_RC_UPGRADE", "the TPM is in field upgrade mode" },
	{ 0x12e, false, "TPM_RC_TOO_MANY_CONTEXTS", "the context ID counter is at its maximum" },
	{ 0x12f, false, "TPM_RC_AUTH_UNAVAILABLE", "authValue or authPolicy is not available" },
	{ 0x130, false, "TPM_RC_REBOOT", "a _TPM_Init and TPM2_Startup(CLEAR) are required" },
	{ 0x131, false, "TPM_RC_UNBALANCED", "the protection algorithms are not balanced" },
	{ 0x142, false, "TPM_RC_COMMAND_SIZE", "the command size does not match the bytes sent" },
	{ 0x143, false, "TPM_RC_COMMAND_CODE", "the command code is not supported" },
	{ 0x144, false, "TPM_RC_AUTHSIZE", "authorizationSize is out of range" },
	{ 0x145, false, "TPM_RC_AUTH_CONTEXT", "the command cannot have an authorization session" },
	{ 0x146, false, "TPM_RC_NV_RANGE", "NV offset and size are out of range" },
	{ 0x147, false, "TPM_RC_NV_SIZE", "the requested NV allocation is too large" },
	{ 0x148, false, "TPM_RC_NV_LOCKED", "the NV index is locked" },
	{ 0x149, false, "TPM_RC_NV_AUTHORIZATION", "NV authorization failed" },
	{ 0x14a, false, "TPM_RC_NV_UNINITIALIZED", "the NV index has not been written" },
	{ 0x14b, false, "TPM_RC_NV_SPACE", "not enough NV space" },
	{ 0x14c, false, "TPM_RC_NV_DEFINED", "the NV index is already defined" },
	{ 0x150, false, "TPM_RC_BAD_CONTEXT", "the context could not be loaded" },
	{ 0x151, false, "TPM_RC_CPHASH", "cpHash is already set or does not match" },
	{ 0x152, false, "TPM_RC_PARENT", "the handle is not a parent" },
	{ 0x153, false, "TPM_RC_NEEDS_TEST", "a function needs testing and self test is required" },
	{ 0x154, false, "TPM_RC_NO_RESULT", "an internal function could not produce a result" },
	{ 0x155, false, "TPM_RC_SENSITIVE", "the sensitive area did not unmarshal correctly" },

	/* Format one, RC_FMT1 + n */
	{ 0x081, false, "TPM_RC_ASYMMETRIC", "asymmetric algorithm not supported or not correct" },
	{ 0x082, false, "TPM_RC_ATTRIBUTES", "inconsistent attributes" },
	{ 0x083, false, "TPM_RC_HASH", "hash algorithm not supported or not appropriate" },
	{ 0x084, false, "TPM_RC_VALUE", "value out of range or not correct for the context" },
	{ 0x085, false, "TPM_RC_HIERARCHY", "hierarchy is not enabled or not correct for the use" },
	{ 0x087, false, "TPM_RC_KEY_SIZE", "key size not supported" },
	{ 0x088, false, "TPM_RC_MGF", "mask generation function not supported" },
	{ 0x089, false, "TPM_RC_MODE", "mode of operation not supported" },
	{ 0x08a, false, "TPM_RC_TYPE", "the type of the value is not appropriate" },
	{ 0x08b, false, "TPM_RC_HANDLE", "the handle is not correct for the use" },
	{ 0x08c, false, "TPM_RC_KDF", "unsupported key derivation function" },
	{ 0x08d, false, "TPM_RC_RANGE", "value was out of allowed range" },
	{ 0x08e, false, "TPM_RC_AUTH_FAIL",
	  "authorization HMAC check failed, DA counter incremented" },
	{ 0x08f, false, "TPM_RC_NONCE", "invalid nonce size or nonce value mismatch" },
	{ 0x090, false, "TPM_RC_PP", "authorization requires assertion of physical presence" },
	{ 0x092, false, "TPM_RC_SCHEME", "unsupported or incompatible scheme" },
	{ 0x095, false, "TPM_RC_SIZE", "structure is the wrong size" },
	{ 0x096, false, "TPM_RC_SYMMETRIC", "unsupported symmetric algorithm or key size" },
	{ 0x097, false, "TPM_RC_TAG", "incorrect structure tag" },
	{ 0x098, false, "TPM_RC_SELECTOR", "union selector is incorrect" },
	{ 0x09a, false, "TPM_RC_INSUFFICIENT",
	  "the TPM was unable to unmarshal a value: too few bytes" },
	{ 0x09b, false, "TPM_RC_SIGNATURE", "the signature is not valid" },
	{ 0x09c, false, "TPM_RC_KEY", "key fields are not compatible with the selected use" },
	{ 0x09d, false, "TPM_RC_POLICY_FAIL", "a policy check failed" },
	{ 0x09f, false, "TPM_RC_INTEGRITY", "integrity check failed" },
	{ 0x0a0, false, "TPM_RC_TICKET", "invalid ticket" },
	{ 0x0a1, false, "TPM_RC_RESERVED_BITS", "reserved bits not set to zero as required" },
	{ 0x0a2, false, "TPM_RC_BAD_AUTH", "authorization failure without DA implications" },
	{ 0x0a3, false, "TPM_RC_EXPIRED", "the policy has expired" },
	{ 0x0a4, false, "TPM_RC_POLICY_CC", "the command code in the policy is not the command" },
	{ 0x0a5, false, "TPM_RC_BINDING",
	  "public and sensitive portions of an object do not match" },
	{ 0x0a6, false, "TPM_RC_CURVE", "curve not supported" },
	{ 0x0a7, false, "TPM_RC_ECC_POINT", "point is not on the required curve" },

	/* Format zero warnings, RC_WARN + n */
	{ 0x901, false, "TPM_RC_CONTEXT_GAP", "the gap for context ID is too large" },
	{ 0x902, false, "TPM_RC_OBJECT_MEMORY", "out of memory for object contexts" },
	{ 0x903, false, "TPM_RC_SESSION_MEMORY", "out of memory for session contexts" },
	{ 0x904, false, "TPM_RC_MEMORY", "out of shared object or session memory" },
	{ 0x905, false, "TPM_RC_SESSION_HANDLES", "out of session handles" },
	{ 0x906, false, "TPM_RC_OBJECT_HANDLES", "out of object handles" },
	{ 0x907, false, "TPM_RC_LOCALITY", "the command is not allowed in this locality" },
	{ 0x908, true, "TPM_RC_YIELDED", "the TPM suspended the command; it may be retried" },
	{ 0x909, true, "TPM_RC_CANCELED", "the command was canceled" },
	{ 0x90a, true, "TPM_RC_TESTING", "the TPM is running self tests" },
	{ 0x910, false, "TPM_RC_REFERENCE_H0",
	  "the first handle refers to an object or session that is not loaded" },
	{ 0x911, false, "TPM_RC_REFERENCE_H1",
	  "the second handle refers to an object or session that is not loaded" },
	{ 0x912, false, "TPM_RC_REFERENCE_H2",
	  "the third handle refers to an object or session that is not loaded" },
	{ 0x913, false, "TPM_RC_REFERENCE_H3",
	  "the fourth handle refers to an object or session that is not loaded" },
	{ 0x914, false, "TPM_RC_REFERENCE_H4",
	  "the fifth handle refers to an object or session that is not loaded" },
	{ 0x915, false, "TPM_RC_REFERENCE_H5",
	  "the sixth handle refers to an object or session that is not loaded" },
	{ 0x916, false, "TPM_RC_REFERENCE_H6",
	  "the seventh handle refers to an object or session that is not loaded" },
	{ 0x918, false, "TPM_RC_REFERENCE_S0", "the first session is not loaded" },
	{ 0x919, false, "TPM_RC_REFERENCE_S1", "the second session is not loaded" },
	{ 0x91a, false, "TPM_RC_REFERENCE_S2", "the third session is not loaded" },
	{ 0x91b, false, "TPM_RC_REFERENCE_S3", "the fourth session is not loaded" },
	{ 0x91c, false, "TPM_RC_REFERENCE_S4", "the fifth session is not loaded" },
	{ 0x91d, false, "TPM_RC_REFERENCE_S5", "the sixth session is not loaded" },
	{ 0x91e, false, "TPM_RC_REFERENCE_S6", "the seventh session is not loaded" },
	{ 0x920, false, "TPM_RC_NV_RATE",
	  "the TPM is rate-limiting NV writes to prevent wear-out" },
	{ 0x921, false, "TPM_RC_LOCKOUT", "the TPM is in dictionary-attack lockout" },
	{ 0x922, true, "TPM_RC_RETRY", "the TPM was not able to start the command" },
	{ 0x923, false, "TPM_RC_NV_UNAVAILABLE", "NV is not accessible at the moment" },
	{ 0x97f, false, "TPM_RC_NOT_USED", "this value is reserved and not returned by the TPM" },
};

uint32_t tpm2_rc_base(uint32_t rc)
{
	rc &= 0xfff;
	if (rc & RC_FMT1)
		return RC_FMT1 | (rc & 0x03f);
	return rc;
}

static const struct tpm2_rc_entry *tpm2_rc_lookup(uint32_t rc)
{
	uint32_t base;

	/* A code from a software layer reuses the TPM's numbers for its own meanings. */
	if (rc >> RC_LAYER_SHIFT)
		return NULL;
	base = tpm2_rc_base(rc);
	for (size_t i = 0; i < ARRAY_SIZE(tpm2_rc_table); i++)
		if (tpm2_rc_table[i].code == base)
			return &tpm2_rc_table[i];
	return NULL;
}

const char *tpm2_rc_name(uint32_t rc)
{
	const struct tpm2_rc_entry *entry = tpm2_rc_lookup(rc);

	return entry ? entry->name : NULL;
}

bool tpm2_rc_retryable(uint32_t rc)
{
	const struct tpm2_rc_entry *entry = tpm2_rc_lookup(rc);

	return entry && entry->retry;
}

/* Which handle, parameter or session a format-one code blames, or "" for none. */
static void tpm2_rc_where(uint32_t rc, char *buf, size_t size)
{
	unsigned n = (rc >> RC_FMT1_N_SHIFT) & 0xf;

	buf[0] = '\0';
	if ((rc & 0xfff & RC_FMT1) == 0 || n == 0)
		return;
	if (rc & RC_FMT1_P)
		snprintf(buf, size, ", parameter %u", n);
	else if (n & RC_FMT1_SESSION)
		snprintf(buf, size, ", session %u", n & ~RC_FMT1_SESSION);
	else
		snprintf(buf, size, ", handle %u", n);
}

const char *tpm2_rc_describe(uint32_t rc, char *buf, size_t size)
{
	const struct tpm2_rc_entry *entry = tpm2_rc_lookup(rc);
	const char *kind;
	char where[24];

	if (size == 0)
		return buf;
	if (entry) {
		tpm2_rc_where(rc, where, sizeof(where));
		snprintf(buf, size, "%s (0x%08x%s): %s", entry->name, rc, where, entry->text);
		return buf;
	}
	if (rc >> RC_LAYER_SHIFT)
		kind = "from a software layer, not the TPM";
	else if (rc & RC_FMT1)
		kind = "format-one error";
	else if (rc & RC_VENDOR)
		kind = "vendor-defined";
	else if (!(rc & RC_VER1))
		kind = "TPM 1.2 code";
	else if (rc & RC_WARN)
		kind = "warning";
	else
		kind = "error";
	snprintf(buf, size, "unknown TPM response code 0x%08x (%s)", rc, kind);
	return buf;
}
