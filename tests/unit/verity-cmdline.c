/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The root hash as systemd reads it in the initrd. The expected words and hashes were worked
 * out by hand from extract_first_word() (src/basic/extract-word.c) and the veritysetup
 * generator's parse_proc_cmdline_item() (systemd v252.39 and v257.13), and the same lines run
 * through the real generators in tests/witness/verity-witness.py: systemd is the reference here,
 * not this implementation, and not the kernel's splitting (unit/cmdline.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cmdline-systemd.h"
#include "basic/error.h"
#include "evlog/record.h"
#include "measure/events.h"
#include "tap.h"
#include "measure/verity-cmdline.h"

#define H64(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
#define A H64("aa")
#define B H64("bb")
#define A_UPPER H64("AA")

/* ---- the words, as systemd splits them ----------------------------------------------- */

struct words {
	char text[512];
	size_t len;
};

/* Each word as "[rd.]key=value|" or "[rd.]key|" (no value), one string to compare. */
static int collect_word(const char *key, const char *value, bool rd_prefix, void *userdata)
{
	struct words *w = userdata;
	int n = snprintf(w->text + w->len, sizeof(w->text) - w->len, "%s%s%s%s|",
			 rd_prefix ? "rd." : "", key, value ? "=" : "", value ? value : "");

	if (n > 0 && (size_t)n < sizeof(w->text) - w->len)
		w->len += (size_t)n;
	return 0;
}

static void check_words(const char *line, const char *want, const char *what)
{
	struct words w = { .len = 0 };
	struct error e = { 0 };
	int r = cmdline_systemd_parse(line, collect_word, &w, &e);

	w.text[w.len] = '\0';
	if (!tap_is_str(r == 0 ? w.text : e.msg, want, "words: %s", what))
		tap_diag("line '%s'", line);
}

static void test_words(void)
{
	check_words("a b\tc\nd\re", "a|b|c|d|e|", "space, tab, LF and CR separate");
	check_words("  a  \t\n b  ", "a|b|", "runs of separators are one, at either end too");
	check_words("a\vb c\fd e\xa0"
		    "f",
		    "a\vb|c\fd|e\xa0"
		    "f|",
		    "\\v, \\f and 0xa0 do not separate (the kernel's would)");
	check_words("'roothash=x y' z", "roothash=x y|z|", "a single-quoted word keeps its space");
	check_words("\"roothash\"=x", "roothash=x|", "a quoted key: the quotes go");
	check_words("roothash=\"x y\"", "roothash=x y|", "a quoted value");
	check_words("ro'ot'\"hash\"=x", "roothash=x|", "quotes anywhere in a word");
	check_words("a=\"it's\"", "a=it's|", "the other quote is literal inside quotes");
	check_words("a=\"x y", "a=x y|", "an unterminated quote runs to the end, no error");
	check_words("a=\\\"x y\"", "a=\\x y|", "a backslash is literal and escapes nothing");
	check_words("'' b", "|b|", "'' is an empty word");
	check_words("a=b=c", "a=b=c|", "the key ends at the first '='");
	check_words("=x", "=x|", "a '=' in first place: an empty key");
	check_words("key key=", "key|key=|", "no '=' is no value; 'key=' an empty one");
	check_words("rd.roothash=x rd.rd.y=z rd", "rd.roothash=x|rd.rd.y=z|rd|",
		    "rd. is dropped once and reported (rd.rd.y is the key rd.y)");
	check_words("a -- b", "a|--|b|", "-- ends nothing: what follows is read too");
	check_words("", "", "an empty line has no words");
}

/* ---- which hash systemd attaches ------------------------------------------------------ */

struct verity_case {
	const char *line;
	const char *roothash; /* NULL: none */
	const char *usrhash;
	bool off;
	const char *refusal; /* NULL: accepted; else text the message must hold */
	const char *what;
};

static const struct verity_case verity_cases[] = {
	{ "root=/dev/vda roothash=" A " ro", A, NULL, false, NULL, "roothash=" },
	{ "usrhash=" B, NULL, B, false, NULL, "usrhash=" },
	{ "rd.roothash=" A, A, NULL, false, NULL, "rd.roothash= in the initrd" },
	{ "rd.usrhash=" B, NULL, B, false, NULL, "rd.usrhash= in the initrd" },
	{ "roothash=" A " usrhash=" B, A, B, false, NULL, "both volumes" },
	{ "roothash=" A " roothash=" A, A, NULL, false, NULL, "the same value twice" },
	{ "roothash=" A " rd.roothash=" A, A, NULL, false, NULL,
	  "the same value as roothash= and rd.roothash=" },
	{ "roothash=" A " roothash=" A_UPPER, A_UPPER, NULL, false, NULL,
	  "the same hex in other case: the last spelling" },
	{ "roothash=" A " rd.roothash=" B, NULL, NULL, false, "roothash=" A " and rd.roothash=" B,
	  "roothash= then rd.roothash= differently: refused, naming both" },
	{ "rd.roothash=" B " roothash=" A, NULL, NULL, false, "rd.roothash=" B " and roothash=" A,
	  "rd.roothash= then roothash= differently: refused" },
	{ "usrhash=" A " rd.usrhash=" B, NULL, NULL, false, "usrhash=" A " and rd.usrhash=" B,
	  "usrhash= twice differently: refused" },
	{ "'roothash=" A "' \"roothash\"=" B, NULL, NULL, false, "roothash=" A " and roothash=" B,
	  "quoted forms are the same key: refused" },
	{ "roothash=" B " x\vroothash=" A, B, NULL, false, NULL,
	  "x\\vroothash= is one word for systemd, not a second roothash=" },
	{ "roothash=" A "\vroothash=" B, A "\vroothash=" B, NULL, false, NULL,
	  "\\v inside a value stays in it (then it is not hex)" },
	{ "roothash=" A " -- roothash=" B, NULL, NULL, false, "roothash=" A " and roothash=" B,
	  "a roothash= after -- counts for systemd: refused" },
	{ "roothash=" A " roothash", A, NULL, false, NULL, "roothash without '=' is ignored" },
	{ "roothash=" A " roothash=", NULL, NULL, false,
	  "roothash=" A " and roothash=", "an empty roothash= after one is a different value" },
	{ "rd.rd.roothash=" A, NULL, NULL, false, NULL, "rd.rd.roothash= is not roothash=" },
	{ "ROOTHASH=" A " root-hash=" A " root_hash=" A, NULL, NULL, false, NULL,
	  "keys are exact: no case or -/_ folding for roothash" },
	{ "systemd.verity_root_hash=/dev/vdb systemd.verity_root_data=/dev/vda", NULL, NULL, false,
	  NULL, "systemd.verity_root_hash= is a device, not a hash" },
	{ "roothash=" A " systemd.verity=0", A, NULL, true, NULL, "systemd.verity=0 turns it off" },
	{ "roothash=" A " rd.systemd.verity=off", A, NULL, true, NULL, "rd.systemd.verity=off" },
	{ "systemd.verity=No", NULL, NULL, true, NULL, "booleans in any case" },
	{ "systemd.verity=0 systemd.verity", NULL, NULL, false, NULL,
	  "systemd.verity without a value turns it on again" },
	{ "systemd.verity=0 systemd.verity=bogus", NULL, NULL, true, NULL,
	  "an invalid boolean is ignored" },
	{ "systemd-verity=0 systemd.verity_=0", NULL, NULL, false, NULL,
	  "systemd.verity is an exact key" },
};

static void test_verity(void)
{
	for (size_t i = 0; i < sizeof(verity_cases) / sizeof(verity_cases[0]); i++) {
		const struct verity_case *c = &verity_cases[i];
		struct verity_cmdline v;
		struct error e = { 0 };
		int r = verity_cmdline_parse(c->line, &v, &e);

		if (c->refusal) {
			tap_ok(r == -EINVAL && strstr(e.msg, c->refusal) != NULL, "%s", c->what);
			if (r != -EINVAL || !strstr(e.msg, c->refusal))
				tap_diag("r=%d msg '%s'", r, e.msg);
			continue;
		}
		tap_ok(r == 0 &&
			       (c->roothash ? v.roothash && strcmp(v.roothash, c->roothash) == 0
					    : !v.roothash) &&
			       (c->usrhash ? v.usrhash && strcmp(v.usrhash, c->usrhash) == 0
					   : !v.usrhash) &&
			       v.verity_off == c->off,
		       "%s", c->what);
		if (r != 0)
			tap_diag("r=%d msg '%s'", r, e.msg);
		if (r == 0)
			verity_cmdline_free(&v);
	}
	tap_ok(verity_hash_equal("abCD", "ABcd") && !verity_hash_equal("ab", "abc") &&
		       !verity_hash_equal("ab", "ac"),
	       "hashes compare without regard to the case of hex digits, and only so");
}

/* ---- the events measure makes --------------------------------------------------------- */

static void check_events(const char *root, const char *line, const char *config, const char *want0,
			 const char *want1, const char *refusal, const char *what)
{
	struct record_event ev[2] = { 0 };
	struct error e = { 0 };
	unsigned n = 99;
	int r = measure_verity_events(root, line, config, 15, ev, 2, &n, &e);

	if (refusal) {
		tap_ok(r < 0 && n == 0 && strstr(e.msg, refusal) != NULL, "%s", what);
		if (r >= 0 || !strstr(e.msg, refusal))
			tap_diag("r=%d n=%u msg '%s'", r, n, e.msg);
	} else {
		unsigned want_n = want1 ? 2 : want0 ? 1 : 0;

		tap_ok(r == 0 && n == want_n && (!want0 || strcmp(ev[0].content, want0) == 0) &&
			       (!want1 || strcmp(ev[1].content, want1) == 0) &&
			       (!want0 ||
				(ev[0].pcr == 15 && strcmp(ev[0].operation, "rootfs-verity") == 0)),
		       "%s", what);
		if (r != 0)
			tap_diag("r=%d msg '%s'", r, e.msg);
		for (unsigned i = 0; r == 0 && i < n; i++)
			tap_diag("event %u: %s", i, ev[i].content);
	}
	for (unsigned i = 0; r == 0 && i < n; i++)
		record_event_free(&ev[i]);
}

static void test_events(const char *root)
{
	check_events(root, "roothash=" A, NULL,
		     "{\"hash\":\"" A "\",\"parameter\":\"roothash\",\"source\":\"cmdline\"}", NULL,
		     NULL, "a command line hash: source cmdline, members in JCS order");
	check_events(root, "ro", A,
		     "{\"hash\":\"" A "\",\"parameter\":\"roothash\",\"source\":\"config\"}", NULL,
		     NULL, "only the configuration's: source config");
	check_events(root, "rd.roothash=" A, A_UPPER,
		     "{\"hash\":\"" A "\",\"parameter\":\"roothash\",\"source\":\"both\"}", NULL,
		     NULL, "both, agreeing (case aside): source both, the command line's text");
	check_events(root, "roothash=" A, B, NULL, NULL,
		     "roothash=" A " is not the configuration's [measure] roothash = " B,
		     "the configuration's hash is checked, not substituted: refused, naming both");
	check_events(root, "roothash=" A " usrhash=" B, NULL,
		     "{\"hash\":\"" A "\",\"parameter\":\"roothash\",\"source\":\"cmdline\"}",
		     "{\"hash\":\"" B "\",\"parameter\":\"usrhash\",\"source\":\"cmdline\"}", NULL,
		     "root and /usr: two events, root first");
	check_events(root, "usrhash=" B, A,
		     "{\"hash\":\"" A "\",\"parameter\":\"roothash\",\"source\":\"config\"}",
		     "{\"hash\":\"" B "\",\"parameter\":\"usrhash\",\"source\":\"cmdline\"}", NULL,
		     "the configuration's roothash does not stand for usrhash=");
	check_events(root, "roothash=" A " rd.roothash=" B, NULL, NULL, NULL,
		     "roothash=" A " and rd.roothash=" B, "a conflict makes no event");
	check_events(root, "systemd.verity_root_hash=/dev/vdb", NULL, NULL, NULL, NULL,
		     "systemd.verity_root_hash= alone: no hash, no event, no error");
	check_events(root, "roothash=" A " systemd.verity=0", NULL, NULL, NULL,
		     "systemd.verity=0 turns systemd's verity setup off",
		     "a hash with systemd.verity=0: refused");
	check_events(root, "rd.systemd.verity=no", A, NULL, NULL, "the configuration",
		     "the configuration's hash with verity off: refused");
	check_events(root, "systemd.verity=0", NULL, NULL, NULL, NULL,
		     "verity off and no hash: nothing to measure, no error");
	check_events(root, "roothash=" H64("a"), NULL, NULL, NULL, "is only 16 bytes",
		     "a hash shorter than 32 bytes: refused");
	check_events(root, "roothash=" A "\vroothash=" B, NULL, NULL, NULL,
		     "verity roothash (cmdline)", "a value with \\v in it is not hex: refused");
	check_events(root, "roothash=", NULL, NULL, NULL, "verity roothash (cmdline)",
		     "an empty roothash=: refused");
}

/* ---- the SystemdOptions EFI variable, as systemd's PID 1 caches it -------------------- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_systemd_options(const char *root)
{
	char dir[512], path[600];
	struct error e = { 0 };
	int r;

	r = verity_systemd_options_check(root, &e);
	tap_ok(r == 0 && e.code == 0, "no SystemdOptions cache: fine");

	snprintf(dir, sizeof(dir), "%s/run", root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/run/systemd", root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/run/systemd/efivars", root);
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s%s", root, VERITY_SYSTEMD_OPTIONS_CACHE);

	write_file(path, "quiet systemd.log_level=debug");
	r = verity_systemd_options_check(root, &e);
	tap_ok(r == 0, "a SystemdOptions cache without verity keys: fine");

	write_file(path, "quiet 'rd.roothash=" B "'");
	r = verity_systemd_options_check(root, &e);
	tap_ok(r == -EPERM && strstr(e.msg, "sets rd.roothash=" B) &&
		       strstr(e.msg, "SystemdOptions"),
	       "rd.roothash= in SystemdOptions (quoted, as systemd reads it): refused, naming it");
	check_events(root, "roothash=" B, NULL, NULL, NULL, "SystemdOptions",
		     "measure refuses it even when the command line agrees");
	write_file(path, "usrhash=" A);
	r = verity_systemd_options_check(root, &e);
	tap_ok(r == -EPERM, "usrhash= in SystemdOptions: refused");
	write_file(path, "systemd.verity=0");
	r = verity_systemd_options_check(root, &e);
	tap_ok(r == -EPERM, "systemd.verity= in SystemdOptions: refused");
	unlink(path);
}

int main(void)
{
	char root[] = "/tmp/mrboot-test-verity-XXXXXX";

	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	test_words();
	test_verity();
	test_events(root);
	test_systemd_options(root);
	{
		static const char *const dirs[] = { "/run/systemd/efivars", "/run/systemd", "/run",
						    "" };
		char dir[600];

		for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
			snprintf(dir, sizeof(dir), "%s%s", root, dirs[i]);
			rmdir(dir);
		}
	}
	printf("1..%u\n", tap_count);
	return tap_failures ? 1 : 0;
}
