#!/bin/sh
# Fetches a Debian kernel for the boot test through apt and prepares it for QEMU and dracut.
#
# Usage: kernel.sh SUITE   (trixie: the default run, 6.12; sid: the newest kernel)
# Prints one line, "KVER DIR": DIR/vmlinuz is the kernel, DIR/modules/lib/modules/KVER its
# modules with modules.dep made by depmod -b (Debian ships none), DIR/config its configuration.
#
# The kernel is whatever the suite's linux-image-amd64 metapackage depends on today, never a
# pinned point release (old ones leave the mirror). apt works with a private state under
# $MRBOOT_CACHE (default /var/cache/mrboot) whose one source reuses the URI of this machine's
# Debian archive: no mirror is named here, and the machine's own apt configuration is untouched.
# Packages are kept in the cache; a second run with the same metapackage downloads nothing.
set -eu
suite=${1:-trixie}
cache=${MRBOOT_CACHE:-/var/cache/mrboot}
state=$cache/apt-vm-$suite
out=$cache/vm/$suite

die() {
	echo "kernel.sh: $*" >&2
	exit 1
}

# The Debian archive URI this machine already uses (as scripts/setup finds it).
debian_uri() {
	apt-cache policy 2>/dev/null | awk '
		/^ +[0-9]+ [a-z]+:\/\// { uri = $2; next }
		/release .*o=Debian,.*l=Debian,/ { if (uri != "") { print uri; exit } }'
}

uri=$(debian_uri)
[ -n "$uri" ] || die "no Debian archive among this machine's apt sources"
mkdir -p "$state/lists/partial" "$state/parts" "$state/archives/partial" "$state/debs" "$out"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $suite main" \
	>"$state/sources.list"
aptopts="-o Dir::State::Lists=$state/lists -o Dir::Etc::sourcelist=$state/sources.list
	-o Dir::Etc::sourceparts=$state/parts -o Dir::Cache=$state -o Dir::State::status=/dev/null
	-o APT::Sandbox::User=root -o Debug::NoLocking=1"
# One index refresh a day is enough: the metapackage moves with point releases only.
if [ -z "$(find "$state/lists" -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null)" ]; then
	# shellcheck disable=SC2086
	timeout 600 apt-get $aptopts update -qq >&2 || die "apt-get update for $suite failed"
fi

# depends PACKAGE: the package names its candidate depends on (first alternative each).
depends() {
	# shellcheck disable=SC2086
	apt-cache $aptopts show --no-all-versions "$1" 2>/dev/null |
		sed -n 's/^Depends: //p' | tr ',' '\n' | sed 's/|.*//; s/(.*//; s/ //g' | grep .
}
image=$(depends linux-image-amd64 | grep '^linux-image-[0-9]' | head -n 1)
[ -n "$image" ] || die "$suite has no linux-image-amd64 metapackage depending on a kernel"
kver=${image#linux-image-}
# Since Linux 7.x (sid) linux-image-KVER is a stub: the files are in linux-binary-KVER and
# linux-modules-KVER. Take every linux-* package of this KVER the image depends on.
pkgs="$image $(depends "$image" | grep -- "-$kver\$" | grep -v "^$image\$" || true)"

if [ ! -f "$out/ready-$kver" ]; then
	for p in $pkgs; do
		if ! ls "$state/debs/${p}_"*.deb >/dev/null 2>&1; then
			# shellcheck disable=SC2086
			(cd "$state/debs" && timeout 900 apt-get $aptopts download -qq "$p" >&2) ||
				die "apt-get download $p failed"
		fi
	done
	rm -rf "$out/modules" "$out/ready-"*
	mkdir -p "$out/modules"
	for p in $pkgs; do
		dpkg-deb -x "$(ls "$state/debs/${p}_"*.deb | tail -n 1)" "$out/modules"
	done
	# The modules live in /usr/lib/modules or /lib/modules depending on the release; dracut and
	# depmod -b want ROOT/lib/modules/KVER.
	m=$out/modules
	if [ -d "$m/usr/lib/modules/$kver" ] && [ ! -d "$m/lib/modules/$kver" ]; then
		mkdir -p "$m/lib/modules"
		mv "$m/usr/lib/modules/$kver" "$m/lib/modules/$kver"
	fi
	[ -d "$m/lib/modules/$kver" ] || die "no modules directory for $kver in $pkgs"
	for f in "$m/lib/modules/$kver/vmlinuz" "$m/boot/vmlinuz-$kver"; do
		[ -f "$f" ] && cp "$f" "$out/vmlinuz-$kver"
	done
	for f in "$m/lib/modules/$kver/config" "$m/boot/config-$kver"; do
		[ -f "$f" ] && cp "$f" "$out/config-$kver"
	done
	[ -f "$out/vmlinuz-$kver" ] || die "no vmlinuz in $pkgs"
	depmod -b "$m" "$kver" || die "depmod -b $m $kver failed"
	: >"$out/ready-$kver"
fi
ln -sf "vmlinuz-$kver" "$out/vmlinuz"
ln -sf "config-$kver" "$out/config"
echo "$kver $out"
