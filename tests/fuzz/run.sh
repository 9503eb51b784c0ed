#!/bin/sh
# TAP: runs every libFuzzer target of a -Dfuzz=true build for SECONDS each, as many at a time
# as there are CPUs (MRBOOT_FUZZ_JOBS to change that), each on a copy of its seed corpus in
# BUILD/fuzz-work/TARGET/ (new inputs and crash inputs land there, never in the source tree).
# One assertion a target: ok with libFuzzer's final executions and coverage, or not ok with
# the first lines of the report and the saved input.
# Usage: run.sh BUILD SECONDS [TARGET...]
set -u

if [ "${1:-}" = --one ]; then
	# One target: BUILD SECONDS TARGET; writes TARGET.tap (one line without its number).
	build=$2
	seconds=$3
	name=$4
	src=$(cd "$(dirname "$0")" && pwd)
	work=$build/fuzz-work/$name
	rm -rf "$work" "$work.tap"
	mkdir -p "$work/corpus"
	cp "$src/corpus/$name"/* "$work/corpus/" 2>/dev/null
	# The largest input worth trying: a little over the longest valid one of each format.
	case $name in
	tpm2) max_len=512 ;;
	tpm2-quote) max_len=1024 ;;
	base64 | hex | sysfs | url | utf8) max_len=1024 ;;
	aael | cmdline | jcs | json | verity-cmdline) max_len=4096 ;;
	*) max_len=8192 ;;
	esac
	# Options of our own, not the caller's (scripts/sanitize sends reports to files): UBSan
	# must stop at its first report for libFuzzer to keep the input.
	ASAN_OPTIONS=detect_leaks=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		timeout -k 10 $((seconds + 120)) "$build/tests/fuzz/fuzz-$name" \
		-max_total_time="$seconds" -max_len=$max_len -timeout=5 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" \
		>"$work/log" 2>&1
	rc=$?
	# "#123456	DONE   cov: 345 ft: 901 corp: 40/2210b ...", or the last status line.
	stats=$(grep -a '^#[0-9]' "$work/log" | tail -n 1)
	runs=$(grep -a '^stat::number_of_executed_units:' "$work/log" | awk '{ print $2 }')
	[ -n "$runs" ] || runs=$(echo "$stats" | sed -n 's/^#\([0-9]*\).*/\1/p')
	cov=$(echo "$stats" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$stats" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$stats" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	summary="$name: $seconds s, ${runs:-0} runs, cov ${cov:-?} ft ${ft:-?}, corpus ${corp:-?}"
	if [ $rc -eq 0 ] && grep -aq 'DONE' "$work/log"; then
		echo "ok - $summary" >"$work.tap"
	else
		artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$work/log" | tail -n 1)
		{
			echo "not ok - $summary: exit $rc"
			grep -a -m 1 -e 'ERROR:' -e 'runtime error:' -e 'property broken:' \
				"$work/log" | sed 's/^/# /'
			# The report's own frames, without libFuzzer's, the sanitizers' and libc's.
			grep -a -A 40 -m 1 -e 'ERROR:' -e 'runtime error:' -e 'property broken:' \
				"$work/log" | grep -a '^ *#[0-9]' |
				grep -av -e 'fuzzer::' -e '__sanitizer' -e '__interceptor' -e 'libc\.so' \
					-e ' in raise ' -e ' in abort ' -e '__pthread_kill' \
					-e '__libc_start' -e ' in main ' -e ' in _start ' |
				head -n 8 | sed 's/ (BuildId: [0-9a-f]*)//; s/^/# /'
			echo "# input: ${artifact:-none saved}; log: $work/log"
		} >"$work.tap"
	fi
	exit 0
fi

if [ $# -lt 2 ]; then
	echo "usage: $0 BUILD SECONDS [TARGET...]" >&2
	exit 2
fi
build=$(cd "$1" && pwd)
seconds=$2
shift 2
src=$(cd "$(dirname "$0")" && pwd)
if [ $# -gt 0 ]; then
	targets="$*"
else
	targets=$(cd "$src/corpus" && ls | LC_ALL=C sort)
fi
jobs=${MRBOOT_FUZZ_JOBS:-$(nproc)}

n=0
missing=""
for t in $targets; do
	[ -x "$build/tests/fuzz/fuzz-$t" ] || missing="$missing $t"
done
if [ -n "$missing" ]; then
	echo "1..0 # SKIP not built with -Dfuzz=true (no fuzz-$(echo $missing | cut -d' ' -f1))"
	exit 0
fi
mkdir -p "$build/fuzz-work"
# shellcheck disable=SC2086
printf '%s\n' $targets | xargs -P "$jobs" -I '{}' "$0" --one "$build" "$seconds" '{}'

fail=0
for t in $targets; do
	n=$((n + 1))
	if [ -f "$build/fuzz-work/$t.tap" ]; then
		sed "1s/^\(\(not \)\{0,1\}ok\) -/\1 $n -/" "$build/fuzz-work/$t.tap"
		head -n 1 "$build/fuzz-work/$t.tap" | grep -q '^not ok' && fail=1
	else
		echo "not ok $n - $t: the run left no result"
		fail=1
	fi
done
echo "1..$n"
exit $fail
