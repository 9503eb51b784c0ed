#!/bin/sh
# TAP: the write-ahead log on a full file system (ENOSPC). A record that cannot be written
# ahead must not be extended: `mrboot measure` fails naming the log and the errno, the
# register is untouched, and once there is room again the next measure completes and replays.
# Runs on the TDX fixture with the tsm-mr emulator (registers that really extend); the log's
# directory is a tmpfs of one page, filled.
# Usage: log-enospc.sh MRBOOT FIXTURES_DIR
set -u
mrboot=$1
fixtures=$2
tests_dir=$(cd "$(dirname "$0")/.." && pwd)
. "$tests_dir/lib/tap.sh"
. "$tests_dir/lib/tsm-mr.sh"
tmp=$(mktemp -d)
root=$tmp/root
cleanup() {
	tsm_mr_stop
	umount "$root/run/log/mrboot" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$root"
/usr/bin/python3 "$fixtures/mktree.py" "$fixtures/tdx-boot.spec" "$root" || exit 1
mkdir -p "$root/run/log/mrboot"
if ! mount -t tmpfs -o size=4k,mode=0755 tmpfs "$root/run/log/mrboot" 2>/dev/null; then
	skip_all "cannot mount a tmpfs here (needs root)"
fi
if ! tsm_mr_start "$root" tdx "$tmp/mr.log" --state "$tmp/state.json"; then
	skip_all "$tsm_mr_why"
fi
rtmr2() { od -An -v -tx1 "$tsm_mr_dir/rtmr2:sha384" | tr -d ' \n'; }
before=$(rtmr2)
# Fill the file system: whatever fits, then nothing more.
dd if=/dev/zero of="$root/run/log/mrboot/fill" bs=1k count=8 2>/dev/null
"$mrboot" --root "$root" measure >"$tmp/out" 2>"$tmp/err"
check "measure on a full log file system fails (exit 1)" [ $? -eq 1 ]
check "naming the log and the error" grep -q "No space left on device" "$tmp/err"
check "no register was extended: RTMR2 is as it was" [ "$(rtmr2)" = "$before" ]
check "the emulator saw no extend" [ "$(grep -c '^extend' "$tmp/mr.log")" -eq 0 ]
rm -f "$root/run/log/mrboot/fill"
"$mrboot" --root "$root" measure >"$tmp/out" 2>"$tmp/err"
check "with room again, measure completes" [ $? -eq 0 ]
"$mrboot" --root "$root" replay >"$tmp/out" 2>"$tmp/err"
check "and the log replays to the registers" [ $? -eq 0 ]
tap_end
