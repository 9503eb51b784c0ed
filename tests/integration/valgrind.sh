#!/bin/sh
# TAP: the mrboot binary under valgrind's memcheck for the commands that run on the host
# without privileges: config, detect on every fixture tree, measure + replay + log in every
# format on fixture copies, a damaged log, the TPM path against swtpm, and unlock against
# the test key broker (sample evidence over TLS, the key read back from the hand-off socket,
# and the refusals that end a release half-way). An assertion a command: memcheck reports
# nothing (--error-exitcode=99, definite leaks count) and the command ends as the same
# command ends in the other tests, so that the path meant is the path checked.
#
# Valgrind replaces malloc() through a preloaded library, which a statically linked binary
# never loads: memcheck then sees no heap block, so leaks and heap bounds are not checked
# (said by the first assertion, a SKIP), while uninitialised values, the stack and system
# call arguments still are. The glibc build runs this test with all of it.
# tests/valgrind.supp holds suppressions, each with its reason.
# Usage: valgrind.sh MRBOOT FIXTURES_DIR
set -u
mrboot=$1
fixtures=$2
tests_dir=$(cd "$(dirname "$0")/.." && pwd)
python=/usr/bin/python3
. "$tests_dir/lib/tap.sh"

if ! command -v valgrind >/dev/null 2>&1; then
	skip_all "valgrind is not installed (Debian package valgrind; scripts/setup)"
fi

tmp=$(mktemp -d)
. "$tests_dir/lib/swtpm.sh"
kbs_lib_dir=$tests_dir/kbs
. "$kbs_lib_dir/lib-kbs.sh"
trap 'kbs_stop; swtpm_stop; rm -rf "$tmp"' EXIT

set -- -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
	--track-origins=yes --log-file="$tmp/vg.log"
[ -f "$tests_dir/valgrind.supp" ] && set -- "$@" --suppressions="$tests_dir/valgrind.supp"
vg_options=$(printf '%s\n' "$@")

# vg DESCRIPTION STATUS ROOT ARGS...: mrboot --root ROOT ARGS under memcheck, into $tmp/out
# and $tmp/err; passes when memcheck reports nothing and mrboot exits STATUS.
vg() {
	desc=$1
	want=$2
	root=$3
	shift 3
	# Word splitting of the option list is meant: no option holds a space but the paths,
	# which mktemp gives without one.
	# shellcheck disable=SC2086
	timeout -k 10 300 valgrind $vg_options "$mrboot" --root "$root" --log-target stderr "$@" \
		>"$tmp/out" 2>"$tmp/err"
	vg_verdict "$desc" "$want" $?
}
# vg_verdict DESCRIPTION WANT STATUS: one assertion for a command memcheck ran.
vg_verdict() {
	desc=$1
	want=$2
	status=$3
	if [ "$status" -eq 99 ] || [ -s "$tmp/vg.log" ]; then
		not_ok "memcheck: $desc: $(grep -m 1 -E '== [A-Z]' "$tmp/vg.log" | sed 's/^==[0-9]*== //')"
		sed 's/^/# /' "$tmp/vg.log"
	elif [ "$status" -ne "$want" ]; then
		not_ok "memcheck: $desc: exit $status, not $want"
		sed 's/^/# /' "$tmp/err"
	else
		ok "memcheck: $desc (exit $status)"
	fi
	rm -f "$tmp/vg.log"
}

tree() { # SPEC DIR: the fixture tree of SPEC laid out in DIR
	mkdir -p "$2" && "$python" "$fixtures/mktree.py" "$fixtures/$1.spec" "$2" >/dev/null
}

# ---- does memcheck see the heap? ----------------------------------------------------------
tree tdx "$tmp/tdx"
# shellcheck disable=SC2086
valgrind --log-file="$tmp/heap.log" "$mrboot" --root "$tmp/tdx" detect >/dev/null 2>&1
allocs=$(sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' "$tmp/heap.log" | tr -d ,)
heap_seen=no
[ "${allocs:-0}" -gt 0 ] && heap_seen=yes
if [ "$heap_seen" = yes ]; then
	ok "memcheck sees the heap: $allocs allocations in detect, leaks are checked"
else
	skip "memcheck sees no heap block: valgrind cannot replace malloc in a statically linked\
 binary, so leaks and heap bounds are checked by the glibc build's run of this test;\
 uninitialised values, the stack and system calls are checked here"
fi

# ---- the CLI and the configuration --------------------------------------------------------
vg "--version" 0 / --version
vg "--help" 0 / --help
mkdir -p "$tmp/conf/etc" "$tmp/conf/proc"
printf '[general]\nlog-level = warning\n\n[measure]\nfile = /etc/hostname\nfile = /etc/fstab\n' \
	>"$tmp/conf/etc/mrboot.conf"
echo 'BOOT_IMAGE=/vmlinuz root=/dev/sda2 ro mrboot.general.log-level=debug "quoted arg=a b"' \
	>"$tmp/conf/proc/cmdline"
vg "config from a file and the kernel command line" 0 "$tmp/conf" config
echo 'root=/dev/sda2 mrboot.measure.pcr-cmdline=24' >"$tmp/conf/proc/cmdline"
vg "config --check of an out-of-range value" 3 "$tmp/conf" config --check
echo 'root=/dev/sda2 mrboot.general.log-level="debug' >"$tmp/conf/proc/cmdline"
vg "config with an unterminated quote" 3 "$tmp/conf" config

# ---- detect on every fixture tree ----------------------------------------------------------
for spec in "$fixtures"/*.spec; do
	name=$(basename "$spec" .spec)
	[ "$name" = common ] && continue
	[ -d "$tmp/$name" ] || tree "$name" "$tmp/$name"
	vg "detect: $name" 0 "$tmp/$name" detect
	vg "detect --json: $name" 0 "$tmp/$name" detect --json
done

# ---- measure, replay and every log format on the TDX and CCA trees -------------------------
journal=run/log/mrboot/events.jsonseq
ccel=sys/firmware/acpi/tables/data/CCEL
for name in tdx cca-sha512; do
	root=$tmp/measure-$name
	tree "$name" "$root"
	vg "$name: measure" 0 "$root" measure
	vg "$name: measure again in the same boot (refused)" 1 "$root" measure
	vg "$name: extend --string" 0 "$root" extend --pcr 9 --string "an event"
	vg "$name: extend an AAEL event" 0 "$root" extend --pcr 3 --domain example.org \
		--operation op --content '{"k":"v"}'
	# The fixture's register files are not extended by a kernel: replay finds them differing.
	vg "$name: replay (registers differ)" 4 "$root" replay
	vg "$name: replay --json" 4 "$root" replay --json
	for format in json text aael cel-tlv; do
		vg "$name: log --format $format" 0 "$root" log --format "$format"
	done
	vg "$name: log --output" 0 "$root" log --format aael --output "$tmp/out.aael"
done
"$python" "$tests_dir/witness/log-check.py" ccel-fixture "$tmp/measure-tdx/$ccel" || exit 1
vg "tdx: log --format ccel after a firmware CCEL" 0 "$tmp/measure-tdx" log --format ccel
vg "cca-sha512: log --format ccel without a firmware CCEL (refused)" 1 "$tmp/measure-cca-sha512" \
	log --format ccel
vg "log --format of an unknown name (usage error)" 2 "$tmp/measure-tdx" log --format bogus

root=$tmp/measure-sev-snp
tree sev-snp "$root"
vg "sev-snp: measure (logged only)" 0 "$root" measure
vg "sev-snp: replay" 0 "$root" replay
vg "sev-snp: log --format aael (refused)" 1 "$root" log --format aael

# A damaged log: a record cut short at the end (a warning), then bytes that are no record.
root=$tmp/measure-tdx
printf '\036{"seq":99,"sta' >>"$root/$journal"
vg "a torn last record" 0 "$root" log --format text
printf 'garbage\n' >>"$root/$journal"
vg "a corrupt log (refused)" 1 "$root" log --format json
vg "extend on a corrupt log (refused)" 1 "$root" extend --pcr 9 --string x

# ---- a TPM (swtpm) -------------------------------------------------------------------------
root=$tmp/tpm-root
mkdir -p "$root/etc" "$root/proc" "$tmp/swtpm"
if ! swtpm_start "$tmp/swtpm"; then
	skip "swtpm: $swtpm_why"
else
	printf '[tpm]\nsocket = %s\n' "$swtpm_sock" >"$root/etc/mrboot.conf"
	echo "BOOT_IMAGE=/vmlinuz root=/dev/sda2 ro" >"$root/proc/cmdline"
	vg "tpm: measure" 0 "$root" measure
	vg "tpm: extend --string" 0 "$root" extend --pcr 16 --string "an event"
	vg "tpm: replay (matches)" 0 "$root" replay
	vg "tpm: log --format aael" 0 "$root" log --format aael --output "$tmp/tpm.aael"
	vg "tpm: log --format cel-tlv" 0 "$root" log --format cel-tlv --output "$tmp/tpm.cel"
	swtpm_stop
fi

# ---- unlock against the test broker --------------------------------------------------------
# The release path end to end: the TLS handshake and its resumption, the ephemeral key, the
# evidence, the JWE decrypted into a secret, the socket hand-off, the wipe at exit. The broker
# (tests/kbs/broker.py, on loopback with TLS) answers slowly enough for a program under
# memcheck, which runs some fifty times slower: timeouts are generous, waits bounded.
head -c 32 /dev/urandom >"$tmp/disk.key"

# vg_unlock DESCRIPTION STATUS NAME [BROKER FAULTS...]: mrboot unlock of volume "root" under
# memcheck against a broker started with the faults given. With STATUS 0 the key must be
# offered on the socket and read back equal to the broker's before the volume "opens".
vg_unlock() {
	desc=$1
	want=$2
	name=$3
	shift 3
	if ! kbs_start "$tmp" "$name" --tee sample --resource "default/mrboot/root=$tmp/disk.key" \
		"$@"; then
		not_ok "memcheck: unlock, $desc: $kbs_why"
		return
	fi
	root=$tmp/unlock-$name
	mkdir -p "$root/etc/mrboot" "$root/dev/mapper"
	cp "$tmp/ca.pem" "$root/etc/mrboot/kbs-ca.pem"
	printf '[kbs]\nurl = %s\ntee = sample\ntimeout = 120\n[unlock]\nvolume-identity = optional\n' \
		"$kbs_url" >"$root/etc/mrboot.conf"
	# shellcheck disable=SC2086 # as in vg()
	timeout -k 10 300 valgrind $vg_options "$mrboot" --root "$root" --log-target stderr \
		unlock --volume root --timeout 120 >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	if [ "$want" -eq 0 ]; then
		sock=$root/run/cryptsetup-keys.d/root.key
		i=0
		while [ ! -S "$sock" ] && [ $i -lt 1200 ] && kill -0 "$pid" 2>/dev/null; do
			sleep 0.1
			i=$((i + 1))
		done
		if [ -S "$sock" ] && handoff_read "$sock" >"$tmp/received" &&
			cmp -s "$tmp/received" "$tmp/disk.key"; then
			ok "unlock under memcheck, $desc: the key read from the socket is the broker's"
		else
			not_ok "unlock under memcheck, $desc: no key read back from $sock"
			sed 's/^/# /' "$tmp/err"
		fi
		rm -f "$tmp/received"
		: >"$root/dev/mapper/root"
	fi
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 1800 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid"
	vg_verdict "unlock, $desc" "$want" $?
	kbs_stop
}

if ! "$kbs_python" -c 'import cryptography' 2>/dev/null; then
	skip "unlock: the test broker needs Debian's python3-cryptography"
elif ! kbs_make_certs "$tmp"; then
	skip "unlock: $kbs_why"
else
	vg_unlock "sample evidence over TLS, the socket hand-off" 0 ok
	# Each refusal frees a release left half-way: the session, the connection, the key.
	vg_unlock "a JWE whose tag does not authenticate (refused)" 5 badtag \
		--fault bad-jwe-tag:resource:0
	vg_unlock "a connection reset mid-response, then a new connection" 0 reset \
		--fault reset:resource:1
	vg_unlock "401 from the broker (refused)" 5 deny --fault 401:auth:0
	if [ "$heap_seen" = no ]; then
		skip "unlock: leaks and heap bounds of the release path are not checked here, since\
 memcheck cannot see a statically linked binary's heap; the glibc build's run checks them"
	fi
fi

tap_end
