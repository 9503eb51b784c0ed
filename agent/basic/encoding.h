/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_ENCODING_H
#define MRBOOT_ENCODING_H

#include <stddef.h>
#include <stdint.h>

struct error;

/*
 * Hex and base64 in the forms the protocols use. Decoders are strict: they accept exactly
 * one spelling of each byte string and name the offset of the first character they reject.
 */

/* Lowercase hex of n bytes into out, which holds 2n + 1 chars (NUL-terminated). */
void hex_encode(char *out, const void *in, size_t n);

/* The value of one hex digit (either case), or -1. */
int hex_digit_value(int c);

/* Decodes len hex digits (either case) into out (cap bytes); *outlen gets the byte count. */
int hex_decode(void *out, size_t cap, const char *in, size_t len, size_t *outlen, struct error *e);

enum base64_variant {
	BASE64_STD, /* RFC 4648 section 4, '=' padding required (the KBS nonce, evidence) */
	BASE64_URL, /* RFC 4648 section 5 without padding, as JOSE (RFC 7515 section 2) uses it */
};

/* Characters base64_encode() writes for n bytes, without the NUL. */
size_t base64_encoded_len(size_t n, enum base64_variant v);

/* Largest number of bytes len characters can decode to. */
size_t base64_decoded_max(size_t len);

/* Encodes n bytes into out, which holds base64_encoded_len() + 1 chars (NUL-terminated). */
void base64_encode(char *out, const void *in, size_t n, enum base64_variant v);

/*
 * Decodes len characters into out (cap bytes). Rejects characters outside the variant's
 * alphabet, whitespace, wrong or missing padding, and non-zero bits after the last byte
 * (so no two strings decode to the same bytes).
 */
int base64_decode(void *out, size_t cap, const char *in, size_t len, enum base64_variant v,
		  size_t *outlen, struct error *e);

#endif
