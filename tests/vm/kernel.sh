#!/bin/sh
# Fetches a Debian kernel for the boot test through apt and prepares it for QEMU and dracut.
#
# Usage: kernel.sh SUITE [ARCH [FLAVOUR]]   (trixie: the default run, 6.12; sid: the newest
#   kernel. ARCH: a Debian architecture, default amd64, this machine's; FLAVOUR: the kernel
#   flavour, default ARCH, e.g. cloud-arm64)
# Prints one line, "KVER DIR": DIR/vmlinuz is the kernel, DIR/modules/lib/modules/KVER its
# modules with modules.dep made by depmod -b (Debian ships none), DIR/config its configuration.
#
# The kernel is whatever the suite's linux-image-FLAVOUR metapackage depends on today, never a
# pinned point release (old ones leave the mirror). apt runs with a private state (lib-apt.sh)
# under $MRBOOT_CACHE (default /var/cache/mrboot); a second run downloads nothing.
set -eu
suite=${1:-trixie}
arch=${2:-}
flavour=${3:-${arch:-amd64}}
. "$(dirname "$0")/lib-apt.sh"
out=$apt_cache_dir/vm/$suite${arch:+-$flavour}

die() {
	echo "kernel.sh: $*" >&2
	exit 1
}

apt_suite "$suite" $arch || die "$apt_why"
meta=linux-image-$flavour
image=$(apt_depends "$meta" | grep '^linux-image-[0-9]' | head -n 1)
[ -n "$image" ] || die "$suite has no $meta metapackage depending on a kernel"
kver=${image#linux-image-}
# Since Linux 7.x (sid) linux-image-KVER is a stub: the files are in linux-binary-KVER and
# linux-modules-KVER. Take every package of this KVER the image depends on.
pkgs="$image $(apt_depends "$image" | grep -- "-$kver\$" | grep -v "^$image\$" || true)"

if [ ! -f "$out/ready-$kver" ]; then
	debs=""
	for p in $pkgs; do
		deb=$(apt_deb "$p") || die "$apt_why"
		debs="$debs $deb"
	done
	mkdir -p "$out"
	rm -rf "$out/modules" "$out/ready-"*
	mkdir -p "$out/modules"
	for deb in $debs; do
		dpkg-deb -x "$deb" "$out/modules"
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
