/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The SEV-SNP evidence writer on any bytes as the sev_guest provider's outblob and auxblob:
 * the first EVIDENCE_SNP_REPORT_SIZE bytes are the ATTESTATION_REPORT (all of the input when
 * it is shorter), the rest the GHCB certificate table. The broker re-encodes the report from
 * the JSON members to check its signature, so an accepted report must come back from the JSON
 * byte for byte. This target does that re-encoding with the report layout written out here a
 * second time (SEV-SNP firmware ABI, ATTESTATION_REPORT and TCB_VERSION tables; the sev crate's
 * member names), and reads each certificate back from its table entry. A refusal writes
 * nothing.
 */
#include <errno.h>
#include <string.h>

#include "attest/evidence-tee.h"
#include "basic/error.h"
#include "fuzz.h"
#include "json/json.h"

enum field_kind {
	FIELD_U8,      /* Option<u8>: null before its version */
	FIELD_U32,     /* little-endian */
	FIELD_U64,     /* little-endian; Option<u64> before its version */
	FIELD_BYTES,   /* an array of numbers */
	FIELD_TCB,     /* {fmc, bootloader, tee, snp, microcode} */
	FIELD_VERSION, /* {major, minor, build} of the bytes build, minor, major */
	FIELD_SIG,     /* {r, s}: 72 bytes each */
};

static const struct {
	const char *name;
	enum field_kind kind;
	unsigned offset, size;
} report_layout[] = {
	{ "version", FIELD_U32, 0x000, 4 },
	{ "guest_svn", FIELD_U32, 0x004, 4 },
	{ "policy", FIELD_U64, 0x008, 8 },
	{ "family_id", FIELD_BYTES, 0x010, 16 },
	{ "image_id", FIELD_BYTES, 0x020, 16 },
	{ "vmpl", FIELD_U32, 0x030, 4 },
	{ "sig_algo", FIELD_U32, 0x034, 4 },
	{ "current_tcb", FIELD_TCB, 0x038, 8 },
	{ "plat_info", FIELD_U64, 0x040, 8 },
	{ "key_info", FIELD_U32, 0x048, 4 },
	{ "report_data", FIELD_BYTES, 0x050, 64 },
	{ "measurement", FIELD_BYTES, 0x090, 48 },
	{ "host_data", FIELD_BYTES, 0x0c0, 32 },
	{ "id_key_digest", FIELD_BYTES, 0x0e0, 48 },
	{ "author_key_digest", FIELD_BYTES, 0x110, 48 },
	{ "report_id", FIELD_BYTES, 0x140, 32 },
	{ "report_id_ma", FIELD_BYTES, 0x160, 32 },
	{ "reported_tcb", FIELD_TCB, 0x180, 8 },
	{ "cpuid_fam_id", FIELD_U8, 0x188, 1 },
	{ "cpuid_mod_id", FIELD_U8, 0x189, 1 },
	{ "cpuid_step", FIELD_U8, 0x18a, 1 },
	{ "chip_id", FIELD_BYTES, 0x1a0, 64 },
	{ "committed_tcb", FIELD_TCB, 0x1e0, 8 },
	{ "current", FIELD_VERSION, 0x1e8, 4 },
	{ "committed", FIELD_VERSION, 0x1ec, 4 },
	{ "launch_tcb", FIELD_TCB, 0x1f0, 8 },
	{ "launch_mit_vector", FIELD_U64, 0x1f8, 8 },
	{ "current_mit_vector", FIELD_U64, 0x200, 8 },
	{ "signature", FIELD_SIG, 0x2a0, 144 },
};

/* The GHCB specification's certificate GUIDs, as RFC 4122 bytes, and the sev crate's names. */
static const struct {
	const char *name;
	uint8_t guid[16];
} cert_names[] = {
	{ "ARK",
	  { 0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52, 0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c,
	    0xd0, 0xae } },
	{ "ASK",
	  { 0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4, 0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27,
	    0xc7, 0x82 } },
	{ "VCEK",
	  { 0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64, 0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8,
	    0xac, 0xcd } },
	{ "VLEK",
	  { 0xa8, 0x07, 0x4b, 0xc2, 0xa2, 0x5a, 0x48, 0x3e, 0xaa, 0xe6, 0x39, 0xc0, 0x45, 0xa0,
	    0xb8, 0xa1 } },
	{ "CRL",
	  { 0x92, 0xf8, 0x1b, 0xc3, 0x58, 0x11, 0x4d, 0x3d, 0x97, 0xff, 0xd1, 0x9f, 0x88, 0xdc,
	    0x67, 0xea } },
};

static uint64_t number(const struct json_value *v, uint64_t max)
{
	uint64_t n = 0;

	fuzz_check(v && json_get_uint64(v, &n, NULL) == 0 && n <= max,
		   "a number member within its type");
	return n;
}

static const struct json_value *member(const struct json_value *obj, const char *name)
{
	const struct json_value *v = json_object_get(obj, name);

	fuzz_check(v != NULL, "every member is written");
	return v;
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* An array of n numbers 0..255 into p. */
static void put_bytes(uint8_t *p, const struct json_value *v, size_t n)
{
	const struct json_value *item;
	size_t i = 0;

	fuzz_check(v && v->type == JSON_ARRAY && v->u.container.count == n,
		   "a byte string is an array of its length");
	json_foreach(item, v) p[i++] = (uint8_t)number(item, 255);
}

/* TCB_VERSION: with fmc, Turin's order (FMC, bootloader, TEE, SNP, 3 reserved, microcode). */
static void put_tcb(uint8_t *p, const struct json_value *v, int *turin)
{
	const struct json_value *fmc = member(v, "fmc");
	int this_turin = fmc->type != JSON_NULL;

	fuzz_check(v->u.container.count == 5, "a TCB_VERSION has five members");
	fuzz_check(*turin < 0 || *turin == this_turin, "every TCB_VERSION has the same layout");
	*turin = this_turin;
	if (this_turin) {
		p[0] = (uint8_t)number(fmc, 255);
		p[1] = (uint8_t)number(member(v, "bootloader"), 255);
		p[2] = (uint8_t)number(member(v, "tee"), 255);
		p[3] = (uint8_t)number(member(v, "snp"), 255);
	} else {
		p[0] = (uint8_t)number(member(v, "bootloader"), 255);
		p[1] = (uint8_t)number(member(v, "tee"), 255);
		p[6] = (uint8_t)number(member(v, "snp"), 255);
	}
	p[7] = (uint8_t)number(member(v, "microcode"), 255);
}

/* The report as the sev crate re-encodes it from the JSON: reserved bytes are zeros. */
static void report_rebuild(const struct json_value *report, uint8_t out[EVIDENCE_SNP_REPORT_SIZE])
{
	const struct json_value *v = report->u.container.first;
	int turin = -1;

	memset(out, 0, EVIDENCE_SNP_REPORT_SIZE);
	fuzz_check(report->type == JSON_OBJECT &&
			   report->u.container.count ==
				   sizeof(report_layout) / sizeof(report_layout[0]),
		   "the report has the sev crate's members");
	for (size_t i = 0; i < sizeof(report_layout) / sizeof(report_layout[0]); i++, v = v->next) {
		uint8_t *p = out + report_layout[i].offset;

		fuzz_check(strcmp(v->key, report_layout[i].name) == 0,
			   "members in the sev crate's order");
		if (v->type == JSON_NULL) {
			fuzz_check(report_layout[i].kind == FIELD_U8 ||
					   report_layout[i].kind == FIELD_U64,
				   "only an Option is null");
			continue;
		}
		switch (report_layout[i].kind) {
		case FIELD_U8:
			p[0] = (uint8_t)number(v, 255);
			break;
		case FIELD_U32:
			put_le(p, number(v, UINT32_MAX), 4);
			break;
		case FIELD_U64:
			put_le(p, number(v, UINT64_MAX), 8);
			break;
		case FIELD_BYTES:
			put_bytes(p, v, report_layout[i].size);
			break;
		case FIELD_TCB:
			put_tcb(p, v, &turin);
			break;
		case FIELD_VERSION:
			p[0] = (uint8_t)number(member(v, "build"), 255);
			p[1] = (uint8_t)number(member(v, "minor"), 255);
			p[2] = (uint8_t)number(member(v, "major"), 255);
			break;
		case FIELD_SIG:
			put_bytes(p, member(v, "r"), 72);
			put_bytes(p + 72, member(v, "s"), 72);
			break;
		}
	}
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", lowercase, as the uuid crate writes it. */
static void uuid_parse(const char *s, size_t len, uint8_t out[16])
{
	/* Where each byte's two digits start: hyphens after the 4th, 6th, 8th and 10th byte. */
	static const uint8_t at[16] = { 0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34 };

	fuzz_check(len == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-',
		   "an OTHER certificate type is a UUID");
	for (size_t i = 0; i < 16; i++) {
		int hi = hex_value(s[at[i]]), lo = hex_value(s[at[i] + 1]);

		fuzz_check(hi >= 0 && lo >= 0, "lowercase hex digits");
		out[i] = (uint8_t)(hi << 4 | lo);
	}
}

/* The type's GUID: a name of the sev crate's, or {"OTHER": uuid} for any other. */
static void cert_type_guid(const struct json_value *type, uint8_t guid[16])
{
	const size_t n = sizeof(cert_names) / sizeof(cert_names[0]);
	const struct json_value *other;

	if (type->type == JSON_STRING) {
		for (size_t k = 0; k < n; k++)
			if (strcmp(type->u.string.data, cert_names[k].name) == 0) {
				memcpy(guid, cert_names[k].guid, 16);
				return;
			}
		fuzz_check(0, "a named type is one of the sev crate's");
	}
	fuzz_check(type->type == JSON_OBJECT && type->u.container.count == 1,
		   "another type is {\"OTHER\": uuid}");
	other = member(type, "OTHER");
	fuzz_check(other->type == JSON_STRING, "the OTHER type is a string");
	uuid_parse(other->u.string.data, other->u.string.len, guid);
	for (size_t k = 0; k < n; k++)
		fuzz_check(memcmp(guid, cert_names[k].guid, 16) != 0,
			   "a known GUID is written by its name");
}

/* Entry i of the table named and carried as the table says. */
static void check_cert(const struct json_value *v, const uint8_t *certs, size_t certs_len, size_t i)
{
	const uint8_t *entry = certs + i * 24;
	const struct json_value *type = member(v, "cert_type"), *data = member(v, "data");
	uint32_t offset = le32(entry + 16), length = le32(entry + 20);
	uint8_t guid[16], *copy;

	fuzz_check(v->u.container.count == 2, "a CertTableEntry has two members");
	cert_type_guid(type, guid);
	fuzz_check(memcmp(guid, entry, 16) == 0, "the type is the entry's GUID");
	fuzz_check(offset <= certs_len && length <= certs_len - offset,
		   "the certificate lies within the table");
	copy = malloc(length ? length : 1);
	fuzz_check(copy, "malloc");
	put_bytes(copy, data, length);
	fuzz_check(memcmp(copy, certs + offset, length) == 0,
		   "the data is the bytes the entry points at");
	free(copy);
}

static void check_chain(const struct json_value *chain, const uint8_t *certs, size_t certs_len)
{
	static const uint8_t zero[24];
	const struct json_value *item;
	size_t i = 0;

	/* No table, or one whose first entry is the zero GUID: None (Trustee refuses Some([])). */
	if (certs_len == 0 || (certs_len >= 24 && memcmp(certs, zero, 16) == 0)) {
		fuzz_check(chain->type == JSON_NULL, "no table, or no entry, is a null chain");
		return;
	}
	fuzz_check(chain->type == JSON_ARRAY, "a table with entries is an array");
	json_foreach(item, chain)
	{
		fuzz_check((i + 1) * 24 <= certs_len && memcmp(certs + i * 24, zero, 16) != 0,
			   "one element per entry before the zero GUID");
		check_cert(item, certs, certs_len, i);
		i++;
	}
	fuzz_check((i + 1) * 24 <= certs_len && memcmp(certs + i * 24, zero, 16) == 0,
		   "the chain ends at the table's zero entry");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t rebuilt[EVIDENCE_SNP_REPORT_SIZE];
	size_t report_len = size < EVIDENCE_SNP_REPORT_SIZE ? size : EVIDENCE_SNP_REPORT_SIZE;
	const uint8_t *certs = data + report_len;
	size_t certs_len = size - report_len;
	const struct json_value *doc;
	struct json_writer w;
	struct json_arena a;
	struct error e = { 0 };
	int r;

	json_writer_init(&w, 1u << 20);
	r = evidence_snp_format(&w, data, report_len, certs, certs_len, &e);
	if (r < 0) {
		fuzz_check(r == -EBADMSG && e.msg[0], "a refusal is -EBADMSG saying why");
		fuzz_check(w.len == 0, "a refusal writes nothing");
		json_writer_free(&w);
		return 0;
	}
	fuzz_check(json_writer_finish(&w, &e) == 0, "an accepted report is one JSON value");
	json_arena_init(&a, 64 * w.len + 4096);
	fuzz_check(json_parse(&a, w.buf, w.len, &doc, &e) == 0, "the evidence parses");
	fuzz_check(doc->type == JSON_OBJECT && doc->u.container.count == 2,
		   "{attestation_report, cert_chain}");
	report_rebuild(member(doc, "attestation_report"), rebuilt);
	fuzz_check(report_len == EVIDENCE_SNP_REPORT_SIZE &&
			   memcmp(rebuilt, data, EVIDENCE_SNP_REPORT_SIZE) == 0,
		   "the report re-encoded from the JSON is the report");
	check_chain(member(doc, "cert_chain"), certs, certs_len);
	json_arena_free(&a);
	json_writer_free(&w);
	return 0;
}
