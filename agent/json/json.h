/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_JSON_H
#define MRBOOT_JSON_H

/*
 * JSON (RFC 8259) for untrusted input and for the documents mrboot sends: a strict parser
 * that builds a tree in a caller-owned arena, and a streaming writer into a growable buffer.
 *
 * The parser accepts exactly RFC 8259's grammar and refuses everything its section 9 leaves
 * to the implementation: invalid UTF-8, unpaired surrogate escapes, duplicate member names
 * (an ambiguity attack: two consumers may pick different values), nesting deeper than
 * JSON_MAX_DEPTH, and any byte after the document but whitespace. A rejection names the
 * byte offset and the problem.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/error.h"

/* Containers nested deeper than this are refused by the parser and the writer. */
#define JSON_MAX_DEPTH 64

/*
 * Where a parsed tree lives. Blocks are malloc()ed as the parse needs them until budget
 * bytes (block headers included) are in use; json_arena_free() releases the whole tree.
 * Each value takes a 64-byte node (on a 64-bit machine) plus its decoded text, and an object
 * 8 bytes a member for its sorted index. The densest input, an array of one-digit numbers,
 * needs 36 bytes per input byte; a budget of 64 times the input length leaves room for the
 * ends of blocks left unused.
 */
struct json_arena {
	struct json_arena_block *blocks;
	size_t budget; /* most bytes to malloc() */
	size_t used;   /* bytes malloc()ed so far */
};

void json_arena_init(struct json_arena *a, size_t budget);

/* Frees every tree parsed into a and leaves it initialised with the same budget. */
void json_arena_free(struct json_arena *a);

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json_value {
	enum json_type type;
	size_t offset;		 /* where the value starts in the parsed input */
	struct json_value *next; /* next array element or object member, in document order */
	const char *key;	 /* member name (NUL-terminated, may also hold NULs), else NULL */
	size_t key_len;
	union {
		bool boolean;
		struct {
			const char *text; /* as written in the input, NUL-terminated */
			size_t len;
		} number;
		struct {
			const char *data; /* decoded UTF-8, NUL-terminated, may also hold NULs */
			size_t len;
		} string;
		struct {
			struct json_value *first; /* document order */
			size_t count;
			/* objects only: the members sorted as RFC 8785 sorts names (UTF-16) */
			struct json_value **sorted;
		} container;
	} u;
};

/* Every element of an array or member of an object, in document order. */
#define json_foreach(item, parent) \
	for ((item) = (parent)->u.container.first; (item); (item) = (item)->next)

/*
 * Parses len bytes (no NUL terminator needed) into a tree in a. Errors: -EINVAL for input
 * that is not strict JSON, -ENOBUFS when the tree would exceed the arena's budget, -ENOMEM.
 * The message starts "offset N: ". On failure, what was allocated stays in a until
 * json_arena_free().
 */
int json_parse(struct json_arena *a, const void *buf, size_t len, const struct json_value **ret,
	       struct error *e);

/* "a string", "an object", ...: for messages. */
const char *json_type_name(enum json_type type);

/* The member named key (a C string), or NULL if there is none or obj is not an object. */
const struct json_value *json_object_get(const struct json_value *obj, const char *key);

/*
 * Numbers. The integer getters accept only an optional '-' and digits (no fraction, no
 * exponent, so "1.0" and "1e3" are refused) and fail with -ERANGE outside the type.
 * json_get_double() fails with -ERANGE when the number is beyond the double range.
 * -EINVAL when v is not a number. Messages quote the number.
 */
int json_get_int64(const struct json_value *v, int64_t *ret, struct error *e);
int json_get_uint64(const struct json_value *v, uint64_t *ret, struct error *e);
int json_get_double(const struct json_value *v, double *ret, struct error *e);

/*
 * Typed members of obj: -ENOENT when key is missing, -EINVAL when it has another type, and
 * the number getters' errors; the message names the member ("member 'nonce' is a number,
 * expected a string"), the caller adds where the object came from. For strings, with
 * ret_len NULL the caller wants a C string and one holding a NUL (\u0000) is refused.
 */
int json_object_get_string(const struct json_value *obj, const char *key, const char **ret,
			   size_t *ret_len, struct error *e);
int json_object_get_int64(const struct json_value *obj, const char *key, int64_t *ret,
			  struct error *e);
int json_object_get_uint64(const struct json_value *obj, const char *key, uint64_t *ret,
			   struct error *e);
int json_object_get_bool(const struct json_value *obj, const char *key, bool *ret, struct error *e);
int json_object_get_object(const struct json_value *obj, const char *key,
			   const struct json_value **ret, struct error *e);
int json_object_get_array(const struct json_value *obj, const char *key,
			  const struct json_value **ret, struct error *e);

/*
 * Orders member names as RFC 8785 section 3.2.3 does, by UTF-16 code units; both are valid
 * UTF-8. <0, 0, >0 as memcmp().
 */
int json_name_compare(const char *a, size_t alen, const char *b, size_t blen);

/*
 * The writer: compact JSON into a heap buffer it grows up to max bytes. A buffer rather than
 * a FILE: an HTTP body needs its Content-Length before it is sent, and a JSON-SEQ record must
 * reach the log in one write() or not at all, never as the part written before an error.
 *
 * Each call returns 0 or a negative errno. The first failure (misuse such as a key outside
 * an object or an unbalanced end: -EINVAL; invalid UTF-8: -EILSEQ; more than max bytes:
 * -EMSGSIZE; -ENOMEM) is kept with its message, every later call returns it again without
 * writing, and json_writer_finish() reports it: a sequence of calls can be checked once.
 */
struct json_writer {
	char *buf;  /* the document so far, NUL-terminated once anything is written */
	size_t len; /* bytes in buf, without the NUL */
	size_t cap;
	size_t max;
	unsigned depth;
	uint64_t objects;   /* bit d - 1 set: the container at depth d is an object */
	bool comma;	    /* the current container already holds a value */
	bool key_pending;   /* a member name was written, its value not yet */
	bool complete;	    /* the top-level value is written */
	struct error error; /* the first failure; code 0 if none */
};

void json_writer_init(struct json_writer *w, size_t max);
void json_writer_free(struct json_writer *w);

int json_writer_begin_object(struct json_writer *w);
int json_writer_end_object(struct json_writer *w);
int json_writer_begin_array(struct json_writer *w);
int json_writer_end_array(struct json_writer *w);

/* A member name; the next call must write its value. */
int json_writer_key(struct json_writer *w, const char *key);
int json_writer_key_len(struct json_writer *w, const char *key, size_t len);

/*
 * String values. Escaped as RFC 8785 section 3.2.2.2 prescribes (which RFC 8259 allows):
 * " and \ and the controls, with \b \t \n \f \r where they exist and \u00xx otherwise;
 * everything else as literal UTF-8.
 */
int json_writer_string(struct json_writer *w, const char *s);
int json_writer_string_len(struct json_writer *w, const char *s, size_t len);

int json_writer_int64(struct json_writer *w, int64_t v);
int json_writer_uint64(struct json_writer *w, uint64_t v);
int json_writer_bool(struct json_writer *w, bool v);
int json_writer_null(struct json_writer *w);

/*
 * One value given as JSON text the caller vouches for (a number in canonical form, a
 * document made by another writer); written as is.
 */
int json_writer_raw(struct json_writer *w, const char *json, size_t len);

/* Records a failure found by a layer above, so that finish refuses the document. */
int json_writer_fail(struct json_writer *w, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * 0 when exactly one complete value was written and nothing failed; then w->buf and w->len
 * hold the document. Otherwise the first failure, or -EINVAL for an unfinished document.
 */
int json_writer_finish(struct json_writer *w, struct error *e);

#endif
