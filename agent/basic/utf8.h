/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_UTF8_H
#define MRBOOT_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * UTF-8 as RFC 3629 defines it (Unicode table 3-7): the shortest form only, no encoded
 * surrogates, nothing above U+10FFFF. JSON text, AAEL event text and the Trustee event-log
 * parser all demand exactly this.
 */

#define UTF8_MAX_SEQUENCE 4

/*
 * Decodes the sequence at s (n > 0 bytes available) into *cp and returns its length 1..4,
 * or -EILSEQ with *why set to a phrase naming the defect ("overlong encoding").
 */
int utf8_decode(const uint8_t *s, size_t n, uint32_t *cp, const char **why);

/*
 * Checks that n bytes are UTF-8. On -EILSEQ, *bad_offset is where the first bad sequence
 * starts and *why names the defect.
 */
int utf8_validate(const void *s, size_t n, size_t *bad_offset, const char **why);

/* Writes cp (a scalar value: not a surrogate, at most U+10FFFF) and returns its length. */
size_t utf8_encode(uint8_t out[UTF8_MAX_SEQUENCE], uint32_t cp);

#endif
