/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_ATTEST_EVIDENCE_TPM_H
#define MRBOOT_ATTEST_EVIDENCE_TPM_H

/*
 * TPM 2.0 evidence for the Trustee key broker: a quote of PCRs 0..23 by mrboot's attestation
 * key (mr/tpm2-marshal.h) over the runtime-data hash, with the key's public part and the event
 * logs that explain the PCRs. One JSON object carries the members of both TPM verifiers that
 * Trustee has shipped (each reads its own and ignores the rest; evidence-tpm.c says where
 * each comes from):
 *
 *   "ak_public":   base64 of the AK's DER SubjectPublicKeyInfo
 *   "tpm_quote":   {"signature": base64 TPMT_SIGNATURE, "message": base64 TPMS_ATTEST,
 *                   "pcrs": [24 lowercase hex SHA-256 PCR values, PCR 0 first]}
 *   "ek_cert":     null
 *   "ak_pubkey":   the same SubjectPublicKeyInfo as PEM ("-----BEGIN PUBLIC KEY-----")
 *   "quote":       {"SHA256": {"attest_body": base64 TPMS_ATTEST, "attest_sig": base64 of
 *                   the bare RSASSA signature, "pcrs": [24 hex]}, and "SHA1" alike when the
 *                   firmware log is sent and the TPM keeps a SHA-1 bank}
 *   "eventlog":    base64 of <root>/sys/kernel/security/tpm0/binary_bios_measurements, or null
 *   "aa_eventlog": base64 of a TCG2 log (Spec ID event with SHA-256, records, 8 bytes of
 *                   0xFF), or null when it would have no records. Its records: where
 *                   <root>/run/log/systemd/tpm2-measure.log exists, each of its records in its
 *                   order (the order of the extends), mrboot's committed events as below and
 *                   every other writer's (systemd-pcrphase's PCR 11, ...) as EV_IPL at its PCR
 *                   with its string and SHA-256 digest; else mrboot's committed events alone.
 *                   mrboot's event: EV_EVENT_TAG at its PCR with the AAEL body and the SHA-256
 *                   the PCR was extended with.
 *
 * The quote's qualifyingData is the first 32 bytes of in->hash (Trustee's TPM_REPORT_DATA_SIZE,
 * confidential-containers/trustee 7c390d7a; openanolis compares the same 32 bytes).
 */

#include <stddef.h>
#include <stdint.h>

#include "attest/tee.h"

struct error;
struct json_arena;
struct json_writer;

/*
 * Writes the evidence for in->tpm (open), bound to in->hash, with in->log's committed records
 * as aa_eventlog (in->log NULL: null). The attestation key is created and flushed again here.
 * Errors: -ENODEV for a TPM without a SHA-256 bank of PCRs 0..23, -EBUSY for a log with a
 * pending record (recover the log first), -EINVAL for a log with records of other registers
 * or digests that are not the hash of their events, -EAGAIN when the PCRs kept changing while
 * they were quoted, and the TPM's errors, each naming the step.
 */
int evidence_tpm_write(struct json_writer *w, const struct tee_evidence_input *in, struct error *e);

/* One record of systemd's tpm2-measure.log (doc/systemd-tpm2-log.md), as aa_eventlog needs it. */
struct evidence_tpm_systemd_record {
	uint64_t pcr;	    /* 0..23 */
	uint8_t sha256[32]; /* its one "sha256" digest */
	const char *string; /* content.string, string_len bytes (into the arena) */
	size_t string_len;
	const char *event_type; /* content.eventType, "" without one */
};

/*
 * Parses one record's JSON text (len bytes) into the arena: -EINVAL, saying why, for a record
 * without a PCR in 0..23, a content string or exactly one sha256 digest of 32 bytes.
 */
int evidence_tpm_systemd_record(struct json_arena *a, const char *json, size_t len,
				struct evidence_tpm_systemd_record *rec, struct error *e);

#endif
