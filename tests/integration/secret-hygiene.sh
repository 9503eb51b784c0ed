#!/bin/sh
# TAP: after `mrboot unlock` has released a key, handed it off and exited, the key's bytes are
# nowhere: not in the memory the process still had at exit (a test-build hook writes every
# writable mapping to a file, agent/cli/memdump.c), not in its environment while it served the
# key, not in its output or log, not in the broker's log, and not under /run once the volume
# is open. Searches are checked to work: the dump must hold what the process did keep (the
# broker's URL), so "not found" is not the result of an empty dump.
# Usage: secret-hygiene.sh MRBOOT FAULT_INJECTION(true|false)
set -u
mrboot=$1
hooks=$2
tests_dir=$(cd "$(dirname "$0")/.." && pwd)
. "$tests_dir/lib/tap.sh"
kbs_lib_dir=$tests_dir/kbs
. "$kbs_lib_dir/lib-kbs.sh"
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'kbs_stop; rm -rf "$tmp"' EXIT
if [ "$hooks" != true ]; then
	skip_all "the memory dump hook exists only in -Dfault_injection=true builds"
fi
kbs_make_certs "$tmp" || {
	skip_all "$kbs_why"
}
# A binary key: its raw bytes are searched for, and its hex for good measure.
head -c 32 /dev/urandom >"$tmp/disk.key"
kbs_start "$tmp" kbs --tee sample --resource "default/mrboot/root=$tmp/disk.key" || {
	bail "$kbs_why"
}
root=$tmp/root
mkdir -p "$root/etc/mrboot" "$root/dev/mapper"
cp "$tmp/ca.pem" "$root/etc/mrboot/kbs-ca.pem"
# A bare passphrase as the resource: the hand-off path, which holds the key longest.
printf '[kbs]\nurl = %s\ntee = sample\n[unlock]\nvolume-identity = optional\n' "$kbs_url" \
	>"$root/etc/mrboot.conf"

MRBOOT_DUMP_MEMORY=$tmp/core.bin "$mrboot" --root "$root" unlock --volume root --timeout 30 \
	>"$tmp/out" 2>"$tmp/err" &
pid=$!
sock=$root/run/cryptsetup-keys.d/root.key
i=0
while [ ! -S "$sock" ] && [ $i -lt 300 ] && kill -0 "$pid" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
check "the key is on offer" [ -S "$sock" ]
cp "/proc/$pid/environ" "$tmp/environ" 2>/dev/null
cp "/proc/$pid/cmdline" "$tmp/cmdline" 2>/dev/null
handoff_read "$sock" >"$tmp/received"
check "the reader received exactly the key" cmp -s "$tmp/received" "$tmp/disk.key"
rm -f "$tmp/received"
: >"$root/dev/mapper/root"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
wait "$pid"
check "unlock exits 0 once the volume is open" [ $? -eq 0 ]

# count FILE: how many times the key (raw, or as hex) occurs in FILE
count() {
	$py -c '
import sys
key = open(sys.argv[1], "rb").read()
data = open(sys.argv[2], "rb").read()
print(data.count(key) + data.count(key.hex().encode()))' "$tmp/disk.key" "$1"
}
check "the memory dump was written ($(stat -c %s "$tmp/core.bin" 2>/dev/null) bytes)" \
	[ -s "$tmp/core.bin" ]
check "the dump holds the remains of the JWE that carried the key: the search reaches the heap" \
	grep -qaF '"ciphertext"' "$tmp/core.bin"
check "the key is not in the process's memory at exit" [ "$(count "$tmp/core.bin")" -eq 0 ]
check "nor in its environment while it served the key" [ "$(count "$tmp/environ")" -eq 0 ]
check "nor in its command line" [ "$(count "$tmp/cmdline")" -eq 0 ]
check "nor in its output" [ "$(count "$tmp/out")" -eq 0 ]
check "nor in its log" [ "$(count "$tmp/err")" -eq 0 ]
check "nor in the broker's request log" [ "$(count "$tmp/kbs.log")" -eq 0 ]
check "nothing is left under /run/cryptsetup-keys.d" \
	[ -z "$(ls -A "$root/run/cryptsetup-keys.d" 2>/dev/null)" ]
found=0
for f in $(find "$root" -type f); do
	[ "$(count "$f")" -eq 0 ] || found=1
done
check "nor in any file under the root" [ "$found" -eq 0 ]

tap_end
