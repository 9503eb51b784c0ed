/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_MEMDUMP_H
#define MRBOOT_MEMDUMP_H

/*
 * Test builds only (-Dfault_injection=true): with MRBOOT_DUMP_MEMORY=PATH in the environment,
 * memdump_at_exit() writes every readable and writable mapping of the process to PATH, so
 * that a test can search what a finished command left in its memory for key bytes (issue 6:
 * secret hygiene). In other builds it does nothing.
 */
void memdump_at_exit(void);

#endif
