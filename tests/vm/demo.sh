#!/bin/sh
# The boot demo: one good boot of the VM test (boot.sh, case "good"), told as a story: the
# guest's kernel and accelerator, what mrboot measured, what the broker said, that the disk
# was unlocked and the real root reached, and the event log replayed to the vTPM.
#
# Usage: tests/vm/demo.sh MRBOOT [UNIT]   (the static agent, e.g. build/agent/mrboot; UNIT as
#   for boot.sh). Takes about a minute under TCG once the kernel is in the cache.
# Exit status: 0 when the boot went as the test expects, 1 otherwise.
set -u
dir=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$dir/../.." && pwd)
work=$(mktemp -d /var/tmp/mrboot-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "== mrboot boot demo: a Debian VM whose root disk only opens for a measured, attested boot"
MRBOOT_VM_CASES=good MRBOOT_VM_KEEP=$work/vm "$dir/boot.sh" "$1" "$src" ${2:+"$2"} >"$work/tap" 2>&1
status=$?
vm=$work/vm
# The console without carriage returns and colours (systemd's ellipsis may cut an escape
# sequence, leaving "[0m").
plain() { tr -d '\r' <"$1" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\[0m//g'; }

sed -n 's/^# kernel: /guest kernel:  /p; s/^# accelerator: /accelerator:   /p' "$work/tap"
if [ -f "$vm/good.console" ]; then
	echo
	echo "-- in the initrd, mrboot (from the guest's serial console):"
	plain "$vm/good.console" | grep -E 'mrboot\[[0-9]+\]:' | sed 's/^\[ *\([0-9.]*\)\] mrboot\[[0-9]*\]: /  [\1 s] /' |
		sed 's/sha256:\([0-9a-f]\{16\}\)[0-9a-f]*/sha256:\1.../'
	echo
	echo "-- the key broker (tests/kbs/broker.py on the host, reached at 10.0.2.2):"
	/usr/bin/python3 -c 'import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    print("  %-6s %-40s -> %s" % (e["method"], e["path"], e["status"]))' "$vm/good.log" 2>/dev/null
	echo
	echo "-- systemd-cryptsetup and the switch to the real root:"
	plain "$vm/good.console" | grep -E 'Cryptography Setup for root|Mounted sysroot|Switch Root' |
		grep -v Stopp | sed 's/^/  /'
	echo
	echo "-- the real root's /sbin/init reports:"
	plain "$vm/good.console" | sed -n 's/^MRBOOT-VM: \(switch_root reached\|root .*\|replay status .*\|pcr sha256 .*\)$/  \1/p'
	plain "$vm/good.console" | sed -n '/^MRBOOT-VM: cmdline/,/^MRBOOT-VM: replay status/p' |
		grep -E '^pcr[0-9]+ ' | sed 's/^/  mrboot replay: /'
fi
echo
echo "-- checks (boot.sh, TAP):"
grep -E '^(ok|not ok) ' "$work/tap" | sed 's/^/  /'
grep -E '^# +(good|  mrboot in)' "$work/tap" | sed 's/^# */  /'
if [ $status -eq 0 ]; then
	echo "== the disk was unlocked by the key the broker released for this measured boot"
else
	echo "== the demo boot did not go as expected (boot.sh exit status $status)"
	grep -E '^(not ok|Bail out)' "$work/tap"
fi
exit $status
