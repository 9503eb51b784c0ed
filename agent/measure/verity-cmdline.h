/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_VERITY_CMDLINE_H
#define MRBOOT_VERITY_CMDLINE_H

#include <stdbool.h>

struct error;

/*
 * The dm-verity root hashes that systemd's veritysetup generator takes from the kernel
 * command line in the initrd (src/veritysetup/veritysetup-generator.c,
 * parse_proc_cmdline_item(), in systemd v252.39 and v257.13; v262.1's binary behaves the same),
 * with the words split as cmdline-systemd.h says:
 *
 *  - roothash= and usrhash= (rd.roothash=, rd.usrhash= in the initrd) are the hashes of the
 *    root and /usr volumes; the last one wins; a key without '=' is ignored (the previous
 *    value stands); "roothash=" sets an empty value;
 *  - systemd.verity= (rd.systemd.verity=) turns the generator off when its value is a false
 *    boolean (parse_boolean(): 0 no n false f off, any case), on when true or without '=';
 *    an invalid value is ignored; the last valid one wins;
 *  - systemd.verity_root_hash= and systemd.verity_usr_hash= name the hash *devices*, not
 *    hashes (with _data= and _options=, the other pieces of the mapping): nothing here.
 *
 * Where systemd silently takes the last of several values, mrboot refuses two different
 * values for one hash (in any spelling: roothash= vs rd.roothash=, quoted or not), so that
 * what it measures is the only value anyone could have meant. Hex digits compare without
 * regard to case, as systemd-veritysetup decodes them.
 */
struct verity_cmdline {
	char *roothash;	  /* the value systemd attaches the root volume with, NULL if none */
	char *usrhash;	  /* the same for /usr */
	bool roothash_rd; /* the value was given as rd.roothash= (for messages) */
	bool usrhash_rd;
	bool verity_off;       /* systemd.verity= turned the generator off */
	bool verity_off_rd;    /* ... as rd.systemd.verity= */
	char verity_value[16]; /* the value that turned it off (for messages), cut */
};

/* Fills v from the kernel command line; -EINVAL naming both values on a conflict. */
int verity_cmdline_parse(const char *cmdline, struct verity_cmdline *v, struct error *e);
void verity_cmdline_free(struct verity_cmdline *v);

/* Whether two root hashes are the same value: equal but for the case of hex digits. */
bool verity_hash_equal(const char *a, const char *b);

/*
 * Where systemd's PID 1 caches the SystemdOptions EFI variable (EFIVAR_CACHE_PATH() of
 * src/basic/efivars.h, vendor EFI_VENDOR_SYSTEMD). systemd v252 and v257 parse it before
 * the kernel command line (proc_cmdline_parse(), unless Secure Boot is on, in which case PID 1
 * does not cache it), so a roothash= in an EFI variable, which the host writes and nobody
 * measures, reaches the generator; v262.1 reads it no more (its libsystemd-shared has no
 * SystemdOptions at all).
 */
#define VERITY_SYSTEMD_OPTIONS_CACHE \
	"/run/systemd/efivars/SystemdOptions-8cf2644b-4b0b-428f-9387-6d876050dc67"

/*
 * Refuses (-EPERM, naming the file and the word) a SystemdOptions cache under root that sets
 * roothash=, usrhash= or systemd.verity=: mrboot takes root hashes from the measured command
 * line and the initrd's configuration only. No cache is fine.
 */
int verity_systemd_options_check(const char *root, struct error *e);

#endif
