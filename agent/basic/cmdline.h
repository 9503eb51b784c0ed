/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_CMDLINE_H
#define MRBOOT_CMDLINE_H

#include <stddef.h>

struct error;

/*
 * The kernel command line, split exactly as the kernel's next_arg() (lib/cmdline.c) and
 * parse_args() (kernel/params.c) split it, so that mrboot sees the parameters the kernel saw:
 *
 *  - parameters are separated by whitespace: space, \t \n \v \f \r, and the byte 0xa0, which
 *    the kernel's Latin-1 isspace() counts as a space;
 *  - a double quote toggles quoting wherever it appears, and whitespace inside quotes does not
 *    separate ("a b" and a="b c" are one parameter each); there is no escape for '"';
 *  - the key ends at the first '=' that is not the parameter's first character; a parameter
 *    without one has a NULL value;
 *  - if the value starts with '"', that quote is dropped, and so is the parameter's last
 *    character if it is a quote; if the parameter starts with '"', that quote is dropped and
 *    so is a quote in last place (a="b c" -> a, b c; "a=b c" -> a, b c; "a b" -> a b, NULL;
 *    a="b"c -> a, b"c);
 *  - a bare -- (no value) ends the kernel's parameters: what follows belongs to init.
 *
 * One deliberate difference: where the kernel silently runs an unterminated quote to the end
 * of the line, this is an error, since it always means a mistyped command line.
 */

/* /proc/cmdline is at most a few KiB (COMMAND_LINE_SIZE); anything larger is not one. */
#define CMDLINE_SIZE_MAX (64 * 1024)

/*
 * Called once per parameter, in order. key and value point into the caller's text and stay
 * valid as long as it does. A non-zero return stops the walk and is returned by
 * cmdline_parse(); fn reports its own errors (through userdata), cmdline_parse() does not
 * touch e for them.
 */
typedef int (*cmdline_fn)(const char *key, const char *value, void *userdata);

/*
 * Splits text in place (NUL bytes are written over separators, '=' and dropped quotes;
 * nothing is allocated) and calls fn for every parameter before a bare --. The whole line is
 * checked first, so on an unterminated quote fn is never called and -EINVAL is returned with
 * a message naming the byte offset of the quote that opened it.
 */
int cmdline_parse(char *text, cmdline_fn fn, void *userdata, struct error *e);

/*
 * Reads <root>/proc/cmdline (root NULL or "/" for the running system) into a heap string the
 * caller frees, without the trailing newline. Refuses files over CMDLINE_SIZE_MAX bytes and
 * files holding a NUL byte.
 */
int cmdline_read(const char *root, char **out, struct error *e);

/* The same for a file that holds a kernel command line (one that an image will boot with). */
int cmdline_read_file(const char *path, char **out, struct error *e);

#endif
