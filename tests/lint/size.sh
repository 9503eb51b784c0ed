#!/bin/sh
# TAP: the static initrd binary is statically linked and, stripped, no larger than the limit.
# Usage: size.sh MRBOOT LIMIT_BYTES [STRIP [NM]]  (the binutils for MRBOOT's architecture)
set -u
bin=$1
limit=$2
strip=${3:-strip}
nm=${4:-nm}
. "$(dirname "$0")/../lib/tap.sh"

desc=$(file -b "$bin")
case "$desc" in
*"statically linked"* | *"static-pie linked"*) ok "file says statically linked ($desc)" ;;
*) not_ok "file says statically linked ($desc)" ;;
esac

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
if ! "$strip" -o "$tmp" "$bin"; then
	not_ok "$strip strips the binary"
	tap_end
fi
size=$(stat -c %s "$tmp")
echo "# stripped size: $size bytes ($((size / 1024)) KiB), limit $limit bytes ($((limit / 1024)) KiB)"
# Which large components the binary carries now (LTO inlines and renames functions, so look
# for each library's prefix): the limit holds as they land.
for part in "libkmod:kmod_" "BearSSL TLS client:br_ssl_client" "BearSSL SHA-2:br_sha"; do
	if "$nm" "$bin" 2>/dev/null | grep -q " [TtWwDdRr] ${part#*:}"; then
		echo "# linked: ${part%%:*}"
	else
		echo "# not linked yet: ${part%%:*}"
	fi
done
if [ "$size" -le "$limit" ]; then
	ok "stripped binary is $size bytes, within $limit"
else
	not_ok "stripped binary is $size bytes, over the $limit limit"
fi
tap_end
