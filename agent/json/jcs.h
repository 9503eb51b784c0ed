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

/*
 * Writes v, a tree from json_parse(), in canonical form as one value of w: members sorted by
 * the UTF-16 code units of their names, no whitespace, strings escaped as RFC 8785 section
 * 3.2.2.2 says (json_writer_string() already does), numbers as ECMAScript writes them.
 *
 * Numbers: integers of up to 15 digits only, which are exactly doubles and which ECMAScript
 * writes as their digits: the text as parsed, with "-0" as "0". Any other number (a
 * fraction, an exponent, 16 digits or more) fails w with -ERANGE naming it. mrboot
 * canonicalises only documents of its own (the KBS runtime data, its log's records), which
 * hold no such number; the shortest round-trip form a double needs (section 3.2.2.3) would
 * bring a float formatter and strtod into the static binary, about 10 KB, for nothing.
 */
int jcs_write(struct json_writer *w, const struct json_value *v);

#endif
