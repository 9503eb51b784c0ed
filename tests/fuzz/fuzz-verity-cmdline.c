/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel command line as systemd splits it (cmdline_systemd_parse) and the root hashes
 * read from it (verity_cmdline_parse) on any text: words are no longer than the text and
 * number no more than its bytes; a line accepted has one value for each hash, the one every
 * roothash= / usrhash= word (rd. or not) gave, and a line refused had two that differ.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cmdline-systemd.h"
#include "basic/cmdline.h"
#include "basic/error.h"
#include "fuzz.h"
#include "measure/verity-cmdline.h"

struct walk {
	size_t len;
	unsigned words;
	const struct verity_cmdline *v; /* NULL on the first walk */
	const char *first[2];		/* the first roothash= and usrhash= values seen */
	char *seen[2];
	bool differ[2];
};

static int check_word(const char *key, const char *value, bool rd_prefix, void *userdata)
{
	struct walk *w = userdata;
	int i = strcmp(key, "roothash") == 0 ? 0 : strcmp(key, "usrhash") == 0 ? 1 : -1;

	fuzz_check(strlen(key) + (rd_prefix ? 3 : 0) + (value ? strlen(value) + 1 : 0) <= w->len,
		   "a word is no longer than the text");
	w->words++;
	fuzz_check(w->words <= w->len, "no more words than bytes");
	if (i < 0 || !value)
		return 0;
	if (w->v) {
		const char *got = i == 0 ? w->v->roothash : w->v->usrhash;

		fuzz_check(got && verity_hash_equal(got, value),
			   "an accepted line's hash is every value given for it");
	} else if (!w->seen[i]) {
		w->seen[i] = strdup(value);
		fuzz_check(w->seen[i], "strdup");
	} else if (!verity_hash_equal(w->seen[i], value)) {
		w->differ[i] = true;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct verity_cmdline v;
	struct error e = { 0 };
	struct walk w;
	char *text;
	int r;

	if (size > CMDLINE_SIZE_MAX)
		return 0;
	text = malloc(size + 1);
	fuzz_check(text, "malloc");
	memcpy(text, data, size);
	text[size] = '\0';

	w = (struct walk){ .len = strlen(text) };
	fuzz_check(cmdline_systemd_parse(text, check_word, &w, &e) == 0, "the walk succeeds");
	r = verity_cmdline_parse(text, &v, &e);
	if (r < 0) {
		fuzz_check(r == -EINVAL && e.msg[0], "a refusal says why");
		fuzz_check(w.differ[0] || w.differ[1], "a refused line had two different values");
	} else {
		fuzz_check(!w.differ[0] && !w.differ[1], "a line with two values is refused");
		fuzz_check(!v.roothash == !w.seen[0] && !v.usrhash == !w.seen[1],
			   "a hash is found where a value was given, and only there");
		free(w.seen[0]);
		free(w.seen[1]);
		w = (struct walk){ .len = strlen(text), .v = &v };
		fuzz_check(cmdline_systemd_parse(text, check_word, &w, &e) == 0, "the walk again");
		verity_cmdline_free(&v);
	}
	free(w.seen[0]);
	free(w.seen[1]);
	free(text);
	return 0;
}
