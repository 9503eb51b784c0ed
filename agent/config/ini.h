/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_CONFIG_INI_H
#define MRBOOT_CONFIG_INI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct error;

/*
 * A strict INI reader driven by a caller's schema table, filling a caller's struct.
 *
 * File syntax, one construct per line:
 *   [section]             a header: the text between the brackets, exactly (no trimming)
 *   key = value           split at the first '='; key and value are trimmed of spaces, tabs
 *                         and a CR (so CRLF files read the same)
 *   # text  or  ; text    a comment, only as a whole line
 *   (blank)
 * A value that starts with '"' must end with '"'; the two quotes are removed and nothing
 * between them is special (no escapes), which keeps surrounding spaces or a leading '#'.
 *
 * Everything else is an error whose message starts "<name>:<line>: ": an unknown section or
 * key, a key before any section, a line without '=', an empty key, a value its type rejects,
 * a scalar key given twice (the message names the line of the first), a NUL byte, a line over
 * INI_LINE_MAX bytes; a text over INI_SIZE_MAX bytes is refused as a whole.
 *
 * Kernel command line: mrboot.<section>.<key>=<value> sets the same entry (see cmdline.h for
 * the quoting rules). Names are matched exactly, case and '-' vs '_' included. A value with a
 * line break, which only a quoted parameter can hold, is refused: no file could hold it.
 * The command line is the host's (doc/trust-model.md), so each entry says whether it may be
 * set there (enum ini_cmdline_rule); an entry that may not is refused with -EPERM.
 *
 * Lists: every assignment adds exactly one item, the whole value (spaces included); repeat
 * the key for more. The first assignment from a source (the file, then the command line)
 * replaces the list held so far, later ones from the same source append: the command line
 * can thus replace the file's list, and the file the caller's default. Scalars given on the
 * command line replace the file's value; the last one given wins, as for kernel parameters.
 *
 * Defaults: the caller fills its struct before parsing; entries not mentioned keep them.
 * String, path and list fields are owned by the struct: they must start NULL or
 * heap-allocated (strdup), because a new value frees the old one and ini_free() frees all.
 * On error the struct may hold some new values; the caller treats it as failed and frees it.
 */

#define INI_SIZE_MAX (64 * 1024)
#define INI_LINE_MAX 4096 /* bytes, without the newline */

enum ini_type {
	INI_STRING, /* char *: any text, empty included */
	INI_PATH,   /* char *: an absolute path (starts with '/') */
	INI_LIST,   /* char **: NULL-terminated array of non-empty strings; NULL when empty */
	INI_BOOL,   /* bool: yes/no, true/false, on/off, 1/0, lowercase only */
	INI_UINT,   /* uint64_t: decimal digits, min..max; no sign, no leading zero */
	INI_ENUM,   /* int: the value names or name gives the text */
};

/*
 * Whether a kernel parameter may set an entry. Zero, what an entry that says nothing gets, is
 * the safe choice: a key added later cannot silently become the host's to set.
 */
enum ini_cmdline_rule {
	INI_CMDLINE_IF_ALLOWED, /* only when the caller's allow-list names it */
	INI_CMDLINE_ALWAYS,	/* nothing the host could gain by setting it */
	INI_CMDLINE_NEVER,	/* not even then (the allow-list itself) */
};

/* The values an INI_ENUM name function is asked about, in this order. */
#define INI_ENUM_MIN (-1)
#define INI_ENUM_MAX 15

struct ini_entry {
	const char *section;
	const char *key;
	enum ini_type type;
	enum ini_cmdline_rule cmdline;
	size_t offset;	   /* offsetof() the field in the caller's struct */
	uint64_t min, max; /* INI_UINT */
	/*
	 * INI_ENUM, one of: names, NULL-terminated, for the values 0, 1, ...; or name, which
	 * names each value from INI_ENUM_MIN to INI_ENUM_MAX that the enum has and gives NULL
	 * for the others, so that a module that owns an enum also owns its names.
	 */
	const char *const *names;
	const char *(*name)(int value);
};

struct ini_schema {
	const struct ini_entry *entries;
	size_t count;
};

/*
 * Parses len bytes of text (no NUL terminator needed; any bytes are handled, so this is the
 * function to fuzz) into target. name is what messages call the text, usually its path.
 * Allocates the values it stores and one scratch array of count entries, freed on return.
 */
int ini_parse_text(const struct ini_schema *schema, void *target, const char *text, size_t len,
		   const char *name, struct error *e);

/*
 * ini_parse_text() on the file at path (already under any root prefix, see path.h). A
 * missing file is not an error: *found (when not NULL) tells whether it was read.
 */
int ini_read_file(const struct ini_schema *schema, void *target, const char *path, bool *found,
		  struct error *e);

/*
 * Applies every mrboot.<section>.<key>=<value> parameter of a kernel command line to target;
 * others are ignored. An unknown mrboot. key or one without '=' is an error naming it; so is
 * (-EPERM) one whose entry the command line may not set: INI_CMDLINE_NEVER, or
 * INI_CMDLINE_IF_ALLOWED while allow (NULL-terminated "<section>.<key>" names, or NULL)
 * does not name it. *applied (when not NULL) gets how many parameters were applied.
 * Works on one heap copy of cmdline, freed on return.
 */
int ini_apply_cmdline(const struct ini_schema *schema, void *target, const char *cmdline,
		      const char *const *allow, unsigned *applied, struct error *e);

/*
 * Checks an allow-list for ini_apply_cmdline(): every name must be "<section>.<key>" of an
 * entry that is not INI_CMDLINE_NEVER. The message names the first that is not.
 */
int ini_check_allow(const struct ini_schema *schema, const char *const *allow, struct error *e);

/* Frees every string and list of target and sets the fields to NULL. */
void ini_free(const struct ini_schema *schema, void *target);

/*
 * Writes target as a configuration file that ini_parse_text() reads back to the same
 * values: sections in schema order, one "key = value" line per value (one per list item),
 * values quoted where their spaces or a leading quote would otherwise be lost. Unset strings
 * and paths are written as comments.
 */
int ini_write(const struct ini_schema *schema, const void *target, FILE *out);

#endif
