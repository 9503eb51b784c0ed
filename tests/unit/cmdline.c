/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The expected splits follow the kernel's next_arg() rules as documented in cmdline.h, worked
 * out by hand for each line: the kernel is the reference, not this implementation.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cmdline.h"
#include "basic/error.h"
#include "tap.h"

#define MAX_PARAMS 8

struct collected {
	unsigned count;
	const char *key[MAX_PARAMS];
	const char *value[MAX_PARAMS];
	unsigned stop_after; /* return 42 after this many calls; 0 never */
};

static int collect(const char *key, const char *value, void *userdata)
{
	struct collected *c = userdata;

	if (c->count < MAX_PARAMS) {
		c->key[c->count] = key;
		c->value[c->count] = value;
	}
	c->count++;
	return c->stop_after && c->count == c->stop_after ? 42 : 0;
}

/* Splits line, a copy of which stays alive in buf for the checks that follow. */
static int split(char *buf, size_t size, const char *line, struct collected *c, struct error *e)
{
	memset(c, 0, sizeof(*c));
	snprintf(buf, size, "%s", line);
	return cmdline_parse(buf, collect, c, e);
}

/* Checks that line splits into exactly the n (key, value) pairs given. */
static void check_split(const char *line, unsigned n, const char *const *pairs, const char *what)
{
	struct error e = { 0 };
	struct collected c;
	char buf[256];
	int ok, r = split(buf, sizeof(buf), line, &c, &e);

	ok = r == 0 && c.count == n;
	for (unsigned i = 0; ok && i < n; i++) {
		const char *key = pairs[2 * i], *value = pairs[2 * i + 1];

		ok = strcmp(c.key[i], key) == 0 &&
		     (value ? c.value[i] && strcmp(c.value[i], value) == 0 : !c.value[i]);
	}
	tap_ok(ok, "%s", what);
	if (!ok) {
		tap_diag("line '%s': r=%d count=%u (want %u) %s", line, r, c.count, n, e.msg);
		for (unsigned i = 0; i < c.count && i < MAX_PARAMS; i++)
			tap_diag("  [%u] '%s' = %s%s%s", i, c.key[i], c.value[i] ? "'" : "",
				 c.value[i] ? c.value[i] : "NULL", c.value[i] ? "'" : "");
	}
}

#define SPLIT(line, what, ...)                                                        \
	do {                                                                          \
		static const char *const pairs[] = { __VA_ARGS__ };                   \
		check_split(line, sizeof(pairs) / sizeof(pairs[0]) / 2, pairs, what); \
	} while (0)

static void test_split(void)
{
	struct error e = { 0 };
	struct collected c;
	char buf[64];

	tap_ok(split(buf, sizeof(buf), "", &c, &e) == 0 && c.count == 0,
	       "an empty line has no parameters");
	tap_ok(split(buf, sizeof(buf), " \t\n ", &c, &e) == 0 && c.count == 0,
	       "a line of whitespace has no parameters");

	SPLIT("quiet ro", "a parameter without '=' has a NULL value", "quiet", NULL, "ro", NULL);
	SPLIT("root=/dev/vda1 console=ttyS0", "key=value pairs split at '='", "root", "/dev/vda1",
	      "console", "ttyS0");
	SPLIT("  a=1 \t\n b=2  ", "leading, repeated and trailing whitespace separates", "a", "1",
	      "b", "2");
	SPLIT("a\xa0"
	      "b",
	      "byte 0xa0 separates, as the kernel's Latin-1 isspace() says", "a", NULL, "b", NULL);
	SPLIT("a\vb\fc\rd", "\\v, \\f and \\r separate", "a", NULL, "b", NULL, "c", NULL, "d",
	      NULL);
	SPLIT("a= b", "a trailing '=' gives an empty value", "a", "", "b", NULL);
	SPLIT("a=b=c", "the key ends at the first '='", "a", "b=c");
	SPLIT("=a=b", "a '=' in first place belongs to the key (next_arg quirk)", "=a", "b");
	SPLIT("=a", "a parameter starting with '=' and no other has no value", "=a", NULL);
}

static void test_quotes(void)
{
	SPLIT("a=\"b c\" d", "a quoted value keeps its spaces and loses its quotes", "a", "b c",
	      "d", NULL);
	SPLIT("\"a=b c\" d", "a parameter quoted whole loses its quotes", "a", "b c", "d", NULL);
	SPLIT("\"a b\"", "a quoted parameter without '=' is one key", "a b", NULL);
	SPLIT("a=\"\"", "a=\"\" has an empty value", "a", "");
	SPLIT("\"a=\"", "\"a=\" has an empty value", "a", "");
	SPLIT("\"\"", "\"\" is an empty key", "", NULL);
	SPLIT("a=\"b\"c", "a value's inner quote stays when the last byte is not a quote", "a",
	      "b\"c");
	SPLIT("a=b\"c d\" e", "quotes inside a value group spaces but are kept", "a", "b\"c d\"",
	      "e", NULL);
	SPLIT("a\"b c\"=d", "quotes inside a key group spaces but are kept", "a\"b c\"", "d");
}

static void test_dashes(void)
{
	SPLIT("a -- b=c", "parameters end at a bare --", "a", NULL);
	SPLIT("a \"--\" b", "a quoted -- also ends the parameters", "a", NULL);
	SPLIT("a --=x b", "--=x is a parameter, not the end", "a", NULL, "--", "x", "b", NULL);
	SPLIT("a --b c", "--b is a parameter, not the end", "a", NULL, "--b", NULL, "c", NULL);
}

static void test_errors(void)
{
	struct error e = { 0 };
	struct collected c;
	char buf[64];
	int r;

	r = split(buf, sizeof(buf), "a=1 b=\"c d", &c, &e);
	tap_is_int(r, -EINVAL, "an unterminated quote is an error");
	tap_ok(strstr(e.msg, "unterminated") && strstr(e.msg, "byte 6"),
	       "the message names the byte offset of the open quote");
	tap_is_int(c.count, 0, "nothing is passed on from a line with an unterminated quote");

	r = split(buf, sizeof(buf), "a \"b c", &c, &e);
	tap_ok(r == -EINVAL && strstr(e.msg, "byte 2"),
	       "an open quote starting a parameter is named by its offset");

	r = split(buf, sizeof(buf), "a=\"b\" c=\"d", &c, &e);
	tap_ok(r == -EINVAL && strstr(e.msg, "byte 8"),
	       "the offset is that of the quote left open, not an earlier closed one");

	r = split(buf, sizeof(buf), "-- a", &c, &e);
	tap_ok(r == 0 && c.count == 0, "a leading -- leaves no parameters");

	r = split(buf, sizeof(buf), "a -- \"b", &c, &e);
	tap_ok(r == 0 && c.count == 1, "an open quote after -- is init's, not an error");

	memset(&c, 0, sizeof(c));
	c.stop_after = 2;
	snprintf(buf, sizeof(buf), "a b c");
	r = cmdline_parse(buf, collect, &c, &e);
	tap_is_int(r, 42, "a non-zero return from the callback is returned");
	tap_is_int(c.count, 2, "a non-zero return from the callback stops the walk");
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");

	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		tap_diag("cannot write %s", path);
		exit(1);
	}
}

static void test_read(void)
{
	char dir[] = "/tmp/test-cmdline.XXXXXX", proc[64], path[96], root_slash[64];
	struct error e = { 0 };
	char *text = NULL, *big;
	int r;

	if (!mkdtemp(dir)) {
		tap_skip("mkdtemp failed");
		return;
	}
	snprintf(proc, sizeof(proc), "%s/proc", dir);
	snprintf(path, sizeof(path), "%s/proc/cmdline", dir);

	r = cmdline_read(dir, &text, &e);
	tap_is_int(r, -ENOENT, "a missing <root>/proc/cmdline is an error");
	tap_ok(strstr(e.msg, path) != NULL, "the message names the path under the root");

	mkdir(proc, 0755);
	write_file(path, "a=1 b\n", 6);
	r = cmdline_read(dir, &text, &e);
	tap_ok(r == 0 && text && strcmp(text, "a=1 b") == 0,
	       "<root>/proc/cmdline is read without its trailing newline");
	free(text);
	text = NULL;

	snprintf(root_slash, sizeof(root_slash), "%s/", dir);
	r = cmdline_read(root_slash, &text, &e);
	tap_ok(r == 0 && text && strcmp(text, "a=1 b") == 0,
	       "a root with a trailing slash reads the same file");
	free(text);
	text = NULL;

	write_file(path, "a\0b\n", 4);
	r = cmdline_read(dir, &text, &e);
	tap_ok(r == -EINVAL && strstr(e.msg, "NUL"), "a NUL byte in the file is refused");

	big = malloc(CMDLINE_SIZE_MAX + 1);
	memset(big, 'x', CMDLINE_SIZE_MAX + 1);
	write_file(path, big, CMDLINE_SIZE_MAX);
	r = cmdline_read(dir, &text, &e);
	tap_ok(r == 0 && text && strlen(text) == CMDLINE_SIZE_MAX,
	       "a file of exactly CMDLINE_SIZE_MAX bytes is read");
	free(text);
	text = NULL;

	write_file(path, big, CMDLINE_SIZE_MAX + 1);
	r = cmdline_read(dir, &text, &e);
	tap_ok(r == -EFBIG && strstr(e.msg, path) && strstr(e.msg, "larger"),
	       "a file over CMDLINE_SIZE_MAX bytes is refused, naming the path");
	free(big);

	unlink(path);
	rmdir(proc);
	rmdir(dir);
}

int main(void)
{
	test_split();
	test_quotes();
	test_dashes();
	test_errors();
	test_read();
	return tap_done();
}
