/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AMD SEV-SNP evidence: the ATTESTATION_REPORT and the certificates the sev_guest provider
 * returns, as JSON in the layout the Rust sev crate's serde derives give its types, since
 * that is what Trustee's verifier deserialises.
 *
 * Checked against:
 *  - confidential-containers/trustee at 78962cd4 (2026-08-21) deps/verifier/src/snp/mod.rs:
 *    SnpEvidence { attestation_report: sev::firmware::guest::AttestationReport, cert_chain:
 *    Option<Vec<sev::firmware::host::CertTableEntry>> }; a null chain makes it fetch the VCEK
 *    from AMD's KDS, while a chain given must hold a VCEK or VLEK ("If a cert chain is
 *    provided, it must include a VCEK/VLEK"), so an empty one is refused; report versions 3..5
 *    (the CPUID family and model name the processor), VMPL must be 0, REPORT_DATA compared with
 *    the expected value padded to 64 bytes. The report's signed bytes are re-encoded from the
 *    deserialised fields, so the JSON must carry every byte the signature covers.
 *  - Trustee's Cargo.toml: sev 7 (features snp, serde, openssl), patched to a virtee/sev git
 *    revision; guest-components' attester (which makes this JSON with serde_json) uses sev 6.
 *  - virtee/sev src/firmware/guest/types/snp.rs, src/firmware/host/types/snp.rs,
 *    src/certs/snp/ecdsa/mod.rs, src/util/array.rs (the 5.x..7.x layout): AttestationReport's
 *    fields in declaration order below; byte arrays (plain or the Array<u8, N> newtype, with
 *    serde_big_array) are JSON arrays of numbers; GuestPolicy(u64), PlatformInfo(u64) and
 *    KeyInfo(u32) are bitfield newtypes, hence numbers; TcbVersion is {fmc: Option<u8>,
 *    bootloader, tee, snp, microcode}; Version is {major, minor, build}; Signature is {r, s},
 *    72 bytes each; the CPUID fields are Option<u8> (None before report version 3) and the
 *    mitigation vectors Option<u64> (None before version 5); CertTableEntry is {cert_type,
 *    data: Vec<u8>} with CertType an externally tagged enum ("ARK", "ASK", "VCEK", "VLEK",
 *    "CRL", {"OTHER": "<uuid>"}).
 *  - The SEV-SNP firmware ABI's ATTESTATION_REPORT table for the offsets and the TCB_VERSION
 *    table for the two TCB layouts (from Zen 5 "Turin": FMC, bootloader, TEE, SNP, 3
 *    reserved, microcode; before: bootloader, TEE, 4 reserved, SNP, microcode). Like the sev
 *    crate, the layout follows the CPUID family in a version 3+ report (0x1A and later:
 *    Turin), and the shape of CHIP_ID in a version 2 one.
 *  - The GHCB specification's certificate table (GUID, offset, length; ends with a zero GUID;
 *    offsets from the table's start). The sev crate reads the GUID bytes as an RFC 4122 UUID
 *    (Uuid::from_slice), the byte order its own host-side writer and AMD's sev-guest tools
 *    (libuuid) put down.
 * Older sev releases (up to 4.x) had a flat layout with reserved members; a broker built on
 * those would need that shape instead.
 */
#include "attest/evidence-tee.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "basic/error.h"
#include "json/json.h"
#include "basic/macro.h"

#define SNP_VERSION_MIN 2
#define SNP_VERSION_MAX 5
#define SNP_CPUID_FAMILY 0x188
#define SNP_CHIP_ID 0x1a0
#define SNP_TURIN_FAMILY 0x1a
#define SNP_TCB_SIZE 8
#define SNP_SIG_PART 72
#define SNP_CERT_ENTRY_SIZE 24

enum snp_kind {
	SNP_U8,	     /* a number */
	SNP_U32,     /* little-endian, a number */
	SNP_U64,     /* little-endian, a number */
	SNP_BYTES,   /* an array of numbers */
	SNP_TCB,     /* TCB_VERSION: an object, in the layout of the report's generation */
	SNP_VERSION, /* build, minor, major bytes: {"major","minor","build"} */
	SNP_SIG,     /* ECDSA signature: {"r","s"} */
};

/*
 * AttestationReport's members in the sev crate's order. since: the first report version with
 * the field (an Option in the crate, null before).
 */
static const struct snp_field {
	const char *name;
	enum snp_kind kind;
	unsigned offset;
	unsigned size; /* SNP_BYTES */
	unsigned since;
} snp_fields[] = {
	{ "version", SNP_U32, 0x000, 0, 0 },
	{ "guest_svn", SNP_U32, 0x004, 0, 0 },
	{ "policy", SNP_U64, 0x008, 0, 0 },
	{ "family_id", SNP_BYTES, 0x010, 16, 0 },
	{ "image_id", SNP_BYTES, 0x020, 16, 0 },
	{ "vmpl", SNP_U32, 0x030, 0, 0 },
	{ "sig_algo", SNP_U32, 0x034, 0, 0 },
	{ "current_tcb", SNP_TCB, 0x038, 0, 0 },
	{ "plat_info", SNP_U64, 0x040, 0, 0 },
	{ "key_info", SNP_U32, 0x048, 0, 0 },
	{ "report_data", SNP_BYTES, 0x050, 64, 0 },
	{ "measurement", SNP_BYTES, 0x090, 48, 0 },
	{ "host_data", SNP_BYTES, 0x0c0, 32, 0 },
	{ "id_key_digest", SNP_BYTES, 0x0e0, 48, 0 },
	{ "author_key_digest", SNP_BYTES, 0x110, 48, 0 },
	{ "report_id", SNP_BYTES, 0x140, 32, 0 },
	{ "report_id_ma", SNP_BYTES, 0x160, 32, 0 },
	{ "reported_tcb", SNP_TCB, 0x180, 0, 0 },
	{ "cpuid_fam_id", SNP_U8, 0x188, 0, 3 },
	{ "cpuid_mod_id", SNP_U8, 0x189, 0, 3 },
	{ "cpuid_step", SNP_U8, 0x18a, 0, 3 },
	{ "chip_id", SNP_BYTES, 0x1a0, 64, 0 },
	{ "committed_tcb", SNP_TCB, 0x1e0, 0, 0 },
	{ "current", SNP_VERSION, 0x1e8, 0, 0 },
	{ "committed", SNP_VERSION, 0x1ec, 0, 0 },
	{ "launch_tcb", SNP_TCB, 0x1f0, 0, 0 },
	{ "launch_mit_vector", SNP_U64, 0x1f8, 0, 5 },
	{ "current_mit_vector", SNP_U64, 0x200, 0, 5 },
	{ "signature", SNP_SIG, 0x2a0, 0, 0 },
};

/*
 * Bytes the JSON has no member for: the sev crate writes zeros there when it re-encodes the
 * report, so anything else would fail the signature at the broker. until: reserved only in
 * reports before that version (0: in all).
 */
static const struct {
	unsigned start, end;
	unsigned until;
} snp_reserved[] = {
	{ 0x04c, 0x050, 0 }, /* after KEY_INFO */
	{ 0x188, 0x18b, 3 }, /* CPUID family, model, stepping from version 3 */
	{ 0x18b, 0x1a0, 0 },
	{ 0x1eb, 0x1ec, 0 }, /* after CURRENT_MAJOR */
	{ 0x1ef, 0x1f0, 0 }, /* after COMMITTED_MAJOR */
	{ 0x1f8, 0x208, 5 }, /* mitigation vectors from version 5 */
	{ 0x208, 0x2a0, 0 },
	{ 0x2a0 + 2 * SNP_SIG_PART, EVIDENCE_SNP_REPORT_SIZE, 0 }, /* after R and S */
};

/* Certificate table GUIDs (GHCB specification) and the sev crate's CertType names. */
static const struct {
	const char *guid;
	const char *name;
} snp_cert_types[] = {
	{ "c0b406a4-a803-4952-9743-3fb6014cd0ae", "ARK" },
	{ "4ab7b379-bbac-4fe4-a02f-05aef327c782", "ASK" },
	{ "63da758d-e664-4564-adc5-f4b93be8accd", "VCEK" },
	{ "a8074bc2-a25a-483e-aae6-39c045a0b8a1", "VLEK" },
	{ "92f81bc3-5811-4d3d-97ff-d19f88dc67ea", "CRL" },
};

static uint32_t snp_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t snp_le64(const uint8_t *p)
{
	return (uint64_t)snp_le32(p) | (uint64_t)snp_le32(p + 4) << 32;
}

static bool snp_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Where a TCB_VERSION layout keeps its fields (-1: it has none) and its reserved bytes. */
struct snp_tcb_layout {
	const char *name;
	int fmc, bootloader, tee, snp, microcode;
	unsigned reserved_start, reserved_end;
};

static const struct snp_tcb_layout snp_tcb_legacy = { "Milan/Genoa", -1, 0, 1, 6, 7, 2, 6 };
static const struct snp_tcb_layout snp_tcb_turin = { "Turin", 0, 1, 2, 3, 7, 4, 7 };

/*
 * The TCB_VERSION layout of the report's generation: Zen 5 ("Turin") and later order the
 * fields differently from Milan and Genoa.
 */
static const struct snp_tcb_layout *snp_tcb_layout_of(const uint8_t *report, uint32_t version)
{
	const uint8_t *chip = report + SNP_CHIP_ID;
	bool turin;

	if (version >= 3)
		turin = report[SNP_CPUID_FAMILY] >= SNP_TURIN_FAMILY;
	else
		/* Version 2 has no CPUID: Turin's CHIP_ID is 8 bytes, the rest zero. */
		turin = !snp_zero(chip, 8) && snp_zero(chip + 8, 64 - 8);
	return turin ? &snp_tcb_turin : &snp_tcb_legacy;
}

static int snp_check_reserved(const uint8_t *report, uint32_t version,
			      const struct snp_tcb_layout *tcb, struct error *e)
{
	for (size_t i = 0; i < ARRAY_SIZE(snp_reserved); i++) {
		if (snp_reserved[i].until && version >= snp_reserved[i].until)
			continue;
		for (unsigned off = snp_reserved[i].start; off < snp_reserved[i].end; off++)
			if (report[off])
				return error_set(
					e, -EBADMSG,
					"SEV-SNP report version %u has 0x%02x at reserved "
					"offset 0x%03x: the sev crate's layout cannot carry "
					"it, so the broker could not check the signature",
					version, report[off], off);
	}
	for (size_t i = 0; i < ARRAY_SIZE(snp_fields); i++) {
		const struct snp_field *f = &snp_fields[i];

		if (f->kind != SNP_TCB)
			continue;
		for (unsigned b = tcb->reserved_start; b < tcb->reserved_end; b++)
			if (report[f->offset + b])
				return error_set(e, -EBADMSG,
						 "SEV-SNP report %s byte %u is 0x%02x, reserved in "
						 "the %s TCB_VERSION layout",
						 f->name, b, report[f->offset + b], tcb->name);
	}
	return 0;
}

static int snp_tcb_write(struct json_writer *w, const uint8_t *t, const struct snp_tcb_layout *l)
{
	json_writer_begin_object(w);
	json_writer_key(w, "fmc");
	if (l->fmc < 0)
		json_writer_null(w);
	else
		json_writer_uint64(w, t[l->fmc]);
	json_writer_key(w, "bootloader");
	json_writer_uint64(w, t[l->bootloader]);
	json_writer_key(w, "tee");
	json_writer_uint64(w, t[l->tee]);
	json_writer_key(w, "snp");
	json_writer_uint64(w, t[l->snp]);
	json_writer_key(w, "microcode");
	json_writer_uint64(w, t[l->microcode]);
	return json_writer_end_object(w);
}

static int snp_field_write(struct json_writer *w, const struct snp_field *f, const uint8_t *report,
			   uint32_t version, const struct snp_tcb_layout *tcb)
{
	const uint8_t *p = report + f->offset;

	json_writer_key(w, f->name);
	if (version < f->since)
		return json_writer_null(w);
	switch (f->kind) {
	case SNP_U8:
		return json_writer_uint64(w, p[0]);
	case SNP_U32:
		return json_writer_uint64(w, snp_le32(p));
	case SNP_U64:
		return json_writer_uint64(w, snp_le64(p));
	case SNP_BYTES:
		return tee_json_bytes(w, p, f->size);
	case SNP_TCB:
		return snp_tcb_write(w, p, tcb);
	case SNP_VERSION:
		json_writer_begin_object(w);
		json_writer_key(w, "major");
		json_writer_uint64(w, p[2]);
		json_writer_key(w, "minor");
		json_writer_uint64(w, p[1]);
		json_writer_key(w, "build");
		json_writer_uint64(w, p[0]);
		return json_writer_end_object(w);
	case SNP_SIG:
		json_writer_begin_object(w);
		json_writer_key(w, "r");
		tee_json_bytes(w, p, SNP_SIG_PART);
		json_writer_key(w, "s");
		tee_json_bytes(w, p + SNP_SIG_PART, SNP_SIG_PART);
		return json_writer_end_object(w);
	}
	return json_writer_fail(w, -EINVAL, "SEV-SNP field %s of unknown kind %d", f->name,
				(int)f->kind);
}

static int snp_report_check(const uint8_t *report, size_t len, struct error *e)
{
	uint32_t version;

	if (len != EVIDENCE_SNP_REPORT_SIZE)
		return error_set(e, -EBADMSG,
				 "an SEV-SNP report of %zu bytes, the ATTESTATION_REPORT has %u",
				 len, EVIDENCE_SNP_REPORT_SIZE);
	version = snp_le32(report);
	if (version < SNP_VERSION_MIN || version > SNP_VERSION_MAX)
		return error_set(e, -EBADMSG,
				 "SEV-SNP report version %u: the sev crate reads versions %u to %u",
				 version, SNP_VERSION_MIN, SNP_VERSION_MAX);
	return snp_check_reserved(report, version, snp_tcb_layout_of(report, version), e);
}

static int snp_report_write(struct json_writer *w, const uint8_t *report)
{
	uint32_t version = snp_le32(report);
	const struct snp_tcb_layout *tcb = snp_tcb_layout_of(report, version);

	json_writer_begin_object(w);
	for (size_t i = 0; i < ARRAY_SIZE(snp_fields); i++)
		snp_field_write(w, &snp_fields[i], report, version, tcb);
	return json_writer_end_object(w);
}

/* The GUID's bytes as an RFC 4122 UUID, lowercase with hyphens (uuid's serde form). */
static void snp_guid_format(char out[37], const uint8_t *g)
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11], g[12],
		 g[13], g[14], g[15]);
}

static int snp_cert_type_write(struct json_writer *w, const uint8_t *g)
{
	char guid[37];

	snp_guid_format(guid, g);
	for (size_t i = 0; i < ARRAY_SIZE(snp_cert_types); i++)
		if (strcmp(guid, snp_cert_types[i].guid) == 0)
			return json_writer_string(w, snp_cert_types[i].name);
	json_writer_begin_object(w);
	json_writer_key(w, "OTHER");
	json_writer_string(w, guid);
	return json_writer_end_object(w);
}

/* Counts the entries before the terminating zero GUID, checking that each is inside. */
static int snp_certs_count(const uint8_t *certs, size_t len, size_t *count, struct error *e)
{
	for (size_t i = 0; i < len / SNP_CERT_ENTRY_SIZE; i++) {
		const uint8_t *entry = certs + i * SNP_CERT_ENTRY_SIZE;
		uint32_t offset = snp_le32(entry + 16), length = snp_le32(entry + 20);

		if (snp_zero(entry, 16)) {
			*count = i;
			return 0;
		}
		if (offset > len || length > len - offset)
			return error_set(e, -EBADMSG,
					 "SEV-SNP certificate table entry %zu: %u bytes at offset "
					 "%u, beyond the %zu bytes of the table",
					 i, length, offset, len);
	}
	return error_set(e, -EBADMSG,
			 "SEV-SNP certificate table of %zu bytes has no terminating zero entry",
			 len);
}

static int snp_certs_write(struct json_writer *w, const uint8_t *certs, size_t count)
{
	json_writer_begin_array(w);
	for (size_t i = 0; i < count; i++) {
		const uint8_t *entry = certs + i * SNP_CERT_ENTRY_SIZE;

		json_writer_begin_object(w);
		json_writer_key(w, "cert_type");
		snp_cert_type_write(w, entry);
		json_writer_key(w, "data");
		tee_json_bytes(w, certs + snp_le32(entry + 16), snp_le32(entry + 20));
		json_writer_end_object(w);
	}
	return json_writer_end_array(w);
}

int evidence_snp_format(struct json_writer *w, const uint8_t *report, size_t report_len,
			const uint8_t *certs, size_t certs_len, struct error *e)
{
	size_t count = 0;
	int k;

	/* Both checked before anything is written, so a refusal leaves no half value. */
	k = snp_report_check(report, report_len, e);
	if (k >= 0 && certs_len > 0)
		k = snp_certs_count(certs, certs_len, &count, e);
	if (k < 0)
		return k;
	json_writer_begin_object(w);
	json_writer_key(w, "attestation_report");
	snp_report_write(w, report);
	json_writer_key(w, "cert_chain");
	/*
	 * No table, or one of no entries, is None: Trustee refuses Some(vec![]) (see the top of
	 * the file) and fetches the VCEK itself for None.
	 */
	if (certs_len == 0 || count == 0)
		json_writer_null(w);
	else
		snp_certs_write(w, certs, count);
	return json_writer_end_object(w);
}

int evidence_snp_write(struct json_writer *w, const struct tee_evidence_input *in, struct error *e)
{
	struct tsm_report report = { 0 };
	int k;

	k = tee_report_request(in, "sev_guest", &report, e);
	if (k < 0)
		return k;
	k = evidence_snp_format(w, report.outblob.data, report.outblob.len, report.auxblob.data,
				report.auxblob.len, e);
	tsm_report_free(&report);
	return k;
}
