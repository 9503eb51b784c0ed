# Sourced by every shell test: TAP output (https://testanything.org), the plan at the end.
#   ok WHAT, not_ok WHAT [WHY]: one assertion that passed or failed; not_ok prints WHY's lines
#     as "# " lines, then calls tap_diagnose, which a test may redefine to print what explains
#     any failure;
#   check WHAT COMMAND [ARGS...] [--and COMMAND [ARGS...]]...: one assertion, passing when
#     every COMMAND succeeds (all of them run); each runs through tap_run, which a test may
#     redefine to send the command's output somewhere (tap_run() { "$@" >/dev/null 2>&1; });
#   skip WHY: one assertion skipped, saying why;
#   skip_all WHY: the whole test skipped, saying why ("1..0 # SKIP WHY"), and exit 0;
#   bail WHY: "Bail out! WHY": the test cannot go on (a fixture it needs did not come up); exit 1;
#   tap_end: the plan ("1..N"), then exits non-zero if any assertion failed.
# n counts the assertions and fail is 1 once one failed; tests may read them.
n=0
fail=0

tap_diagnose() { :; }
tap_run() { "$@"; }

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}

not_ok() {
	n=$((n + 1))
	fail=1
	echo "not ok $n - $1"
	if [ -n "${2:-}" ]; then
		printf '%s\n' "$2" | sed 's/^/# /'
	fi
	tap_diagnose
}

check() {
	tap_what=$1
	shift
	tap_pass=yes
	while [ $# -gt 0 ]; do
		tap_k=0
		tap_cmd=""
		for tap_a in "$@"; do
			[ "$tap_a" = --and ] && break
			tap_k=$((tap_k + 1))
			tap_cmd="$tap_cmd \"\${$tap_k}\""
		done
		eval "tap_run $tap_cmd" || tap_pass=no
		shift $tap_k
		[ $# -gt 0 ] && shift
	done
	if [ $tap_pass = yes ]; then ok "$tap_what"; else not_ok "$tap_what"; fi
}

skip() {
	n=$((n + 1))
	echo "ok $n # SKIP $1"
}

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

bail() {
	echo "Bail out! $1"
	exit 1
}

tap_end() {
	echo "1..$n"
	exit $fail
}
