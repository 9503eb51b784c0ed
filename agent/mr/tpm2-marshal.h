/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_TPM2_MARSHAL_H
#define MRBOOT_TPM2_MARSHAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/hash.h"
#include "mr.h"

struct error;

/*
 * The TPM 2.0 commands mrboot sends, as bytes: builders for the commands and strict
 * parsers for the responses (TCG TPM 2.0 Library Part 2 for structures, Part 3 for commands).
 * Everything on the wire is big-endian. Pure functions over caller buffers: no I/O, no state.
 *
 * A parser checks the whole response: the header's tag and size against the bytes received,
 * the response code (an error code is returned as -EIO with its name), every count and size
 * against its bound and against the bytes left, and that nothing follows the last field. A
 * malformed response is -EBADMSG with a message naming the command and the field.
 */

/* TPM_ST */
#define TPM2_ST_RSP_COMMAND 0x00c4 /* a TPM 1.2 style error reply to a bad tag */
#define TPM2_ST_NO_SESSIONS 0x8001
#define TPM2_ST_SESSIONS 0x8002
#define TPM2_ST_CREATION 0x8021 /* a TPMT_TK_CREATION ticket */

/* TPM_CC */
#define TPM2_CC_GET_CAPABILITY 0x0000017a
#define TPM2_CC_GET_RANDOM 0x0000017b
#define TPM2_CC_PCR_READ 0x0000017e
#define TPM2_CC_PCR_EXTEND 0x00000182
#define TPM2_CC_CREATE_PRIMARY 0x00000131
#define TPM2_CC_QUOTE 0x00000158
#define TPM2_CC_FLUSH_CONTEXT 0x00000165

#define TPM2_CAP_PCRS 0x00000005
#define TPM2_RS_PW 0x40000009 /* the password authorization "session" */
#define TPM2_RH_ENDORSEMENT 0x4000000b
#define TPM2_HT_TRANSIENT 0x80 /* the top byte of a transient object's handle */

/* TPM_ALG_ID, TCG Algorithm Registry */
#define TPM2_ALG_SHA1 0x0004
#define TPM2_ALG_SHA256 0x000b
#define TPM2_ALG_SHA384 0x000c
#define TPM2_ALG_SHA512 0x000d
#define TPM2_ALG_SM3_256 0x0012
#define TPM2_ALG_SHA3_256 0x0027
#define TPM2_ALG_SHA3_384 0x0028
#define TPM2_ALG_SHA3_512 0x0029
#define TPM2_ALG_RSA 0x0001
#define TPM2_ALG_NULL 0x0010
#define TPM2_ALG_RSASSA 0x0014

/* tag (2), size (4), command or response code (4) */
#define TPM2_HEADER_SIZE 10
/* The usual MAX_COMMAND_SIZE and MAX_RESPONSE_SIZE; every command here is far smaller. */
#define TPM2_BUFFER_SIZE 4096
/* PCRs 0..23: the PC Client platform's, and every index mrboot measures into. */
#define TPM2_PCR_COUNT 24
/* sizeofSelect bound: 64 PCRs, more than any TPM has; mrboot records PCRs 0..31 only. */
#define TPM2_PCR_SELECT_MAX 8
/* Banks one TPM may list: more than the hash algorithms in the registry. */
#define TPM2_BANKS_MAX 16
/* sizeof(TPMU_HA) with SHA-512: no TPM2B_DIGEST holds more. */
#define TPM2_DIGEST_MAX 64

/* An allocated PCR bank as TPM2_GetCapability(TPM_CAP_PCRS) lists it. */
struct tpm2_bank {
	uint16_t alg_id;   /* TPM_ALG_ID, whether or not mrboot can hash with it */
	uint32_t pcrs;	   /* bit n set: PCR n is allocated in this bank (n < 32) */
	bool supported;	   /* hash.h implements alg_id */
	enum hash_alg alg; /* valid when supported */
};

struct tpm2_banks {
	unsigned count;
	struct tpm2_bank bank[TPM2_BANKS_MAX];
};

/* "sha256", "sha1", "sm3_256"...; NULL for an algorithm this table does not name. */
const char *tpm2_alg_name(uint16_t alg_id);

/* Digest bytes of a hash algorithm in the table, 0 for any other. */
unsigned tpm2_alg_digest_size(uint16_t alg_id);

/* "TPM2_PCR_Extend"...; "TPM2 command" for a code not built here. */
const char *tpm2_command_name(uint32_t command_code);

/*
 * Builders write the command into buf (cap bytes) and its length into *len. -EINVAL for
 * arguments no TPM would accept (PCR index, algorithm, digest count), -ENOBUFS if cap is too
 * small.
 */
int tpm2_marshal_pcr_read(uint8_t *buf, size_t cap, unsigned pcr, uint16_t alg_id, size_t *len,
			  struct error *e);

/* One PCR, one digest per entry of d (each in its own bank), authorized by the empty password. */
int tpm2_marshal_pcr_extend(uint8_t *buf, size_t cap, unsigned pcr, const struct mr_digests *d,
			    size_t *len, struct error *e);

int tpm2_marshal_get_capability_pcrs(uint8_t *buf, size_t cap, size_t *len, struct error *e);

int tpm2_marshal_get_random(uint8_t *buf, size_t cap, uint16_t bytes, size_t *len, struct error *e);

/*
 * The response code of a response of len bytes, 0 when it is shorter than the header: for
 * deciding on a retry before the response is parsed.
 */
uint32_t tpm2_response_code(const uint8_t *rsp, size_t len);

/* The size field of a header: how many bytes the response has in all. len >= the header. */
uint32_t tpm2_response_size(const uint8_t *rsp);

/*
 * The value of PCR pcr in bank alg_id: writes its bytes to out (cap bytes) and their number to
 * *out_len. -ENOENT when the TPM selected nothing: that PCR is not allocated in that bank.
 */
int tpm2_unmarshal_pcr_read(const uint8_t *rsp, size_t len, unsigned pcr, uint16_t alg_id,
			    uint8_t *out, size_t cap, size_t *out_len, struct error *e);

int tpm2_unmarshal_pcr_extend(const uint8_t *rsp, size_t len, struct error *e);

/* Every bank the TPM lists, also those with no PCR allocated and those hash.h lacks. */
int tpm2_unmarshal_get_capability_pcrs(const uint8_t *rsp, size_t len, struct tpm2_banks *out,
				       struct error *e);

/* At most requested bytes to out; the TPM may return fewer. */
int tpm2_unmarshal_get_random(const uint8_t *rsp, size_t len, uint16_t requested, uint8_t *out,
			      size_t *out_len, struct error *e);

/*
 * mrboot's attestation key (AK): a primary key of the endorsement hierarchy made from one fixed
 * template, so that the TPM derives the same key from its endorsement primary seed at every boot
 * (TPM2_Clear does not change that seed) and a verifier can pin the public key ahead of time.
 * The template: a restricted signing key (it signs only what the TPM itself made, quotes
 * among them), RSA 2048 with the default exponent, nameAlg SHA-256, fixedTPM | fixedParent |
 * sensitiveDataOrigin | userWithAuth | restricted | sign, empty authPolicy and authValue,
 * symmetric TPM_ALG_NULL, scheme RSASSA with SHA-256, an empty unique field. Byte for byte the
 * template of (tests/integration/tpm-evidence.sh checks that both make the same key):
 *   tpm2_createprimary -C e -g sha256 -G rsa2048:rsassa-sha256:null \
 *     -a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign'
 * RSA, not ECC: Trustee's TPM verifier takes RSASSA signatures only.
 */
#define TPM2_AK_ATTRIBUTES 0x00050072u
#define TPM2_AK_KEY_BITS 2048
#define TPM2_AK_MODULUS_SIZE (TPM2_AK_KEY_BITS / 8)
/* TPM2B_NAME of a key: its nameAlg (SHA-256) and the SHA-256 of its TPMT_PUBLIC */
#define TPM2_AK_NAME_SIZE 34
/* TPMT_SIGNATURE of an AK signature: sigAlg, hash, size, then the RSASSA signature */
#define TPM2_AK_SIGNATURE_SIZE (6 + TPM2_AK_MODULUS_SIZE)

#define TPM2_GENERATED_VALUE 0xff544347u /* TPMS_ATTEST.magic: made inside a TPM */
#define TPM2_ST_ATTEST_QUOTE 0x8018
/* TPM2B_DATA holds at most a TPMT_HA; 64 bytes fit every TPM that implements SHA-512. */
#define TPM2_QUALIFYING_DATA_MAX 64
/* More than a quote's TPMS_ATTEST can take (about 250 bytes with the largest fields). */
#define TPM2_ATTEST_MAX 512

/* The AK as TPM2_CreatePrimary returned it, its public area checked against the template. */
struct tpm2_ak {
	uint32_t handle;		       /* transient: tpm2_flush_context() it */
	uint8_t modulus[TPM2_AK_MODULUS_SIZE]; /* n, big-endian */
	uint32_t exponent;		       /* e; 65537 where the public area says 0 */
	uint8_t name[TPM2_AK_NAME_SIZE];       /* 000b || SHA-256(TPMT_PUBLIC) */
};

/* A TPM2_Quote, checked: what was quoted is what was asked for, signed as the AK signs. */
struct tpm2_quote {
	uint8_t attest[TPM2_ATTEST_MAX]; /* TPMS_ATTEST, the bytes the signature covers */
	size_t attest_len;
	uint8_t signature[TPM2_AK_SIGNATURE_SIZE];   /* TPMT_SIGNATURE as the TPM marshalled it */
	uint8_t rsa_signature[TPM2_AK_MODULUS_SIZE]; /* its RSASSA-PKCS1-v1_5 signature alone */
	uint8_t pcr_digest[32]; /* SHA-256 of the quoted PCR values, in PCR order */
};

/* TPM2_CreatePrimary(TPM_RH_ENDORSEMENT) of the AK template, with the empty password. */
int tpm2_marshal_create_primary_ak(uint8_t *buf, size_t cap, size_t *len, struct error *e);

/*
 * TPM2_Quote by key (the AK's handle, with the empty password) of the PCRs in the mask pcrs
 * (bit n: PCR n, 0..23) of bank alg_id, with qualifying_len (at most
 * TPM2_QUALIFYING_DATA_MAX) bytes of qualifyingData and the key's own scheme.
 */
int tpm2_marshal_quote(uint8_t *buf, size_t cap, uint32_t key, const uint8_t *qualifying,
		       size_t qualifying_len, uint16_t alg_id, uint32_t pcrs, size_t *len,
		       struct error *e);

int tpm2_marshal_flush_context(uint8_t *buf, size_t cap, uint32_t handle, size_t *len,
			       struct error *e);

/*
 * The AK: a transient handle, and a public area that is the template's field for field with
 * a 2048-bit modulus, whose name is the SHA-256 of it. Every other parameter is bounded and
 * skipped (creation data, hash, ticket).
 */
int tpm2_unmarshal_create_primary_ak(const uint8_t *rsp, size_t len, struct tpm2_ak *out,
				     struct error *e);

/*
 * A quote of what tpm2_marshal_quote() asked: TPMS_ATTEST parsed whole (magic
 * TPM_GENERATED_VALUE, type TPM_ST_ATTEST_QUOTE, extraData equal to qualifying, one selection
 * of bank alg_id selecting exactly pcrs, a SHA-256 pcrDigest, nothing after it) and an RSASSA
 * SHA-256 signature of the AK's size.
 */
int tpm2_unmarshal_quote(const uint8_t *rsp, size_t len, const uint8_t *qualifying,
			 size_t qualifying_len, uint16_t alg_id, uint32_t pcrs,
			 struct tpm2_quote *out, struct error *e);

int tpm2_unmarshal_flush_context(const uint8_t *rsp, size_t len, struct error *e);

#endif
