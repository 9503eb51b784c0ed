#!/bin/sh
# TAP: cppcheck finds nothing in any C file of the project (one assertion a file).
# Usage: cppcheck.sh SOURCE_ROOT BUILD_ROOT
set -u
. "$(dirname "$0")/../lib/tap.sh"
src=$1
build=$2
report=$(mktemp)
trap 'rm -f "$report"' EXIT
cd "$src" || exit 1
files=$(find agent tests bench token -name '*.c' 2>/dev/null | LC_ALL=C sort)
# shellcheck disable=SC2086
cppcheck --std=c11 --enable=warning,portability,performance --inline-suppr --quiet \
	--suppress=missingIncludeSystem -D__GNUC__ -D_GNU_SOURCE -I agent -I "$build" \
	--template='{file}:{line}: {severity}: {message} [{id}]' $files 2>"$report"
for f in $files; do
	if grep -q "^$f:" "$report"; then
		not_ok "cppcheck: $f"
		grep "^$f:" "$report" | sed 's/^/# /'
	else
		ok "cppcheck: $f"
	fi
done
# Findings outside the listed files (headers) still fail the run.
others=$(grep -v -e '^$' "$report" | grep -v -F "$(printf '%s\n' $files | sed 's/$/:/')" || true)
if [ -n "$others" ]; then
	not_ok "cppcheck: headers"
	echo "$others" | sed 's/^/# /'
else
	ok "cppcheck: headers"
fi
tap_end
