# Sourced by the shell tests: TAP output (https://testanything.org), the plan at the end.
#   check WHAT COMMAND [ARGS...]: one assertion, passing when COMMAND succeeds;
#   skip WHY: one assertion skipped, saying why;
#   tap_end: the plan ("1..N"), then exits non-zero if any assertion failed.
# n and fail count the assertions and remember a failure; tests may read them.
n=0
fail=0

check() {
	what=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
		fail=1
	fi
}

skip() {
	n=$((n + 1))
	echo "ok $n # SKIP $1"
}

tap_end() {
	echo "1..$n"
	exit $fail
}
