/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_NET_PEM_H
#define MRBOOT_NET_PEM_H

#include <stddef.h>
#include <stdint.h>

struct error;

/*
 * PEM text (RFC 7468) block by block. Text outside blocks is skipped, as RFC 7468 section 2
 * allows; inside a block only base64 lines are accepted (no RFC 1421 headers, no blank
 * lines), lines may end in CRLF or LF and carry trailing spaces, and the base64 must be
 * strict (padding, no stray bits). The END label must repeat the BEGIN label.
 */
#define PEM_LABEL_MAX 64
#define PEM_BLOCK_MAX (256 * 1024) /* decoded bytes of one block */

struct pem_reader {
	const char *text;
	size_t len;
	size_t pos;	/* start of the next line */
	unsigned line;	/* 1-based number of the line at pos */
	unsigned index; /* blocks returned so far */
};

struct pem_block {
	char label[PEM_LABEL_MAX + 1];
	uint8_t *der; /* malloc'ed, der_len bytes; the caller frees it */
	size_t der_len;
	unsigned index; /* 1-based position of the block in the text */
	unsigned line;	/* line of its BEGIN */
};

void pem_reader_init(struct pem_reader *r, const void *text, size_t len);

/*
 * The next block: 1 with *b filled, 0 after the last block, or -EINVAL for a malformed block
 * (the message names the block's index and line) and -ENOMEM.
 */
int pem_reader_next(struct pem_reader *r, struct pem_block *b, struct error *e);

#endif
