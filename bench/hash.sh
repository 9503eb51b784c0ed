#!/bin/sh
# Benchmark, not a test: mrboot's file digest (hash_fd() through BUILD_DIR/bench/hash, on the
# SHA-NI, the Armv8 and the portable path) beside `openssl dgst -sha256` and `sha256sum`, all
# on the same file with the page cache warm, best of N wall-clock runs each. Fails only when the
# digests disagree or a run fails.
#
# Usage: bench/hash.sh BUILD_DIR [SIZE_MIB]
#   SIZE_MIB  size of the test file in MiB (default 1024, or $BENCH_HASH_SIZE_MIB)
#   $BENCH_HASH_RUNS  runs per tool (default 3); $TMPDIR  where the file goes
#   $BENCH_HASH_WRAPPER  what runs bench/hash of a cross build (qemu-aarch64-static: its
#                        figures then say only that a path works, not how fast a CPU runs it)
set -eu
. "$(dirname "$0")/lib.sh"

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 BUILD_DIR [SIZE_MIB]" >&2
	exit 2
fi
prog=$1/bench/hash
wrapper=${BENCH_HASH_WRAPPER:-}
size_mib=${2:-${BENCH_HASH_SIZE_MIB:-1024}}
runs=${BENCH_HASH_RUNS:-3}
if [ ! -x "$prog" ]; then
	echo "$0: $prog not found; build it first (ninja -C $1)" >&2
	exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/bench-hash.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM
file=$dir/data
head -c "$((size_mib * 1048576))" /dev/urandom >"$file"
bytes=$(wc -c <"$file")
# Written back first, or the writeback of the new file runs during the first measurements;
# then read once so that every tool starts from the page cache, not from the disk.
sync "$file" 2>/dev/null || sync
cat "$file" >/dev/null

now_ns() {
	date +%s%N
}

# best LABEL CMD...: runs CMD $runs times; sets $best_ns and $digest (first word of stdout).
best() {
	label=$1
	shift
	best_ns=
	digest=
	i=0
	while [ "$i" -lt "$runs" ]; do
		t0=$(now_ns)
		out=$("$@") || {
			echo "$0: $label failed" >&2
			exit 1
		}
		t1=$(now_ns)
		ns=$((t1 - t0))
		if [ -z "$best_ns" ] || [ "$ns" -lt "$best_ns" ]; then
			best_ns=$ns
		fi
		d=${out%% *}
		if [ -n "$digest" ] && [ "$d" != "$digest" ]; then
			echo "$0: $label gave two different digests" >&2
			exit 1
		fi
		digest=$d
		i=$((i + 1))
	done
}

results=$dir/results
: >"$results"
reference=
mismatch=0

# measure LABEL CMD...: one table row; an unavailable tool or path is a row of "n/a".
measure() {
	label=$1
	shift
	best "$label" "$@"
	echo "$label|$best_ns|$digest" >>"$results"
	if [ -z "$reference" ]; then
		reference=$digest
	elif [ "$digest" != "$reference" ]; then
		echo "$0: $label digest $digest differs from $reference" >&2
		mismatch=1
	fi
}

# shellcheck disable=SC2086 # the wrapper is a command and its arguments, or nothing
for impl in sha-ni armv8; do
	if $wrapper "$prog" --impl "$impl" /dev/null >/dev/null 2>&1; then
		measure "mrboot $impl" $wrapper "$prog" --impl "$impl" "$file"
	else
		echo "mrboot $impl|n/a|" >>"$results"
	fi
done
# shellcheck disable=SC2086
measure "mrboot portable" $wrapper "$prog" --impl portable "$file"
if command -v openssl >/dev/null; then
	measure "openssl dgst -sha256" openssl dgst -sha256 -r "$file"
else
	echo "openssl dgst -sha256|n/a|" >>"$results"
fi
if command -v sha256sum >/dev/null; then
	measure "sha256sum" sha256sum "$file"
else
	echo "sha256sum|n/a|" >>"$results"
fi

echo "SHA-256 of a $size_mib MiB file, page cache warm, best of $runs (MB = 10^6 bytes)"
throughput_table "$bytes" "$results"

if [ "$mismatch" -ne 0 ]; then
	echo "digests DISAGREE" >&2
	exit 1
fi
echo "all digests agree: $reference"
