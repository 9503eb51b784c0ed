/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_EVLOG_CCEL_H
#define MRBOOT_EVLOG_CCEL_H

/*
 * The TDX event log as evidence for the Trustee key broker: the firmware's CCEL (the ACPI CCEL
 * table's log area, /sys/firmware/acpi/tables/data/CCEL) cut where its log ends, mrboot's
 * TCG_PCR_EVENT2 records (tcg2_aael_event_write()), and 8 bytes of 0xFF, so that the broker's
 * parser stops exactly there. The format is tcg2.h's; this file adds the rules of the broker's
 * parser, which refuses whole logs for reasons the TCG format allows.
 */

#include <stddef.h>
#include <stdint.h>

struct error;

#define CCEL_TERMINATOR_SIZE 8u

/*
 * Parses a firmware CCEL with the strict reader and sets *end to the bytes of log before its
 * terminator (or the whole data when the log fills it).
 */
int ccel_firmware_end(const void *ccel, size_t size, size_t *end, struct error *e);

/*
 * Checks that the Trustee broker's CCEL parser and replay (confidential-containers/trustee,
 * deps/eventlog) accept log and replay it as a TPM would. On top of the strict reader:
 *  - the Spec ID table lists only algorithms Trustee knows (RSA, TDES, SHA-1, SHA-256,
 *    SHA-384, SHA-512);
 *  - no record has a digest other than SHA-256, SHA-384 or SHA-512 (a SHA-1 or SM3 digest
 *    makes some Trustee versions refuse the whole log);
 *  - every record's event type is one Trustee knows (PC Client PFP types 0x0..0x12 and the
 *    EFI types it lists);
 *  - an EV_EVENT_TAG's tagged event has its data within the event, as UTF-8 text, and an AAEL
 *    one has at least two spaces in it;
 *  - no EV_NO_ACTION record after the Spec ID event at an index other than 0: Trustee would
 *    extend it into the register, which the hardware never did.
 * The parsers Trustee runs on the data of firmware event types (UEFI variables, device paths)
 * are not repeated here. -EBADMSG names the record, its byte offset and the rule.
 */
int ccel_check_trustee(const void *log, size_t size, struct error *e);

/*
 * Writes the evidence stream into out (cap bytes): firmware[0..end) (see ccel_firmware_end()),
 * records (records_size bytes of whole TCG_PCR_EVENT2 records), 8 bytes of 0xFF; *written
 * gets its size. The result is checked with ccel_check_trustee() and must end exactly at the
 * terminator, so a record that parses as anything else is caught here. -ENOBUFS when cap is
 * too small, with *written set to the size needed.
 */
int ccel_stream_build(uint8_t *out, size_t cap, const void *firmware, size_t firmware_size,
		      const void *records, size_t records_size, size_t *written, struct error *e);

#endif
