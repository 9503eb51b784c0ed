/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * aael_parse() on any bytes as an EV_EVENT_TAG body. The three parts must cover the text
 * exactly; when they are parts mrboot would write (aael_validate()), aael_body_write() must
 * give back the same bytes and aael_digest() the hash of them.
 */
#include <errno.h>
#include <string.h>

#include "basic/error.h"
#include "evlog/aael.h"
#include "fuzz.h"
#include "crypto/hash.h"

static char *part(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	fuzz_check(s, "malloc");
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t digest[HASH_MAX_SIZE], want[HASH_MAX_SIZE];
	struct aael_view v;
	struct error e = { 0 };
	char *domain, *operation, *content;
	size_t written = 0;
	uint8_t *body;

	if (aael_parse(data, size, &v, &e) < 0) {
		fuzz_check(e.code == -EBADMSG && e.msg[0], "a refusal is -EBADMSG saying why");
		return 0;
	}
	fuzz_check(AAEL_HEADER_SIZE + v.domain_len + 1 + v.operation_len + 1 + v.content_len ==
			   size,
		   "the parts and their two spaces cover the text");
	fuzz_check((const uint8_t *)v.domain == data + AAEL_HEADER_SIZE &&
			   v.operation == v.domain + v.domain_len + 1 &&
			   v.content == v.operation + v.operation_len + 1,
		   "the parts follow each other");
	fuzz_check(!memchr(v.domain, ' ', v.domain_len) &&
			   !memchr(v.operation, ' ', v.operation_len),
		   "the domain and the operation hold no space");

	domain = part(v.domain, v.domain_len);
	operation = part(v.operation, v.operation_len);
	content = part(v.content, v.content_len);
	if (strlen(domain) == v.domain_len && strlen(operation) == v.operation_len &&
	    strlen(content) == v.content_len &&
	    aael_validate(domain, operation, content, &e) == 0) {
		fuzz_check(aael_body_size(domain, operation, content) == size, "aael_body_size()");
		body = malloc(size);
		fuzz_check(body, "malloc");
		fuzz_check(aael_body_write(body, size, domain, operation, content, &written, &e) ==
					   0 &&
				   written == size && memcmp(body, data, size) == 0,
			   "the parts write back to the same body");
		for (int alg = 0; alg < HASH_ALG_COUNT; alg++) {
			fuzz_check(aael_digest((enum hash_alg)alg, domain, operation, content,
					       digest, &e) == 0,
				   "a valid event has a digest");
			hash_buffer((enum hash_alg)alg, data, size, want);
			fuzz_check(memcmp(digest, want, hash_info((enum hash_alg)alg)->size) == 0,
				   "the digest is the hash of the body");
		}
		free(body);
	}
	free(domain);
	free(operation);
	free(content);
	return 0;
}
