/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_TPM2_H
#define MRBOOT_TPM2_H

#include <stddef.h>
#include <stdint.h>

#include "mr.h"
#include "tpm2-marshal.h"
#include "tpm2-transport.h"

struct error;

/*
 * The TPM 2.0 register backend: PCRs read and extended over the kernel's resource manager
 * (/dev/tpmrm0) or swtpm's server socket. A caller-owned context holds the connection and the
 * command and response buffers; nothing is allocated.
 *
 * Every command has a deadline (timeout_ms) so that a dead TPM cannot hang the boot. A
 * response code that says the TPM did not run the command and it may be sent again
 * (tpm2_rc_retryable(): TPM_RC_RETRY, _YIELDED, _CANCELED, _TESTING) is retried up to
 * retry_max times, waiting 20 ms and then twice as long each time (at most about 1 s); then
 * -EAGAIN. Any other response code is -EIO with its name; a malformed response is -EBADMSG.
 */
#define TPM2_DEVICE_PATH "/dev/tpmrm0"
#define TPM2_TIMEOUT_MS_DEFAULT 5000
/* 20 + 40 + ... + 1280 ms: 2.5 s for a self test to finish, as the kernel allows its own. */
#define TPM2_RETRY_MAX_DEFAULT 7
/*
 * TPM2_CreatePrimary of an RSA key: a hardware TPM searches for primes for seconds, some for
 * tens of seconds (the kernel allows such commands minutes).
 */
#define TPM2_KEYGEN_TIMEOUT_MS_DEFAULT 60000

struct tpm2 {
	struct tpm2_transport transport;
	int timeout_ms;	       /* per command, retries aside; set after opening to change */
	int keygen_timeout_ms; /* the same for TPM2_CreatePrimary */
	unsigned retry_max;    /* retries of a retryable response code; 0 for none */
	unsigned attempts;     /* how many times the last command was sent */
	uint32_t last_rc;      /* response code of the last response received, 0 if none */
	uint8_t command[TPM2_BUFFER_SIZE];
	uint8_t response[TPM2_BUFFER_SIZE];
};

/* The TPM device at <root><path>; path NULL for TPM2_DEVICE_PATH. */
int tpm2_open_device(struct tpm2 *t, const char *root, const char *path, struct error *e);

/* swtpm's server channel, `swtpm socket --tpm2 --server type=unixio,path=PATH`. */
int tpm2_open_socket(struct tpm2 *t, const char *path, struct error *e);

void tpm2_close(struct tpm2 *t);

/*
 * The active banks: every algorithm with at least one PCR allocated, in the TPM's order. A
 * bank whose algorithm hash.h lacks (SHA-1, SM3) is listed with supported false and its
 * TPM_ALG_ID, for the caller to refuse or to handle.
 */
int tpm2_get_banks(struct tpm2 *t, struct tpm2_banks *out, struct error *e);

/* The bank with this TPM_ALG_ID, or NULL. */
const struct tpm2_bank *tpm2_banks_find(const struct tpm2_banks *banks, uint16_t alg_id);

/*
 * PCR pcr (0..23, else -ERANGE) of bank alg_id (a TPM_ALG_ID: SHA-1 banks can be read too):
 * the value to out (cap bytes), its size to *len. -ENOENT if the PCR is not allocated there.
 */
int tpm2_pcr_read(struct tpm2 *t, unsigned pcr, uint16_t alg_id, uint8_t *out, size_t cap,
		  size_t *len, struct error *e);

/*
 * Extends PCR pcr (0..23, else -ERANGE) with one digest per entry of d, each in the bank of
 * its algorithm: that bank becomes H(old || digest). A bank without a digest in d is left
 * as it is; the caller decides whether that is acceptable (see tpm2_get_banks()).
 */
int tpm2_pcr_extend(struct tpm2 *t, unsigned pcr, const struct mr_digests *d, struct error *e);

/*
 * n bytes from the TPM's random number generator. They travel the TPM bus in the clear, so an
 * interposer could choose them: mix them with getrandom(), never use them alone for a key.
 */
int tpm2_get_random(struct tpm2 *t, void *buf, size_t n, struct error *e);

/*
 * mrboot's attestation key (tpm2-marshal.h): the same key at every boot, derived from the
 * endorsement primary seed, made within keygen_timeout_ms. It is a transient object: the
 * caller flushes ak->handle with tpm2_flush_context() on every path (the kernel's resource
 * manager also flushes it when the device is closed; swtpm's socket does not).
 */
int tpm2_create_ak(struct tpm2 *t, struct tpm2_ak *ak, struct error *e);

/*
 * TPM2_Quote with the AK of the PCRs in the mask pcrs (bit n: PCR n, 0..23) of bank alg_id,
 * over qualifying_len bytes of qualifying data (at most TPM2_QUALIFYING_DATA_MAX). The quote
 * is checked to be of exactly these (tpm2_unmarshal_quote()).
 */
int tpm2_quote(struct tpm2 *t, const struct tpm2_ak *ak, uint16_t alg_id, uint32_t pcrs,
	       const uint8_t *qualifying, size_t qualifying_len, struct tpm2_quote *out,
	       struct error *e);

/* Unloads a transient object. */
int tpm2_flush_context(struct tpm2 *t, uint32_t handle, struct error *e);

#endif
