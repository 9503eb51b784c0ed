/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pem.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "basic/encoding.h"
#include "basic/error.h"

void pem_reader_init(struct pem_reader *r, const void *text, size_t len)
{
	*r = (struct pem_reader){ .text = text, .len = len, .line = 1 };
}

/* The line at r->pos without its line end and trailing blanks; advances r past it. */
static void next_line(struct pem_reader *r, const char **line, size_t *len)
{
	const char *s = r->text + r->pos;
	const char *nl = memchr(s, '\n', r->len - r->pos);
	size_t n = nl ? (size_t)(nl - s) : r->len - r->pos;

	r->pos += nl ? n + 1 : n;
	r->line++;
	while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	*line = s;
	*len = n;
}

/* "-----<word> <label>-----": the label, or NULL when the line is not such a boundary. */
static const char *boundary_label(const char *line, size_t len, const char *word, size_t *label_len)
{
	size_t w = strlen(word);

	if (len < 10 + w + 1 || memcmp(line, "-----", 5) != 0 || memcmp(line + 5, word, w) != 0 ||
	    line[5 + w] != ' ' || memcmp(line + len - 5, "-----", 5) != 0)
		return NULL;
	*label_len = len - 10 - w - 1;
	return line + 5 + w + 1;
}

static bool label_valid(const char *label, size_t len)
{
	if (len == 0 || len > PEM_LABEL_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (label[i] < 0x20 || label[i] > 0x7e)
			return false;
	return true;
}

/*
 * Walks the block body from r (just past BEGIN) to its END line: checks every line and,
 * with out non-NULL, copies the base64 characters; *chars gets their count.
 */
static int body_scan(struct pem_reader *r, const struct pem_block *b, char *out, size_t *chars,
		     struct error *e)
{
	const char *line, *label;
	size_t len, label_len;

	*chars = 0;
	while (r->pos < r->len) {
		unsigned number = r->line;

		next_line(r, &line, &len);
		label = boundary_label(line, len, "END", &label_len);
		if (label) {
			if (label_len != strlen(b->label) ||
			    memcmp(label, b->label, label_len) != 0)
				return error_set(
					e, -EINVAL,
					"PEM block %u (line %u): END line %u does not match '%s'",
					b->index, b->line, number, b->label);
			return 0;
		}
		if (len == 0 || memchr(line, ':', len) || memchr(line, '-', len) ||
		    memchr(line, ' ', len) || memchr(line, '\t', len))
			return error_set(
				e, -EINVAL,
				"PEM block %u (line %u): line %u is not base64 (blank line, header or stray boundary)",
				b->index, b->line, number);
		if (*chars + len > (size_t)PEM_BLOCK_MAX / 3 * 4 + 4)
			return error_set(e, -EINVAL, "PEM block %u (line %u): larger than %d bytes",
					 b->index, b->line, PEM_BLOCK_MAX);
		if (out)
			memcpy(out + *chars, line, len);
		*chars += len;
	}
	return error_set(e, -EINVAL, "PEM block %u (line %u): no END line", b->index, b->line);
}

static int block_decode(struct pem_reader *r, struct pem_block *b, struct error *e)
{
	struct pem_reader start = *r;
	size_t chars, n;
	char *text;
	int ret;

	ret = body_scan(r, b, NULL, &chars, e);
	if (ret < 0)
		return ret;
	text = malloc(chars + 1);
	b->der = malloc(base64_decoded_max(chars) + 1);
	if (!text || !b->der) {
		free(text);
		free(b->der);
		b->der = NULL;
		return error_set(e, -ENOMEM, "PEM block %u: out of memory", b->index);
	}
	*r = start;
	body_scan(r, b, text, &chars, e);
	ret = base64_decode(b->der, base64_decoded_max(chars) + 1, text, chars, BASE64_STD, &n, e);
	free(text);
	if (ret < 0) {
		free(b->der);
		b->der = NULL;
		error_prefix(e, "PEM block %u (line %u)", b->index, b->line);
		return ret;
	}
	b->der_len = n;
	return 0;
}

int pem_reader_next(struct pem_reader *r, struct pem_block *b, struct error *e)
{
	const char *line, *label;
	size_t len, label_len;
	int ret;

	while (r->pos < r->len) {
		unsigned number = r->line;

		next_line(r, &line, &len);
		if (boundary_label(line, len, "END", &label_len))
			return error_set(e, -EINVAL, "PEM line %u: END line without BEGIN", number);
		label = boundary_label(line, len, "BEGIN", &label_len);
		if (!label)
			continue; /* explanatory text */
		*b = (struct pem_block){ .index = ++r->index, .line = number };
		if (!label_valid(label, label_len))
			return error_set(e, -EINVAL, "PEM block %u (line %u): bad label", b->index,
					 number);
		memcpy(b->label, label, label_len);
		b->label[label_len] = '\0';
		ret = block_decode(r, b, e);
		return ret < 0 ? ret : 1;
	}
	return 0;
}
