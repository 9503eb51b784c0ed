#!/bin/sh
# TAP: the mkosi configuration in mkosi/ parses with current mkosi (sid's package, through apt,
# run from the cache with this machine's Python): no warnings, and the settings that put mrboot
# into the image's initrd are what mkosi makes of them. Building and booting the image is
# mkosi-boot.sh's (the test vm-mkosi).
#
# Usage: mkosi-check.sh SOURCE_ROOT [MRBOOT]
set -u
. "$(dirname "$0")/../lib/tap.sh"
src=$1
mrboot=${2:-}
lib_dir=$(cd "$(dirname "$0")" && pwd)
. "$lib_dir/lib-apt.sh"
. "$lib_dir/lib-mkosi.sh"
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkosi_fetch || bail "$mkosi_why"
version=$(mkosi --version 2>&1)
echo "# $version ($(basename "$mkosi_deb")), $($py --version)"

# The configuration as a user has it: a copy, with the key file and the mrboot tree it needs.
cp -r "$src/mkosi" "$tmp/mkosi"
printf '%s' "not-a-real-key" >"$tmp/mkosi/mrboot.key"
chmod 0600 "$tmp/mkosi/mrboot.key"
mkdir -p "$tmp/mkosi/mrboot.root/usr/sbin" "$tmp/mkosi/mrboot.root/etc/mrboot"
[ -n "$mrboot" ] && cp "$mrboot" "$tmp/mkosi/mrboot.root/usr/sbin/mrboot"

mkosi --directory "$tmp/mkosi" summary >"$tmp/summary" 2>"$tmp/summary.err"
check "mkosi summary parses mkosi/ (exit 0)" [ $? -eq 0 ]
check "without a warning or error ($(head -c 300 "$tmp/summary.err" | tr '\n' ' '))" \
	[ ! -s "$tmp/summary.err" ]
mkosi --directory "$tmp/mkosi" --json summary >"$tmp/summary.json" 2>"$tmp/json.err"
check "mkosi --json summary too" [ $? -eq 0 ]

# Each setting as mkosi resolved it, from its JSON (keys as mkosi names its settings).
setting() { # IMAGE KEY: the JSON value of KEY in IMAGE ("main" or "default-initrd")
	$py - "$tmp/summary.json" "$1" "$2" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
images = doc.get("Images", doc if isinstance(doc, list) else [])
for image in images:
    if image.get("Image") == sys.argv[2] or (sys.argv[2] == "main" and image.get("Image") is None):
        print(json.dumps(image.get(sys.argv[3])))
        break
PY
}
has() { # IMAGE KEY TEXT: the setting's JSON contains TEXT
	setting "$1" "$2" | grep -qF -- "$3"
}
check "main: a Debian trixie disk image" has main Distribution debian
check "main: release trixie" has main Release trixie
check "main: format disk, bootable" has main Format disk
check "main: the encrypted root from mkosi.repart/ with the Passphrase= key" \
	has main RepartDirectories mkosi.repart
check "main: Passphrase= is the key file" has main Passphrase mrboot.key
check "main: the initrd with the network profile (systemd-networkd)" has main InitrdProfiles network
check "main: configfs-tsm modules for the initrd" has main KernelInitrdModules "tdx?guest"
check "default initrd: mrboot's tree from mrboot.root" \
	has default-initrd ExtraTrees mrboot.root
check "default initrd: the preset that enables mrboot.service" \
	has default-initrd ExtraTrees mkosi.initrd.conf/mkosi.extra
check "default initrd: systemd-cryptsetup in it" has default-initrd Packages systemd-cryptsetup
check "default initrd: cryptsetup's command, with which mrboot checks and opens the volume" \
	has default-initrd Packages cryptsetup-bin
check "the initrd's crypttab names gpt-auto's root as root" \
	grep -Eq '^root[[:space:]]+/dev/gpt-auto-root-luks[[:space:]]' "$src/mkosi/mkosi.initrd.conf/mkosi.extra/etc/crypttab"
check "the preset enables mrboot.service" \
	grep -qx 'enable mrboot.service' "$src/mkosi/mkosi.initrd.conf/mkosi.extra/usr/lib/systemd/system-preset/50-mrboot.preset"
# systemd-repart's own parser is not run here; the partition files are at least well formed.
check "the partition definitions are [Partition] files with a Type=" sh -c '
	for f in "$1"/mkosi.repart/*.conf; do
		grep -qx "\[Partition\]" "$f" && grep -q "^Type=" "$f" || exit 1
	done' sh "$src/mkosi"
tap_end
