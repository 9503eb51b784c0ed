#!/bin/sh
# Writes OUTPUT, a script that runs PROGRAM through WRAPPER (the cross file's exe_wrapper, such
# as qemu-aarch64), for the shell tests of a cross build: they run it as they would PROGRAM,
# whether or not the host's binfmt_misc knows the architecture.
# Usage: exe-wrapper.sh OUTPUT PROGRAM WRAPPER [WRAPPER_ARG...]
set -eu
out=$1
program=$(readlink -f "$2")
shift 2
# quote WORD: WORD in single quotes for the shell, its own single quotes escaped.
quote() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}
{
	echo '#!/bin/sh'
	printf 'exec'
	for w in "$@"; do
		printf ' %s' "$(quote "$w")"
	done
	printf ' %s "$@"\n' "$(quote "$program")"
} >"$out.tmp"
chmod 0755 "$out.tmp"
mv "$out.tmp" "$out"
