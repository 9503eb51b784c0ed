/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config/ini.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cmdline.h"
#include "basic/error.h"
#include "basic/file.h"
#include "basic/macro.h"

#define CONFIG_CMDLINE_PREFIX "mrboot."

static void *ini_field(const struct ini_entry *entry, void *target)
{
	return (char *)target + entry->offset;
}

static void ini_list_free(char **list)
{
	if (!list)
		return;
	for (char **item = list; *item; item++)
		free(*item);
	free(list);
}

static int ini_list_append(char ***list, const char *value, bool replace, struct error *e)
{
	size_t n = 0;
	char **grown;
	char *copy;

	if (!value[0])
		return error_set(e, -EINVAL, "empty list item");
	if (replace) {
		ini_list_free(*list);
		*list = NULL;
	}
	while (*list && (*list)[n])
		n++;
	copy = strdup(value);
	if (!copy)
		return error_set_errno(e, -ENOMEM, "list item");
	grown = realloc(*list, (n + 2) * sizeof(*grown));
	if (!grown) {
		free(copy);
		return error_set_errno(e, -ENOMEM, "list item");
	}
	grown[n] = copy;
	grown[n + 1] = NULL;
	*list = grown;
	return 0;
}

static const struct {
	const char *word;
	bool value;
} ini_bool_words[] = {
	{ "yes", true }, { "no", false },  { "true", true }, { "false", false },
	{ "on", true },	 { "off", false }, { "1", true },    { "0", false },
};

static int ini_parse_bool(const char *value, bool *out, struct error *e)
{
	for (size_t i = 0; i < ARRAY_SIZE(ini_bool_words); i++) {
		if (strcmp(value, ini_bool_words[i].word) == 0) {
			*out = ini_bool_words[i].value;
			return 0;
		}
	}
	return error_set(e, -EINVAL,
			 "invalid boolean '%s' (expected yes, no, true, false, on, off, 1 or 0)",
			 value);
}

static int ini_parse_uint(const char *value, uint64_t min, uint64_t max, uint64_t *out,
			  struct error *e)
{
	uint64_t v = 0;

	/* A leading zero is refused so that 0755 is not silently read as decimal 755. */
	if (!value[0] || (value[0] == '0' && value[1]))
		goto invalid;
	for (const char *c = value; *c; c++) {
		unsigned digit = (unsigned)(*c - '0');

		if (*c < '0' || *c > '9')
			goto invalid;
		if (v > (UINT64_MAX - digit) / 10)
			return error_set(e, -ERANGE, "number '%s' is too large", value);
		v = v * 10 + digit;
	}
	if (v < min || v > max)
		return error_set(e, -ERANGE, "%s is out of range %" PRIu64 "..%" PRIu64, value, min,
				 max);
	*out = v;
	return 0;
invalid:
	return error_set(e, -EINVAL,
			 "invalid number '%s' (expected decimal digits, no sign or leading zero)",
			 value);
}

/* The name of an INI_ENUM value; NULL for one outside the enum. */
static const char *ini_enum_name(const struct ini_entry *entry, int value)
{
	if (entry->name)
		return value >= INI_ENUM_MIN && value <= INI_ENUM_MAX ? entry->name(value) : NULL;
	for (int i = 0; entry->names[i]; i++)
		if (i == value)
			return entry->names[i];
	return NULL;
}

static int ini_parse_enum(const char *value, const struct ini_entry *entry, int *out,
			  struct error *e)
{
	char expected[256] = "";
	const char *name;
	size_t used = 0;

	for (int i = INI_ENUM_MIN; i <= INI_ENUM_MAX; i++) {
		name = ini_enum_name(entry, i);
		if (name && strcmp(value, name) == 0) {
			*out = i;
			return 0;
		}
	}
	for (int i = INI_ENUM_MIN; i <= INI_ENUM_MAX && used < sizeof(expected); i++) {
		int n;

		name = ini_enum_name(entry, i);
		if (!name)
			continue;
		n = snprintf(expected + used, sizeof(expected) - used, "%s%s", used ? ", " : "",
			     name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return error_set(e, -EINVAL, "invalid value '%s' (expected one of: %s)", value, expected);
}

static int ini_set_string(char **field, const char *value, struct error *e)
{
	char *copy = strdup(value);

	if (!copy)
		return error_set_errno(e, -ENOMEM, "string");
	free(*field);
	*field = copy;
	return 0;
}

/*
 * Stores value in the entry's field. first_in_source: this is the entry's first assignment in
 * the text being applied, which makes a list start afresh. The message names no place; the
 * caller prefixes it with the file and line or the kernel parameter.
 */
static int ini_assign(const struct ini_entry *entry, void *target, const char *value,
		      bool first_in_source, struct error *e)
{
	void *field = ini_field(entry, target);

	/*
	 * Only a quoted kernel parameter can hold one, and no line of the file can: ini_write()
	 * could not show the value, nor could a file give it back.
	 */
	if (strchr(value, '\n'))
		return error_set(e, -EINVAL, "value holds a line break");
	switch (entry->type) {
	case INI_STRING:
		return ini_set_string(field, value, e);
	case INI_PATH:
		if (value[0] != '/')
			return error_set(e, -EINVAL, "'%s' is not an absolute path", value);
		return ini_set_string(field, value, e);
	case INI_LIST:
		return ini_list_append(field, value, first_in_source, e);
	case INI_BOOL:
		return ini_parse_bool(value, field, e);
	case INI_UINT:
		return ini_parse_uint(value, entry->min, entry->max, field, e);
	case INI_ENUM:
		return ini_parse_enum(value, entry, field, e);
	}
	return error_set(e, -EINVAL, "entry with unknown type %d", (int)entry->type);
}

/* The schema's own spelling of section, or NULL when no entry has it. */
static const char *ini_find_section(const struct ini_schema *schema, const char *section)
{
	for (size_t i = 0; i < schema->count; i++)
		if (strcmp(schema->entries[i].section, section) == 0)
			return schema->entries[i].section;
	return NULL;
}

/* Index of the entry, or schema->count when there is none. */
static size_t ini_find(const struct ini_schema *schema, const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < schema->count; i++)
		if (strcmp(schema->entries[i].section, section) == 0 &&
		    strcmp(schema->entries[i].key, key) == 0)
			break;
	return i;
}

struct ini_parser {
	const struct ini_schema *schema;
	void *target;
	const char *name;     /* of the text, for messages */
	unsigned line;	      /* 1-based number of the line being parsed */
	const char *section;  /* current section (the schema's string), NULL before any */
	unsigned *first_line; /* per entry: line of its first assignment, 0 if none yet */
	struct error *e;
};

/* Whitespace inside a line: a CR is included so that CRLF files parse like LF ones. */
static char *ini_trim(char *s)
{
	size_t n;

	s += strspn(s, " \t\r");
	n = strlen(s);
	while (n > 0 && strchr(" \t\r", s[n - 1]))
		n--;
	s[n] = '\0';
	return s;
}

static int ini_parse_section(struct ini_parser *p, char *s)
{
	size_t n = strlen(s);

	if (n < 2 || s[n - 1] != ']')
		return error_set(p->e, -EINVAL, "%s:%u: malformed section header (no closing ']')",
				 p->name, p->line);
	s[n - 1] = '\0';
	p->section = ini_find_section(p->schema, s + 1);
	if (!p->section)
		return error_set(p->e, -EINVAL, "%s:%u: unknown section [%s]", p->name, p->line,
				 s + 1);
	return 0;
}

static int ini_parse_line(struct ini_parser *p, char *line)
{
	char *s = ini_trim(line), *equals, *key, *value;
	size_t index, n;
	int r;

	if (s[0] == '\0' || s[0] == '#' || s[0] == ';')
		return 0;
	if (s[0] == '[')
		return ini_parse_section(p, s);

	equals = strchr(s, '=');
	if (!equals)
		return error_set(p->e, -EINVAL,
				 "%s:%u: malformed line (expected key = value or [section])",
				 p->name, p->line);
	*equals = '\0';
	key = ini_trim(s);
	value = ini_trim(equals + 1);
	if (key[0] == '\0')
		return error_set(p->e, -EINVAL, "%s:%u: empty key", p->name, p->line);
	if (!p->section)
		return error_set(p->e, -EINVAL, "%s:%u: key '%s' before any [section]", p->name,
				 p->line, key);
	index = ini_find(p->schema, p->section, key);
	if (index == p->schema->count)
		return error_set(p->e, -EINVAL, "%s:%u: unknown key '%s' in section [%s]", p->name,
				 p->line, key, p->section);

	if (value[0] == '"') {
		n = strlen(value);
		if (n < 2 || value[n - 1] != '"')
			return error_set(p->e, -EINVAL, "%s:%u: %s: unterminated quoted value",
					 p->name, p->line, key);
		value[n - 1] = '\0';
		value++;
	}

	if (p->schema->entries[index].type != INI_LIST && p->first_line[index])
		return error_set(p->e, -EINVAL, "%s:%u: %s already set on line %u", p->name,
				 p->line, key, p->first_line[index]);
	r = ini_assign(&p->schema->entries[index], p->target, value, !p->first_line[index], p->e);
	if (r < 0)
		return error_prefix(p->e, "%s:%u: %s", p->name, p->line, key);
	if (!p->first_line[index])
		p->first_line[index] = p->line;
	return 0;
}

int ini_parse_text(const struct ini_schema *schema, void *target, const char *text, size_t len,
		   const char *name, struct error *e)
{
	_cleanup_free_ unsigned *first_line = NULL;
	char line[INI_LINE_MAX + 1];
	struct ini_parser p = {
		.schema = schema,
		.target = target,
		.name = name,
		.e = e,
	};
	size_t pos = 0;
	int r;

	if (len > INI_SIZE_MAX)
		return error_set(e, -EFBIG, "%s: larger than %d bytes", name, INI_SIZE_MAX);
	first_line = calloc(schema->count + 1, sizeof(*first_line));
	if (!first_line)
		return error_set_errno(e, -ENOMEM, "%s", name);
	p.first_line = first_line;

	while (pos < len) {
		const char *start = text + pos, *newline = memchr(start, '\n', len - pos);
		size_t n = newline ? (size_t)(newline - start) : len - pos;

		pos += newline ? n + 1 : n;
		p.line++;
		if (n > INI_LINE_MAX)
			return error_set(e, -EINVAL, "%s:%u: line longer than %d bytes", name,
					 p.line, INI_LINE_MAX);
		/* A NUL would silently cut the line short where the C strings below end. */
		if (memchr(start, '\0', n))
			return error_set(e, -EINVAL, "%s:%u: NUL byte in line", name, p.line);
		memcpy(line, start, n);
		line[n] = '\0';
		r = ini_parse_line(&p, line);
		if (r < 0)
			return r;
	}
	return 0; /* NOLINT(clang-analyzer-unix.Malloc): _cleanup_free_ frees it */
}

int ini_read_file(const struct ini_schema *schema, void *target, const char *path, bool *found,
		  struct error *e)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	if (found)
		*found = false;
	r = file_read_all(path, INI_SIZE_MAX, &text, &len, e);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (found)
		*found = true;
	return ini_parse_text(schema, target, text, len, path, e);
}

struct ini_cmdline {
	const struct ini_schema *schema;
	void *target;
	const char *const *allow;
	bool *seen; /* per entry: already assigned on this command line */
	unsigned applied;
	struct error *e;
};

/* name is "<section>.<key>"; matched whole, so a '.' inside a key needs no special case. */
static bool ini_entry_named(const struct ini_entry *entry, const char *name)
{
	size_t n = strlen(entry->section);

	return strncmp(name, entry->section, n) == 0 && name[n] == '.' &&
	       strcmp(name + n + 1, entry->key) == 0;
}

static const struct ini_entry *ini_named(const struct ini_schema *schema, const char *name)
{
	for (size_t i = 0; i < schema->count; i++)
		if (ini_entry_named(&schema->entries[i], name))
			return &schema->entries[i];
	return NULL;
}

static bool ini_allowed(const struct ini_entry *entry, const char *const *allow)
{
	if (entry->cmdline == INI_CMDLINE_ALWAYS)
		return true;
	if (entry->cmdline == INI_CMDLINE_NEVER)
		return false;
	for (; allow && *allow; allow++)
		if (ini_entry_named(entry, *allow))
			return true;
	return false;
}

int ini_check_allow(const struct ini_schema *schema, const char *const *allow, struct error *e)
{
	for (; allow && *allow; allow++) {
		const struct ini_entry *entry = ini_named(schema, *allow);

		if (!entry)
			return error_set(e, -EINVAL, "%s is not a key (expected section.key)",
					 *allow);
		if (entry->cmdline == INI_CMDLINE_NEVER)
			return error_set(e, -EPERM,
					 "%s can never be set on the kernel command line", *allow);
	}
	return 0;
}

static int ini_cmdline_param(const char *key, const char *value, void *userdata)
{
	struct ini_cmdline *c = userdata;
	const struct ini_entry *entry;
	const char *name;
	size_t i;
	int r;

	if (strncmp(key, CONFIG_CMDLINE_PREFIX, strlen(CONFIG_CMDLINE_PREFIX)) != 0)
		return 0;
	name = key + strlen(CONFIG_CMDLINE_PREFIX);
	entry = ini_named(c->schema, name);
	if (!entry)
		return error_set(c->e, -EINVAL, "unknown key %s", key);
	if (entry->cmdline == INI_CMDLINE_NEVER)
		return error_set(
			c->e, -EPERM,
			"%s= may not be set here: the host controls the kernel command line", key);
	if (!ini_allowed(entry, c->allow))
		return error_set(c->e, -EPERM,
				 "%s= may not be set here: the host controls the kernel command "
				 "line, and [general] cmdline-overrides does not list %s",
				 key, name);
	if (!value)
		return error_set(c->e, -EINVAL, "%s without a value (expected %s=...)", key, key);
	i = (size_t)(entry - c->schema->entries);
	r = ini_assign(entry, c->target, value, !c->seen[i], c->e);
	if (r < 0)
		return error_prefix(c->e, "%s", key);
	c->seen[i] = true;
	c->applied++;
	return 0;
}

int ini_apply_cmdline(const struct ini_schema *schema, void *target, const char *cmdline,
		      const char *const *allow, unsigned *applied, struct error *e)
{
	_cleanup_free_ char *copy = NULL;
	_cleanup_free_ bool *seen = NULL;
	struct ini_cmdline c = {
		.schema = schema,
		.target = target,
		.allow = allow,
		.e = e,
	};
	int r;

	if (applied)
		*applied = 0;

	copy = strdup(cmdline);
	seen = calloc(schema->count + 1, sizeof(*seen));
	if (!copy || !seen)
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): _cleanup_free_ frees it */
		return error_set_errno(e, -ENOMEM, "kernel command line");
	c.seen = seen;
	r = cmdline_parse(copy, ini_cmdline_param, &c, e);
	if (applied)
		*applied = c.applied;
	if (r < 0)
		return error_prefix(e, "kernel command line");
	return 0;
}

void ini_free(const struct ini_schema *schema, void *target)
{
	for (size_t i = 0; i < schema->count; i++) {
		const struct ini_entry *entry = &schema->entries[i];
		void *field = ini_field(entry, target);

		if (entry->type == INI_STRING || entry->type == INI_PATH) {
			free(*(char **)field);
			*(char **)field = NULL;
		} else if (entry->type == INI_LIST) {
			ini_list_free(*(char ***)field);
			*(char ***)field = NULL;
		}
	}
}

static void ini_write_value(FILE *out, const char *key, const char *value)
{
	size_t n = strlen(value);
	/* Quotes keep what ini_trim() would strip from the ends, a CR included. */
	bool quote = n > 0 && (value[0] == '"' || strchr(" \t\r", value[0]) ||
			       strchr(" \t\r", value[n - 1]));

	fprintf(out, quote ? "%s = \"%s\"\n" : "%s = %s\n", key, value);
}

static const void *ini_field_const(const struct ini_entry *entry, const void *target)
{
	return (const char *)target + entry->offset;
}

int ini_write(const struct ini_schema *schema, const void *target, FILE *out)
{
	const char *section = NULL;

	for (size_t i = 0; i < schema->count; i++) {
		const struct ini_entry *entry = &schema->entries[i];
		const void *field = ini_field_const(entry, target);

		if (!section || strcmp(section, entry->section) != 0) {
			fprintf(out, "%s[%s]\n", section ? "\n" : "", entry->section);
			section = entry->section;
		}
		switch (entry->type) {
		case INI_STRING:
		case INI_PATH:
			if (*(char *const *)field)
				ini_write_value(out, entry->key, *(char *const *)field);
			else
				fprintf(out, "# %s is not set\n", entry->key);
			break;
		case INI_LIST:
			if (!*(char **const *)field)
				fprintf(out, "# %s is empty\n", entry->key);
			for (char **item = *(char **const *)field; item && *item; item++)
				ini_write_value(out, entry->key, *item);
			break;
		case INI_BOOL:
			fprintf(out, "%s = %s\n", entry->key, *(const bool *)field ? "yes" : "no");
			break;
		case INI_UINT:
			fprintf(out, "%s = %" PRIu64 "\n", entry->key, *(const uint64_t *)field);
			break;
		case INI_ENUM: {
			const char *name = ini_enum_name(entry, *(const int *)field);

			fprintf(out, "%s = %s\n", entry->key, name ? name : "?");
			break;
		}
		}
	}
	return ferror(out) ? -EIO : 0;
}
