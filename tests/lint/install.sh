#!/bin/sh
# TAP: `meson install` puts mrboot's files where the options say, and nothing else: libkmod and
# BearSSL are linked into the agent, so none of their headers, libraries, pkg-config files or
# configuration directories may land on the system with it.
# Usage: install.sh BUILD_DIR EXPECTED_PATH...   (paths relative to the destdir)
set -u
. "$(dirname "$0")/../lib/tap.sh"
build=$1
shift
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
out=$(meson install -C "$build" --no-rebuild --destdir "$dest" 2>&1)
check "meson install --destdir succeeds" [ $? -eq 0 ] || printf '%s\n' "$out" | sed 's/^/# /'
(cd "$dest" && find . ! -type d -o -type d -empty) | sed 's|^\.||' | sort >"$dest.got"
printf '%s\n' "$@" | sort >"$dest.want"
check "exactly the expected files ($(wc -l <"$dest.want") of them)" cmp -s "$dest.got" "$dest.want"
diff "$dest.want" "$dest.got" | sed -n 's/^[<>]/#&/p'
for f in "$@"; do
	case $f in
	*/sbin/mrboot | */mrboot/cryptroot-keyscript | */hooks/mrboot | */scripts/local-*/mrboot | \
		*/module-setup.sh)
		check "$f is executable" [ -x "$dest$f" ]
		;;
	esac
done
rm -f "$dest.got" "$dest.want"
tap_end
