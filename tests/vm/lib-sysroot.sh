# Sourced by the boot test for a guest of another architecture (arm64 on an x86-64 host): a
# Debian userland of that architecture in which dracut builds the guest's initramfs, as it
# would on such a machine. dracut copies the binaries of the system it runs on, so it runs
# inside that userland, chrooted, each program through qemu-user (binfmt_misc). The
# systemd-262 case makes a sid amd64 userland the same way, for sid's dracut-ng and systemd,
# and runs it natively.
#
# sysroot_binfmt QEMU_ARCH: makes sure binfmt_misc runs QEMU_ARCH (aarch64) binaries with
#   qemu-user-static, also inside a chroot (the F flag: the interpreter is opened when
#   registered). Mounts binfmt_misc and enables binfmt-support's entry if needed.
# sysroot_tar DEB_ARCH [SUITE [PACKAGE...]]: prints the path of a tarball of Debian SUITE (by
#   default this machine's release) for DEB_ARCH (arm64, amd64) with dracut, systemd and
#   cryptsetup and the PACKAGEs, made once with mmdebstrap from this machine's Debian archive
#   and cached in $MRBOOT_CACHE/vm (about 3.5 minutes, 200 MB).
# sysroot_run DIR COMMAND...: COMMAND chrooted in the unpacked userland DIR, in a mount
#   namespace of its own with /proc, /sys, /dev and a /tmp; "SRC=DST" words in $sysroot_binds
#   are bind-mounted read-only at DIR/DST first. Nothing outside the namespace changes.
# sysroot_binfmt and sysroot_tar return non-zero with sysroot_why set on failure; sysroot_tar,
# which runs in a command substitution, writes it to stderr too.
# shellcheck disable=SC2034 # sysroot_why is for the caller

# What dracut's modules need in the userland for the test's initramfs (systemd, networkd,
# systemd-cryptsetup, dm) and the encrypted root's busybox.
sysroot_packages="systemd systemd-sysv udev dbus dracut-core dracut-network cryptsetup-bin
	dmsetup kmod busybox-static iproute2 e2fsprogs util-linux"

sysroot_binfmt() {
	sysroot_why=""
	bf=/proc/sys/fs/binfmt_misc
	if [ ! -f "$bf/status" ]; then
		mount -t binfmt_misc binfmt_misc "$bf" 2>/dev/null || {
			sysroot_why="binfmt_misc is not mounted and cannot be"
			return 1
		}
	fi
	if ! grep -qx enabled "$bf/qemu-$1" 2>/dev/null; then
		update-binfmts --import "qemu-$1" >/dev/null 2>&1
		update-binfmts --enable "qemu-$1" >/dev/null 2>&1
	fi
	if ! grep -qx enabled "$bf/qemu-$1" 2>/dev/null; then
		sysroot_why="binfmt_misc has no enabled qemu-$1 entry (qemu-user-static, binfmt-support)"
		return 1
	fi
	grep -q '^flags:.*F' "$bf/qemu-$1" || {
		sysroot_why="binfmt_misc's qemu-$1 entry lacks the F flag: it would not run in a chroot"
		return 1
	}
}

sysroot_tar() {
	sysroot_why=""
	. "$vm_lib_dir/lib-apt.sh"
	sysroot_arch=$1
	sysroot_suite=${2:-$(. /etc/os-release && echo "$VERSION_CODENAME")}
	shift
	[ $# -eq 0 ] || shift
	sysroot_list="$sysroot_packages $*"
	set -- "$sysroot_arch"
	# The list and the release name the tarball: another list makes another one. (The list of
	# the arm64 userland, with no extra packages, hashes as it did before the suite and extra
	# packages could be given: its cached tarball keeps its name.)
	sysroot_sum=$(echo "$sysroot_suite $1 $sysroot_list" | sed 's/ *$//' | sha256sum | cut -c 1-12)
	sysroot_file=$apt_cache_dir/vm/sysroot-$sysroot_suite-$1-$sysroot_sum.tar
	if [ ! -f "$sysroot_file" ]; then
		uri=$(apt_debian_uri)
		[ -n "$uri" ] || {
			sysroot_why="no Debian archive among this machine's apt sources"
			echo "$sysroot_why" >&2
			return 1
		}
		mkdir -p "$apt_cache_dir/vm"
		rm -f "$sysroot_file.part"
		# Manual pages, documentation and translations are of no use to dracut. mmdebstrap's
		# apt reads none of this machine's apt configuration: the two Acquire options follow
		# it where it takes an archive whose Release is past its Valid-Until (a snapshot).
		apt-config dump 2>/dev/null | grep -E '^Acquire::Check-(Valid-Until|Date) ' \
			>"$sysroot_file.apt.conf"
		timeout 1800 mmdebstrap --arch="$1" --variant=essential --format=tar \
			--aptopt="$sysroot_file.apt.conf" \
			--include="$(echo $sysroot_list | tr ' ' ,)" \
			--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
			--dpkgopt='path-exclude=/usr/share/locale/*' \
			"$sysroot_suite" "$sysroot_file.part" \
			"deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $sysroot_suite main" >&2 || {
			rm -f "$sysroot_file.part" "$sysroot_file.apt.conf"
			sysroot_why="mmdebstrap --arch=$1 $sysroot_suite failed"
			echo "$sysroot_why" >&2
			return 1
		}
		rm -f "$sysroot_file.apt.conf"
		mv "$sysroot_file.part" "$sysroot_file"
	fi
	echo "$sysroot_file"
}

sysroot_run() {
	sysroot_dir=$1
	shift
	# shellcheck disable=SC2016 # expanded by the inner shell
	sysroot_binds=${sysroot_binds:-} unshare -m sh -c '
		set -e
		r=$1
		shift
		mount --make-rprivate /
		mount --rbind /dev "$r/dev"
		mount -t proc proc "$r/proc"
		mount -t sysfs sysfs "$r/sys"
		mount -t tmpfs tmpfs "$r/tmp"
		for b in $sysroot_binds; do
			mkdir -p "$r/${b#*=}"
			mount --bind "${b%%=*}" "$r/${b#*=}"
			mount -o remount,bind,ro "$r/${b#*=}"
		done
		exec chroot "$r" "$@"' sh "$sysroot_dir" "$@"
}
