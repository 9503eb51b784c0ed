/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cmdline.h"
#include "config/ini.h"
#include "basic/error.h"
#include "basic/path.h"
#include "tap.h"

/* A schema of the test's own, one entry per type; the agent's real one is in settings.c. */
struct settings {
	char *url;
	char *cert;
	char **mirrors;
	bool verbose;
	uint64_t timeout;
	uint64_t size;
	int level;
};

static const char *const level_names[] = { "error", "warning", "info", "debug", NULL };

static const struct ini_entry entries[] = {
	{ .section = "kbs",
	  .key = "url",
	  .type = INI_STRING,
	  .offset = offsetof(struct settings, url),
	  .cmdline = INI_CMDLINE_ALWAYS },
	{ .section = "kbs",
	  .key = "cert",
	  .type = INI_PATH,
	  .offset = offsetof(struct settings, cert),
	  .cmdline = INI_CMDLINE_ALWAYS },
	{ .section = "kbs",
	  .key = "mirror",
	  .type = INI_LIST,
	  .offset = offsetof(struct settings, mirrors),
	  .cmdline = INI_CMDLINE_ALWAYS },
	{ .section = "general",
	  .key = "verbose",
	  .type = INI_BOOL,
	  .offset = offsetof(struct settings, verbose),
	  .cmdline = INI_CMDLINE_ALWAYS },
	{ .section = "general",
	  .key = "timeout",
	  .type = INI_UINT,
	  .offset = offsetof(struct settings, timeout),
	  .min = 1,
	  .max = 600,
	  .cmdline = INI_CMDLINE_ALWAYS },
	{ .section = "general",
	  .key = "size",
	  .type = INI_UINT,
	  .offset = offsetof(struct settings, size),
	  .min = 0,
	  .max = UINT64_MAX,
	  .cmdline = INI_CMDLINE_ALWAYS },
	{ .section = "general",
	  .key = "log-level",
	  .type = INI_ENUM,
	  .offset = offsetof(struct settings, level),
	  .names = level_names,
	  .cmdline = INI_CMDLINE_ALWAYS },
};

static const struct ini_schema schema = { entries, sizeof(entries) / sizeof(entries[0]) };

/* The same fields, each with the rule a real schema would give it (settings.c). */
static const struct ini_entry guarded_entries[] = {
	{ .section = "kbs",
	  .key = "url",
	  .type = INI_STRING,
	  .offset = offsetof(struct settings, url) },
	{ .section = "kbs",
	  .key = "mirror",
	  .type = INI_LIST,
	  .offset = offsetof(struct settings, mirrors),
	  .cmdline = INI_CMDLINE_NEVER },
	{ .section = "general",
	  .key = "timeout",
	  .type = INI_UINT,
	  .offset = offsetof(struct settings, timeout),
	  .min = 1,
	  .max = 600,
	  .cmdline = INI_CMDLINE_ALWAYS },
};

static const struct ini_schema guarded = { guarded_entries, 3 };

/* Defaults as a caller sets them: heap strings, since the parser frees what it replaces. */
static void settings_init(struct settings *s)
{
	memset(s, 0, sizeof(*s));
	s->url = strdup("https://default");
	s->mirrors = calloc(2, sizeof(char *));
	s->mirrors[0] = strdup("default-mirror");
	s->timeout = 30;
	s->level = 2;
}

/* The list joined with '|', for comparing against one expected string. */
static const char *list_joined(char **list)
{
	static char buf[256];

	buf[0] = '\0';
	for (size_t i = 0; list && list[i]; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? "|" : "",
			 list[i]);
	return buf;
}

static int parse_len(struct settings *s, const char *text, size_t len, struct error *e)
{
	settings_init(s);
	return ini_parse_text(&schema, s, text, len, "test.conf", e);
}

static int parse(struct settings *s, const char *text, struct error *e)
{
	return parse_len(s, text, strlen(text), e);
}

/* Parses text, then applies the kernel command line cmdline as the agent does. */
static int parse_then_apply(struct settings *s, const char *text, const char *cmdline,
			    struct error *e)
{
	int r = parse(s, text, e);

	return r < 0 ? r : ini_apply_cmdline(&schema, s, cmdline, NULL, NULL, e);
}

/* The text is refused with a message holding where (name:line:) and what (the problem). */
static void expect_error_len(const char *text, size_t len, const char *where, const char *what,
			     const char *behaviour)
{
	struct error e = { 0 };
	struct settings s;
	int r = parse_len(&s, text, len, &e);

	if (!tap_ok(r < 0 && e.code == r && strstr(e.msg, where) && strstr(e.msg, what), "%s",
		    behaviour))
		tap_diag("r=%d message '%s', want '%s' and '%s'", r, e.msg, where, what);
	ini_free(&schema, &s);
}

static void expect_error(const char *text, const char *where, const char *what,
			 const char *behaviour)
{
	expect_error_len(text, strlen(text), where, what, behaviour);
}

static void test_types(void)
{
	static const struct {
		const char *word;
		bool value;
	} bools[] = {
		{ "yes", true }, { "no", false },  { "true", true }, { "false", false },
		{ "on", true },	 { "off", false }, { "1", true },    { "0", false },
	};
	struct error e = { 0 };
	struct settings s;
	char text[128];
	int r;

	r = parse(&s, "[kbs]\nurl = https://kbs.example:8080/a\n", &e);
	tap_ok(r == 0 && strcmp(s.url, "https://kbs.example:8080/a") == 0, "a string is stored");
	ini_free(&schema, &s);

	r = parse(&s, "[kbs]\nurl =\n", &e);
	tap_ok(r == 0 && strcmp(s.url, "") == 0, "a string may be empty");
	ini_free(&schema, &s);

	r = parse(&s, "[kbs]\ncert = /etc/kbs.pem\n", &e);
	tap_ok(r == 0 && s.cert && strcmp(s.cert, "/etc/kbs.pem") == 0,
	       "an absolute path is stored");
	ini_free(&schema, &s);

	expect_error("[kbs]\ncert = etc/kbs.pem\n", "test.conf:2: cert:", "absolute",
		     "a relative path is refused");
	expect_error("[kbs]\ncert =\n", "test.conf:2: cert:", "absolute",
		     "an empty path is refused");

	r = parse(&s, "[kbs]\nmirror = a\nmirror = b c\n", &e);
	tap_is_str(r == 0 ? list_joined(s.mirrors) : e.msg, "a|b c",
		   "list: the file replaces the default, a repeated key appends one whole item");
	ini_free(&schema, &s);

	r = parse(&s, "[kbs]\nurl = x\n", &e);
	tap_is_str(r == 0 ? list_joined(s.mirrors) : e.msg, "default-mirror",
		   "list: the default stands when the file does not name the key");
	ini_free(&schema, &s);

	expect_error("[kbs]\nmirror = a\nmirror =\n", "test.conf:3: mirror:", "empty",
		     "list: an empty item is refused");

	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		snprintf(text, sizeof(text), "[general]\nverbose = %s\n", bools[i].word);
		r = parse(&s, text, &e);
		tap_ok(r == 0 && s.verbose == bools[i].value, "bool: '%s' is %s", bools[i].word,
		       bools[i].value ? "true" : "false");
		ini_free(&schema, &s);
	}
	expect_error("[general]\nverbose = maybe\n", "test.conf:2: verbose:", "boolean",
		     "bool: an unknown word is refused");
	expect_error("[general]\nverbose = Yes\n", "test.conf:2: verbose:", "boolean",
		     "bool: words are lowercase only");

	r = parse(&s, "[general]\ntimeout = 600\n", &e);
	tap_ok(r == 0 && s.timeout == 600, "uint: the maximum is accepted");
	ini_free(&schema, &s);
	r = parse(&s, "[general]\ntimeout = 1\n", &e);
	tap_ok(r == 0 && s.timeout == 1, "uint: the minimum is accepted");
	ini_free(&schema, &s);
	r = parse(&s, "[general]\nsize = 0\n", &e);
	tap_ok(r == 0 && s.size == 0, "uint: 0 is accepted where the minimum allows it");
	ini_free(&schema, &s);
	r = parse(&s, "[general]\nsize = 18446744073709551615\n", &e);
	tap_ok(r == 0 && s.size == UINT64_MAX, "uint: 2^64 - 1 is accepted");
	ini_free(&schema, &s);

	expect_error("[general]\ntimeout = 601\n", "test.conf:2: timeout:", "range",
		     "uint: above the maximum is refused");
	expect_error("[general]\ntimeout = 0\n", "test.conf:2: timeout:", "range",
		     "uint: below the minimum is refused");
	expect_error("[general]\nsize = 18446744073709551616\n", "test.conf:2: size:", "too large",
		     "uint: 2^64 is refused as an overflow");
	expect_error("[general]\ntimeout = +5\n", "test.conf:2:", "invalid number",
		     "uint: a plus sign is refused");
	expect_error("[general]\ntimeout = -1\n", "test.conf:2:", "invalid number",
		     "uint: a minus sign is refused");
	expect_error("[general]\ntimeout = 5x\n", "test.conf:2:", "invalid number",
		     "uint: trailing junk is refused");
	expect_error("[general]\ntimeout = 0x10\n", "test.conf:2:", "invalid number",
		     "uint: hexadecimal is refused");
	expect_error("[general]\ntimeout = 010\n", "test.conf:2:", "invalid number",
		     "uint: a leading zero is refused");
	expect_error("[general]\ntimeout = 1 0\n", "test.conf:2:", "invalid number",
		     "uint: inner space is refused");
	expect_error("[general]\ntimeout =\n", "test.conf:2:", "invalid number",
		     "uint: an empty value is refused");

	for (int i = 0; level_names[i]; i++) {
		snprintf(text, sizeof(text), "[general]\nlog-level = %s\n", level_names[i]);
		r = parse(&s, text, &e);
		tap_ok(r == 0 && s.level == i, "enum: '%s' is index %d", level_names[i], i);
		ini_free(&schema, &s);
	}
	expect_error("[general]\nlog-level = trace\n",
		     "test.conf:2: log-level:", "one of: error, warning, info, debug",
		     "enum: an unknown name is refused");

	r = parse(&s, "", &e);
	tap_ok(r == 0 && strcmp(s.url, "https://default") == 0 && !s.cert && s.timeout == 30 &&
		       s.level == 2 && !s.verbose,
	       "an empty text leaves every default standing");
	ini_free(&schema, &s);
}

static void test_syntax(void)
{
	struct error e = { 0 };
	struct settings s;
	int r;

	r = parse(&s, "# comment\n; comment\n\n   \n[kbs]\n  # indented comment\nurl = x\n", &e);
	tap_ok(r == 0 && strcmp(s.url, "x") == 0, "comments and blank lines are skipped");
	ini_free(&schema, &s);

	r = parse(&s, "  [kbs]  \n \turl\t=\t x y \t\n", &e);
	tap_ok(r == 0 && strcmp(s.url, "x y") == 0,
	       "whitespace around header, key and value is trimmed");
	ini_free(&schema, &s);

	r = parse(&s, "[kbs]\nurl = \"  x y  \"\n", &e);
	tap_ok(r == 0 && strcmp(s.url, "  x y  ") == 0, "a quoted value keeps its spaces");
	ini_free(&schema, &s);

	r = parse(&s, "[kbs]\nurl = \"# not a comment\"\n", &e);
	tap_ok(r == 0 && strcmp(s.url, "# not a comment") == 0,
	       "a quoted value keeps a leading '#'");
	ini_free(&schema, &s);

	r = parse(&s, "[kbs]\nurl = \"\"\n", &e);
	tap_ok(r == 0 && strcmp(s.url, "") == 0, "\"\" is an empty value");
	ini_free(&schema, &s);

	r = parse(&s, "[kbs]\nurl = \"a\"b\"\n", &e);
	tap_ok(r == 0 && strcmp(s.url, "a\"b") == 0, "quotes inside a quoted value are literal");
	ini_free(&schema, &s);

	r = parse(&s, "[kbs]\nurl = a \"b\"\n", &e);
	tap_ok(r == 0 && strcmp(s.url, "a \"b\"") == 0,
	       "quotes in a value that does not start with one are literal");
	ini_free(&schema, &s);

	r = parse(&s, "[kbs]\nurl = a # b\n", &e);
	tap_ok(r == 0 && strcmp(s.url, "a # b") == 0, "'#' after a value is part of it");
	ini_free(&schema, &s);

	r = parse(&s, "[kbs]\nurl = a=b\n", &e);
	tap_ok(r == 0 && strcmp(s.url, "a=b") == 0, "the key ends at the first '='");
	ini_free(&schema, &s);

	r = parse(&s, "[kbs]\r\nurl = x\r\n", &e);
	tap_ok(r == 0 && strcmp(s.url, "x") == 0, "CRLF line ends read like LF");
	ini_free(&schema, &s);

	r = parse(&s, "[kbs]\nurl = x", &e);
	tap_ok(r == 0 && strcmp(s.url, "x") == 0, "the last line needs no newline");
	ini_free(&schema, &s);

	r = parse(&s, "[kbs]\nurl = x\n[general]\ntimeout = 5\n[kbs]\ncert = /c\n", &e);
	tap_ok(r == 0 && strcmp(s.url, "x") == 0 && s.timeout == 5 && strcmp(s.cert, "/c") == 0,
	       "a section may be opened again");
	ini_free(&schema, &s);
}

static void test_errors(void)
{
	static char big[INI_SIZE_MAX + 2];
	struct error e = { 0 };
	struct settings s;
	char line[INI_LINE_MAX + 32];
	size_t n;
	int r;

	expect_error("[kbs]\n[nope]\n", "test.conf:2:", "unknown section [nope]",
		     "an unknown section is refused");
	expect_error("[KBS]\n", "test.conf:1:", "unknown section",
		     "section names are case-sensitive");
	expect_error("[ kbs ]\n", "test.conf:1:", "unknown section",
		     "spaces inside the brackets are part of the name");
	expect_error("[kbs\n", "test.conf:1:", "malformed section header",
		     "a header without ']' is refused");
	expect_error("[kbs] # x\n", "test.conf:1:", "malformed section header",
		     "a comment after a header is refused");
	expect_error("[kbs]\nulr = x\n", "test.conf:2:", "unknown key 'ulr' in section [kbs]",
		     "an unknown key is refused");
	expect_error("[kbs]\ntimeout = 5\n", "test.conf:2:", "unknown key",
		     "a key of another section is refused");
	expect_error("url = x\n[kbs]\n", "test.conf:1:", "before any [section]",
		     "a key before any section is refused");
	expect_error("[kbs]\n\nurl\n", "test.conf:3:", "malformed line",
		     "a line without '=' is refused");
	expect_error("[kbs]\n = x\n", "test.conf:2:", "empty key", "an empty key is refused");
	expect_error("[kbs]\nurl = \"x\n", "test.conf:2: url:", "unterminated",
		     "a value with an opening quote only is refused");
	expect_error("[kbs]\nurl = \"\n", "test.conf:2: url:", "unterminated",
		     "a value of one quote is refused");
	expect_error("[kbs]\nurl = a\n# c\nurl = b\n", "test.conf:4:", "already set on line 2",
		     "a scalar set twice names the line of the first setting");
	expect_error("[general]\nverbose = yes\n[general]\nverbose = yes\n",
		     "test.conf:4:", "already set on line 2",
		     "a scalar set twice is refused even with the same value");
	expect_error_len("[kbs]\nurl = a\0b\n", 14, "test.conf:2:", "NUL",
			 "a NUL byte is refused, naming its line");

	n = (size_t)snprintf(line, sizeof(line), "[kbs]\nurl = ");
	memset(line + n, 'x', INI_LINE_MAX - 6);
	line[n + INI_LINE_MAX - 6] = '\0';
	r = parse(&s, line, &e);
	tap_ok(r == 0 && strlen(s.url) == INI_LINE_MAX - 6,
	       "a line of exactly INI_LINE_MAX bytes is accepted");
	ini_free(&schema, &s);

	strcat(line, "x\n");
	expect_error(line, "test.conf:2:", "longer than 4096", "a longer line is refused");

	/* Comment lines of 64 bytes: exactly INI_SIZE_MAX bytes in all, then one more. */
	for (size_t i = 0; i < INI_SIZE_MAX; i += 64) {
		memset(big + i, '#', 63);
		big[i + 63] = '\n';
	}
	r = parse_len(&s, big, INI_SIZE_MAX, &e);
	tap_is_int(r, 0, "a text of exactly INI_SIZE_MAX bytes is accepted");
	ini_free(&schema, &s);
	big[INI_SIZE_MAX] = '\n';
	expect_error_len(big, INI_SIZE_MAX + 1, "test.conf:", "larger than 65536",
			 "a larger text is refused");
}

static void test_cmdline(void)
{
	struct error e = { 0 };
	struct settings s;
	int r;

	r = parse_then_apply(&s, "[kbs]\nurl = file\nmirror = f1\nmirror = f2\n",
			     "quiet mrboot.kbs.url=cmd", &e);
	tap_ok(r == 0 && strcmp(s.url, "cmd") == 0,
	       "a scalar on the command line replaces the file's");
	tap_is_str(list_joined(s.mirrors), "f1|f2",
		   "a list not on the command line keeps the file's");
	ini_free(&schema, &s);

	r = parse_then_apply(&s, "[kbs]\nurl = file\n", "mrboot.kbs.url=one mrboot.kbs.url=two",
			     &e);
	tap_ok(r == 0 && strcmp(s.url, "two") == 0, "of a scalar given twice the last one wins");
	ini_free(&schema, &s);

	r = parse_then_apply(&s, "[kbs]\nmirror = f1\nmirror = f2\n",
			     "mrboot.kbs.mirror=c1 x mrboot.kbs.mirror=c2", &e);
	tap_is_str(r == 0 ? list_joined(s.mirrors) : e.msg, "c1|c2",
		   "a list's first occurrence replaces the file's list, later ones append");
	ini_free(&schema, &s);

	r = parse_then_apply(&s, "[general]\ntimeout = 5\n",
			     "mrboot.general.timeout=7 mrboot.general.verbose=on "
			     "mrboot.general.log-level=debug mrboot.kbs.cert=/c",
			     &e);
	tap_ok(r == 0 && s.timeout == 7 && s.verbose && s.level == 3 && strcmp(s.cert, "/c") == 0,
	       "every type can be set from the command line");
	ini_free(&schema, &s);

	r = parse_then_apply(&s, "", "mrboot.kbs.url=\"a b\" \"mrboot.kbs.cert=/c d\"", &e);
	tap_ok(r == 0 && strcmp(s.url, "a b") == 0 && strcmp(s.cert, "/c d") == 0,
	       "quoted values keep their spaces, by the kernel's quoting rules");
	ini_free(&schema, &s);

	r = parse_then_apply(&s, "",
			     "quiet root=/dev/vda1 mrboot mrbootx.kbs.url=1 Mrboot.kbs.url=2 "
			     "kbs.url=3",
			     &e);
	tap_ok(r == 0 && strcmp(s.url, "https://default") == 0,
	       "parameters not starting with mrboot. are ignored");
	ini_free(&schema, &s);

	r = parse_then_apply(&s, "", "mrboot.kbs.url=x -- mrboot.kbs.ulr=y", &e);
	tap_ok(r == 0 && strcmp(s.url, "x") == 0, "parameters after -- are init's and ignored");
	ini_free(&schema, &s);

	r = parse_then_apply(&s, "", "quiet mrboot.kbs.ulr=https://x", &e);
	tap_is_int(r, -EINVAL, "an unknown mrboot. key is an error");
	tap_is_str(e.msg, "kernel command line: unknown key mrboot.kbs.ulr",
		   "the message names the unknown key");
	ini_free(&schema, &s);

	r = parse_then_apply(&s, "", "mrboot.kbs=x", &e);
	tap_ok(r == -EINVAL && strstr(e.msg, "unknown key mrboot.kbs"),
	       "a section alone is an unknown key");
	ini_free(&schema, &s);

	r = parse_then_apply(&s, "", "mrboot.kbs.url.x=1", &e);
	tap_ok(r == -EINVAL && strstr(e.msg, "unknown key mrboot.kbs.url.x"),
	       "a key is matched whole, not by prefix");
	ini_free(&schema, &s);

	r = parse_then_apply(&s, "", "mrboot.general.verbose", &e);
	tap_ok(r == -EINVAL && strstr(e.msg, "kernel command line: mrboot.general.verbose") &&
		       strstr(e.msg, "without a value"),
	       "a mrboot. key without '=' is an error naming it");
	ini_free(&schema, &s);

	r = parse_then_apply(&s, "", "mrboot.general.timeout=0", &e);
	tap_ok(r == -ERANGE && strstr(e.msg, "kernel command line: mrboot.general.timeout:") &&
		       strstr(e.msg, "range"),
	       "a bad value on the command line names the parameter");
	ini_free(&schema, &s);

	r = parse_then_apply(&s, "", "mrboot.kbs.url=x mrboot.kbs.cert=\"/a b", &e);
	tap_ok(r == -EINVAL && strstr(e.msg, "kernel command line: unterminated quote at byte 33"),
	       "an unterminated quote is an error naming its offset");
	tap_is_str(s.url, "https://default", "nothing is applied from a line that does not split");
	ini_free(&schema, &s);
}

static int apply_guarded(struct settings *s, const char *cmdline, const char *const *allow,
			 unsigned *applied, struct error *e)
{
	settings_init(s);
	return ini_apply_cmdline(&guarded, s, cmdline, allow, applied, e);
}

static void test_cmdline_provenance(void)
{
	static const char *const allow_url[] = { "kbs.url", NULL };
	static const char *const allow_other[] = { "general.timeout", "kbs.urls", NULL };
	static const char *const allow_mirror[] = { "kbs.mirror", NULL };
	static const char *const allow_unknown[] = { "kbs.url", "kbs", NULL };
	struct error e = { 0 };
	unsigned applied = 99;
	struct settings s;
	int r;

	r = apply_guarded(&s, "quiet mrboot.general.timeout=9 x=1", NULL, &applied, &e);
	tap_ok(r == 0 && s.timeout == 9 && applied == 1,
	       "an entry marked always is set without an allow-list, and counted");
	ini_free(&guarded, &s);

	r = apply_guarded(&s, "mrboot.general.timeout=9 mrboot.kbs.url=https://evil", NULL,
			  &applied, &e);
	tap_is_int(r, -EPERM, "an entry that says nothing is refused without an allow-list");
	tap_is_str(e.msg,
		   "kernel command line: mrboot.kbs.url= may not be set here: the host controls "
		   "the kernel command line, and [general] cmdline-overrides does not list kbs.url",
		   "the refusal names the parameter and how to allow it");
	ini_free(&guarded, &s);

	r = apply_guarded(&s, "mrboot.kbs.url=https://evil", allow_other, NULL, &e);
	tap_ok(r == -EPERM, "an allow-list naming other keys (or a longer name) does not allow it");
	ini_free(&guarded, &s);

	r = apply_guarded(&s, "mrboot.kbs.url=https://ok mrboot.general.timeout=3", allow_url,
			  &applied, &e);
	tap_ok(r == 0 && strcmp(s.url, "https://ok") == 0 && applied == 2,
	       "an allow-list naming the key allows it");
	ini_free(&guarded, &s);

	r = apply_guarded(&s, "mrboot.kbs.mirror=m", allow_mirror, NULL, &e);
	tap_ok(r == -EPERM && strstr(e.msg, "mrboot.kbs.mirror= may not be set here"),
	       "an entry marked never is refused even when listed");
	ini_free(&guarded, &s);

	tap_is_int(ini_check_allow(&guarded, allow_url, &e), 0,
		   "an allow-list of settable keys checks");
	r = ini_check_allow(&guarded, allow_mirror, &e);
	tap_ok(r == -EPERM && strstr(e.msg, "kbs.mirror can never be set"),
	       "an allow-list naming a never entry is refused, named");
	r = ini_check_allow(&guarded, allow_unknown, &e);
	tap_ok(r == -EINVAL && strstr(e.msg, "kbs is not a key"),
	       "an allow-list naming no entry is refused, named");
}

/*
 * Findings of the libFuzzer targets (tests/fuzz/README), each with its crash input from
 * tests/fuzz/corpus, the key renamed to one of this test's schema.
 */
static void test_value_ending_in_cr_is_quoted_on_write(void)
{
	/* corpus/config/crash-cr-at-end: only quotes can give a value a CR at its end. */
	static const char text[] = "[kbs]\nurl = \"comm\x85"
				   "en\r\" ";
	struct error e = { 0 };
	struct settings s, again;
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	r = parse(&s, text, &e);
	tap_is_str(r == 0 ? s.url : e.msg,
		   "comm\x85"
		   "en\r",
		   "a quoted value keeps its final CR");
	f = open_memstream(&out, &len);
	if (!f || ini_write(&schema, &s, f) < 0 || fclose(f) != 0) {
		tap_ok(0, "ini_write() of a value ending in CR");
		ini_free(&schema, &s);
		free(out);
		return;
	}
	tap_ok(strstr(out, "\nurl = \"comm\x85"
			   "en\r\"\n") != NULL,
	       "ini_write() quotes a value ending in CR, which the reader would trim");
	r = parse(&again, out, &e);
	tap_is_str(r == 0 ? again.url : e.msg,
		   "comm\x85"
		   "en\r",
		   "what ini_write() printed reads back to the same value");
	ini_free(&schema, &again);
	ini_free(&schema, &s);
	free(out);
}

static void test_cmdline_value_with_line_break_is_refused(void)
{
	/*
	 * corpus/cmdline/crash-newline-in-value up to its NUL byte: stored, the value made
	 * ini_write() print lines the command line never set.
	 */
	static const char cmdline[] =
		"qu)mt mrboot.kbs.url=\"hello world\n\" mrboot.kbs.cert=/x \x01";
	struct error e = { 0 };
	struct settings s;
	int r;

	r = parse_then_apply(&s, "", cmdline, &e);
	tap_ok(r == -EINVAL && strstr(e.msg, "mrboot.kbs.url: value holds a line break"),
	       "a kernel parameter whose quoted value holds a line break is refused, named");
	if (r != -EINVAL)
		tap_diag("r=%d message '%s'", r, e.msg);
	tap_is_str(s.url, "https://default", "and the value is not stored");
	ini_free(&schema, &s);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		tap_diag("cannot write %s", path);
		exit(1);
	}
}

static void test_root(void)
{
	char dir[] = "/tmp/test-config.XXXXXX", sub[64], conf[96], proc[96], where[128];
	struct error e = { 0 };
	struct settings s;
	char *cmdline = NULL;
	bool found = true;
	int r;

	if (!mkdtemp(dir)) {
		tap_skip("mkdtemp failed");
		return;
	}
	tap_is_int(path_join_root(conf, sizeof(conf), dir, "/etc/mrboot.conf"), 0,
		   "the configuration path is joined under the root");

	settings_init(&s);
	r = ini_read_file(&schema, &s, conf, &found, &e);
	tap_ok(r == 0 && !found, "a missing file is not an error, and is reported absent");
	tap_is_str(s.url, "https://default", "with the file missing the defaults stand");
	ini_free(&schema, &s);

	snprintf(sub, sizeof(sub), "%s/etc", dir);
	mkdir(sub, 0755);
	write_file(conf, "[kbs]\nurl = https://kbs\nmirror = m\n");
	settings_init(&s);
	r = ini_read_file(&schema, &s, conf, &found, &e);
	tap_ok(r == 0 && found && strcmp(s.url, "https://kbs") == 0,
	       "<root>/etc/mrboot.conf is read and reported found");

	snprintf(sub, sizeof(sub), "%s/proc", dir);
	mkdir(sub, 0755);
	snprintf(proc, sizeof(proc), "%s/proc/cmdline", dir);
	write_file(proc, "ro mrboot.kbs.mirror=\"c 1\" mrboot.kbs.mirror=c2\n");
	r = cmdline_read(dir, &cmdline, &e);
	if (r == 0)
		r = ini_apply_cmdline(&schema, &s, cmdline, NULL, NULL, &e);
	tap_is_str(r == 0 ? list_joined(s.mirrors) : e.msg, "c 1|c2",
		   "<root>/proc/cmdline overrides the file's list");
	free(cmdline);
	ini_free(&schema, &s);
	tap_ok(!s.url && !s.cert && !s.mirrors, "ini_free() frees and clears every owned field");

	write_file(conf, "[kbs]\nurl = a\nbogus\n");
	settings_init(&s);
	r = ini_read_file(&schema, &s, conf, &found, &e);
	snprintf(where, sizeof(where), "%s:3: malformed line", conf);
	tap_ok(r == -EINVAL && found && strstr(e.msg, where),
	       "an error in the file names its full path and line");
	ini_free(&schema, &s);

	unlink(conf);
	mkdir(conf, 0755);
	settings_init(&s);
	r = ini_read_file(&schema, &s, conf, &found, &e);
	tap_ok(r == -EINVAL && strstr(e.msg, "not a regular file"),
	       "a directory in place of the file is an error, not an absent file");
	ini_free(&schema, &s);

	rmdir(conf);
	unlink(proc);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/etc", dir);
	rmdir(sub);
	rmdir(dir);
}

/* An enum another module owns and names, values not from 0 (as syslog priorities) and an
   unset -1 (as [kbs] tee = auto): the names come from its function, in value order. */
static const char *owned_name(int value)
{
	switch (value) {
	case -1:
		return "auto";
	case 3:
		return "err";
	case 7:
		return "debug";
	default:
		return NULL;
	}
}

static void test_enum_named_by_its_module(void)
{
	static const struct ini_entry owned = {
		.section = "s", .key = "k", .type = INI_ENUM, .name = owned_name
	};
	static const struct ini_schema one = { &owned, 1 };
	static const char *const text[] = { "[s]\nk = auto\n", "[s]\nk = err\n",
					    "[s]\nk = debug\n" };
	static const int want[] = { -1, 3, 7 };
	struct error e = { 0 };
	char *out = NULL;
	size_t len = 0;
	int v = 0, r;
	FILE *f;

	for (size_t i = 0; i < 3; i++) {
		r = ini_parse_text(&one, &v, text[i], strlen(text[i]), "test.conf", &e);
		tap_ok(r == 0 && v == want[i], "enum by function: %.*s is %d",
		       (int)strlen(text[i]) - 9, text[i] + 8, want[i]);
	}
	r = ini_parse_text(&one, &v, "[s]\nk = info\n", 12, "test.conf", &e);
	tap_ok(r == -EINVAL && strstr(e.msg, "(expected one of: auto, err, debug)"),
	       "enum by function: a name it does not give is refused, the others listed (%s)",
	       e.msg);
	v = 7;
	f = open_memstream(&out, &len);
	tap_ok(f && ini_write(&one, &v, f) == 0 && fclose(f) == 0 && strstr(out, "k = debug\n"),
	       "enum by function: written back by its name");
	free(out);
}

int main(void)
{
	test_types();
	test_enum_named_by_its_module();
	test_syntax();
	test_errors();
	test_cmdline();
	test_cmdline_provenance();
	test_value_ending_in_cr_is_quoted_on_write();
	test_cmdline_value_with_line_break_is_refused();
	test_root();
	return tap_done();
}
