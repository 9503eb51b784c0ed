#!/bin/sh
# Benchmark, not a test: `mrboot measure` against a TPM simulator (swtpm), beside peers run in
# the same script on the same machine and, where a TPM is involved, the same swtpm.
#   1. Whole-device digest: `[measure] rootfs = device` over an image file, page cache warm,
#      beside `openssl dgst -sha256` and `sha256sum` on the same file, best of N; the sha256
#      in mrboot's rootfs-device event must equal openssl's.
#   2. Default measure latency: the kernel command line, the configuration, the verity root
#      hash from roothash= and the separator (4 events, each extending the 4 swtpm banks),
#      beside systemd-pcrextend when this machine has it and a shell hook of 4 tpm2_pcrextend
#      calls with precomputed digests, best of N.
# Fails only when a digest disagrees or mrboot fails; a peer that is missing or fails here is
# a row of "n/a" with the reason.
#
# Usage: bench/measure.sh BUILD_DIR [SIZE_MIB]
#   SIZE_MIB  size of the image in MiB (default 1024, or $BENCH_MEASURE_SIZE_MIB)
#   $BENCH_MEASURE_RUNS  runs per tool for the digest (default 3)
#   $BENCH_MEASURE_LATENCY_RUNS  runs per tool for the latency (default 5)
#   $BENCH_MEASURE_TIMEOUT  seconds any one run may take (default 300); $TMPDIR  where files go
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 BUILD_DIR [SIZE_MIB]" >&2
	exit 2
fi
mrboot=$1/agent/mrboot
size_mib=${2:-${BENCH_MEASURE_SIZE_MIB:-1024}}
runs=${BENCH_MEASURE_RUNS:-3}
latency_runs=${BENCH_MEASURE_LATENCY_RUNS:-5}
limit=${BENCH_MEASURE_TIMEOUT:-300}
if [ ! -x "$mrboot" ]; then
	echo "$0: $mrboot not found; build it first (ninja -C $1)" >&2
	exit 1
fi
for tool in swtpm timeout; do
	if ! command -v "$tool" >/dev/null; then
		echo "$0: $tool is needed (scripts/setup installs swtpm swtpm-tools)" >&2
		exit 1
	fi
done

# shellcheck source=../tests/lib/swtpm.sh
. "$(dirname "$0")/../tests/lib/swtpm.sh"
. "$(dirname "$0")/lib.sh"
dir=$(mktemp -d "${TMPDIR:-/tmp}/bench-measure.XXXXXX")
# swtpm_stop ends with the status of swtpm's exit; under set -e that would cut the trap short.
trap 'swtpm_stop || :; rm -rf "$dir"' EXIT
trap 'exit 1' HUP INT TERM
mkdir "$dir/tpm"
if ! swtpm_start "$dir/tpm"; then
	echo "$0: $swtpm_why" >&2
	exit 1
fi

now_ns() {
	date +%s%N
}

# best RUNS LABEL CMD...: runs CMD RUNS times, each after emptying $fresh_root/run when set
# (untimed); sets $best_ns and $digest (the first word of stdout). Returns 1, the reason in
# $why, when a run fails.
fresh_root=
best() {
	n=$1
	label=$2
	shift 2
	best_ns=
	digest=
	i=0
	while [ "$i" -lt "$n" ]; do
		[ -z "$fresh_root" ] || rm -rf "$fresh_root/run"
		t0=$(now_ns)
		if ! "$@" >"$dir/out" 2>"$dir/err"; then
			why="$label failed: $(head -c 300 "$dir/err" | tr '\n' ' ')"
			return 1
		fi
		t1=$(now_ns)
		ns=$((t1 - t0))
		if [ -z "$best_ns" ] || [ "$ns" -lt "$best_ns" ]; then
			best_ns=$ns
		fi
		d=$(head -c 200 "$dir/out")
		d=${d%% *}
		if [ -n "$digest" ] && [ "$d" != "$digest" ]; then
			why="$label gave two different digests"
			return 1
		fi
		digest=$d
		i=$((i + 1))
	done
}

die() {
	echo "$0: $*" >&2
	exit 1
}

# The cost of the timing itself (a fork and exec of date, one of timeout), in every row below.
best "$latency_runs" floor timeout "$limit" true || die "$why"
floor_ns=$best_ns

# ---- 1. whole-device digest ----------------------------------------------------------------
root=$dir/device-root
mkdir -p "$root/etc" "$root/proc"
image=$root/img
head -c "$((size_mib * 1048576))" /dev/urandom >"$image"
bytes=$(wc -c <"$image")
# Written back first, or the writeback runs during the first measurements; then read once so
# that every tool starts from the page cache, not from the disk.
sync "$image" 2>/dev/null || sync
cat "$image" >/dev/null
printf '[tpm]\nsocket = %s\n[measure]\ncmdline = no\nconfig = no\nrootfs = device\nrootfs-device = /img\n' \
	"$swtpm_sock" >"$root/etc/mrboot.conf"
echo "BOOT_IMAGE=/vmlinuz root=/dev/vda ro" >"$root/proc/cmdline"
log=$root/run/log/mrboot/events.jsonseq

results=$dir/device-results
: >"$results"
# A second measure in the same boot is refused: every run starts from an empty /run.
fresh_root=$root
best "$runs" "mrboot measure" timeout "$limit" "$mrboot" --root "$root" measure || die "$why"
echo "mrboot measure|$best_ns" >>"$results"
fresh_root=
mrboot_digest=$(sed -n 's/.*"operation":"rootfs-device",.*\\"sha256\\":\\"\([0-9a-f]\{64\}\)\\".*/\1/p' "$log")
[ -n "$mrboot_digest" ] || die "no rootfs-device event with a sha256 in $log"

openssl_digest=
if command -v openssl >/dev/null; then
	best "$runs" "openssl dgst -sha256" timeout "$limit" openssl dgst -sha256 -r "$image" ||
		die "$why"
	echo "openssl dgst -sha256|$best_ns" >>"$results"
	openssl_digest=$digest
else
	echo "openssl dgst -sha256|n/a" >>"$results"
fi
sha256sum_digest=
if command -v sha256sum >/dev/null; then
	best "$runs" sha256sum timeout "$limit" sha256sum "$image" || die "$why"
	echo "sha256sum|$best_ns" >>"$results"
	sha256sum_digest=$digest
else
	echo "sha256sum|n/a" >>"$results"
fi

echo "1. Whole-device digest: SHA-256 of a $size_mib MiB image, page cache warm, best of $runs (MB = 10^6 bytes)"
throughput_table "$bytes" "$results"
echo "(vs openssl: MB/s over openssl's. mrboot's run is the whole command: also 2 events, rootfs-device"
echo " and separator, logged ahead with fsync and extended into 4 swtpm banks.)"

mismatch=0
for pair in "openssl:$openssl_digest" "sha256sum:$sha256sum_digest"; do
	d=${pair#*:}
	if [ -n "$d" ] && [ "$d" != "$mrboot_digest" ]; then
		echo "$0: ${pair%%:*} says $d, mrboot's rootfs-device event says $mrboot_digest" >&2
		mismatch=1
	fi
done
if [ "$mismatch" -ne 0 ]; then
	echo "digests DISAGREE" >&2
	exit 1
fi
echo "mrboot's rootfs-device event, openssl and sha256sum agree: $mrboot_digest"
rm -f "$image"

# ---- 2. default measure latency ----------------------------------------------------------
root=$dir/default-root
mkdir -p "$root/etc" "$root/proc"
printf '[tpm]\nsocket = %s\n' "$swtpm_sock" >"$root/etc/mrboot.conf"
roothash=$(printf '5a%.0s' $(seq 32))
cmdline="BOOT_IMAGE=/vmlinuz root=/dev/mapper/root ro roothash=$roothash"
echo "$cmdline" >"$root/proc/cmdline"
log=$root/run/log/mrboot/events.jsonseq

results=$dir/latency-results
: >"$results"
fresh_root=$root
best "$latency_runs" "mrboot measure" timeout "$limit" "$mrboot" --root "$root" measure ||
	die "$why"
fresh_root=
committed=$(grep -c '"state":"committed"' "$log" || :)
[ "$committed" -eq 4 ] || die "mrboot measure committed $committed events, not 4 (log: $log)"
echo "mrboot measure|$best_ns|" >>"$results"

# The peers extend the same 4 events, as strings shaped like mrboot's, into the same registers.
events="12 mrboot kernel-cmdline {\"cmdline\":\"$cmdline\"}
12 mrboot config {\"path\":\"/etc/mrboot.conf\",\"sha256\":\"$(sha256sum <"$root/etc/mrboot.conf" | cut -c1-64)\"}
15 mrboot rootfs-verity {\"hash\":\"$roothash\",\"parameter\":\"roothash\",\"source\":\"cmdline\"}
15 mrboot separator {\"phase\":\"measurements-done\"}"

# One systemd-pcrextend per event, with its log and TPM redirected here (its default log is
# the machine's own /run/log/systemd/tpm2-measure.log); FORCE_MEASURE: this is no UKI boot.
# --pcr= needs a systemd newer than the first one with systemd-pcrextend (253); an older one
# fails and is reported as a row of n/a.
pcrextend=$(command -v systemd-pcrextend || :)
[ -n "$pcrextend" ] || [ ! -x /usr/lib/systemd/systemd-pcrextend ] ||
	pcrextend=/usr/lib/systemd/systemd-pcrextend
if [ -n "$pcrextend" ]; then
	printf '%s\n' "$events" | while read -r pcr text; do
		printf 'SYSTEMD_TPM2_DEVICE=%s SYSTEMD_MEASURE_LOG_USERSPACE=%s SYSTEMD_FORCE_MEASURE=1 %s --pcr=%s --bank=sha1 --bank=sha256 --bank=sha384 --bank=sha512 %s || exit 1\n' \
			"'$swtpm_tcti'" "'$dir/systemd-pcrextend.log'" "'$pcrextend'" "$pcr" "'$text'"
	done >"$dir/systemd-pcrextend.sh"
	if best "$latency_runs" systemd-pcrextend timeout "$limit" sh "$dir/systemd-pcrextend.sh"; then
		echo "systemd-pcrextend (4 calls)|$best_ns|" >>"$results"
	else
		echo "systemd-pcrextend (4 calls)|n/a|$why" >>"$results"
	fi
else
	sd=$(systemctl --version 2>/dev/null | sed -n '1s/^systemd \([0-9]*\).*/systemd \1/p')
	echo "systemd-pcrextend|n/a|not on this machine (${sd:-no systemd} here; it ships from systemd 253 on, so not in Debian bookworm)" >>"$results"
fi

# Informational: the same strings make the same digests, so the peers do exactly mrboot's
# extends (a difference means the event text here has drifted from mrboot's, not a failure).
printf '%s\n' "$events" | while read -r pcr text; do
	printf '%s' "$text" | sha256sum | cut -d' ' -f1
done >"$dir/peer-sha256"
sed -n '/"state":"pending"/s/^[^{]*{.*"digests":\[[^]]*"alg":"sha256","digest":"\([0-9a-f]*\)".*/\1/p' \
	"$log" >"$dir/mrboot-sha256"
if cmp -s "$dir/peer-sha256" "$dir/mrboot-sha256"; then
	same="the peers extend the very digests mrboot's log records"
else
	same="the peers' event strings differ from mrboot's (same shape, other digests)"
fi

# A shell hook: one tpm2_pcrextend per event, all 4 banks at once, digests computed beforehand.
if command -v tpm2_pcrextend >/dev/null; then
	printf "export TPM2TOOLS_TCTI='%s'\n" "$swtpm_tcti" >"$dir/tpm2-pcrextend.sh"
	printf '%s\n' "$events" | while read -r pcr text; do
		spec=$pcr:
		for alg in sha1 sha256 sha384 sha512; do
			spec="$spec$alg=$(printf '%s' "$text" | "${alg}sum" | cut -d' ' -f1),"
		done
		printf 'tpm2_pcrextend %s || exit 1\n' "${spec%,}"
	done >>"$dir/tpm2-pcrextend.sh"
	if best "$latency_runs" tpm2_pcrextend timeout "$limit" sh "$dir/tpm2-pcrextend.sh"; then
		echo "tpm2_pcrextend (4 calls)|$best_ns|" >>"$results"
	else
		echo "tpm2_pcrextend (4 calls)|n/a|$why" >>"$results"
	fi
else
	echo "tpm2_pcrextend|n/a|tpm2-tools is not installed" >>"$results"
fi

echo
echo "2. Default measure latency: 4 events (cmdline, config, verity root hash, separator), each into"
echo "   the 4 swtpm banks sha1/sha256/sha384/sha512, best of $latency_runs, milliseconds net of the"
echo "   timer floor ($(awk -v f="$floor_ns" 'BEGIN { printf "%.2f", f / 1e6 }') ms: a fork of date and of timeout, measured around \`true\`)"
awk -F'|' -v floor="$floor_ns" '
	{ label[NR] = $1; ns[NR] = $2; note[NR] = $3; if (NR == 1) m = $2 - floor }
	END {
		printf "%-28s %9s %14s\n", "tool", "ms", "mrboot / this"
		for (i = 1; i <= NR; i++) {
			if (ns[i] == "n/a") {
				printf "%-28s %9s %14s  %s\n", label[i], "n/a", "n/a", note[i]
				continue
			}
			t = ns[i] - floor
			printf "%-28s %9.2f %14s\n", label[i], t / 1e6, sprintf("%.2fx", m / t)
		}
	}' "$results"
echo "(mrboot / this: mrboot's time over the row's; below 1 means mrboot is faster. mrboot's figure"
echo " includes, for each event: logging it ahead with fsync, reading the register before the extend,"
echo " the commit record, and systemd's tpm2-measure.log; tpm2_pcrextend only extends and logs nothing.)"
echo "$same"
