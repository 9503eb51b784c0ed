/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The evidence for each TEE in the shape Trustee's verifiers read (agent/attest): names, the
 * choice of TEE from detection, and each writer fed with reports built here at the offsets
 * of the hardware specifications. Expected JSON comes from tee-samples.h and from values
 * computed with Python, never from mrboot's writers.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attest/evidence-tee.h"
#include "attest/tee.h"
#include "basic/encoding.h"
#include "basic/error.h"
#include "evlog/eventlog.h"
#include "evlog/firmware.h"
#include "evlog/render.h"
#include "evlog-samples.h"
#include "json/json.h"
#include "platform/detect.h"
#include "tap.h"
#include "tee-samples.h"

/* As tests/unit/render.c: the AAEL record of "mrboot separator {"done":true}" at CC 4. */
#define DIGEST_SEPARATOR                                                                   \
	"bc197ca32e67a36859bdd02853834d5a6ee4b903f36e9901fd86c312a22033badebbf0b3c65b6e1f" \
	"c939e387e27dd8fd"
#define TCG2_SEPARATOR                     \
	"04000000"                         \
	"06000000"                         \
	"01000000"                         \
	"0c00" DIGEST_SEPARATOR "26000000" \
	"4c4541411e000000"                 \
	"6d72626f6f7420736570617261746f72207b22646f6e65223a747275657d"

/* SHA-384("abc") (FIPS 180-2 appendix D.1) and its base64 (Python's base64.b64encode). */
#define SHA384_ABC                                                                           \
	"cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358" \
	"baeca134c825a7"
#define SHA384_ABC_BASE64 "ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn"

static size_t unhex(uint8_t *p, size_t cap, const char *hex)
{
	size_t n;

	if (hex_decode(p, cap, hex, strlen(hex), &n, NULL) < 0)
		abort();
	return n;
}

static void test_names(void)
{
	static const char *const names[TEE_COUNT] = { "tdx", "snp", "cca", "tpm", "sample" };
	struct error e = { 0 };
	enum tee_type t;

	for (unsigned i = 0; i < TEE_COUNT; i++) {
		tap_is_str(tee_name((enum tee_type)i), names[i], "tee_name(%u) is Trustee's '%s'",
			   i, names[i]);
		t = TEE_COUNT;
		tap_ok(tee_from_name(names[i], &t, &e) == 0 && t == (enum tee_type)i,
		       "tee_from_name(\"%s\") is the same TEE", names[i]);
	}
	tap_ok(tee_name(TEE_COUNT) == NULL, "tee_name outside the enum is NULL");
	tap_ok(tee_from_name("TDX", &t, &e) == -EINVAL && strstr(e.msg, "'TDX'"),
	       "tee_from_name: no other spelling (%s)", e.msg);
	tap_ok(tee_from_name("sev", &t, &e) == -EINVAL, "tee_from_name: \"sev\" is not \"snp\"");
}

static void detect_with(struct detect *d, enum platform p, const char *provider, unsigned tpm)
{
	*d = (struct detect){ .platform = p, .report_node = true };
	snprintf(d->provider, sizeof(d->provider), "%s", provider);
	if (tpm) {
		d->has_tpm = true;
		d->tpm_version = tpm;
		snprintf(d->tpm_device, sizeof(d->tpm_device), "/dev/tpmrm0");
	}
}

static void test_from_detect(void)
{
	static const struct {
		const char *provider;
		enum platform platform;
		enum tee_type tee;
	} providers[] = {
		{ "tdx_guest", PLATFORM_TDX, TEE_TDX },
		{ "sev_guest", PLATFORM_SEV_SNP, TEE_SNP },
		{ "arm_cca_guest", PLATFORM_CCA, TEE_CCA },
	};
	struct error e = { 0 };
	struct detect d;
	enum tee_type t;
	int k;

	for (size_t i = 0; i < sizeof(providers) / sizeof(providers[0]); i++) {
		detect_with(&d, providers[i].platform, providers[i].provider, 0);
		t = TEE_COUNT;
		tap_ok(tee_from_detect(&d, &t, &e) == 0 && t == providers[i].tee,
		       "detect: provider %s attests as %s", providers[i].provider,
		       tee_name(providers[i].tee));
	}
	detect_with(&d, PLATFORM_SEV_SNP, "sev_guest", 2);
	tap_ok(tee_from_detect(&d, &t, &e) == 0 && t == TEE_SNP,
	       "detect: a report provider comes before a TPM");
	detect_with(&d, PLATFORM_TPM, "", 2);
	tap_ok(tee_from_detect(&d, &t, &e) == 0 && t == TEE_TPM,
	       "detect: no provider, a TPM 2.0: tpm");
	detect_with(&d, PLATFORM_TDX, "", 0);
	k = tee_from_detect(&d, &t, &e);
	tap_ok(k == -ENODEV && strstr(e.msg, "platform tdx") &&
		       strstr(e.msg, "no configfs-tsm report provider"),
	       "detect: TDX seen by its CPU flag but no provider: ENODEV saying where the "
	       "evidence would come from (%s)",
	       e.msg);
	detect_with(&d, PLATFORM_NONE, "future_guest", 0);
	k = tee_from_detect(&d, &t, &e);
	tap_ok(k == -ENODEV && strstr(e.msg, "'future_guest'"),
	       "detect: an unknown provider and no TPM: ENODEV naming the provider (%s)", e.msg);
	detect_with(&d, PLATFORM_NONE, "", 1);
	k = tee_from_detect(&d, &t, &e);
	tap_ok(k == -ENODEV && strstr(e.msg, "version 1"), "detect: a TPM 1.2 is no TEE (%s)",
	       e.msg);
	detect_with(&d, PLATFORM_NONE, "", 0);
	k = tee_from_detect(&d, &t, &e);
	tap_ok(k == -ENODEV && strstr(e.msg, "no confidential platform and no TPM 2.0"),
	       "detect: nothing: ENODEV, never sample (%s)", e.msg);
}

/* Writes one evidence value with fn and returns the document, or NULL with e set. */
static char *evidence_json(struct json_writer *w, int k, struct error *e)
{
	if (k < 0)
		return NULL;
	if (json_writer_finish(w, e) < 0)
		return NULL;
	return w->buf;
}

static void test_sample(void)
{
	uint8_t hash[48];
	struct tee_evidence_input in = { .tee = TEE_SAMPLE, .hash = hash, .hash_len = 48 };
	struct json_writer w;
	struct error e = { 0 };
	int k;

	unhex(hash, sizeof(hash), SHA384_ABC);
	json_writer_init(&w, 1 << 16);
	k = tee_evidence_write(&w, &in, &e);
	tap_is_str(evidence_json(&w, k, &e),
		   "{\"svn\":\"1\",\"report_data\":\"" SHA384_ABC_BASE64 "\"}",
		   "sample: svn \"1\" and the standard base64 of the raw hash");
	json_writer_free(&w);

	in.hash_len = 20;
	json_writer_init(&w, 1 << 16);
	k = tee_evidence_write(&w, &in, &e);
	tap_ok(k == -EINVAL && strstr(e.msg, "sample evidence: ") && strstr(e.msg, "20 bytes") &&
		       json_writer_finish(&w, NULL) == -EINVAL,
	       "sample: a 20-byte hash is refused, naming the TEE, and the document with it (%s)",
	       e.msg);
	json_writer_free(&w);
}

static void test_report_data(void)
{
	uint8_t hash[64], out[TEE_REPORT_DATA_SIZE], want[TEE_REPORT_DATA_SIZE] = { 0 };
	struct tee_evidence_input in = { .hash = hash };
	struct error e = { 0 };

	for (size_t i = 0; i < sizeof(hash); i++)
		hash[i] = (uint8_t)(0xa0 + i);
	in.hash_len = 48;
	memcpy(want, hash, 48);
	tap_ok(tee_report_data(&in, out, &e) == 0 && memcmp(out, want, sizeof(want)) == 0,
	       "report data: a SHA-384 hash, then 16 zero bytes");
	in.hash_len = 64;
	tap_ok(tee_report_data(&in, out, &e) == 0 && memcmp(out, hash, 64) == 0,
	       "report data: a SHA-512 hash fills it");
	in.hash_len = 65;
	tap_ok(tee_report_data(&in, out, &e) == -EINVAL, "report data: 65 bytes are refused");
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_pattern(uint8_t *report, unsigned off, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		report[off + i] = (uint8_t)(off + i);
}

/* TCB_VERSION with bootloader, TEE, SNP, microcode SVNs in one generation's layout. */
static void put_tcb(uint8_t *p, int turin, uint8_t bl, uint8_t tee, uint8_t snp, uint8_t ucode)
{
	memset(p, 0, 8);
	if (turin) {
		p[0] = 1; /* FMC */
		p[1] = bl;
		p[2] = tee;
		p[3] = snp;
	} else {
		p[0] = bl;
		p[1] = tee;
		p[6] = snp;
	}
	p[7] = ucode;
}

/* An ATTESTATION_REPORT at the SEV-SNP firmware ABI's offsets, as tee-samples.h describes. */
static void snp_report_build(uint8_t *r, uint32_t version, int turin)
{
	memset(r, 0, EVIDENCE_SNP_REPORT_SIZE);
	put_le(r + 0x000, version, 4);		 /* VERSION */
	put_le(r + 0x004, 0x01020304, 4);	 /* GUEST_SVN */
	put_le(r + 0x008, 0x30000, 8);		 /* POLICY */
	put_pattern(r, 0x010, 16);		 /* FAMILY_ID */
	put_pattern(r, 0x020, 16);		 /* IMAGE_ID */
	put_le(r + 0x030, 0, 4);		 /* VMPL */
	put_le(r + 0x034, 1, 4);		 /* SIGNATURE_ALGO: ECDSA P-384 with SHA-384 */
	put_tcb(r + 0x038, turin, 3, 0, 8, 115); /* CURRENT_TCB */
	put_le(r + 0x040, 0x25, 8);		 /* PLATFORM_INFO */
	put_le(r + 0x048, 1, 4);		 /* AUTHOR_KEY_EN, MASK_CHIP_KEY, SIGNING_KEY */
	put_pattern(r, 0x050, 64);		 /* REPORT_DATA */
	put_pattern(r, 0x090, 48);		 /* MEASUREMENT */
	put_pattern(r, 0x0c0, 32);		 /* HOST_DATA */
	put_pattern(r, 0x0e0, 48);		 /* ID_KEY_DIGEST */
	put_pattern(r, 0x110, 48);		 /* AUTHOR_KEY_DIGEST */
	put_pattern(r, 0x140, 32);		 /* REPORT_ID */
	put_pattern(r, 0x160, 32);		 /* REPORT_ID_MA */
	put_tcb(r + 0x180, turin, 2, 0, 7, 114); /* REPORTED_TCB */
	if (version >= 3) {
		r[0x188] = turin ? 0x1a : 0x19; /* CPUID_FAM_ID */
		r[0x189] = turin ? 0x02 : 0x11; /* CPUID_MOD_ID */
		r[0x18a] = turin ? 0x01 : 0x02; /* CPUID_STEP */
	}
	put_pattern(r, 0x1a0, 64);		 /* CHIP_ID */
	put_tcb(r + 0x1e0, turin, 1, 0, 6, 113); /* COMMITTED_TCB */
	r[0x1e8] = 21;				 /* CURRENT_BUILD */
	r[0x1e9] = 55;				 /* CURRENT_MINOR */
	r[0x1ea] = 1;				 /* CURRENT_MAJOR */
	r[0x1ec] = 20;				 /* COMMITTED_BUILD */
	r[0x1ed] = 54;				 /* COMMITTED_MINOR */
	r[0x1ee] = 1;				 /* COMMITTED_MAJOR */
	put_tcb(r + 0x1f0, turin, 4, 1, 9, 116); /* LAUNCH_TCB */
	if (version >= 5) {
		put_le(r + 0x1f8, 0x0102030405060708, 8); /* LAUNCH_MIT_VECTOR */
		put_le(r + 0x200, 7, 8);		  /* CURRENT_MIT_VECTOR */
	}
	put_pattern(r, 0x2a0, 72); /* SIGNATURE: R */
	put_pattern(r, 0x2e8, 72); /* S */
}

/* The "attestation_report" value of an snp evidence document, copied out. */
static char *snp_report_json(const uint8_t *report, size_t len, struct error *e)
{
	struct json_writer w;
	char *doc = NULL, *start, *end;
	int k;

	json_writer_init(&w, 1 << 20);
	k = evidence_snp_format(&w, report, len, NULL, 0, e);
	if (evidence_json(&w, k, e)) {
		start = strstr(w.buf, "{\"attestation_report\":");
		end = strstr(w.buf, ",\"cert_chain\":null}");
		if (start == w.buf && end && end[strlen(",\"cert_chain\":null}")] == '\0')
			doc = strndup(w.buf + strlen("{\"attestation_report\":"),
				      (size_t)(end - w.buf) - strlen("{\"attestation_report\":"));
	}
	json_writer_free(&w);
	return doc;
}

static void test_snp_reports(void)
{
	static uint8_t report[EVIDENCE_SNP_REPORT_SIZE];
	struct error e = { 0 };
	char *json;

	snp_report_build(report, 3, 0);
	json = snp_report_json(report, sizeof(report), &e);
	tap_is_str(json, SNP_V3_MILAN_JSON,
		   "snp: a version 3 Milan report, member by member in the sev crate's layout");
	free(json);

	snp_report_build(report, 5, 1);
	json = snp_report_json(report, sizeof(report), &e);
	tap_is_str(json, SNP_V5_TURIN_JSON,
		   "snp: a version 5 Turin report: FMC in each TCB, the mitigation vectors");
	free(json);

	snp_report_build(report, 2, 0);
	json = snp_report_json(report, sizeof(report), &e);
	tap_is_str(json, SNP_V2_JSON, "snp: a version 2 report: no CPUID, no mitigation vectors");
	free(json);
}

static int snp_refused(const uint8_t *report, size_t len, const char *needle, struct error *e)
{
	struct json_writer w;
	int k;

	json_writer_init(&w, 1 << 20);
	k = evidence_snp_format(&w, report, len, NULL, 0, e);
	json_writer_free(&w);
	return k == -EBADMSG && strstr(e->msg, needle) != NULL;
}

static void test_snp_refusals(void)
{
	static uint8_t report[EVIDENCE_SNP_REPORT_SIZE];
	struct error e = { 0 };

	snp_report_build(report, 6, 0);
	tap_ok(snp_refused(report, sizeof(report), "version 6", &e),
	       "snp: version 6 is refused (%s)", e.msg);
	snp_report_build(report, 3, 0);
	tap_ok(snp_refused(report, sizeof(report) - 1, "1183 bytes", &e),
	       "snp: a short report is refused (%s)", e.msg);
	report[0x04c] = 1;
	tap_ok(snp_refused(report, sizeof(report), "0x04c", &e),
	       "snp: a non-zero reserved byte is refused, naming its offset (%s)", e.msg);
	snp_report_build(report, 3, 0);
	report[0x1f8] = 1;
	tap_ok(snp_refused(report, sizeof(report), "0x1f8", &e),
	       "snp: a mitigation vector in a version 3 report is refused (%s)", e.msg);
	snp_report_build(report, 3, 0);
	report[0x038 + 3] = 1;
	tap_ok(snp_refused(report, sizeof(report), "current_tcb byte 3", &e),
	       "snp: a byte reserved in the Milan TCB layout is refused (%s)", e.msg);
	snp_report_build(report, 3, 1);
	report[0x1f0 + 5] = 1;
	tap_ok(snp_refused(report, sizeof(report), "launch_tcb byte 5", &e),
	       "snp: a byte reserved in the Turin TCB layout is refused (%s)", e.msg);
	snp_report_build(report, 3, 0);
	report[0x330] = 1;
	tap_ok(snp_refused(report, sizeof(report), "0x330", &e),
	       "snp: a byte after the signature's S is refused (%s)", e.msg);
}

/* A GHCB certificate table: VCEK, a GUID the sev crate does not name, the zero entry. */
static size_t snp_certs_build(uint8_t *t)
{
	static const char *const guids[2] = { "63da758de6644564adc5f4b93be8accd",
					      "112233445566778899aabbccddeeff00" };

	memset(t, 0, 80);
	unhex(t, 16, guids[0]);
	put_le(t + 16, 72, 4); /* three entries of 24 bytes, then the data */
	put_le(t + 20, 3, 4);
	unhex(t + 24, 16, guids[1]);
	put_le(t + 40, 75, 4);
	put_le(t + 44, 2, 4);
	t[72] = 1;
	t[73] = 2;
	t[74] = 3;
	t[75] = 9;
	t[76] = 8;
	return 77;
}

static void test_snp_certs(void)
{
	static uint8_t report[EVIDENCE_SNP_REPORT_SIZE];
	uint8_t certs[80];
	size_t n = snp_certs_build(certs);
	struct json_writer w;
	struct error e = { 0 };
	const char *doc, *chain;
	int k;

	snp_report_build(report, 3, 0);
	json_writer_init(&w, 1 << 20);
	k = evidence_snp_format(&w, report, sizeof(report), certs, n, &e);
	doc = evidence_json(&w, k, &e);
	chain = doc ? strstr(doc, "},\"cert_chain\":") : NULL;
	tap_is_str(chain ? chain + 2 : NULL,
		   "\"cert_chain\":[{\"cert_type\":\"VCEK\",\"data\":[1,2,3]},"
		   "{\"cert_type\":{\"OTHER\":\"11223344-5566-7788-99aa-bbccddeeff00\"},"
		   "\"data\":[9,8]}]}",
		   "snp: cert_chain as CertTableEntry values, the GUID read in RFC 4122 order");
	json_writer_free(&w);

	json_writer_init(&w, 1 << 20);
	k = evidence_snp_format(&w, report, sizeof(report), certs, 48, &e);
	tap_ok(k == -EBADMSG && strstr(e.msg, "entry 0"),
	       "snp: a certificate beyond the table is refused (%s)", e.msg);
	json_writer_free(&w);

	/* One certificate (2 bytes at 48), then a GUID where the zero entry belongs. */
	memset(certs, 0, sizeof(certs));
	unhex(certs, 16, "63da758de6644564adc5f4b93be8accd");
	put_le(certs + 16, 48, 4);
	put_le(certs + 20, 2, 4);
	memset(certs + 24, 0xee, 16);
	json_writer_init(&w, 1 << 20);
	k = evidence_snp_format(&w, report, sizeof(report), certs, 50, &e);
	tap_ok(k == -EBADMSG && strstr(e.msg, "no terminating zero entry"),
	       "snp: a table without its zero entry is refused (%s)", e.msg);
	json_writer_free(&w);

	memset(certs, 0, sizeof(certs));
	json_writer_init(&w, 1 << 20);
	k = evidence_snp_format(&w, report, sizeof(report), certs, 24, &e);
	doc = evidence_json(&w, k, &e);
	tap_ok(doc && strstr(doc, ",\"cert_chain\":null}"),
	       "snp: a table of no entries is null (Trustee 78962cd4 refuses an empty chain)");
	json_writer_free(&w);
}

static void test_cca(void)
{
	static const uint8_t token[] = { 0xd9, 0x01, 0x8f, 0xa1, 0x00 };
	struct json_writer w;
	struct error e = { 0 };
	int k;

	json_writer_init(&w, 1 << 16);
	k = evidence_cca_format(&w, token, sizeof(token), &e);
	tap_is_str(evidence_json(&w, k, &e), "{\"token\":[217,1,143,161,0]}",
		   "cca: the token as a JSON array of numbers, not base64");
	json_writer_free(&w);
	json_writer_init(&w, 1 << 16);
	tap_ok(evidence_cca_format(&w, token, 0, &e) == -ENODATA, "cca: an empty token is refused");
	json_writer_free(&w);
}

/* RTMR3 (CC 4), from logical PCR 17, as tests/unit/render.c makes it. */
static void record_separator(struct record *r, uint64_t seq, enum record_state state)
{
	*r = (struct record){ .seq = seq, .state = state, .family = MR_FAMILY_TDX, .index = 3 };
	if (record_event_set(&r->event, 17, "mrboot", "separator", "{\"done\":true}", false,
			     "phase", NULL) < 0)
		abort();
	r->digests.count = 1;
	r->digests.bank[0].alg = HASH_SHA384;
	unhex(r->digests.bank[0].digest, sizeof(r->digests.bank[0].digest), DIGEST_SEPARATOR);
	r->before = r->after =
		(struct mr_digests){ .count = 1, .bank = { { .alg = HASH_SHA384 } } };
}

/* Writes n bytes to dir + rel, making the directories on the way. */
static int write_file(const char *dir, const char *rel, const uint8_t *p, size_t n)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", dir, rel);
	for (char *slash = path + strlen(dir) + 1; (slash = strchr(slash, '/')); slash++) {
		*slash = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -1;
		*slash = '/';
	}
	f = fopen(path, "wb");
	if (!f)
		return -1;
	if (fwrite(p, 1, n, f) != n) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

static void test_tdx(const char *root)
{
	static uint8_t firmware[1024], want[2048];
	static const uint8_t quote[] = { 0x04, 0x00, 0x02, 0x00, 0x81 };
	size_t fw = unhex(firmware, sizeof(firmware), CCEL_TABLE), n;
	struct record r[2];
	struct eventlog log = { .records = r, .count = 2 };
	struct tee_evidence_input in = { .root = root, .tee = TEE_TDX, .log = &log };
	struct render_buf out = { 0 };
	struct evlog_firmware loaded = { 0 };
	struct json_writer w;
	struct error e = { 0 };
	int k;

	if (write_file(root, "/sys/firmware/acpi/tables/data/CCEL", firmware, fw) < 0 ||
	    write_file(root, "/elsewhere/ccel", firmware, fw) < 0) {
		tap_skip("cannot write the fixture firmware log");
		return;
	}
	record_separator(&r[0], 1, RECORD_COMMITTED);
	record_separator(&r[1], 2, RECORD_PENDING);

	n = unhex(want, sizeof(want), CCEL_LOG TCG2_SEPARATOR "ffffffffffffffff");
	k = evidence_tdx_eventlog(&in, &out, &e);
	tap_ok(k == 0 && out.len == n && memcmp(out.data, want, n) == 0,
	       "tdx: cc_eventlog is the firmware CCEL without its padding, mrboot's committed "
	       "records, 8 x 0xFF");

	json_writer_init(&w, 1 << 20);
	k = evidence_tdx_format(&w, quote, sizeof(quote), out.data, out.len, &e);
	tap_is_str(evidence_json(&w, k, &e), TDX_EVIDENCE_JSON,
		   "tdx: {\"cc_eventlog\":base64,\"quote\":base64}, standard base64 with padding");
	json_writer_free(&w);
	render_buf_free(&out);

	in.log = NULL;
	n = unhex(want, sizeof(want), CCEL_LOG "ffffffffffffffff");
	k = evidence_tdx_eventlog(&in, &out, &e);
	tap_ok(k == 0 && out.len == n && memcmp(out.data, want, n) == 0,
	       "tdx: without an event log, the firmware's and the terminator");
	render_buf_free(&out);

	tap_ok(evlog_firmware_load(&loaded, in.root, "/elsewhere/ccel", &e) == 0 && loaded.data,
	       "tdx: the firmware log read by the caller");
	in.firmware = &loaded;
	k = evidence_tdx_eventlog(&in, &out, &e);
	tap_ok(k == 0 && out.len == n, "tdx: the firmware log the caller read is the one sent");
	render_buf_free(&out);
	evlog_firmware_free(&loaded);

	tap_ok(evlog_firmware_load(&loaded, in.root, "/missing/ccel", &e) == 0 && !loaded.data,
	       "tdx: a firmware log the kernel does not have is read as none");
	k = evidence_tdx_eventlog(&in, &out, &e);
	tap_ok(k == -ENOENT && strstr(e.msg, "no firmware event log at ") &&
		       strstr(e.msg, "/missing/ccel"),
	       "tdx: a missing firmware CCEL is an error that says so (%s)", e.msg);
	render_buf_free(&out);
	in.firmware = NULL;

	json_writer_init(&w, 1 << 20);
	tap_ok(evidence_tdx_format(&w, quote, 0, want, 8, &e) == -ENODATA,
	       "tdx: an empty quote is refused");
	json_writer_free(&w);
	record_free(&r[0]);
	record_free(&r[1]);
}

static void test_dispatch(void)
{
	uint8_t hash[48] = { 0 };
	struct tee_evidence_input in = { .tee = TEE_COUNT, .hash = hash, .hash_len = 48 };
	struct json_writer w;
	struct error e = { 0 };

	json_writer_init(&w, 1 << 16);
	tap_ok(tee_evidence_write(&w, &in, &e) == -EINVAL && json_writer_finish(&w, NULL) < 0,
	       "dispatch: a TEE outside the enum is refused (%s)", e.msg);
	json_writer_free(&w);

	/* The report of a hardware TEE comes from configfs-tsm; without it the step is named. */
	in.tee = TEE_SNP;
	in.root = "/nonexistent-root-for-test-tee";
	in.report.privlevel = TSM_REPORT_PRIVLEVEL_FLOOR;
	json_writer_init(&w, 1 << 16);
	tap_ok(tee_evidence_write(&w, &in, &e) == -ENOENT &&
		       strncmp(e.msg, "snp evidence: ", 14) == 0 && strstr(e.msg, "configfs-tsm"),
	       "dispatch: snp without configfs-tsm names the TEE and the report (%s)", e.msg);
	json_writer_free(&w);
}

int main(void)
{
	char root[] = "/tmp/test-tee-XXXXXX";
	char cmd[64];

	test_names();
	test_from_detect();
	test_report_data();
	test_sample();
	test_snp_reports();
	test_snp_refusals();
	test_snp_certs();
	test_cca();
	if (mkdtemp(root)) {
		test_tdx(root);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd) != 0)
			tap_diag("could not remove %s", root);
	} else {
		tap_skip("no temporary directory for the TDX firmware log");
	}
	test_dispatch();
	return tap_done();
}
