/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_JCS_H
#define MRBOOT_JCS_H

/*
 * The JSON Canonicalization Scheme (RFC 8785): one byte string per JSON value, so that both
 * ends of a protocol hash the same bytes. Trustee hashes the KBS runtime data in this form
 * and the TEE report binds the hash.
 */

#include "json/json.h"

struct error;

/* The longest number jcs_format_number() writes ("-0.0000012345678901234567"), NUL included. */
#define JCS_NUMBER_MAX 32

/*
 * d as ECMAScript's Number::toString writes it (RFC 8785 section 3.2.2.3): the shortest
 * digits that read back as d, plain up to 21 integer digits and down to 1e-6, exponent form
 * ("1e+21", "1.5e-7") beyond; -0 is "0". NaN and the infinities are not JSON: -EINVAL.
 */
int jcs_format_number(double d, char out[JCS_NUMBER_MAX], struct error *e);

/*
 * Writes v, a tree from json_parse(), in canonical form as one value of w: members sorted by
 * the UTF-16 code units of their names, no whitespace, strings escaped as RFC 8785 section
 * 3.2.2.2 says (json_writer_string() already does), numbers as jcs_format_number() writes
 * them. A number beyond the double range (1e400) fails w with -ERANGE.
 */
int jcs_write(struct json_writer *w, const struct json_value *v);

#endif
