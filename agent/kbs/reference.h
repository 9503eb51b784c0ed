/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_KBS_REFERENCE_H
#define MRBOOT_KBS_REFERENCE_H

/*
 * Reference values for a key broker, written from the predictions of one image
 * (measure/predict.h), so that the broker can release a key to "this image, booted as
 * intended" before the image has ever booted. Two forms:
 *  - Trustee's: the RVPS message of its "sample" extractor, whose payload names each accepted
 *    image's values per TEE in the claim names and encodings Trustee's verifiers produce
 *    (doc/trustee-reference-values.md; trustee/mrboot-attestation.rego reads them);
 *  - the test broker's policy (tests/kbs/README.md, "Policy").
 * Only whole registers are written (predict_register.complete): a value that is mrboot's part
 * alone would match no boot. Where the broker sees the event log (TDX; the test broker's TPM),
 * the events are held as well, exactly and in order.
 */

#include <stdbool.h>
#include <stddef.h>

struct error;
struct json_writer;
struct measure_plan;
struct predict;

struct reference_input {
	const char *image; /* reference_image_name_check() */
	/*
	 * The other images the broker accepts, comma-separated, or NULL: Trustee replaces a name's
	 * value when it is registered again, so "mrboot/images" must list them all at once.
	 */
	const char *also_accepted;
	const struct measure_plan *plan;
	const struct predict *predictions; /* n, each on a platform of its own */
	size_t n;
};

/* An image's name is part of a broker's keys: [A-Za-z0-9._-], 1 to 64 characters. */
int reference_image_name_check(const char *name, struct error *e);
/* The same for each name of a comma-separated list. */
int reference_image_list_check(const char *list, struct error *e);

/*
 * The TEE name (kbs_types::Tee) a broker knows a prediction's platform by: "tdx", "cca", "tpm"
 * or "snp".
 */
const char *reference_tee(const struct predict *p);

/*
 * Whether Trustee can hold anything of p: a whole register its verifier reports, or, on TDX
 * (whose evidence carries the event log), the events.
 */
bool reference_rvps_holds(const struct predict *p);

/*
 * {"version": "0.1.0", "type": "sample", "payload": base64(...)}: the payload names
 * "mrboot/IMAGE/TEE" a list of alternatives {"registers": {claim: value}, "events": [...]},
 * one per prediction that reference_rvps_holds(), and "mrboot/images": [IMAGE, also_accepted...].
 * -ENODATA when no prediction holds anything.
 */
int reference_write_rvps(struct json_writer *w, const struct reference_input *in, struct error *e);

/*
 * The test broker's policy: the whole registers per TEE, and a rule per event that requires
 * it exactly once with its content, at its register on each TEE whose evidence carries the
 * log. -EINVAL for two platforms of one TEE (the broker holds one set of registers per TEE).
 */
int reference_write_broker_policy(struct json_writer *w, const struct reference_input *in,
				  struct error *e);

#endif
