/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_EVLOG_TCG2_H
#define MRBOOT_EVLOG_TCG2_H

/*
 * TCG2 crypto-agile event logs (TCG PC Client Platform Firmware Profile, "Event Logging"): the
 * TPM firmware log (/sys/kernel/security/tpm0/binary_bios_measurements) and the TDX CCEL
 * (/sys/firmware/acpi/tables/data/CCEL), which uses the same format with CC indices in place of
 * PCR indices. A log is one TCG_PCR_EVENT in the SHA-1 format holding the "Spec ID Event03"
 * structure, then TCG_PCR_EVENT2 records:
 *
 *	u32le index, u32le event type, u32le digest count,
 *	count x { u16le TPM_ALG_ID, digest of the size the Spec ID event gives },
 *	u32le event size, event bytes
 *
 * The reader is for untrusted data: every field is bounds-checked and every error names the
 * record number, its byte offset and the field. Parsed records point into the caller's buffer.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/hash.h"
#include "mr/mr.h"

struct error;

#define TCG2_EV_NO_ACTION 0x00000003u
#define TCG2_EV_EVENT_TAG 0x00000006u
#define TCG2_EV_IPL 0x0000000du

/* Algorithms one Spec ID event may list; real logs list one to five. */
#define TCG2_ALGS_MAX 8
/* Largest digest a Spec ID event may declare (SHA-512, SHA3-512). */
#define TCG2_DIGEST_SIZE_MAX 64
/* Records tcg2_reader_next() returns before it refuses the log, unless the caller says. */
#define TCG2_RECORDS_MAX_DEFAULT 65536u

/* TCG_PCR_EVENT header before the event data: index, type, SHA-1 digest, size. */
#define TCG2_PCR_EVENT_HEADER_SIZE 32u

/*
 * Bytes of one TCG_PCR_EVENT2 record with these digests and event_size bytes of event data,
 * or 0 when that is more than a u32 can describe.
 */
size_t tcg2_event2_size(const struct mr_digests *digests, size_t event_size);

/*
 * Writes one TCG_PCR_EVENT2 record into buf (cap bytes); *written gets its size. -ENOBUFS when
 * cap is too small (with *written set to the size needed), -EINVAL for an unknown algorithm or
 * an empty digest list.
 */
int tcg2_event2_write(uint8_t *buf, size_t cap, uint32_t index, uint32_t type,
		      const struct mr_digests *digests, const void *event, size_t event_size,
		      size_t *written, struct error *e);

/*
 * mrboot's record of one CC register extend: type EV_EVENT_TAG, index cc_index, the AAEL body
 * of the three parts as event data and one digest, the alg hash of that body (computed here, so
 * that record and measurement cannot disagree). Errors as tcg2_event2_write() and aael.h.
 */
int tcg2_aael_event_write(uint8_t *buf, size_t cap, uint32_t cc_index, enum hash_alg alg,
			  const char *domain, const char *operation, const char *content,
			  size_t *written, struct error *e);

/*
 * Digest size of a hash algorithm the TCG Algorithm Registry defines for event logs (SHA-1,
 * SHA-256, SHA-384, SHA-512, SM3-256, SHA3-256/384/512), or 0 for any other TPM_ALG_ID.
 */
unsigned tcg2_known_digest_size(uint16_t alg_id);

/* One row of the Spec ID event's table. */
struct tcg2_alg_size {
	uint16_t alg_id; /* TPM_ALG_ID */
	uint16_t digest_size;
};

/* TCG_EfiSpecIDEvent, as the first record carries it. */
struct tcg2_spec_id {
	uint32_t platform_class;
	uint8_t version_minor, version_major, errata;
	uint8_t uintn_size; /* 1: UINTN is 32 bits, 2: 64 bits */
	unsigned alg_count;
	struct tcg2_alg_size algs[TCG2_ALGS_MAX];
};

struct tcg2_digest {
	uint16_t alg_id;
	uint16_t size;
	const uint8_t *bytes;
};

/* One TCG_PCR_EVENT2 record; the pointers point into the log. */
struct tcg2_record {
	uint32_t number; /* 1 for the record after the Spec ID event (which is record 0) */
	size_t offset;	 /* of the record's first byte */
	size_t size;	 /* bytes the record takes */
	uint32_t index;	 /* PCR index (TPM) or CC index (CCEL) */
	uint32_t type;
	unsigned digest_count;
	struct tcg2_digest digests[TCG2_ALGS_MAX];
	const uint8_t *event;
	uint32_t event_size;
};

enum tcg2_end {
	TCG2_END_DATA,	/* the data ends right after a record */
	TCG2_END_ONES,	/* 8 bytes of 0xFF where a record would start (CCEL padding) */
	TCG2_END_ZEROS, /* 8 bytes of 0x00 where a record would start */
};

/* A caller-owned cursor over one log. */
struct tcg2_reader {
	const uint8_t *data;
	size_t size;
	size_t pos;		  /* where the next record starts */
	uint32_t records;	  /* records returned so far */
	uint32_t max_records;	  /* more than this many is an error */
	bool ended;		  /* tcg2_reader_next() has returned 0 */
	enum tcg2_end end_reason; /* once ended */
	size_t end; /* once ended: bytes of log before the end (terminator excluded) */
	struct tcg2_spec_id spec;
};

/*
 * Starts reading data (size bytes, which must stay valid while the reader is used) and parses
 * the Spec ID event: PCR 0, EV_NO_ACTION, a zero SHA-1 digest, signature "Spec ID Event03",
 * version 2.0, a table of 1..TCG2_ALGS_MAX distinct algorithms whose sizes agree with the
 * algorithms mrboot knows, and vendor data that ends exactly at the event's end. max_records 0
 * means TCG2_RECORDS_MAX_DEFAULT. -EBADMSG for malformed data.
 */
int tcg2_reader_init(struct tcg2_reader *r, const void *data, size_t size, uint32_t max_records,
		     struct error *e);

/*
 * Parses the next record into *rec: returns 1, or 0 at the end of the log, or a negative errno
 * (-EBADMSG for malformed data, -E2BIG past max_records). The log ends at the end of the data
 * or where 8 bytes of all 0xFF or all 0x00 stand in place of a record header (how the CCEL's
 * unused space reads); 1..7 bytes left over are a truncated header. Each digest must be of an
 * algorithm the Spec ID table lists, at most once per record, at least one per record.
 */
int tcg2_reader_next(struct tcg2_reader *r, struct tcg2_record *rec, struct error *e);

/* The digest of alg in rec, or NULL. */
const struct tcg2_digest *tcg2_record_digest(const struct tcg2_record *rec, enum hash_alg alg);

/* One register to recompute: the caller fills index and alg, tcg2_replay() the rest. */
struct tcg2_register {
	uint32_t index;
	enum hash_alg alg;
	uint8_t value[HASH_MAX_SIZE];
	uint32_t extends; /* records that extended it */
};

/*
 * Recomputes registers from a log as the TPM would have them (PC Client PFP): each starts at
 * zero and becomes H(value || digest) for every record at its index except EV_NO_ACTION ones,
 * which extend nothing; a "StartupLocality" EV_NO_ACTION event at PCR 0 sets PCR 0's starting
 * value to its locality in the last byte. A record at a replayed index without a digest of the
 * register's algorithm is an error: the log cannot say what the register holds.
 */
int tcg2_replay(const void *log, size_t size, struct tcg2_register *regs, size_t count,
		struct error *e);

#endif
