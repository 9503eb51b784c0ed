#!/bin/sh
# TAP: systemd's /run/log/systemd/tpm2-measure.log shared by systemd and mrboot on one TPM
# (swtpm). systemd's records come from the real systemd-pcrextend of sid's systemd (unpacked by
# scripts/setup into ${MRBOOT_CACHE:-/var/cache/mrboot}/systemd-witness), run as
# systemd-pcrosseparator.service runs it; mrboot's records are checked against systemd's own in
# the same file (doc/systemd-tpm2-log.md), mrboot replay and systemd-pcrlock replay the whole log.
# Usage: systemd-log.sh MRBOOT
set -u
mrboot=$1
tests_dir=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
. "$tests_dir/lib/tap.sh"
. "$tests_dir/lib/swtpm.sh"
trap 'swtpm_stop; rm -rf "$tmp"' EXIT

tap_diagnose() { [ -f "$tmp/err" ] && sed 's/^/# /' "$tmp/err"; }
sd=${MRBOOT_CACHE:-/var/cache/mrboot}/systemd-witness
sd_run() { # PROGRAM ARGS...: one of sid's systemd programs, on swtpm, with the root's log
	prog=$1
	shift
	LD_LIBRARY_PATH=$sd/usr/lib/x86_64-linux-gnu/systemd SYSTEMD_FORCE_MEASURE=1 \
		SYSTEMD_MEASURE_LOG_USERSPACE=$log SYSTEMD_MEASURE_LOG_FIRMWARE=$tmp/no-firmware-log \
		SYSTEMD_TPM2_DEVICE=$swtpm_tcti "$sd/usr/lib/systemd/$prog" "$@"
}
[ "$(uname -m)" = x86_64 ] || skip_all "sid's systemd in $sd is x86-64's"
mkdir -p "$tmp/tpm"
if ! swtpm_start "$tmp/tpm"; then
	skip_all "swtpm: $swtpm_why"
fi
log=$tmp/probe.log
if ! sd_run systemd-pcrextend --version >"$tmp/err" 2>&1; then
	skip_all "systemd-pcrextend from $sd does not run here (scripts/setup fetches it): $(head -c 200 "$tmp/err")"
fi

root=$tmp/root
log=$root/run/log/systemd/tpm2-measure.log
mkdir -p "$root/etc" "$root/proc/sys/kernel/random"
printf '[tpm]\nsocket = %s\n' "$swtpm_sock" >"$root/etc/mrboot.conf"
echo "BOOT_IMAGE=/vmlinuz root=/dev/sda2 ro roothash=$(printf '5a%.0s' $(seq 32))" >"$root/proc/cmdline"
# systemd-pcrextend takes the boot id from the machine: give the root the same.
cp /proc/sys/kernel/random/boot_id "$root/proc/sys/kernel/random/boot_id"
: >"$tmp/no-firmware-log"

# The boot's order: the separator (systemd creates the log), mrboot, then systemd again in
# PCR 15 (as systemd-cryptsetup's volume key would), then mrboot again.
# (without its --graceful, which looks for /dev/tpmrm0 and finds none here)
sd_run systemd-pcrextend --pcr=0 --pcr=1 --pcr=2 --pcr=3 --pcr=4 --pcr=5 --pcr=6 \
	--pcr=7 --pcr=9 --pcr=12 --pcr=13 --pcr=14 --event-type=os-separator os-separator \
	>"$tmp/err" 2>&1
check "systemd-pcrextend extends the os-separator as systemd-pcrosseparator.service does" [ $? -eq 0 ]
"$mrboot" --root "$root" measure >"$tmp/out" 2>"$tmp/err"
check "mrboot measure exits 0" [ $? -eq 0 ]
sd_run systemd-pcrextend --pcr=15 after-mrboot >"$tmp/err" 2>&1
check "systemd-pcrextend extends PCR 15 after mrboot" [ $? -eq 0 ]
"$mrboot" --root "$root" extend --pcr 15 --string last >"$tmp/out" 2>"$tmp/err"
check "mrboot extend --pcr 15 after systemd exits 0" [ $? -eq 0 ]

"$mrboot" --root "$root" replay >"$tmp/out" 2>"$tmp/err"
check "mrboot replay over systemd's and mrboot's records exits 0" [ $? -eq 0 ]
check "replay: PCR 15 matches, with systemd's event counted" grep -q "^pcr15 *matches: 0 firmware events, 6 logged events" "$tmp/out"
check "replay names no other register (mrboot extends PCR 15 only)" [ "$(grep -c . "$tmp/out")" -eq 1 ]

check "the log is mode 0600 (systemd created it)" [ "$(stat -c %a "$log")" = 600 ]
check "mrboot's own log is mode 0600" [ "$(stat -c %a "$root/run/log/mrboot/events.jsonseq")" = 600 ]

# mrboot's records against systemd's in the same file.
python3 - "$log" "$(tr -d '\n-' <"$root/proc/sys/kernel/random/boot_id")" >"$tmp/err" 2>&1 <<'PY'
import hashlib, json, sys
data = open(sys.argv[1], "rb").read()
assert data.startswith(b"\x1e") and data.endswith(b"\n")
recs = [json.loads(c) for c in data.split(b"\x1e")[1:]]
sd = [r for r in recs if r["content"].get("eventType") != "mrboot"]
mr = [r for r in recs if r["content"].get("eventType") == "mrboot"]
assert len(sd) == 13 and len(mr) == 5, (len(sd), len(mr))
separated = {0, 1, 2, 3, 4, 5, 6, 7, 9, 12, 13, 14}
assert not separated & {r["pcr"] for r in mr}, "an mrboot record in a separated PCR"
for r in recs:
    assert list(r) == ["pcr", "digests", "content_type", "content"], list(r)
    keys = list(r["content"])
    assert keys in (["string", "bootId", "timestamp", "eventType"], ["string", "bootId", "timestamp"]), keys
    assert r["content"]["bootId"] == sys.argv[2], r["content"]["bootId"]
    assert type(r["content"]["timestamp"]) is int
    for d in r["digests"]:
        assert d["digest"] == hashlib.new(d["hashAlg"], r["content"]["string"].encode()).hexdigest()
    assert [d["hashAlg"] for d in r["digests"]] == [d["hashAlg"] for d in recs[0]["digests"]]
# CLOCK_BOOTTIME in microseconds: one clock across both writers, in the log's order.
stamps = [r["content"]["timestamp"] for r in recs]
assert stamps == sorted(stamps), stamps
up = float(open("/proc/uptime").read().split()[0])
assert abs(stamps[-1] / 1e6 - up) < 60, (stamps[-1], up)
PY
check "mrboot's records have systemd's members, order, bootId and CLOCK_BOOTTIME timestamps" [ $? -eq 0 ]

# systemd-pcrlock replays the combined log against the live PCRs in every bank.
if sd_run systemd-pcrlock --no-pager log --json=short >"$tmp/pcrlock.json" 2>"$tmp/err"; then
	python3 - "$tmp/pcrlock.json" >"$tmp/err" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
used = [p for p in d["pcrs"] if p.get("count")]
assert {p["pcr"] for p in used} == {0, 1, 2, 3, 4, 5, 6, 7, 9, 12, 13, 14, 15}, used
assert all(p["hashMatchesEventLog"] for p in used), [p["pcr"] for p in used if not p["hashMatchesEventLog"]]
mr = [e for e in d["log"] if e["pcr"] == 15 and e.get("description") != "after-mrboot"]
# pcrlock knows no "mrboot" event type: such records carry no event name (doc/systemd-tpm2-log.md).
assert len(mr) == 5 and all(e["event"] is None for e in mr), mr
PY
	check "systemd-pcrlock log: every PCR's value matches the combined log" [ $? -eq 0 ]
else
	skip "systemd-pcrlock log failed: $(head -c 200 "$tmp/err")"
fi

# systemd's write marker: a log left marked (a writer died mid-record) stays marked.
chmod 1600 "$log"
"$mrboot" --root "$root" extend --pcr 15 --string marked >"$tmp/out" 2>"$tmp/err"
check "mrboot appends to a log marked incomplete (exit 0)" [ $? -eq 0 ]
check "and leaves the mark (S_ISVTX) set" [ "$(stat -c %a "$log")" = 1600 ]
check "its record is there" grep -q '"string":"marked"' "$log"

# A log mrboot creates: 0600, no marker left.
root2=$tmp/root2
mkdir -p "$root2/etc"
cp "$root/etc/mrboot.conf" "$root2/etc/"
"$mrboot" --root "$root2" extend --pcr 16 --string first >"$tmp/out" 2>"$tmp/err"
check "mrboot creates systemd's log mode 0600" [ "$(stat -c %a "$root2/run/log/systemd/tpm2-measure.log")" = 600 ]
check "without bootId where the root has no boot id" sh -c '! grep -q bootId "$1"' - "$root2/run/log/systemd/tpm2-measure.log"
swtpm_stop
tap_end
