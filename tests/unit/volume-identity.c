/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The volume identity (luks/volume-identity.h), the broker's resource that carries it
 * (luks/volume-resource.h) and where a volume's device is found (luks/volume-source.h).
 * The identities are HMAC-SHA256 values computed independently with Python's hmac and
 * hashlib over systemd's prefix ("cryptsetup:" + xescape(name, ":") + ":" + UUID, as
 * cryptsetup_get_volume_key_prefix() in systemd's src/shared/cryptsetup-util.c, commit
 * 00923bf3, builds it); the end-to-end comparison with cryptsetup's own dump of a real LUKS2
 * header is tests/integration/volume.sh.
 * Usage: test-volume-identity SCRATCH_DIR
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "luks/volume-identity.h"
#include "luks/volume-resource.h"
#include "luks/volume-source.h"
#include "basic/secret.h"
#include "tap.h"

static const char *hex_of(const uint8_t id[VOLUME_IDENTITY_SIZE])
{
	static char hex[VOLUME_IDENTITY_HEX_SIZE];

	hex_encode(hex, id, VOLUME_IDENTITY_SIZE);
	return hex;
}

static void test_prefix(void)
{
	char out[VOLUME_PREFIX_MAX];
	struct error e = { 0 };

	volume_identity_prefix("root", "12345678-1234-1234-1234-123456789abc", out, sizeof(out),
			       &e);
	tap_is_str(out, "cryptsetup:root:12345678-1234-1234-1234-123456789abc",
		   "prefix: cryptsetup:NAME:UUID");
	volume_identity_prefix("a:b\\c\t", "u", out, sizeof(out), &e);
	tap_is_str(out, "cryptsetup:a\\x3ab\\x5cc\\x09:u",
		   "prefix: ':', '\\' and control bytes of the name as \\xNN (systemd's xescape)");
	tap_is_int(volume_identity_prefix("root", "u", out, 12, &e), -ENAMETOOLONG,
		   "prefix: a buffer too small is an error, not a cut string");
}

static void test_compute(void)
{
	uint8_t key[64], id[VOLUME_IDENTITY_SIZE], want[VOLUME_IDENTITY_SIZE];
	struct error e = { 0 };
	size_t n;

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	tap_is_int(volume_identity_compute(key, 64, "root", "12345678-1234-1234-1234-123456789abc",
					   id, &e),
		   0, "compute: a 512-bit key (aes-xts-plain64, LUKS2's default)");
	tap_is_str(hex_of(id), "6700bedc934c12c2ed852ccec3c51be7e349f8c6927813436a9b26a41a231891",
		   "compute: HMAC-SHA256(key, \"cryptsetup:root:UUID\") as Python's hmac has it");
	volume_identity_compute(key, 32, "a:b\\c\t", "u", id, &e);
	tap_is_str(hex_of(id), "8f716ba35ef89b0b6f77facdf63983af3344ea00c408e0fa650a8d0c8f77f812",
		   "compute: over the escaped name, a 256-bit key");
	tap_is_int(volume_identity_compute(key, 0, "root", "u", id, &e), -EINVAL,
		   "compute: an empty key is refused");

	volume_identity_from_hex("8F716BA35EF89B0B6F77FACDF63983AF3344EA00C408E0FA650A8D0C8F77F812",
				 64, want, &e);
	memset(id, 0, sizeof(id));
	tap_ok(!volume_identity_equal(id, want), "equal: zeros differ from the identity");
	volume_identity_compute(key, 32, "a:b\\c\t", "u", id, &e);
	tap_ok(volume_identity_equal(id, want), "equal: an identity in uppercase hex is the same");
	want[31] ^= 1;
	tap_ok(!volume_identity_equal(id, want), "equal: one bit off in the last byte differs");
	tap_is_int(volume_identity_from_hex("8f71", 4, want, &e), -EINVAL,
		   "from hex: 4 digits are refused");
	tap_is_int(volume_identity_from_hex(
			   "zz716ba35ef89b0b6f77facdf63983af3344ea00c408e0fa650a8d0c8f77f812", 64,
			   want, &e),
		   -EINVAL, "from hex: a non-hex digit is refused");
	n = strlen(e.msg);
	tap_ok(n > 0 && strstr(e.msg, "64 hex digits") != NULL, "from hex: saying what it takes");
}

/* cryptsetup 2.6.1's `luksDump --dump-volume-key` of a 512-bit key, byte for byte. */
static const char dump_text[] = "LUKS header information for a.img\n"
				"Cipher name:   \taes\n"
				"Cipher mode:   \txts-plain64\n"
				"Payload offset:\t32768\n"
				"UUID:          \t844d854b-f139-480a-b2f5-7b6bc17916d7\n"
				"MK bits:       \t512\n"
				"MK dump:\t1b c0 81 11 e2 87 16 7e 65 70 cc 56 c9 b9 37 cc \n"
				"\t\t17 72 d9 9a be 77 dd 78 ef 86 d4 12 09 a8 c4 a8 \n"
				"\t\te5 fc a2 fc 96 18 6d b9 ff b3 55 aa 87 b9 2c 13 \n"
				"\t\t4d 24 73 2f fc 38 81 db b5 7f e2 88 4f d7 80 27 \n";

static void test_dump(void)
{
	static const char key_hex[] =
		"1bc08111e287167e6570cc56c9b937cc1772d99abe77dd78ef86d41209a8c4a8"
		"e5fca2fc96186db9ffb355aa87b92c134d24732ffc3881dbb57fe2884fd78027";
	struct volume_key vk;
	struct error e = { 0 };
	char hex[2 * 64 + 1];
	char bad[sizeof(dump_text)];

	tap_is_int(volume_key_parse_dump(dump_text, strlen(dump_text), &vk, &e), 0,
		   "dump: cryptsetup 2.6's text parses");
	tap_is_str(vk.uuid, "844d854b-f139-480a-b2f5-7b6bc17916d7", "dump: the UUID");
	tap_is_int((intmax_t)vk.key.len, 64, "dump: 64 key bytes over four lines");
	hex_encode(hex, vk.key.data, vk.key.len < 64 ? vk.key.len : 64);
	tap_is_str(hex, key_hex, "dump: the key bytes");
	volume_key_free(&vk);

	memcpy(bad, dump_text, sizeof(bad));
	*strstr(bad, "MK dump") = 'X';
	tap_is_int(volume_key_parse_dump(bad, strlen(bad), &vk, &e), -EINVAL,
		   "dump: no key line is an error");
	memcpy(bad, dump_text, sizeof(bad));
	*strstr(bad, "UUID") = 'X';
	tap_is_int(volume_key_parse_dump(bad, strlen(bad), &vk, &e), -EINVAL,
		   "dump: no UUID is an error");
	memcpy(bad, dump_text, sizeof(bad));
	strstr(bad, "e2 87")[1] = 'g';
	tap_is_int(volume_key_parse_dump(bad, strlen(bad), &vk, &e), -EINVAL,
		   "dump: a key that is not hex is an error");
}

static int resource(const char *text, struct volume_resource *r, struct error *e)
{
	_cleanup_secret_ struct secret s = { 0 };

	secret_alloc(&s, strlen(text) + 1, e);
	secret_append(&s, text, strlen(text), e);
	return volume_resource_parse(&s, r, e);
}

static void test_resource(void)
{
	static const char id[] = "8f716ba35ef89b0b6f77facdf63983af3344ea00c408e0fa650a8d0c8f77f812";
	char json[512];
	struct volume_resource r;
	struct error e = { 0 };
	_cleanup_secret_ struct secret pass = { 0 }, out = { 0 };
	uint8_t raw[VOLUME_IDENTITY_SIZE];

	tap_is_int(resource("0123abcd", &r, &e), 0, "resource: bare bytes are the passphrase");
	tap_ok(!r.has_identity && r.passphrase.len == 8 &&
		       memcmp(r.passphrase.data, "0123abcd", 8) == 0,
	       "resource: the same bytes, no identity");
	volume_resource_free(&r);
	tap_is_int(resource("{not json", &r, &e), 0,
		   "resource: bytes that only start like JSON are a bare passphrase");
	volume_resource_free(&r);

	snprintf(json, sizeof(json), "{\"passphrase\":\"cGFzcy1h\",\"volume-key-id\":\"%s\"}", id);
	tap_is_int(resource(json, &r, &e), 0, "resource: the binding form parses");
	tap_ok(r.has_identity && strcmp(hex_of(r.identity), id) == 0, "resource: its identity");
	tap_ok(r.passphrase.len == 6 && memcmp(r.passphrase.data, "pass-a", 6) == 0,
	       "resource: its passphrase, base64-decoded");
	volume_resource_free(&r);

	snprintf(json, sizeof(json),
		 "{\"passphrase\":\"cGFzcy1h\",\"volume-key-id\":\"%s\",\"x\":1}", id);
	tap_is_int(resource(json, &r, &e), -EINVAL, "resource: another member is refused");
	tap_ok(strstr(e.msg, "'x'") != NULL, "resource: naming it (%s)", e.msg);
	tap_is_int(resource("{\"passphrase\":\"cGFzcy1h\"}", &r, &e), -EINVAL,
		   "resource: a JSON object without the identity is refused, not taken as bare");
	snprintf(json, sizeof(json), "{\"volume-key-id\":\"%s\"}", id);
	tap_is_int(resource(json, &r, &e), -EINVAL, "resource: without the passphrase, refused");
	tap_is_int(resource("{\"passphrase\":\"cGFzcy1h\",\"volume-key-id\":\"1234\"}", &r, &e),
		   -EINVAL, "resource: a short identity is refused");
	snprintf(json, sizeof(json), "{\"passphrase\":\"cGFzcy1\",\"volume-key-id\":\"%s\"}", id);
	tap_is_int(resource(json, &r, &e), -EINVAL, "resource: bad base64 is refused");
	snprintf(json, sizeof(json), "{\"passphrase\":\"\",\"volume-key-id\":\"%s\"}", id);
	tap_is_int(resource(json, &r, &e), -EINVAL, "resource: an empty passphrase is refused");

	secret_alloc(&pass, 16, &e);
	secret_append(&pass, "pass-a", 6, &e);
	volume_identity_from_hex(id, 64, raw, &e);
	tap_is_int(volume_resource_write(&pass, raw, &out, &e), 0, "resource: written");
	snprintf(json, sizeof(json), "{\"passphrase\":\"cGFzcy1h\",\"volume-key-id\":\"%s\"}", id);
	tap_ok(out.len == strlen(json) && memcmp(out.data, json, out.len) == 0,
	       "resource: as the documented form, byte for byte");
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_source(const char *scratch)
{
	char root[PATH_MAX], path[PATH_MAX], file[PATH_MAX + 32];
	struct error e = { 0 };

	snprintf(root, sizeof(root), "%s/source-root", scratch);
	snprintf(file, sizeof(file), "%s/etc", root);
	mkdir(root, 0755);
	mkdir(file, 0755);
	snprintf(file, sizeof(file), "%s/etc/crypttab", root);
	unlink(file);
	tap_is_int(volume_source_find(root, "root", "ro rd.luks.name=1111-22=root", path,
				      sizeof(path), &e),
		   0, "source: rd.luks.name=UUID=NAME without a crypttab");
	tap_is_str(path, "/dev/disk/by-uuid/1111-22", "source: its UUID under /dev/disk/by-uuid");
	volume_source_find(root, "luks-abcd", "rd.luks.uuid=luks-abcd", path, sizeof(path), &e);
	tap_is_str(path, "/dev/disk/by-uuid/abcd", "source: rd.luks.uuid=luks-UUID for luks-UUID");
	tap_is_int(volume_source_find(root, "data", "rd.luks.name=1111-22=root", path, sizeof(path),
				      &e),
		   -ENOENT, "source: a volume nothing names is -ENOENT");
	tap_ok(strstr(e.msg, "data") != NULL, "source: naming the volume (%s)", e.msg);

	snprintf(file, sizeof(file), "%s/etc/crypttab", root);
	write_file(file, "# comment\n\ndata  PARTUUID=77 none luks\nroot\tUUID=9999 - "
			 "luks,discard\nswap /dev/vdc /dev/urandom swap\n");
	volume_source_find(root, "root", "rd.luks.name=1111-22=root", path, sizeof(path), &e);
	tap_is_str(path, "/dev/disk/by-uuid/9999",
		   "source: the initrd's crypttab before the command line");
	volume_source_find(root, "data", "", path, sizeof(path), &e);
	tap_is_str(path, "/dev/disk/by-partuuid/77", "source: PARTUUID= in crypttab");
	volume_source_find(root, "swap", "", path, sizeof(path), &e);
	tap_is_str(path, "/dev/vdc", "source: a path in crypttab");
	write_file(file, "root UUID=../../x none\n");
	tap_is_int(volume_source_find(root, "root", "", path, sizeof(path), &e), -EINVAL,
		   "source: UUID= with a '/' is refused");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test-volume-identity SCRATCH_DIR\n");
		return 2;
	}
	test_prefix();
	test_compute();
	test_dump();
	test_resource();
	test_source(argv[1]);
	printf("1..%u\n", tap_count);
	return tap_failures ? 1 : 0;
}
