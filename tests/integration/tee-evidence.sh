#!/bin/sh
# TAP: the evidence of each TEE (agent/attest) against the FUSE emulator of configfs-tsm
# (tests/emulators/configfs-tsm.py) on the fixture trees, read back by a checker below that
# knows Trustee's shapes and the hardware formats and not mrboot's code: member names and
# JSON types as Trustee's verifiers deserialise them, standard base64, the runtime-data hash
# zero-padded to 64 bytes where each format carries it (TDX quote offset 568, SEV-SNP
# REPORT_DATA, the Arm CCA realm challenge), and the TDX event log as the firmware's (the
# tdx-boot fixture's ACPI CCEL) + 8 x 0xFF.
# Usage: tee-evidence.sh TEE_EVIDENCE_DRIVER FIXTURES_DIR
set -u
driver=$1
fixtures=$2
tmp=$(mktemp -d)
tests_dir=$(cd "$(dirname "$0")/.." && pwd)
. "$tests_dir/lib/tap.sh"
. "$tests_dir/lib/configfs-tsm.sh"
trap 'tsm_stop; rm -rf "$tmp"' EXIT

cat >"$tmp/check.py" <<'EOF'
import base64, binascii, json, sys, uuid

kind, outfile, hash_hex = sys.argv[1], sys.argv[2], sys.argv[3]
doc = json.load(open(outfile))
padded = bytes.fromhex(hash_hex).ljust(64, b"\0")

def fail(why):
    sys.exit(why)

def b64(value, name):
    # Trustee decodes with base64 STANDARD: the + / alphabet, '=' padding required.
    if not isinstance(value, str):
        fail(f"{name} is not a string")
    try:
        raw = base64.b64decode(value, validate=True)
    except binascii.Error as e:
        fail(f"{name}: {e}")
    if base64.b64encode(raw).decode() != value:
        fail(f"{name} is not canonical standard base64")
    return raw

def byte_array(value, name, size=None):
    # serde reads a Rust byte array or Vec<u8> from an array of numbers 0..255.
    if not isinstance(value, list) or not all(type(x) is int and 0 <= x <= 255 for x in value):
        fail(f"{name} is not an array of byte numbers")
    if size is not None and len(value) != size:
        fail(f"{name} has {len(value)} elements, not {size}")
    return bytes(value)

def keys(obj, want, name):
    if not isinstance(obj, dict) or list(obj) != want:
        fail(f"{name} has members {list(obj) if isinstance(obj, dict) else obj}, want {want}")

def crypto_agile_end(log):
    # TCG PC Client PFP: a TCG_PCR_EVENT, then TCG_PCR_EVENT2 records of SHA-384 digests.
    i = 32 + int.from_bytes(log[28:32], "little")
    while log[i:i + 8] != b"\xff" * 8:
        count = int.from_bytes(log[i + 8:i + 12], "little")
        i += 12
        for _ in range(count):
            if int.from_bytes(log[i:i + 2], "little") != 0x000C:
                fail("a digest other than SHA-384")
            i += 2 + 48
        i += 4 + int.from_bytes(log[i:i + 4], "little")
    return i + 8

if kind == "sample":
    if doc != {"svn": "1", "report_data": base64.b64encode(bytes.fromhex(hash_hex)).decode()}:
        fail(f"sample evidence {doc}")
elif kind == "tdx":
    keys(doc, ["cc_eventlog", "quote"], "tdx evidence")
    quote, log = b64(doc["quote"], "quote"), b64(doc["cc_eventlog"], "cc_eventlog")
    if int.from_bytes(quote[0:2], "little") != 4 or quote[568:632] != padded:
        fail("the quote is not v4 with the padded hash as REPORTDATA")
    # The ACPI table's data: the firmware's log, then its unused space of 0xFF.
    table = open(sys.argv[4], "rb").read()
    firmware = table[:crypto_agile_end(table) - 8]
    if log != firmware + b"\xff" * 8 or crypto_agile_end(log) != len(log):
        fail("cc_eventlog is not the firmware log and 8 x 0xFF")
elif kind == "snp":
    keys(doc, ["attestation_report", "cert_chain"], "snp evidence")
    r = doc["attestation_report"]
    tcb = ["fmc", "bootloader", "tee", "snp", "microcode"]
    fields = [("version", int), ("guest_svn", int), ("policy", int), ("family_id", 16),
              ("image_id", 16), ("vmpl", int), ("sig_algo", int), ("current_tcb", tcb),
              ("plat_info", int), ("key_info", int), ("report_data", 64),
              ("measurement", 48), ("host_data", 32), ("id_key_digest", 48),
              ("author_key_digest", 48), ("report_id", 32), ("report_id_ma", 32),
              ("reported_tcb", tcb), ("cpuid_fam_id", int), ("cpuid_mod_id", int),
              ("cpuid_step", int), ("chip_id", 64), ("committed_tcb", tcb),
              ("current", ["major", "minor", "build"]),
              ("committed", ["major", "minor", "build"]), ("launch_tcb", tcb),
              ("launch_mit_vector", int), ("current_mit_vector", int),
              ("signature", ["r", "s"])]
    keys(r, [f for f, _ in fields], "attestation_report")
    for name, kind_ in fields:
        v = r[name]
        if kind_ is int and type(v) is not int:
            fail(f"{name} is not a number")
        if type(kind_) is int:
            byte_array(v, name, kind_)
        if type(kind_) is list:
            keys(v, kind_, name)
    byte_array(r["signature"]["r"], "signature.r", 72)
    if r["version"] != 5 or r["vmpl"] != int(sys.argv[4]):
        fail("not the emulator's version 5 report at the VMPL asked for")
    if byte_array(r["report_data"], "report_data") != padded:
        fail("report_data is not the padded hash")
    # The emulator's table (tests/emulators/configfs-tsm.py): VCEK, ASK, ARK GUIDs in the
    # RFC 4122 byte order (as the sev crate reads them), certificates of 1360, 1600 and 1620
    # bytes of 0x30, 0x31, 0x32.
    names = {"63da758d-e664-4564-adc5-f4b93be8accd": "VCEK",
             "4ab7b379-bbac-4fe4-a02f-05aef327c782": "ASK",
             "c0b406a4-a803-4952-9743-3fb6014cd0ae": "ARK"}
    chain = doc["cert_chain"]
    if not isinstance(chain, list) or len(chain) != 3:
        fail(f"cert_chain is not three entries")
    for i, (guid, size) in enumerate(zip(names, (1360, 1600, 1620))):
        rfc = guid
        want = names.get(rfc, {"OTHER": rfc})
        keys(chain[i], ["cert_type", "data"], f"cert_chain[{i}]")
        if chain[i]["cert_type"] != want:
            fail(f"cert_chain[{i}].cert_type is {chain[i]['cert_type']}, want {want}")
        if byte_array(chain[i]["data"], f"cert_chain[{i}].data") != bytes([0x30 + i]) * size:
            fail(f"cert_chain[{i}].data is not the certificate")
elif kind == "cca":
    keys(doc, ["token"], "cca evidence")
    token = byte_array(doc["token"], "token")
    # The emulator's token, passed through: CBOR (RFC 8949) tag 399 {44234: platform token,
    # 44241: realm token}, each a COSE_Sign1, tag 18 [protected, unprotected, payload, sig].
    def cbor(b, i=0):
        major, info = b[i] >> 5, b[i] & 31
        i += 1
        v = info
        if info >= 24:
            size = {24: 1, 25: 2, 26: 4, 27: 8}[info]
            v, i = int.from_bytes(b[i:i + size], "big"), i + size
        if major in (0, 1):
            return (v if major == 0 else -1 - v), i
        if major in (2, 3):
            return b[i:i + v], i + v
        if major in (4, 5):
            items = []
            for _ in range(v * (major - 3)):
                item, i = cbor(b, i)
                items.append(item)
            return (items if major == 4 else dict(zip(items[::2], items[1::2]))), i
        if major == 6:
            inner, i = cbor(b, i)
            return ("tag", v, inner), i
        raise ValueError(f"CBOR major type {major}")
    top, end = cbor(token)
    if end != len(token) or top[:2] != ("tag", 399) or 44234 not in top[2]:
        fail("the token is not a CCA collection of a platform and a realm token")
    realm, _ = cbor(top[2][44241])
    if realm[:2] != ("tag", 18) or len(realm[2]) != 4:
        fail("the realm token is not a COSE_Sign1")
    if cbor(realm[2][2])[0].get(10) != padded:
        fail("the realm challenge is not the padded hash")
EOF

hex_of() { # LABEL LENGTH: LENGTH bytes derived from LABEL (SHA-512), as hex
	/usr/bin/python3 -c 'import hashlib, sys; print(hashlib.sha512(sys.argv[1].encode()).digest()[:int(sys.argv[2])].hex())' "$1" "$2"
}
tree() { # SPEC: builds the tree once, prints its root
	if [ ! -d "$tmp/$1" ]; then
		mkdir "$tmp/$1"
		/usr/bin/python3 "$fixtures/mktree.py" "$fixtures/$1.spec" "$tmp/$1" || exit 1
	fi
	echo "$tmp/$1"
}
# A failed assertion shows what the driver and the checker printed.
tap_diagnose() { cat "$tmp/err" "$tmp/check" 2>/dev/null | cut -c 1-300 | sed 's/^/# /'; }
tap_run() { "$@" >"$tmp/check" 2>&1; }
start() { # SPEC PROVIDER: mounts the emulator; false (skipped) if it cannot
	root=$(tree "$1")
	log=$tmp/log-$2
	if tsm_start "$root" "$2" "$log"; then
		return 0
	fi
	skip "configfs-tsm $2: $tsm_why"
	return 1
}
evidence() { # TEE HASH_HEX: the driver's JSON in $tmp/out, its status in $status
	: >"${log:-$tmp/none.log}"
	"$driver" "$root" "$1" "$2" >"$tmp/out" 2>"$tmp/err"
	status=$?
	name=$(sed -n 's/^mkdir //p' "${log:-$tmp/none.log}" | tail -n 1)
}
status_is() { [ "$status" -eq "$1" ]; }
error_has() { [ "$status" -eq 1 ] && grep -q -e "$1" "$tmp/err"; }
logged() { grep -q -x -e "$1" "$log"; }
cleaned() { [ -z "$(ls -A "$root/sys/kernel/config/tsm/report")" ]; }
no_report_made() { ! grep -q '^mkdir ' "$log"; }

# sample: no hardware, no configfs-tsm.
root=$(tree none)
hash=$(hex_of sample 48)
evidence sample "$hash"
check "sample: the driver writes the evidence" status_is 0
check "sample: {\"svn\":\"1\",\"report_data\":base64 of the raw hash}" \
	/usr/bin/python3 "$tmp/check.py" sample "$tmp/out" "$hash"

# TDX: the quote and the firmware's event log (tdx-boot.spec has the ACPI CCEL, tdx.spec not).
if start tdx tdx_guest; then
	evidence tdx "$(hex_of tdx 48)"
	check "tdx, no firmware CCEL: refused with a message that says so" \
		error_has "tdx evidence: no firmware event log at .*/sys/firmware/acpi/tables/data/CCEL"
	check "tdx, no firmware CCEL: refused before a report was requested" no_report_made
	tsm_stop
fi
if start tdx-boot tdx_guest; then
	ccel=$root/sys/firmware/acpi/tables/data/CCEL
	hash=$(hex_of tdx 48)
	evidence tdx "$hash"
	check "tdx: the driver writes the evidence" status_is 0
	check "tdx: the inblob is the SHA-384 hash and 16 zero bytes" \
		logged "inblob $name ${hash}00000000000000000000000000000000"
	check "tdx: base64 quote with the padded hash at 568, base64 cc_eventlog of the firmware log and 8 x 0xFF" \
		/usr/bin/python3 "$tmp/check.py" tdx "$tmp/out" "$hash" "$ccel"
	check "tdx: the report directory is removed" cleaned

	hash=$(hex_of tdx-sha256 32)
	evidence tdx "$hash"
	check "tdx, a SHA-256 hash: padded to 64 bytes in the quote" \
		/usr/bin/python3 "$tmp/check.py" tdx "$tmp/out" "$hash" "$ccel"

	evidence snp "$hash"
	check "snp asked of a tdx_guest provider: refused naming both providers" \
		error_has "snp evidence: the report is from provider tdx_guest, snp evidence comes from sev_guest"
	check "snp asked of a tdx_guest provider: the report directory is removed" cleaned
	tsm_stop
fi

# SEV-SNP: the report in the sev crate's layout, the certificates from auxblob.
if start sev-snp sev_guest; then
	hash=$(hex_of snp 48)
	evidence snp "$hash"
	check "snp: the driver writes the evidence" status_is 0
	check "snp: the VMPL is the provider's floor" logged "option $name privlevel 0"
	check "snp: the inblob is the SHA-384 hash and 16 zero bytes" \
		logged "inblob $name ${hash}00000000000000000000000000000000"
	check "snp: attestation_report member by member as the sev crate reads it, REPORT_DATA the padded hash, cert_chain from the certificate table" \
		/usr/bin/python3 "$tmp/check.py" snp "$tmp/out" "$hash" 0
	check "snp: the report directory is removed" cleaned
	tsm_stop
fi

# Arm CCA: the token as a number array, the challenge padded to 64 bytes.
if start cca-sha256 arm_cca_guest; then
	hash=$(hex_of cca 48)
	evidence cca "$hash"
	check "cca: the driver writes the evidence" status_is 0
	check "cca: the challenge written is the hash and 16 zero bytes" \
		logged "inblob $name ${hash}00000000000000000000000000000000"
	check "cca: {\"token\":[numbers]}, the realm challenge the padded hash" \
		/usr/bin/python3 "$tmp/check.py" cca "$tmp/out" "$hash"
	check "cca: the report directory is removed" cleaned
	tsm_stop
fi

tap_end
