/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "basic/encoding.h"

#include <errno.h>

#include "basic/error.h"

static const char hex_digits[] = "0123456789abcdef";

void hex_encode(char *out, const void *in, size_t n)
{
	const uint8_t *b = in;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex_digits[b[i] >> 4];
		out[2 * i + 1] = hex_digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

int hex_digit_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_decode(void *out, size_t cap, const char *in, size_t len, size_t *outlen, struct error *e)
{
	uint8_t *b = out;

	if (len % 2)
		return error_set(e, -EINVAL, "hex string has an odd number of digits (%zu)", len);
	if (len / 2 > cap)
		return error_set(e, -EMSGSIZE, "hex string of %zu bytes exceeds the %zu expected",
				 len / 2, cap);
	for (size_t i = 0; i < len; i += 2) {
		int hi = hex_digit_value(in[i]), lo = hex_digit_value(in[i + 1]);

		if (hi < 0 || lo < 0)
			return error_set(e, -EINVAL, "invalid hex digit at offset %zu",
					 hi < 0 ? i : i + 1);
		b[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*outlen = len / 2;
	return 0;
}

static const char *base64_alphabet(enum base64_variant v)
{
	return v == BASE64_URL ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
			       : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

size_t base64_encoded_len(size_t n, enum base64_variant v)
{
	if (v == BASE64_STD)
		return (n + 2) / 3 * 4;
	return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

size_t base64_decoded_max(size_t len)
{
	return len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
}

void base64_encode(char *out, const void *in, size_t n, enum base64_variant v)
{
	const char *a = base64_alphabet(v);
	const uint8_t *b = in;
	size_t i = 0, o = 0;

	for (; i + 3 <= n; i += 3) {
		uint32_t w = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8 | b[i + 2];

		out[o++] = a[w >> 18];
		out[o++] = a[w >> 12 & 63];
		out[o++] = a[w >> 6 & 63];
		out[o++] = a[w & 63];
	}
	if (i < n) {
		uint32_t w = (uint32_t)b[i] << 16 | (i + 1 < n ? (uint32_t)b[i + 1] << 8 : 0);

		out[o++] = a[w >> 18];
		out[o++] = a[w >> 12 & 63];
		if (i + 1 < n)
			out[o++] = a[w >> 6 & 63];
		else if (v == BASE64_STD)
			out[o++] = '=';
		if (v == BASE64_STD)
			out[o++] = '=';
	}
	out[o] = '\0';
}

static int base64_value(char c, enum base64_variant v)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (v == BASE64_URL ? '-' : '+'))
		return 62;
	if (c == (v == BASE64_URL ? '_' : '/'))
		return 63;
	return -1;
}

int base64_decode(void *out, size_t cap, const char *in, size_t len, enum base64_variant v,
		  size_t *outlen, struct error *e)
{
	const char *name = v == BASE64_URL ? "base64url" : "base64";
	uint8_t *b = out;
	size_t data = len, n = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	if (v == BASE64_STD) {
		if (len % 4)
			return error_set(e, -EINVAL, "%s length %zu is not a multiple of 4", name,
					 len);
		/* At most two '=' and only at the end: any other '=' fails as a character. */
		while (data > 0 && len - data < 2 && in[data - 1] == '=')
			data--;
	} else if (len % 4 == 1) {
		return error_set(e, -EINVAL, "%s length %zu cannot encode whole bytes", name, len);
	}
	if (base64_decoded_max(data) > cap)
		return error_set(e, -EMSGSIZE, "%s data of %zu bytes exceeds the %zu expected",
				 name, base64_decoded_max(data), cap);
	for (size_t i = 0; i < data; i++) {
		int x = base64_value(in[i], v);

		if (x < 0)
			return error_set(e, -EINVAL, "invalid %s character at offset %zu", name, i);
		acc = acc << 6 | (uint32_t)x;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			b[n++] = (uint8_t)(acc >> bits);
		}
	}
	if (acc & ((1u << bits) - 1))
		return error_set(e, -EINVAL,
				 "%s has non-zero bits after the last byte (offset %zu)", name,
				 data - 1);
	*outlen = n;
	return 0;
}
