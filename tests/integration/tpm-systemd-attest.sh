#!/bin/sh
# TAP: TPM evidence on a boot where systemd extends PCRs before mrboot (a UKI's initrd:
# systemd-pcrphase-initrd's "enter-initrd" into PCR 11, which only systemd's tpm2-measure.log
# records). The broker (tests/kbs/broker.py) replays every PCR aa_eventlog touches, as
# openanolis' Trustee TPM verifier does: aa_eventlog must carry systemd's records too, in the
# log's order, or PCR 11 does not replay and the quote is refused. systemd's record comes from
# the real systemd-pcrextend of sid's systemd (scripts/setup unpacks it into
# ${MRBOOT_CACHE:-/var/cache/mrboot}/systemd-witness), on swtpm.
# Usage: tpm-systemd-attest.sh MRBOOT TPM_EVIDENCE_DRIVER
set -u
mrboot=$1
driver=$2
tests_dir=$(cd "$(dirname "$0")/.." && pwd)
kbs_lib_dir=$tests_dir/kbs
py=/usr/bin/python3
tmp=$(mktemp -d)
. "$tests_dir/lib/tap.sh"
. "$tests_dir/lib/swtpm.sh"
. "$kbs_lib_dir/lib-kbs.sh"
trap 'kbs_stop; swtpm_stop; rm -rf "$tmp"' EXIT

tap_diagnose() { [ -s "$tmp/err" ] && sed 's/^/# /' "$tmp/err"; }
sd=${MRBOOT_CACHE:-/var/cache/mrboot}/systemd-witness
sd_run() { # PROGRAM ARGS...: one of sid's systemd programs, on swtpm, with the root's log
	prog=$1
	shift
	LD_LIBRARY_PATH=$sd/usr/lib/x86_64-linux-gnu/systemd SYSTEMD_FORCE_MEASURE=1 \
		SYSTEMD_MEASURE_LOG_USERSPACE=$log SYSTEMD_MEASURE_LOG_FIRMWARE=$tmp/no-firmware-log \
		SYSTEMD_TPM2_DEVICE=$swtpm_tcti "$sd/usr/lib/systemd/$prog" "$@"
}
[ "$(uname -m)" = x86_64 ] || skip_all "sid's systemd in $sd is x86-64's"
kbs_make_certs "$tmp" || skip_all "$kbs_why"
mkdir -p "$tmp/tpm"
swtpm_start "$tmp/tpm" || skip_all "swtpm: $swtpm_why"
log=$tmp/probe.log
sd_run systemd-pcrextend --version >"$tmp/err" 2>&1 ||
	skip_all "systemd-pcrextend from $sd does not run here (scripts/setup fetches it)"
: >"$tmp/no-firmware-log"

port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cmdline="BOOT_IMAGE=/vmlinuz-7.2.13-amd64 root=/dev/mapper/root ro quiet"
root=$tmp/root
log=$root/run/log/systemd/tpm2-measure.log
mkdir -p "$root/etc/mrboot" "$root/dev/mapper" "$root/proc/sys/kernel/random"
printf '%s\n' "$cmdline" >"$root/proc/cmdline"
cp /proc/sys/kernel/random/boot_id "$root/proc/sys/kernel/random/boot_id"
cp "$tmp/ca.pem" "$root/etc/mrboot/kbs-ca.pem"
cat >"$root/etc/mrboot.conf" <<CONF
[unlock]
volume-identity = optional
[kbs]
url = https://localhost:$port
tee = auto
timeout = 20
[tpm]
socket = $swtpm_sock
CONF
od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$tmp/disk.key"

# mrboot predict's policy: a fresh TPM, whose PCR 15 only mrboot extends.
"$mrboot" --root "$root" predict --platform tpm --cmdline "$cmdline" --alone pcr15 \
	--format broker-policy >"$tmp/policy.json" 2>"$tmp/err"
check "mrboot predict writes the broker's policy" [ $? -eq 0 ]

# The firmware log: systemd-stub's measurement of the UKI into PCR 11 (an EV_IPL), so that a
# log touches PCR 11 and the broker replays it, as on a UKI boot.
mkdir -p "$root/sys/kernel/security/tpm0"
$py - "$root/sys/kernel/security/tpm0/binary_bios_measurements" >"$tmp/stub" <<'PY'
import hashlib, struct, sys
spec = (b"Spec ID Event03\0" + struct.pack("<IBBBBI", 0, 0, 2, 0, 2, 1)
        + struct.pack("<HH", 0x000B, 32) + b"\0")
log = struct.pack("<II", 0, 3) + bytes(20) + struct.pack("<I", len(spec)) + spec
data = b".linux\0"
d = hashlib.sha256(data).digest()
log += struct.pack("<IIIH", 11, 0x0D, 1, 0x000B) + d + struct.pack("<I", len(data)) + data
open(sys.argv[1], "wb").write(log)
print(d.hex())
PY
if command -v tpm2_pcrextend >/dev/null 2>&1; then
	TPM2TOOLS_TCTI=$swtpm_tcti tpm2_pcrextend "11:sha256=$(cat "$tmp/stub")" 2>"$tmp/err"
	check "tpm2-tools extends PCR 11 as the firmware log says systemd-stub did" [ $? -eq 0 ]
else
	skip "tpm2-tools is missing: no firmware log"
	rm "$root/sys/kernel/security/tpm0/binary_bios_measurements"
fi

# The initrd's order: systemd-pcrphase-initrd (enter-initrd, PCR 11), then mrboot.
sd_run systemd-pcrextend --pcr=11 --event-type=phase enter-initrd >"$tmp/err" 2>&1
check "systemd-pcrextend extends PCR 11 with enter-initrd, as systemd-pcrphase-initrd does" [ $? -eq 0 ]
"$mrboot" --root "$root" measure >"$tmp/out" 2>"$tmp/err"
check "mrboot measure exits 0" [ $? -eq 0 ]

# aa_eventlog: systemd's log in its order, systemd's record as EV_IPL.
"$driver" "$swtpm_sock" "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" "$root" \
	>"$tmp/ev.json" 2>"$tmp/err"
check "TPM evidence is written" [ $? -eq 0 ]
$py - "$tmp/ev.json" "$log" >"$tmp/err" 2>&1 <<'PY'
import base64, hashlib, json, struct, sys
aa = base64.b64decode(json.load(open(sys.argv[1]))["aa_eventlog"])
sd = [json.loads(c) for c in open(sys.argv[2], "rb").read().split(b"\x1e")[1:]]
size = struct.unpack_from("<I", aa, 28)[0]
pos, recs = 32 + size, []
while aa[pos:pos + 8] != b"\xff" * 8:
    pcr, etype, n = struct.unpack_from("<III", aa, pos)
    assert n == 1, n
    alg, = struct.unpack_from("<H", aa, pos + 12)
    assert alg == 0x000B, alg
    digest = aa[pos + 14:pos + 46]
    esize, = struct.unpack_from("<I", aa, pos + 46)
    recs.append((pcr, etype, digest, aa[pos + 50:pos + 50 + esize]))
    pos += 50 + esize
assert pos + 8 == len(aa), (pos, len(aa))
assert len(recs) == len(sd), (len(recs), len(sd))
assert sd[0]["pcr"] == 11 and sd[0]["content"]["string"] == "enter-initrd", sd[0]
assert recs[0] == (11, 0x0D, hashlib.sha256(b"enter-initrd").digest(), b"enter-initrd"), recs[0]
for (pcr, etype, digest, data), s in zip(recs, sd):
    want = [d["digest"] for d in s["digests"] if d["hashAlg"] == "sha256"][0]
    assert pcr == s["pcr"] and digest.hex() == want, (pcr, s)
    if s["content"].get("eventType") == "mrboot":
        assert etype == 6, etype  # EV_EVENT_TAG
        assert data[8:].decode() == s["content"]["string"], (data, s)
    else:
        assert etype == 0x0D and data == s["content"]["string"].encode(), (etype, data)
print(f"{len(recs)} records, in systemd's log order")
PY
status=$?
check "aa_eventlog: systemd's log in order, enter-initrd first as EV_IPL at PCR 11" [ "$status" -eq 0 ]
[ "$status" -ne 0 ] || sed 's/^/# /' "$tmp/err"

kbs_start "$tmp" tpm --port "$port" --tee tpm --tpm-ak-tofu --policy "$tmp/policy.json" \
	--resource "default/mrboot/root=$tmp/disk.key" || bail "$kbs_why"
: >"$root/dev/mapper/root"
"$mrboot" --root "$root" unlock --volume root --handoff none >"$tmp/out" 2>"$tmp/err"
status=$?
check "unlock: the broker replays PCR 11 and 15 from aa_eventlog and releases the key" [ "$status" -eq 0 ]
[ "$status" -eq 0 ] || sed 's/^/# broker: /' "$tmp/tpm.err" | tail -5
kbs_stop

# A record aa_eventlog cannot carry (no SHA-256 digest) is an error naming it, not skipped.
printf '\036{"pcr":16,"digests":[{"hashAlg":"sha1","digest":"%s"}],"content_type":"systemd","content":{"string":"x"}}\n' \
	"$(printf '00%.0s' $(seq 20))" >>"$log"
nrec=$(tr -cd '\036' <"$log" | wc -c)
"$driver" "$swtpm_sock" "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" "$root" \
	>"$tmp/ev.json" 2>"$tmp/err"
check "a systemd record without a SHA-256 digest is refused" [ $? -ne 0 ]
check "naming the record" grep -q "tpm2-measure.log: record $nrec at byte [0-9]*: no sha256 digest" "$tmp/err"
swtpm_stop
tap_end
