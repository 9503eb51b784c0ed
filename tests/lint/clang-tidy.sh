#!/bin/sh
# TAP: clang-tidy, with the checks of the repository's .clang-tidy, finds nothing in any C file
# under agent/ (one assertion a file, the files found when the test runs). Each file is
# checked as the build compiles it (BUILD_ROOT/compile_commands.json), in its own clang-tidy
# process (clang 14's analyser carries state from one file to the next), two at a time, each
# within MRBOOT_TIDY_TIMEOUT seconds (240 by default).
# Usage: clang-tidy.sh SOURCE_ROOT BUILD_ROOT
set -u
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
timeout=${MRBOOT_TIDY_TIMEOUT:-240}
db=$build/compile_commands.json

if [ "${3:-}" = --one ]; then
	# One file: SOURCE_ROOT BUILD_ROOT --one OUTDIR FILE [EXTRA_ARG...]; writes OUTDIR/N.tap.
	out=$4
	file=$5
	shift 5
	result=$out/$(echo "$file" | tr '/' '_')
	timeout -k 10 "$timeout" clang-tidy --quiet --config-file="$src/.clang-tidy" -p "$build" \
		"$@" "$src/$file" >"$result.log" 2>&1
	echo $? >"$result.rc"
	exit 0
fi
. "$(dirname "$0")/../lib/tap.sh"

if ! command -v clang-tidy >/dev/null 2>&1; then
	skip_all "clang-tidy is not installed (Debian package clang-tidy)"
fi
if [ ! -f "$db" ]; then
	skip_all "no compile_commands.json in $build"
fi

# musl-gcc (aarch64-linux-musl-gcc in the cross build) compiles with musl's headers through a
# specs file that clang does not read: give clang-tidy the same include path, with clang's own
# headers (immintrin.h, arm_neon.h) after musl's. clang takes the target from the name.
set --
cc=$(sed -n 's/.*"command": "\([^ "]*musl-gcc\) .*/\1/p' "$db" | head -n 1)
if [ -n "$cc" ]; then
	specs=$(sed -n 's/.*-specs "\([^"]*\)".*/\1/p' "$(command -v "$cc")" | head -n 1)
	musl_inc=$(grep -o -e '-isystem [^ ]*' "$specs" 2>/dev/null | head -n 1 | cut -d' ' -f2)
	resource=$(clang-tidy --version >/dev/null 2>&1 &&
		ls -d "$(dirname "$(readlink -f "$(command -v clang-tidy)")")"/../lib/clang/*/include 2>/dev/null |
		tail -n 1)
	if [ -z "$musl_inc" ] || [ -z "$resource" ]; then
		skip_all "cannot find musl's headers ($specs) or clang's ($resource)"
	fi
	set -- --extra-arg=-nostdinc --extra-arg=-isystem"$musl_inc" --extra-arg=-isystem"$resource"
fi
# clang 14 declares the Armv8 SHA-2 intrinsics only when the whole unit's -march has them;
# GCC, which builds the agent, takes them per function (agent/crypto/sha256_armv8.c).
if grep -q '"command": "aarch64-' "$db"; then
	set -- "$@" --extra-arg=-march=armv8.2-a+crypto+sha3
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$src" || exit 1
files=$(find agent -name '*.c' | LC_ALL=C sort)
# Files the build does not compile (yet) have no flags to be checked with.
for f in $files; do
	grep -q "\"file\": \"\(\.\./\)*$f\"" "$db" && echo "$f"
done >"$work/checked"
xargs -P 2 -I '{}' "$0" "$src" "$build" --one "$work" '{}' "$@" <"$work/checked"

for f in $files; do
	result=$work/$(echo "$f" | tr '/' '_')
	if ! grep -qx "$f" "$work/checked"; then
		ok "clang-tidy: $f # SKIP not in the build's compile database"
		continue
	fi
	rc=$(cat "$result.rc" 2>/dev/null || echo none)
	findings=$(grep -a -E '(warning|error): ' "$result.log" 2>/dev/null |
		sed "s|^$build/\(\.\./\)*||; s|^\(\.\./\)*||; s|^$src/||")
	if [ "$rc" = 0 ] && [ -z "$findings" ]; then
		ok "clang-tidy: $f"
		continue
	fi
	case $rc in
	124 | 137) not_ok "clang-tidy: $f: no result within $timeout s" ;;
	*) not_ok "clang-tidy: $f" ;;
	esac
	if [ -n "$findings" ]; then
		echo "$findings" | sed 's/^/# /'
	else
		tail -n 5 "$result.log" | sed 's/^/# /'
	fi
done
tap_end
