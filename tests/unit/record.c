/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * record_from_json() on journal records: the boot_id member against its field (40 bytes with
 * the NUL, record.h), starting from the record of tests/fuzz/corpus/record/crash-boot-id-cut,
 * the input that found the fault (argv[1]).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/error.h"
#include "evlog/record.h"
#include "json/json.h"
#include "tap.h"

static char *read_input(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(65536);

	if (!f || !buf) {
		tap_diag("cannot read %s", path);
		exit(1);
	}
	*len = fread(buf, 1, 65535, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/* The record with its boot_id value replaced by boot_id (written as a JSON string as is). */
static char *with_boot_id(const char *record, const char *boot_id)
{
	const char *start = strstr(record, "\"boot_id\":\""), *end;
	char *out;

	if (!start) {
		tap_diag("no boot_id member in the input");
		exit(1);
	}
	start += strlen("\"boot_id\":\"");
	end = strchr(start, '"');
	if (asprintf(&out, "%.*s%s%s", (int)(start - record), record, boot_id, end) < 0)
		exit(1);
	return out;
}

/* json_parse() and record_from_json() of text, as the event log reader runs them. */
static int parse_record(const char *text, struct record *r, struct error *e)
{
	const struct json_value *v;
	struct json_arena a;
	bool is_state = false;
	int k;

	json_arena_init(&a, 4 * strlen(text) + 4096);
	k = json_parse(&a, text, strlen(text), &v, e);
	if (k == 0)
		k = record_from_json(v, r, &is_state, e);
	json_arena_free(&a);
	return k;
}

static void test_boot_id_longer_than_its_field_is_refused(const char *crash)
{
	struct error e = { 0 };
	struct record r;
	int k;

	/*
	 * Its boot_id is 42 bytes, two 2-byte characters at bytes 37..40: cut to 39 bytes, it
	 * ended inside the second, and the record no longer wrote back as UTF-8.
	 */
	k = parse_record(crash, &r, &e);
	tap_ok(k == -EINVAL && strstr(e.msg, "member 'boot_id' is longer than 39 bytes"),
	       "a boot_id longer than its 39-byte field is refused, not cut");
	if (k != -EINVAL)
		tap_diag("k=%d message '%s'", k, e.msg);
	if (k == 0)
		record_free(&r);
}

static void test_boot_id_of_39_bytes_is_kept_whole(const char *crash)
{
	static const char id39[] = "0123456789abcdef0123456789abcdef0123456";
	char *text = with_boot_id(crash, id39);
	struct error e = { 0 };
	struct record r;
	int k;

	k = parse_record(text, &r, &e);
	tap_is_str(k == 0 ? r.boot_id : e.msg, id39,
		   "a boot_id of 39 bytes, the field's most, is kept whole");
	if (k == 0)
		record_free(&r);
	free(text);
}

static void test_kernel_boot_id_is_kept(const char *crash)
{
	/* /proc/sys/kernel/random/boot_id: a UUID of 36 characters. */
	static const char uuid[] = "0b9f2d6e-6c3c-4e0e-9a71-2a1e2f2d8b51";
	char *text = with_boot_id(crash, uuid);
	struct error e = { 0 };
	struct record r;
	int k;

	k = parse_record(text, &r, &e);
	tap_is_str(k == 0 ? r.boot_id : e.msg, uuid,
		   "the kernel's boot_id UUID is read back as is");
	if (k == 0)
		record_free(&r);
	free(text);
}

int main(int argc, char **argv)
{
	char *crash;
	size_t len;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CRASH-BOOT-ID-CUT\n", argv[0]);
		return 2;
	}
	crash = read_input(argv[1], &len);
	test_boot_id_longer_than_its_field_is_refused(crash);
	test_boot_id_of_39_bytes_is_kept_whole(crash);
	test_kernel_boot_id_is_kept(crash);
	free(crash);
	return tap_done();
}
