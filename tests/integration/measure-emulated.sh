#!/bin/sh
# TAP: the real agent against registers that really extend: the tdx-boot fixture (a firmware
# CCEL and the RTMRs it leaves) with the tsm-mr emulator mounted over its measurements
# directory and the configfs-tsm emulator quoting those registers. `mrboot measure`, then
# `mrboot replay` with no file patched; every expected value comes from tdx-witness.py, which
# computes it from the journal's text and the formats' documents. Then the emulator's faults:
# an extend failing with EIO or EINTR, and register reads that return a few bytes at a time.
# Usage: measure-emulated.sh MRBOOT FIXTURES_DIR
set -u
mrboot=$1
fixtures=$2
tests_dir=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
. "$tests_dir/lib/tap.sh"
. "$tests_dir/lib/configfs-tsm.sh"
. "$tests_dir/lib/tsm-mr.sh"
# configfs-tsm reads the registers through the tsm-mr mount: it goes first.
trap 'tsm_stop; tsm_mr_stop; rm -rf "$tmp"' EXIT

tap_diagnose() { # the check's own complaint and the agent's last stderr
	[ -s "$tmp/why" ] && sed 's/^/# /' "$tmp/why"
	[ -s "$tmp/err" ] && sed 's/^/# stderr: /' "$tmp/err"
}
tap_run() { "$@" 2>"$tmp/why"; }
run() { # ROOT ARGS...: mrboot into $tmp/out, $tmp/err, $status
	r=$1
	shift
	"$mrboot" --root "$r" "$@" >"$tmp/out" 2>"$tmp/err"
	status=$?
}
has() { grep -q -e "$2" "$tmp/$1"; }
witness() { /usr/bin/python3 "$tests_dir/witness/tdx-witness.py" "$@"; }
same() { cmp -s "$1" "$2" || { echo "$1 and $2 differ" >&2; return 1; }; }
eq() { [ "$1" = "$2" ] || { echo "got '$1', want '$2'" >&2; return 1; }; }
jget() { /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
ccel=/sys/firmware/acpi/tables/data/CCEL
mrdir=/sys/devices/virtual/misc/tdx_guest/measurements
journal=/run/log/mrboot/events.jsonseq

# ---- the fixture: its CCEL is what make-ccel.py writes, a valid log, and replays to RTMR0/1 --
mkdir "$tmp/made"
/usr/bin/python3 "$fixtures/make-ccel.py" "$tmp/made"
check "make-ccel.py reproduces the committed tdx-boot.ccel byte for byte" \
	same "$tmp/made/tdx-boot.ccel" "$fixtures/tdx-boot.ccel"
check "make-ccel.py reproduces the committed tdx-boot.json" \
	same "$tmp/made/tdx-boot.json" "$fixtures/tdx-boot.json"
initial=$fixtures/tdx-boot.json
fresh() { # NAME: a new tdx-boot tree at $tmp/NAME
	root=$tmp/$1
	mkdir "$root"
	/usr/bin/python3 "$fixtures/mktree.py" "$fixtures/tdx-boot.spec" "$root"
}
fresh plain
check "the fixture's CCEL is the committed file" same "$root$ccel" "$fixtures/tdx-boot.ccel"
check "the CCEL is a PFP crypto-agile log: Spec ID (SHA-384), digests of the event data, 0xFF after; its replay is tdx-boot.json" \
	witness ccel "$root$ccel" "$initial"
for i in 0 1 2 3; do
	check "the fixture's rtmr$i file holds tdx-boot.json's rtmr$i" \
		eq "$(od -An -v -tx1 "$root$mrdir/rtmr$i:sha384" | tr -d ' \n')" "$(jget "$initial" rtmr$i)"
done
run "$root" log --format ccel --output "$tmp/plain.ccel"
check "the agent's strict CCEL checker accepts it (log --format ccel exits 0)" [ "$status" -eq 0 ]
check "with no events logged, the stream is the firmware log and 8 bytes of 0xFF" \
	witness stream "$tmp/plain.ccel" "$root$ccel" /dev/null "$initial"

# ---- the emulator plays the kernel's tsm-mr attributes -----------------------------------
if ! tsm_mr_start "$root" tdx "$tmp/plain.log" --state "$tmp/plain.state"; then
	skip "tsm-mr emulator: $tsm_mr_why"
	tap_end
fi
check "modes and sizes: rtmr0..3 0644, mrtd and the rest 0444, 48 bytes each" /usr/bin/python3 - "$tsm_mr_dir" <<'PY'
import os, stat, sys
d = sys.argv[1]
want = {f"rtmr{i}:sha384": 0o644 for i in range(4)}
want.update({n: 0o444 for n in ("mrtd:sha384", "mrconfigid", "mrowner", "mrownerconfig")})
got = {n: (stat.S_IMODE(os.stat(os.path.join(d, n)).st_mode), os.stat(os.path.join(d, n)).st_size)
       for n in os.listdir(d)}
assert got == {n: (m, 48) for n, m in want.items()}, got
PY
check "a read-only register cannot be opened for writing (EACCES), root included" /usr/bin/python3 - "$tsm_mr_dir" <<'PY'
import errno, os, sys
try:
    os.open(os.path.join(sys.argv[1], "mrtd:sha384"), os.O_WRONLY)
except OSError as e:
    assert e.errno == errno.EACCES, e
else:
    raise AssertionError("opened")
PY
check "writes: 47 bytes EINVAL, at offset 1 EINVAL, at offset 48 EFBIG, none extends" /usr/bin/python3 - "$tsm_mr_dir" <<'PY'
import errno, os, sys
p = os.path.join(sys.argv[1], "rtmr3:sha384")
before = open(p, "rb").read()
fd = os.open(p, os.O_WRONLY)
for size, offset, code in ((47, 0, errno.EINVAL), (48, 1, errno.EINVAL), (48, 48, errno.EFBIG)):
    try:
        os.pwrite(fd, bytes(size), offset)
    except OSError as e:
        assert e.errno == code, (size, offset, e)
    else:
        raise AssertionError((size, offset))
os.close(fd)
assert open(p, "rb").read() == before
PY
check "a 64-byte write is cut to 48 (write returns 48) and extends: SHA-384(old || first 48)" /usr/bin/python3 - "$tsm_mr_dir" <<'PY'
import hashlib, os, sys
p = os.path.join(sys.argv[1], "rtmr3:sha384")
before = open(p, "rb").read()
data = hashlib.sha512(b"long write").digest()
fd = os.open(p, os.O_WRONLY)
assert os.pwrite(fd, data, 0) == 48
os.close(fd)
assert open(p, "rb").read() == hashlib.sha384(before + data[:48]).digest()
PY
tsm_mr_stop
check "unmounted, the fixture's own rtmr3 file is as it was" \
	eq "$(od -An -v -tx1 "$root$mrdir/rtmr3:sha384" | tr -d ' \n')" "$(jget "$initial" rtmr3)"

# ---- measure and replay on registers that extend, and the quote that carries them ---------
fresh boot
if ! tsm_mr_start "$root" tdx "$tmp/boot.log" --initial "$initial" --state "$tmp/boot.state"; then
	skip "tsm-mr emulator: $tsm_mr_why"
elif ! tsm_start "$root" tdx_guest "$tmp/tsm.log"; then
	skip "configfs-tsm emulator: $tsm_why"
else
	run "$root" detect
	check "detect: tdx, rtmr2 extensible (the emulated attributes' modes)" has out "rtmr2 .*extensible"
	run "$root" measure
	check "measure exits 0" [ "$status" -eq 0 ]
	check "the emulator extended rtmr2 with each committed record's AAEL digest, in order" \
		witness extends "$root$journal" "$tmp/boot.log"
	witness regs "$tsm_mr_dir" >"$tmp/boot.regs"
	check "RTMR2, read back through the mount, is the replay of the journal's text" \
		eq "$(jget "$tmp/boot.regs" rtmr2)" "$(witness expect "$root$journal" 2 "$root$ccel")"
	check "the emulator's own state agrees with what reads return" \
		eq "$(jget "$tmp/boot.state" rtmr2)" "$(jget "$tmp/boot.regs" rtmr2)"
	check "RTMR0 and RTMR1 still hold the firmware's replay" \
		eq "$(jget "$tmp/boot.regs" rtmr0) $(jget "$tmp/boot.regs" rtmr1)" \
		"$(jget "$initial" rtmr0) $(jget "$initial" rtmr1)"
	run "$root" replay
	check "replay exits 0, no file patched" [ "$status" -eq 0 ]
	check "replay: rtmr2 matches" has out "^rtmr2 *matches"
	run "$root" log --format ccel --output "$tmp/boot.ccel"
	check "log --format ccel exits 0" [ "$status" -eq 0 ]
	check "the CCEL stream is firmware log + mrboot's records + 0xFF and replays to all four RTMRs" \
		witness stream "$tmp/boot.ccel" "$root$ccel" "$root$journal" "$tmp/boot.regs"
	inblob=$(printf '5a%.0s' $(seq 64))
	report=$root/sys/kernel/config/tsm/report/witness
	if mkdir "$report" && /usr/bin/python3 -c 'import sys; open(sys.argv[1], "wb").write(bytes.fromhex(sys.argv[2]))' \
		"$report/inblob" "$inblob" && cat "$report/outblob" >"$tmp/quote" && rmdir "$report"; then
		check "the emulated TD quote carries the four emulated RTMRs and the inblob" \
			witness quote "$tmp/quote" "$inblob" "$tmp/boot.regs"
	else
		not_ok "the emulated TD quote carries the four emulated RTMRs and the inblob"
	fi
	extends=$(grep -c -e '^extend ' -e '^fail ' "$tmp/boot.log")
	run "$root" measure
	check "a second measure in the same boot is refused (exit 1)" [ "$status" -eq 1 ]
	check "and extends nothing" eq "$(grep -c -e '^extend ' -e '^fail ' "$tmp/boot.log")" "$extends"
	tsm_stop
	tsm_mr_stop
	for i in 0 1 2 3; do
		check "unmounted, the fixture's rtmr$i file was never written" \
			eq "$(od -An -v -tx1 "$root$mrdir/rtmr$i:sha384" | tr -d ' \n')" "$(jget "$initial" rtmr$i)"
	done
fi

# ---- Arm CCA (the proposed arm_cca_guest group): SHA-512 REMs extend the same way ----------
root=$tmp/cca
mkdir "$root"
/usr/bin/python3 "$fixtures/mktree.py" "$fixtures/cca-sha512.spec" "$root"
if ! tsm_mr_start "$root" cca-sha512 "$tmp/cca.log" --state "$tmp/cca.state"; then
	skip "tsm-mr emulator: $tsm_mr_why"
else
	run "$root" measure
	check "cca-sha512: measure exits 0" [ "$status" -eq 0 ]
	check "cca-sha512: REM2 is SHA-512(old || digest) over the committed records' AAEL bodies" \
		/usr/bin/python3 - "$root$journal" "$tmp/cca.state" <<'PY'
import hashlib, json, struct, sys
recs = [json.loads(c) for c in open(sys.argv[1], "rb").read().split(b"\x1e")[1:]]
done = {r["seq"] for r in recs if r["state"] == "committed"}
value = bytes(64)  # rem2 in cca-sha512.spec
for r in recs:
    if "domain" in r and r["seq"] in done and r["index"] == 2:
        text = f'{r["domain"]} {r["operation"]} {r["content"]}'.encode()
        body = struct.pack("<II", 0x4141454C, len(text)) + text
        value = hashlib.sha512(value + hashlib.sha512(body).digest()).digest()
assert len(done) == 3 and json.load(open(sys.argv[2]))["rem2"] == value.hex()
PY
	run "$root" replay
	check "cca-sha512: replay exits 0" [ "$status" -eq 0 ]
	tsm_mr_stop
fi

# ---- faults --------------------------------------------------------------------------------
# EVENT_STATES JOURNAL: "seq:state ..." of the journal's event records.
states() {
	/usr/bin/python3 - "$1" <<'PY'
import json, sys
recs = [json.loads(c) for c in open(sys.argv[1], "rb").read().split(b"\x1e")[1:]]
final = {r["seq"]: r["state"] for r in recs if "domain" not in r}
print(" ".join(f'{r["seq"]}:{final.get(r["seq"], "pending")}' for r in recs if "domain" in r))
PY
}
reason() { # JOURNAL SEQ: the reason its state record gives
	/usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
recs = [json.loads(c) for c in open(sys.argv[1], "rb").read().split(b"\x1e")[1:]]
print(next(r.get("reason", "") for r in recs if r["seq"] == int(sys.argv[2]) and "domain" not in r))
PY
}
consistent() { # NAME EMULATOR_LOG: the registers, the journal, replay and the CCEL stream agree
	witness regs "$tsm_mr_dir" >"$tmp/$1.regs"
	check "$1: RTMR2 is the replay of the committed records" \
		eq "$(jget "$tmp/$1.regs" rtmr2)" "$(witness expect "$root$journal" 2 "$root$ccel")"
	check "$1: the emulator's extends and failures are the committed and aborted records" \
		witness extends "$root$journal" "$2"
	run "$root" replay
	check "$1: replay exits 0" [ "$status" -eq 0 ]
	run "$root" log --format ccel --output "$tmp/$1.ccel"
	check "$1: the CCEL stream has the committed records only and replays to the RTMRs" \
		witness stream "$tmp/$1.ccel" "$root$ccel" "$root$journal" "$tmp/$1.regs"
}

fresh eio
if ! tsm_mr_start "$root" tdx "$tmp/eio.log" --initial "$initial" --fail-extend EIO:2; then
	skip "tsm-mr emulator: $tsm_mr_why"
else
	run "$root" measure
	check "EIO on the 2nd extend: measure exits 1" [ "$status" -eq 1 ]
	check "EIO: the error names the register and what the kernel's EIO means" \
		has err "rtmr2.*the TDX module or RMM refused the extend"
	check "EIO: record 1 committed, record 2 aborted, nothing measured after it" \
		eq "$(states "$root$journal")" "1:committed 2:aborted"
	check "EIO: the aborted record says why" \
		eq "$(reason "$root$journal" 2 | grep -c 'refused the extend')" 1
	consistent eio "$tmp/eio.log"
	run "$root" measure
	check "EIO: the next measure (no separator was committed) completes (exit 0)" [ "$status" -eq 0 ]
	consistent eio-again "$tmp/eio.log"
	tsm_mr_stop
fi

fresh eintr
if ! tsm_mr_start "$root" tdx "$tmp/eintr.log" --initial "$initial" --fail-extend EINTR; then
	skip "tsm-mr emulator: $tsm_mr_why"
else
	run "$root" measure
	check "EINTR on the 1st extend: measure exits 1" [ "$status" -eq 1 ]
	check "EINTR: record 1 aborted, nothing after it" eq "$(states "$root$journal")" "1:aborted"
	check "EINTR: the write was not repeated (one attempt, no extend)" \
		eq "$(grep -c -e '^extend ' -e '^fail ' "$tmp/eintr.log")" 1
	witness regs "$tsm_mr_dir" >"$tmp/eintr.regs"
	check "EINTR: RTMR2 is still zero" eq "$(jget "$tmp/eintr.regs" rtmr2)" "$(printf '00%.0s' $(seq 48))"
	run "$root" measure
	check "EINTR: the next measure completes (exit 0)" [ "$status" -eq 0 ]
	consistent eintr "$tmp/eintr.log"
	tsm_mr_stop
fi

fresh short
if ! tsm_mr_start "$root" tdx "$tmp/short.log" --initial "$initial" --state "$tmp/short.state" --short-read; then
	skip "tsm-mr emulator: $tsm_mr_why"
else
	check "short reads: one read(2) of a register returns 7 bytes" /usr/bin/python3 - "$tsm_mr_dir" <<'PY'
import os, sys
fd = os.open(os.path.join(sys.argv[1], "rtmr0:sha384"), os.O_RDONLY)
assert len(os.read(fd, 64)) == 7
os.close(fd)
PY
	run "$root" measure
	check "short reads: measure exits 0" [ "$status" -eq 0 ]
	check "short reads: the records' before and after values are the register's real ones" /usr/bin/python3 - "$root$journal" "$initial" <<'PY'
import hashlib, json, sys
recs = [json.loads(c) for c in open(sys.argv[1], "rb").read().split(b"\x1e")[1:]]
value = bytes(48)  # RTMR2 at the start (tdx-boot.json)
assert json.load(open(sys.argv[2]))["rtmr2"] == value.hex()
for r in (r for r in recs if "domain" in r):
    assert r["before"] == [{"alg": "sha384", "digest": value.hex()}], r["before"]
    value = hashlib.sha384(value + bytes.fromhex(r["digests"][0]["digest"])).digest()
    assert r["after"] == [{"alg": "sha384", "digest": value.hex()}], r["after"]
PY
	consistent short "$tmp/short.log"
	check "short reads: the emulator's state is what the pieces add up to" \
		eq "$(jget "$tmp/short.state" rtmr2)" "$(jget "$tmp/short.regs" rtmr2)"
	tsm_mr_stop
fi

tap_end
