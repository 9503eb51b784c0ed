#!/bin/sh
# TAP: every C file of the project is formatted as .clang-format says (one assertion a file).
# Usage: format.sh SOURCE_ROOT
set -u
. "$(dirname "$0")/../lib/tap.sh"
cd "$1" || exit 1
for f in $(find agent tests bench token -name '*.[ch]' 2>/dev/null | LC_ALL=C sort); do
	if out=$(clang-format --dry-run -Werror "$f" 2>&1); then
		ok "$f is clang-formatted"
	else
		not_ok "$f is clang-formatted"
		echo "$out" | head -n 6 | sed 's/^/# /'
	fi
done
tap_end
