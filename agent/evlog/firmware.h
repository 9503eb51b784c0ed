/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_EVLOG_FIRMWARE_H
#define MRBOOT_EVLOG_FIRMWARE_H

/*
 * The firmware's own event logs, which mrboot's records continue (DESIGN.md section 5), as
 * the kernel exposes them: the CCEL (TDX, CCA: the ACPI CCEL table's log area, evlog/ccel.h)
 * and the TPM's (the ACPI TPM2 table's, evlog/tcg2.h).
 */

#include <limits.h>
#include <stddef.h>

struct error;

#define EVLOG_FIRMWARE_CCEL "/sys/firmware/acpi/tables/data/CCEL"
#define EVLOG_FIRMWARE_TPM "/sys/kernel/security/tpm0/binary_bios_measurements"
/* Their log areas are tens of KiB to a few MiB; more is not a firmware log. */
#define EVLOG_FIRMWARE_MAX (16u << 20)

/*
 * Reads the log at path (EVLOG_FIRMWARE_CCEL, EVLOG_FIRMWARE_TPM or another) under root (NULL
 * or "/": the real root) into *data, a heap buffer the caller frees, of *len bytes; where
 * (where_size bytes) gets the full path, for the caller's messages. -ENOENT when there is no
 * log: the caller says whether that is an error or an empty log. Other errors name the path.
 */
int evlog_firmware_read(const char *root, const char *path, char *where, size_t where_size,
			char **data, size_t *len, struct error *e);

/* A firmware log read once and handed to everyone who needs it (replay, the evidence). */
struct evlog_firmware {
	char *data; /* NULL: the kernel has no such log */
	size_t len;
	char path[PATH_MAX]; /* where it was looked for, under the root */
};

/* evlog_firmware_read() into fw, with -ENOENT as a log that is not there (fw->data NULL). */
int evlog_firmware_load(struct evlog_firmware *fw, const char *root, const char *path,
			struct error *e);
void evlog_firmware_free(struct evlog_firmware *fw);

#endif
