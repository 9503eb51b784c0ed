#!/bin/sh
# Benchmark, not a test: how often one `mrboot run` reaches for the world. Under strace -f,
# counts the opens of the kernel command line, the configuration, mrboot's event log, the
# firmware's CCEL, the TPM (connections to swtpm's socket) and the configfs-tsm report
# directories made, for two boots:
#   tdx: a TDX fixture tree (tests/fixtures/tdx-boot.spec) with the tsm-mr and configfs-tsm
#        emulators, attesting to the test broker with a quote and the CCEL;
#   tpm: the same configuration with [tpm] socket at a fresh swtpm, attesting with a quote.
# Each binary named gets a column, so an old build and a new one are read side by side. The
# target (issue 14): one of each per boot, except a report directory per piece of evidence.
#
# Usage: bench/boot-context.sh [--counts] MRBOOT [MRBOOT...]
#   --counts: one line "scenario what count" per figure of the first binary (for tests).
set -u
counts=no
if [ "${1:-}" = --counts ]; then
	counts=yes
	shift
fi
if [ $# -lt 1 ]; then
	echo "usage: $0 [--counts] MRBOOT [MRBOOT...]" >&2
	exit 2
fi
top=$(cd "$(dirname "$0")/.." && pwd)
tests_dir=$top/tests
fixtures=$tests_dir/fixtures
py=/usr/bin/python3
kbs_lib_dir=$tests_dir/kbs
. "$kbs_lib_dir/lib-kbs.sh"
. "$tests_dir/lib/configfs-tsm.sh"
. "$tests_dir/lib/tsm-mr.sh"
. "$tests_dir/lib/swtpm.sh"
for tool in strace swtpm openssl; do
	command -v "$tool" >/dev/null || {
		echo "$0: $tool is needed (scripts/setup installs it)" >&2
		exit 77
	}
done
if [ ! -c /dev/fuse ] || ! $py -c 'import fusepy' 2>/dev/null; then
	echo "$0: FUSE or python3-fusepy is missing: the TDX emulators cannot run" >&2
	exit 77
fi
tmp=$(mktemp -d)
cleanup() {
	kbs_stop
	tsm_stop
	tsm_mr_stop
	swtpm_stop
	[ -n "${BENCH_KEEP:-}" ] && cp -r "$tmp" "$BENCH_KEEP"
	rm -rf "$tmp"
}
trap cleanup EXIT
kbs_make_certs "$tmp" || {
	echo "$0: $kbs_why" >&2
	exit 1
}
od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$tmp/disk.key"
kbs_start "$tmp" broker --tee tdx --tee tpm --tpm-ak-tofu \
	--resource "default/mrboot/root=$tmp/disk.key" || {
	echo "$0: $kbs_why" >&2
	exit 1
}
cmdline="BOOT_IMAGE=/vmlinuz root=/dev/mapper/root ro quiet"

conf() { # ROOT [LINES...]
	r=$1
	shift
	mkdir -p "$r/etc/mrboot" "$r/dev/mapper" "$r/proc"
	printf '%s\n' "$cmdline" >"$r/proc/cmdline"
	cp "$tmp/ca.pem" "$r/etc/mrboot/kbs-ca.pem"
	{
		printf '%s\n' "[kbs]" "url = $kbs_url" "timeout = 30" "[unlock]" "volume = root" \
			"handoff = none" "volume-identity = optional"
		for line in "$@"; do echo "$line"; done
	} >"$r/etc/mrboot.conf"
}

# count FILE PATTERN: the lines of the trace that match the extended regular expression.
count() { grep -cE -- "$2" "$1"; }

# trace NAME ROOT MRBOOT: runs `mrboot run` under strace; the counts, one line each.
trace() {
	: >"$2/dev/mapper/root"
	# LeakSanitizer cannot run under ptrace (the sanitized build's tests run this too).
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -o "$tmp/$1.strace" -e trace=open,openat,mkdir,mkdirat,connect \
		"$3" --root "$2" run >"$tmp/$1.out" 2>"$tmp/$1.err"
	echo "$1 status $?"
	t=$tmp/$1.strace
	echo "$1 /proc/cmdline $(count "$t" 'open(at)?\(.*/proc/cmdline"')"
	echo "$1 mrboot.conf $(count "$t" 'open(at)?\(.*/etc/mrboot.conf"')"
	echo "$1 event-log $(count "$t" 'open(at)?\(.*/run/log/mrboot/events.jsonseq"')"
	echo "$1 CCEL $(count "$t" 'open(at)?\(.*/tables/data/CCEL"')"
	echo "$1 TPM-firmware-log $(count "$t" 'open(at)?\(.*/binary_bios_measurements"')"
	echo "$1 TPM $(count "$t" 'connect\(.*server\.sock"')"
	# Detection makes its report by path, the evidence in the directory it opened.
	echo "$1 report-dir $(count "$t" 'mkdir(at)?\((.*/tsm/report/|[0-9]+, ")mrboot-')"
}

tdx_boot() { # MRBOOT OUT
	r=$tmp/tdx
	rm -rf "$r" && mkdir -p "$r"
	$py "$fixtures/mktree.py" "$fixtures/tdx-boot.spec" "$r" >/dev/null || return 1
	conf "$r"
	tsm_mr_start "$r" tdx "$tmp/mr.log" || return 1
	tsm_start "$r" tdx_guest "$tmp/tsm.log" --measurements "$tsm_mr_dir" || return 1
	trace tdx "$r" "$1" >"$2"
	tsm_stop
	tsm_mr_stop
}

tpm_boot() { # MRBOOT OUT
	r=$tmp/tpm
	rm -rf "$r" "$tmp/swtpm" && mkdir -p "$r" "$tmp/swtpm"
	swtpm_start "$tmp/swtpm" || return 1
	conf "$r" "[tpm]" "socket = $swtpm_sock"
	trace tpm "$r" "$1" >"$2"
	swtpm_stop
}

i=0
for m in "$@"; do
	i=$((i + 1))
	tdx_boot "$m" "$tmp/tdx.$i" || echo "tdx status emulators-failed" >"$tmp/tdx.$i"
	tpm_boot "$m" "$tmp/tpm.$i" || echo "tpm status swtpm-failed" >"$tmp/tpm.$i"
	cat "$tmp/tdx.$i" "$tmp/tpm.$i" >"$tmp/col.$i"
	if [ "$(head -1 "$tmp/tdx.$i")" != "tdx status 0" ] ||
		[ "$(head -1 "$tmp/tpm.$i")" != "tpm status 0" ]; then
		echo "# $m: a boot failed; its log:" >&2
		tail -n 5 "$tmp/tdx.err" "$tmp/tpm.err" >&2
	fi
done
if [ "$counts" = yes ]; then
	cat "$tmp/col.1"
	exit 0
fi
printf '%-22s' "opened per run"
for m in "$@"; do printf ' %14s' "$(basename "$(dirname "$(dirname "$m")")")"; done
echo
n=$(wc -l <"$tmp/col.1")
for l in $(seq "$n"); do
	printf '%-22s' "$(sed -n "${l}p" "$tmp/col.1" | cut -d' ' -f1,2)"
	for j in $(seq "$i"); do printf ' %14s' "$(sed -n "${l}p" "$tmp/col.$j" | cut -d' ' -f3)"; done
	echo
done
