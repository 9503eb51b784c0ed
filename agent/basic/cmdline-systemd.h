/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_CMDLINE_SYSTEMD_H
#define MRBOOT_CMDLINE_SYSTEMD_H

#include <stdbool.h>

struct error;

/*
 * The kernel command line split as systemd splits it, which is not as the kernel does
 * (cmdline.h). What systemd's generators act on in the initrd is what mrboot must measure, so
 * the root hash is read by these rules. Read in systemd v252.39 and v257.13 (Debian's source
 * packages) and checked against v262.1's binaries: proc_cmdline_parse() in
 * src/basic/proc-cmdline.c splits with extract_first_word() (src/basic/extract-word.c, the
 * same in both) and the flags EXTRACT_UNQUOTE | EXTRACT_RELAX | EXTRACT_RETAIN_ESCAPE:
 *
 *  - words are separated by runs of space, \t, \n and \r only (WHITESPACE in
 *    src/basic/string-util.h); \v, \f and 0xa0, which separate for the kernel, are part of
 *    a word here;
 *  - a ' or a " anywhere opens a quote that the same character closes; the quote
 *    characters are dropped and separators inside are kept ('roothash=a b', "roothash"=a
 *    and roothash="a" are all the key roothash); the other quote character is literal inside;
 *  - an unterminated quote runs to the end of the line (RELAX), without error;
 *  - a backslash is an ordinary character (RETAIN_ESCAPE): \" does not escape the quote;
 *  - a bare -- is an ordinary word: words after it count too (the kernel hands them to init,
 *    systemd still reads them from /proc/cmdline);
 *  - a word starting "rd." is for the initrd: there systemd drops the prefix
 *    (PROC_CMDLINE_STRIP_RD_PREFIX, once: rd.rd.x is the key rd.x), outside it ignores the
 *    word. mrboot runs in the initrd, so this always treats the line as the initrd does;
 *  - the key ends at the word's first '=' (a '=' in first place makes an empty key); a word
 *    without one has a NULL value, "key=" an empty one.
 */

/*
 * Called once per word, in order: key without its "rd." prefix (rd_prefix says whether it
 * had one) and value, NULL without '='. Both live only until fn returns. A non-zero return
 * stops the walk and is what cmdline_systemd_parse() returns; fn reports its own errors.
 */
typedef int (*cmdline_systemd_fn)(const char *key, const char *value, bool rd_prefix,
				  void *userdata);

/* Walks text by the rules above; -ENOMEM (in e) is its only error of its own. */
int cmdline_systemd_parse(const char *text, cmdline_systemd_fn fn, void *userdata, struct error *e);

#endif
