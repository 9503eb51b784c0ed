/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_EVLOG_CEL_H
#define MRBOOT_EVLOG_CEL_H

/*
 * CEL-TLV, the binary encoding of the TCG Canonical Event Log. Every field is a TLV: one type
 * byte, a u32 big-endian length, the value. A record is four top-level TLVs in this order:
 *
 *	recnum (type 0)          unsigned integer
 *	pcr (1) or nv_index (2)  unsigned integer
 *	digests (3)              nested TLVs, each typed by its TPM_ALG_ID, the digest as value
 *	content                  one content type: cel_mgt (4), pcclient_std (5),
 *	                         ima_template (7), ima_tlv (8), systemd (9)
 *
 * Integers are big-endian in as few bytes as hold them (at least one); the reader also takes
 * leading zero bytes, which fixed-width producers write. pcclient_std nests event_type (0, an
 * integer) and event_data (1, bytes), in that order. mrboot writes its events as pcclient_std
 * with event type EV_EVENT_TAG and the AAEL body (aael.h) as event data.
 *
 * recnum numbers the records of each PCR or NV index on its own, from 0 (CEL section 4.2.2,
 * as libcel's and pcclient_to_cel's encoders do it); struct cel_numbering keeps the count.
 */

#include <stdint.h>
#include <stddef.h>

#include "mr/mr.h"

struct error;

enum {
	CEL_TYPE_RECNUM = 0,
	CEL_TYPE_PCR = 1,
	CEL_TYPE_NV_INDEX = 2,
	CEL_TYPE_DIGESTS = 3,
	CEL_TYPE_CEL_MGT = 4,
	CEL_TYPE_PCCLIENT_STD = 5,
	CEL_TYPE_IMA_TEMPLATE = 7,
	CEL_TYPE_IMA_TLV = 8,
	CEL_TYPE_SYSTEMD = 9,
};

enum {
	CEL_PCCLIENT_EVENT_TYPE = 0,
	CEL_PCCLIENT_EVENT_DATA = 1,
};

#define CEL_TLV_HEADER_SIZE 5u
#define CEL_DIGESTS_MAX 8
#define CEL_RECORDS_MAX_DEFAULT 65536u
/* Distinct PCRs and NV indices one log may name: 24 PCRs and a few NV indices in practice. */
#define CEL_HANDLES_MAX 64

struct cel_index_count {
	uint8_t handle_type; /* CEL_TYPE_PCR or CEL_TYPE_NV_INDEX */
	uint32_t handle;
	uint64_t next;
};

/* Per-index record numbers; zero-initialise it. */
struct cel_numbering {
	unsigned count;
	struct cel_index_count index[CEL_HANDLES_MAX];
};

/*
 * Sets *recnum to the number the next record of this PCR or NV index gets, and counts it.
 * -E2BIG past CEL_HANDLES_MAX distinct indices.
 */
int cel_numbering_next(struct cel_numbering *n, uint8_t handle_type, uint32_t handle,
		       uint64_t *recnum, struct error *e);

/*
 * Writes one record with pcclient_std content into buf (cap bytes); *written gets its size.
 * handle_type is CEL_TYPE_PCR or CEL_TYPE_NV_INDEX. -ENOBUFS when cap is too small (with
 * *written set to the size needed), -EINVAL for bad arguments.
 */
int cel_pcclient_write(uint8_t *buf, size_t cap, uint64_t recnum, uint8_t handle_type,
		       uint32_t handle, const struct mr_digests *digests, uint32_t event_type,
		       const void *event, size_t event_size, size_t *written, struct error *e);

/*
 * mrboot's record of one extend: pcclient_std, EV_EVENT_TAG, the AAEL body of the three parts
 * written in place. The digests are the ones the register was extended with, which the caller
 * knows from its canonical record: for a CC register the hash of the body (aael_digest()), for
 * a TPM PCR what the TPM convention measured.
 */
int cel_aael_event_write(uint8_t *buf, size_t cap, uint64_t recnum, uint32_t pcr,
			 const struct mr_digests *digests, const char *domain,
			 const char *operation, const char *content, size_t *written,
			 struct error *e);

struct cel_digest {
	uint16_t alg_id; /* TPM_ALG_ID */
	uint16_t size;
	const uint8_t *bytes;
};

/* One record; the pointers point into the log. */
struct cel_record {
	uint32_t number; /* 1 for the first record */
	size_t offset;	 /* of its recnum TLV */
	size_t size;	 /* bytes of its four TLVs */
	uint64_t recnum;
	uint8_t handle_type; /* CEL_TYPE_PCR or CEL_TYPE_NV_INDEX */
	uint32_t handle;
	unsigned digest_count;
	struct cel_digest digests[CEL_DIGESTS_MAX];
	uint8_t content_type;
	const uint8_t *content; /* the content TLV's value */
	uint32_t content_size;
	/* pcclient_std only: */
	uint32_t event_type;
	const uint8_t *event_data;
	uint32_t event_data_size;
};

/* A caller-owned cursor over one log. */
struct cel_reader {
	const uint8_t *data;
	size_t size;
	size_t pos;
	uint32_t records;
	uint32_t max_records;
	struct cel_numbering numbering;
};

/* data (size bytes) must stay valid while the reader is used; max_records 0 is the default. */
void cel_reader_init(struct cel_reader *r, const void *data, size_t size, uint32_t max_records);

/*
 * Parses the next record: returns 1, or 0 at the end of the data, or a negative errno
 * (-EBADMSG for malformed data, with the record number, the byte offset and the field;
 * -E2BIG past max_records). Refused: a cut-off TLV header, a length past the end of the data
 * or of the enclosing TLV, a field out of order or of an unknown type, an integer of 0 bytes or
 * wider than its field, a digest of an unknown algorithm or of the wrong size or twice, a
 * record without digests unless it is cel_mgt, and a recnum out of its index's sequence.
 */
int cel_reader_next(struct cel_reader *r, struct cel_record *rec, struct error *e);

#endif
