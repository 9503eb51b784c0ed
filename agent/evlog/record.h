/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_RECORD_H
#define MRBOOT_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "mr/mr.h"

struct error;
struct json_value;

/*
 * One measurement as mrboot logs it. Every event has a domain, an operation and a content
 * (mrboot's own: domain "mrboot", content a compact JSON object). What the register is
 * extended with follows the verifier of each register family:
 *  - TDX/CCA: the hash of the AAEL body of "domain operation content" (Trustee's parser);
 *  - TPM: the hash of the measured UTF-8 string, as systemd does: the content alone for an
 *    event given as a string (`mrboot extend --string`), else "domain operation content".
 */
#define RECORD_WORD_MAX 64

struct record_event {
	unsigned pcr; /* logical PCR: the UAPI registry's meaning */
	char domain[RECORD_WORD_MAX];
	char operation[RECORD_WORD_MAX];
	char event_type[RECORD_WORD_MAX]; /* systemd's eventType in tpm2-measure.log */
	char *content;			  /* owned; UTF-8 */
	bool string_style;
};

enum record_state {
	RECORD_PENDING,	  /* written ahead of the extend */
	RECORD_COMMITTED, /* the extend happened */
	RECORD_ABORTED,	  /* the extend did not happen; the event is not in the register */
};

struct record {
	uint64_t seq;
	enum record_state state;
	struct record_event event;
	enum mr_family family;
	unsigned index;		   /* register: PCR number, or RTMR/REM index */
	struct mr_digests digests; /* what the register was extended with */
	struct mr_digests before;  /* the register before the extend */
	struct mr_digests after;   /* and what the extend must make of it */
	uint64_t time_usec;	   /* CLOCK_REALTIME */
	char boot_id[40];
	char reason[160]; /* aborted: why */
};

/* Checks words and content (the AAEL rules Trustee enforces) and copies them into ev. */
int record_event_set(struct record_event *ev, unsigned pcr, const char *domain,
		     const char *operation, const char *content, bool string_style,
		     const char *event_type, struct error *e);
void record_event_free(struct record_event *ev);

/* The UTF-8 string a TPM bank hashes for this event (malloc()ed). */
int record_event_tpm_string(const struct record_event *ev, char **out, struct error *e);

/* The digests to extend a register of this family and these banks with. */
int record_event_digests(const struct record_event *ev, enum mr_family family,
			 const enum hash_alg *banks, unsigned n_banks, struct mr_digests *out,
			 struct error *e);

/* The JSON text of a pending record, and of the state record that settles it. */
int record_to_json(const struct record *r, char **out, size_t *len, struct error *e);
int record_state_to_json(uint64_t seq, enum record_state state, const char *reason, char **out,
			 size_t *len, struct error *e);

/*
 * Parses one journal record: either a whole pending record into r (state RECORD_PENDING),
 * or a state record (*is_state set; r->seq, r->state and r->reason filled).
 */
int record_from_json(const struct json_value *v, struct record *r, bool *is_state, struct error *e);

void record_free(struct record *r);

const char *record_state_name(enum record_state s);

#endif
