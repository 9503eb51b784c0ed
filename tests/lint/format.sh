#!/bin/sh
# TAP: every C file of the project is formatted as .clang-format says (one assertion a file).
# Usage: format.sh SOURCE_ROOT
set -u
cd "$1" || exit 1
n=0
fail=0
for f in $(find agent tests bench token -name '*.[ch]' 2>/dev/null | LC_ALL=C sort); do
	n=$((n + 1))
	if out=$(clang-format --dry-run -Werror "$f" 2>&1); then
		echo "ok $n - $f is clang-formatted"
	else
		fail=1
		echo "not ok $n - $f is clang-formatted"
		echo "$out" | head -n 6 | sed 's/^/# /'
	fi
done
echo "1..$n"
exit $fail
