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
 *   "aa_eventlog": base64 of a TCG2 log of mrboot's committed events (Spec ID event with
 *                   SHA-256, one EV_EVENT_TAG record per event at its PCR with the AAEL body
 *                   and the SHA-256 the PCR was extended with, 8 bytes of 0xFF), or null
 *
 * The quote's qualifyingData is the first 32 bytes of in->hash (Trustee's TPM_REPORT_DATA_SIZE,
 * confidential-containers/trustee 7c390d7a; openanolis compares the same 32 bytes).
 */

#include "attest/tee.h"

struct error;
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

#endif
