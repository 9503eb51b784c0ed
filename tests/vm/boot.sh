#!/bin/sh
# TAP: the boot test. A Debian kernel boots in QEMU with an initramfs that the project's dracut
# module built (mrboot, its unit, configuration and trust anchor, systemd-networkd), a TPM 2.0
# (swtpm, tpm-crb) and a LUKS2 root disk whose key only the test key broker holds. The broker
# (tests/kbs/broker.py, TPM evidence, a reference-value policy) runs on the host and is reached
# from the guest through QEMU user networking at 10.0.2.2.
#
#  good       mrboot measures, attests and receives the key with the volume's identity (the
#             resource {"passphrase","volume-key-id"}, the identity computed here by Python's
#             hmac over cryptsetup's dump of the volume key); mrboot checks the volume, opens
#             it itself and measures "mrboot volume"; systemd-cryptsetup finds it active;
#             systemd switches to the root, whose /sbin/init (root-init.sh) reports:
#             the root is /dev/mapper/root, `mrboot replay` of the event logs in /run against
#             the vTPM succeeds, the live PCRs equal this script's own replay of systemd's
#             tpm2-measure.log, no key is left in /run.
#  keyring    the good boot with a bare key resource (no volume identity: [unlock]
#             volume-identity = optional) and [unlock] keyring = yes, handoff = none in its own
#             configuration, image and policy: mrboot adds the key to the user keyring as
#             "cryptsetup" and offers no socket or file; systemd-cryptsetup (its units
#             KeyringMode=shared, mrboot's the default, private) finds it there without a
#             prompt, mrboot invalidates it once /dev/mapper/root exists, and root-init.sh sees
#             no "cryptsetup" key in /proc/keys after switch_root.
#  token      the LUKS2 token plugin under systemd-cryptsetup: the root enrolled on the host
#             with `mrboot enroll` (a key slot for the broker's key and an "mrboot" token, no
#             broker in it), an image with the plugin (PLUGIN, from a glibc build) in
#             libcryptsetup's plugin directory, /etc/crypttab "root UUID=... none luks" and no
#             rd.luks.* or mrboot.* parameter, and no [unlock] volume: mrboot.service measures
#             only; systemd-cryptsetup tries the token, the plugin attests to the broker
#             itself and hands libcryptsetup the key: the root opens with no prompt.
#  token-down the same image with no broker: the plugin gives up at the token's deadline, the
#             passphrase prompt follows within it, and the passphrase typed there boots.
#  tampered   the same boot with init=/bin/sh added to the kernel command line: the broker
#             refuses (PolicyDeny, naming kernel-cmdline), mrboot says so on the console, the
#             unit fails, systemd-cryptsetup asks for the passphrase, the root stays locked.
#  override   the good boot with weakening mrboot.* parameters added to the kernel command
#             line by the host (plain HTTP to another broker, sample evidence): mrboot refuses
#             the configuration naming the parameter, asks no broker, the unit fails, the
#             passphrase prompt follows and the root stays locked.
#  down       no broker: mrboot gives up at [kbs] timeout with a clear message, the passphrase
#             prompt follows within a bounded time, and the passphrase typed there boots.
#  initramfs-tools  the hook and boot scripts of hooks/ in an image bookworm's mkinitramfs
#             builds (inspected with lsinitramfs: files, modules, script order), booted with
#             cryptopts=...,keyscript=/usr/lib/mrboot/cryptroot-keyscript: unlocked as in good.
#  dracut-ng  sid's dracut-ng 112 builds the image with the same module (with bookworm's
#             dracut-install): inspected, not booted.
#  systemd-262  sid's dracut-ng and systemd 262, in a sid amd64 userland (mmdebstrap, cached),
#             build the image, booted as good (SYSTEMD_FORCE_MEASURE=1 on the command line: no
#             UKI): systemd-pcrosseparator.service writes os-separator into PCRs 0-7, 9, 12-14
#             before mrboot's records, PCR 15 is mrboot's alone and replays as predicted.
#  swapped    the root disk swapped for another LUKS2 volume that the released passphrase also
#             opens (formatted and enrolled the same way, its header given the enrolled UUID)
#             but that is not the enrolled volume: the broker releases the key, mrboot reads
#             the volume key, finds its identity is not the one the broker's resource names,
#             opens nothing and says so on the console with both identities; the unit fails,
#             systemd-cryptsetup asks for a passphrase, switch_root is never reached.
#  baseline   the same VM with an initramfs built without the mrboot module, the passphrase
#             typed at the prompt: the boot time without mrboot, for comparison (not a
#             pass/fail criterion beyond reaching the root).
#
# MRBOOT_VM_ARCH=aarch64 runs good, tampered, down and baseline on arm64 instead: Debian's
# cloud-arm64 kernel in qemu-system-aarch64 -M virt with UEFI under TCG, swtpm as
# tpm-tis-device, the initramfs built by the same dracut module inside an arm64 Debian
# userland (lib-sysroot.sh), the disk's busybox from that userland; MRBOOT is then the static
# aarch64 agent.
#
# Usage: boot.sh MRBOOT SOURCE_ROOT [UNIT [PLUGIN]]
#   UNIT: the mrboot.service meson configured (default: units/mrboot.service.in with
#   ExecStart=/usr/sbin/mrboot, where meson installs the agent; "" for that default).
#   PLUGIN: libcryptsetup-token-mrboot.so of a glibc build (-Dstatic=false
#   -Dtoken_plugin=enabled) for the token cases, which are skipped without it.
# Environment: MRBOOT_VM_SUITE (trixie, the default run; sid: the newest kernel),
#   MRBOOT_VM_ARCH (x86_64, the default; aarch64),
#   MRBOOT_VM_ACCEL (auto, kvm, tcg), MRBOOT_VM_CASES (default "good keyring token token-down
#   tampered override down swapped initramfs-tools dracut-ng systemd-262 baseline"; on aarch64
#   "good tampered down swapped
#   baseline"),
#   MRBOOT_VM_KEEP=DIR (keep the work files in DIR), MRBOOT_CACHE (kernel downloads,
#   /var/cache/mrboot).
set -u
mrboot=$1
src=$2
unit=${3:-}
token_plugin=${4:-}
vm_lib_dir=$(cd "$(dirname "$0")" && pwd)
kbs_lib_dir=$src/tests/kbs
# shellcheck source=../kbs/lib-kbs.sh
. "$kbs_lib_dir/lib-kbs.sh"
. "$vm_lib_dir/lib-vm.sh"
. "$vm_lib_dir/../lib/tap.sh"
py=/usr/bin/python3
suite=${MRBOOT_VM_SUITE:-trixie}
# What differs by the guest's architecture: its QEMU and kernel, its serial console, where
# dracut runs, the agent's ELF machine. initramfs-tools and dracut-ng run this machine's
# generators, so they are x86-64 cases.
vm_arch=${MRBOOT_VM_ARCH:-x86_64}
case $vm_arch in
x86_64)
	all_cases="good keyring token token-down tampered override down swapped initramfs-tools dracut-ng systemd-262 baseline"
	console=ttyS0,115200
	elf_machine=x86-64
	;;
aarch64)
	all_cases="good tampered down swapped baseline"
	console=ttyAMA0
	elf_machine="ARM aarch64"
	;;
*)
	skip_all "MRBOOT_VM_ARCH=$vm_arch: x86_64 or aarch64"
	;;
esac
cases=${MRBOOT_VM_CASES:-$all_cases}
for c in $cases; do
	case " $all_cases " in *" $c "*) ;; *)
		bail "case $c: not one of $all_cases ($vm_arch)"
		;;
	esac
done
passphrase="mrboot-vm-passphrase"

if [ -n "${MRBOOT_VM_KEEP:-}" ]; then
	vm_work=$MRBOOT_VM_KEEP
	rm -rf "$vm_work"
	mkdir -p "$vm_work"
else
	vm_work=$(mktemp -d /var/tmp/mrboot-vm.XXXXXX)
fi
cleanup() {
	vm_stop
	kbs_stop
	[ -n "${MRBOOT_VM_KEEP:-}" ] || rm -rf "$vm_work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# check_sh WHAT SHELL-CONDITION: a condition of several commands.
check_sh() {
	if eval "$2"; then ok "$1"; else not_ok "$1"; fi
}
note() { echo "# $*"; }
console_has() { grep -Eq -- "$2" "$vm_work/$1.console"; }
console_lacks() { ! grep -Eq -- "$2" "$vm_work/$1.console"; }
# The lines of boot NAME's console that match REGEX, as TAP comments (control characters out).
console_show() {
	grep -E -- "$2" "$vm_work/$1.console" | tr -d '\r' | sed 's/\x1b\[[0-9;]*[A-Za-z]//g; s/^/#   /' |
		head -n "${3:-20}"
}
elapsed() { echo "$(($(date +%s) - $1))"; }
# wait_boot SECONDS: until the guest powers off (0), or ends in the emergency shell or takes
# longer (1); the emergency shell gets 30 s to print its diagnosis.
wait_boot() {
	vm_wait_console 'Entering emergency mode|MRBOOT-VM: powering off' "$1"
	if console_has "$vm_name" 'Entering emergency mode'; then
		sleep 30
		return 1
	fi
	vm_wait_exit 30
}
# What the emergency shell said about the failed units, if boot NAME ended there.
emergency_show() {
	console_has "$1" 'Entering emergency mode' || return 0
	tr -d '\r' <"$vm_work/$1.console" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' |
		sed -n '/Entering emergency mode/,$p' | sed 's/^/#   /' | head -n 120
	echo
}
# boot_end_show NAME: after every boot with mrboot in its initrd. One that ended without a line
# of mrboot's on the console (a good boot was once seen powering off so, with nothing from the
# initrd captured) shows the console's tail, what QEMU said and how long it ran, so that the
# cause is on record the first time it happens.
boot_end_show() {
	emergency_show "$1"
	console_has "$1" 'mrboot(\[[0-9]+\])?:' && return 0
	echo "# $1: no mrboot line on the console (marks: $(tr '\n' ' ' <"$vm_work/$1.console.marks" 2>/dev/null))"
	echo "# QEMU: $(tr '\n' ' ' <"$vm_work/$1.qemu" 2>/dev/null | head -c 600)"
	echo "# console.py: $(tr '\n' ' ' <"$vm_work/$1.console.err" 2>/dev/null | head -c 600)"
	echo "# the console's last 80 lines ($(wc -c <"$vm_work/$1.console" 2>/dev/null) bytes):"
	tr -d '\r' <"$vm_work/$1.console" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' | tail -n 80 |
		sed 's/^/#   /'
}

# ---- what is needed -------------------------------------------------------------------------
missing=""
case $vm_arch in
x86_64) tools="qemu-system-x86_64 dracut mkinitramfs lsinitramfs" ;;
aarch64) tools="qemu-system-aarch64 mmdebstrap arch-test update-binfmts lsinitrd chroot" ;;
esac
[ "$vm_arch" != aarch64 ] || [ -f "$vm_firmware" ] || missing="$missing qemu-efi-aarch64"
for tool in $tools unshare swtpm cryptsetup mke2fs cpio depmod apt-get dpkg-deb zstd; do
	command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
[ "$vm_arch" != x86_64 ] || file -L /bin/busybox 2>/dev/null | grep -q 'statically linked' ||
	missing="$missing busybox-static"
$py -c 'import cryptography' 2>/dev/null || missing="$missing python3-cryptography"
if [ -n "$missing" ]; then
	skip_all "missing:$missing (scripts/setup installs them)"
fi
if [ "$vm_arch" = aarch64 ]; then
	. "$vm_lib_dir/lib-sysroot.sh"
	sysroot_binfmt aarch64 || {
		skip_all "no aarch64 programs through qemu-user: $sysroot_why"
	}
fi
file -L "$mrboot" | grep -q "$elf_machine" || {
	bail "$mrboot is not an $elf_machine program: $(file -L "$mrboot" | cut -d: -f2)"
}

# ---- the kernel, through apt, cached --------------------------------------------------------
t0=$(date +%s)
# arm64: the cloud flavour, Debian's kernel for virtual machines. The generic arm64 flavour
# lacks tpm_tis (CONFIG_TCG_TIS, in 6.12 and 7.x), the driver of QEMU's only TPM on -M virt.
kernel_args=$suite
[ "$vm_arch" = x86_64 ] || kernel_args="$suite arm64 cloud-arm64"
# shellcheck disable=SC2086 # kernel_args are words
if ! kernel=$("$vm_lib_dir/kernel.sh" $kernel_args 2>"$vm_work/kernel.log"); then
	bail "the $suite kernel could not be fetched: $(tail -n 3 "$vm_work/kernel.log")"
fi
kver=${kernel% *}
kdir=${kernel#* }
vm_kernel=$kdir/vmlinuz
kmoddir=$kdir/modules/lib/modules/$kver
note "kernel: Debian $suite $kver, $vm_arch ($(elapsed "$t0") s to fetch or find in the cache)"

vm_accel
note "accelerator: $vm_accel ($vm_accel_why)"

# ---- the broker's certificate and the guest's configuration ---------------------------------
kbs_extra_san=IP:10.0.2.2 kbs_make_certs "$vm_work" || {
	bail "$kbs_why"
}
port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
stage=$vm_work/stage
mkdir -p "$stage/usr/sbin" "$stage/etc/mrboot" "$stage/usr/lib/systemd/system"
cp "$mrboot" "$stage/usr/sbin/mrboot"
if [ -n "$unit" ]; then
	cp "$unit" "$stage/usr/lib/systemd/system/mrboot.service"
else
	sed 's|@sbindir@|/usr/sbin|' "$src/units/mrboot.service.in" \
		>"$stage/usr/lib/systemd/system/mrboot.service"
fi
cp "$vm_work/ca.pem" "$stage/etc/mrboot/kbs-ca.pem"
# The broker by its address: the certificate names IP:10.0.2.2. A short deadline keeps the
# broker-down case short; the passphrase prompt comes after it.
kbs_timeout=20
cat >"$stage/etc/mrboot.conf" <<EOF
[kbs]
url = https://10.0.2.2:$port
timeout = $kbs_timeout

[unlock]
volume = root
EOF

# The root volume's UUID is chosen here, so that the kernel command line (which names it) is
# known before the initramfs is built: the dracut module predicts from it.
uuid=$(cat /proc/sys/kernel/random/uuid)
cmdline="console=$console root=/dev/mapper/root rootfstype=ext4 ro rd.luks.name=$uuid=root ip=dhcp rd.neednet=1 panic=-1 systemd.show_status=1"
# The command line the kernel gets and mrboot measures: on aarch64 the UEFI firmware's loader
# (edk2's, for QEMU's -kernel) appends the name under which it hands the EFI stub the initrd.
kernel_cmdline=$cmdline
[ "$vm_arch" != aarch64 ] || kernel_cmdline="$cmdline initrd=initrd"

# ---- the initramfs: bookworm's dracut with the project's module -----------------------------
if [ "$vm_arch" = x86_64 ]; then
	# A private dracut tree: the system's with modules.d/90mrboot added, nothing installed.
	mkdir -p "$vm_work/dracut/modules.d" "$vm_work/dracut.conf.d" "$vm_work/dracut-tmp"
	for f in /usr/lib/dracut/*; do
		[ "${f##*/}" = modules.d ] || ln -s "$f" "$vm_work/dracut/"
	done
	for m in /usr/lib/dracut/modules.d/*; do
		ln -s "$m" "$vm_work/dracut/modules.d/"
	done
	ln -s "$src/dracut/90mrboot" "$vm_work/dracut/modules.d/90mrboot"
	dracut_version=$(dracut --version 2>/dev/null | cut -d' ' -f2)
else
	# An arm64 userland of this machine's release, unpacked afresh for this run: the module
	# and the staged root go into it; dracut runs there, chrooted, through qemu-user.
	t0=$(date +%s)
	sysroot=$vm_work/sysroot
	mkdir -p "$sysroot"
	if ! sysroot_tar=$(sysroot_tar arm64 2>"$vm_work/sysroot.log") ||
		! tar -C "$sysroot" -xf "$sysroot_tar"; then
		tail -n 5 "$vm_work/sysroot.log" | sed 's/^/# /'
		bail "no arm64 userland for dracut (the lines above say why)"
	fi
	cp -r "$src/dracut/90mrboot" "$sysroot/usr/lib/dracut/modules.d/90mrboot"
	cp -a "$stage" "$sysroot/mrboot-stage"
	mkdir -p "$sysroot/mrboot-stage/dracut.conf.d" "$sysroot/mrboot-out"
	dracut_version=$(sysroot_run "$sysroot" dracut --version 2>/dev/null | cut -d' ' -f2)
	note "arm64 userland: ${sysroot_tar##*/} ($(elapsed "$t0") s to make or find in the cache)"
fi
# The module's reference values (mrboot(1), predict), written beside each image it builds: for
# this boot's command line; in this boot nothing but mrboot extends PCR 15.
if [ "$vm_arch" = x86_64 ]; then
	dracut_conf_dir=$vm_work/dracut.conf.d
else
	dracut_conf_dir=$sysroot/mrboot-stage/dracut.conf.d
fi
cat >"$dracut_conf_dir/mrboot-reference.conf" <<EOF
mrboot_reference_cmdline="$kernel_cmdline"
mrboot_reference_platforms="tdx tpm"
mrboot_reference_alone="pcr15"
EOF
# dracut_build OUT [dracut options...]: this machine's dracut with the private tree, or the
# arm64 userland's with the kernel's modules bound in, writing into it. The staged root is
# $stage, or on x86-64 $dracut_stage when a case sets it (its own configuration).
dracut_build() {
	db_out=$1
	shift
	if [ "$vm_arch" = x86_64 ]; then
		db_target=$db_out
		set -- timeout 600 env MRBOOT_DRACUT_ROOT="${dracut_stage:-$stage}" \
			dracutbasedir="$vm_work/dracut" dracut --confdir "$vm_work/dracut.conf.d" --tmpdir "$vm_work/dracut-tmp" \
			--kmoddir "$kmoddir" "$@"
	else
		db_target=/mrboot-out/${db_out##*/}
		# shellcheck disable=SC2034 # read by sysroot_run
		sysroot_binds="$kmoddir=/usr/lib/modules/$kver"
		# Uncompressed: gzip -9 through qemu-user alone takes half a minute an image.
		set -- sysroot_run "$sysroot" env MRBOOT_DRACUT_ROOT=/mrboot-stage \
			dracut --confdir /mrboot-stage/dracut.conf.d --tmpdir /tmp --no-compress "$@"
	fi
	"$@" --conf /dev/null --no-hostonly --no-hostonly-cmdline --no-early-microcode --force \
		--kver "$kver" --omit "plymouth nvdimm lunmask resume virtiofs usrmount" \
		"$db_target" >"$db_out.log" 2>&1 || return
	[ "$vm_arch" = x86_64 ] && return
	mv "$sysroot$db_target" "$db_out" || return
	for f in "$sysroot$db_target".*.json; do
		[ ! -f "$f" ] || mv "$f" "$db_out${f#"$sysroot$db_target"}"
	done
}
# The image without mrboot for the baseline case is built beside the first: under qemu-user
# each takes minutes, on one CPU of two.
baseline_pid=""
case " $cases " in *" baseline "*)
	dracut_build "$vm_work/initrd-without.img" --omit mrboot &
	baseline_pid=$!
	;;
esac
t0=$(date +%s)
dracut_build "$vm_work/initrd.img" --add mrboot
status=$?
check "dracut $dracut_version built the initramfs with the mrboot module ($(elapsed "$t0") s)" \
	[ $status -eq 0 ]
baseline_status=1
if [ -n "$baseline_pid" ]; then
	wait "$baseline_pid"
	baseline_status=$?
fi
[ $status -eq 0 ] || {
	tail -n 20 "$vm_work/initrd.img.log" | sed 's/^/# /'
	bail "no initramfs"
}
lsinitrd "$vm_work/initrd.img" >"$vm_work/initrd.list" 2>/dev/null
in_initrd() { # REGEX...: every one matches a line of lsinitrd's listing
	for rx in "$@"; do
		grep -Eq -- "$rx" "$vm_work/initrd.list" || return 1
	done
}
check "the initramfs has mrboot, its unit wanted by initrd.target, the configuration and the trust anchor" \
	in_initrd ' usr/sbin/mrboot$' 'initrd.target.wants/mrboot.service ->' ' etc/mrboot.conf$' \
	' etc/mrboot/kbs-ca.pem$'
if [ "$vm_arch" = x86_64 ]; then
	check "and the kernel modules configfs, tsm, tdx-guest, sev-guest, dm-crypt, dm-verity" \
		in_initrd '/configfs.ko' '/(tsm|tsm_report|tsm-report).ko' '/tdx-guest.ko' '/sev-guest.ko' \
		'/dm-crypt.ko' '/dm-verity.ko'
else
	# arm-cca-guest where the kernel has it (Linux 6.13 and later).
	cca=""
	[ -z "$(find "$kmoddir" -name 'arm-cca-guest.ko*' | head -n 1)" ] || cca=/arm-cca-guest.ko
	check "and the kernel modules configfs, tpm_tis, tpm_tis_core, dm-crypt, dm-verity${cca:+, arm-cca-guest}" \
		in_initrd '/configfs.ko' '/tpm_tis.ko' '/tpm_tis_core.ko' '/dm-crypt.ko' '/dm-verity.ko' $cca
fi
check "and systemd-networkd (the configuration names a broker)" \
	grep -q 'systemd-networkd-wait-online$' "$vm_work/initrd.list"

# ---- the encrypted root disk, made on the host without device-mapper ------------------------
# mke2fs -d fills an ext4 image from a directory; cryptsetup's offline encryption (reencrypt
# --encrypt on a file: it encrypts in userspace and needs no dm-crypt) turns it into LUKS2 in
# place, keyslot 0 the passphrase. The broker's key goes into keyslot 1. PBKDF2 with few
# iterations: the guest runs under TCG.
root=$vm_work/rootfs
mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/etc" "$root/dev" "$root/proc" \
	"$root/sys" "$root/run" "$root/tmp"
if [ "$vm_arch" = x86_64 ]; then
	cp /bin/busybox "$root/bin/busybox"
else
	cp "$sysroot/bin/busybox" "$root/bin/busybox"
fi
cp "$mrboot" "$root/usr/bin/mrboot"
cp "$vm_lib_dir/root-init.sh" "$root/sbin/init"
chmod 0755 "$root/sbin/init"
printf 'ID=mrboot-vm\nNAME="mrboot boot test root"\n' >"$root/etc/os-release"
od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$vm_work/disk.key"
printf '%s' "$passphrase" >"$vm_work/passphrase"
disk=$vm_work/root.img
luks_opts="--type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --batch-mode"
make_disk() { # IMAGE: the root file system in LUKS2, the passphrase and the broker's key
	rm -f "$1"
	truncate -s 64M "$1"
	# shellcheck disable=SC2086 # luks_opts are words
	mke2fs -q -t ext4 -L mrboot-root -d "$root" -F "$1" 48M >>"$vm_work/disk.log" 2>&1 &&
		timeout 300 cryptsetup reencrypt --encrypt $luks_opts --reduce-device-size 16M \
			--uuid "$uuid" --key-file "$vm_work/passphrase" "$1" >>"$vm_work/disk.log" 2>&1 &&
		timeout 60 cryptsetup luksAddKey $luks_opts --key-file "$vm_work/passphrase" "$1" \
			"$vm_work/disk.key" >>"$vm_work/disk.log" 2>&1
}
make_disk "$disk"
check "a LUKS2 root disk made on the host without device-mapper (mke2fs -d, cryptsetup reencrypt --encrypt)" \
	[ $? -eq 0 ]
check "the broker's key opens it (cryptsetup --test-passphrase)" \
	cryptsetup open --test-passphrase --key-file "$vm_work/disk.key" "$disk"
check "its UUID is the one the kernel command line names" \
	[ "$(cryptsetup luksUUID "$disk")" = "$uuid" ]
# The enrolled volume's identity, computed here as systemd computes fixate-volume-key= (HMAC-
# SHA256 keyed by the volume key over "cryptsetup:root:UUID"; systemd's src/shared/
# cryptsetup-util.c), from cryptsetup's own dump of the key: the broker releases it with the
# passphrase, {"passphrase","volume-key-id"}.
volume_id() { # IMAGE: the identity of IMAGE opened as root
	$py - "$1" "$vm_work/passphrase" <<'EOF'
import hashlib, hmac, subprocess, sys
img, passfile = sys.argv[1:]
dump = subprocess.run(["cryptsetup", "luksDump", "--dump-volume-key", "--batch-mode",
                       "--key-file", passfile, img], check=True, capture_output=True, text=True).stdout
key = bytes.fromhex("".join(dump.split("MK dump:")[1].split()))
uuid = subprocess.run(["cryptsetup", "luksUUID", img], check=True, capture_output=True,
                      text=True).stdout.strip()
print(hmac.new(key, f"cryptsetup:root:{uuid}".encode(), hashlib.sha256).hexdigest())
EOF
}
root_id=$(volume_id "$disk")
$py -c 'import base64, json, sys
print(json.dumps({"passphrase": base64.b64encode(open(sys.argv[1], "rb").read()).decode(),
                  "volume-key-id": sys.argv[2]}, separators=(",", ":")))' \
	"$vm_work/disk.key" "$root_id" >"$vm_work/resource.json"
if [ "$vm_arch" = x86_64 ]; then
	check "mrboot volume-identity agrees with that identity ($root_id)" \
		[ "$("$mrboot" volume-identity "$disk" --name root --key-file "$vm_work/passphrase" 2>/dev/null)" = "$root_id" ]
fi
# An independent look through the encryption: the volume key from the header (cryptsetup),
# AES-XTS-plain64 by python3-cryptography over the data segment: an ext4 superblock.
check "its data segment decrypts to the ext4 file system (AES-XTS in python3-cryptography)" \
	$py - "$disk" "$vm_work/passphrase" <<'EOF'
import json, struct, subprocess, sys
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
disk, passfile = sys.argv[1:]
dump = subprocess.run(["cryptsetup", "luksDump", "--dump-volume-key", "--batch-mode",
                       "--key-file", passfile, disk], check=True, capture_output=True, text=True).stdout
key = bytes.fromhex("".join(dump.split("MK dump:")[1].split()))
meta = json.loads(subprocess.run(["cryptsetup", "luksDump", "--dump-json-metadata", disk],
                                 check=True, capture_output=True, text=True).stdout)
seg = meta["segments"]["0"]
assert seg["encryption"] == "aes-xts-plain64" and seg["iv_tweak"] == "0", seg
offset, size = int(seg["offset"]), int(seg["sector_size"])
with open(disk, "rb") as f:
    f.seek(offset + 1024 - 1024 % size)
    block = f.read(size if size >= 2048 else 2048)
plain = b""
first = (1024 - 1024 % size) // size
for i in range(len(block) // size):
    d = Cipher(algorithms.AES(key), modes.XTS(struct.pack("<QQ", first + i, 0))).decryptor()
    plain += d.update(block[i * size:(i + 1) * size]) + d.finalize()
sb = plain[1024 % size:]
assert struct.unpack_from("<H", sb, 0x38)[0] == 0xEF53, "no ext4 magic"
assert sb[0x78:0x78 + 11] == b"mrboot-root", sb[0x78:0x88]
EOF

# ---- the broker's policy, from `mrboot predict` of the image, before the VM starts ----------
# Nothing is learned from a first boot: the events and the value of PCR 15 come from
# the staged initrd tree (its mrboot.conf) and the kernel command line alone. In this boot
# only mrboot extends PCR 15 before the key is released (no UKI stub, and systemd in
# the initrd measures nothing there), so the prediction from zero is the whole register.
# predict STAGE CMDLINE: the prediction, by the agent that goes into the image (the arm64 one
# through qemu-user: its predictions are the same code).
predict() { # STAGE CMDLINE OPTIONS...
	p_root=$1 p_cmdline=$2
	shift 2
	set -- --root "$p_root" predict --platform tpm:sha256 --cmdline "$p_cmdline" "$@"
	if [ "$vm_arch" = aarch64 ]; then
		qemu-aarch64-static "$mrboot" "$@"
	else
		"$mrboot" "$@"
	fi
}
# make_policy STAGE CMDLINE OUT: the test broker's policy as mrboot predict writes it, exactly
# the predicted events and PCR 15, which nothing but mrboot extends in this boot before
# the key is released; only the root's key may be released.
make_policy() {
	predict "$1" "$2" --json >"$3.prediction" 2>"$3.err" &&
		predict "$1" "$2" --alone pcr15 --format broker-policy >"$3.predicted" \
			2>"$3.err" || bail "mrboot predict: $(cat "$3.err")"
	$py - "$3.predicted" >"$3" <<'EOF'
import json, sys
policy = json.load(open(sys.argv[1]))
assert sorted(policy["tees"]["tpm"]["registers"]) == ["pcr15"], policy["tees"]
policy["resources"] = ["default/mrboot/root"]
print(json.dumps(policy))
EOF
}
make_policy "$stage" "$kernel_cmdline" "$vm_work/policy.json"
# What the dracut module left beside the image: the same prediction, in mrboot's form and as
# Trustee's RVPS takes it (tests/witness/trustee-rvps.py reads it by Trustee's rules).
check "dracut left mrboot's reference values beside the image, with PCR 15 as predicted" \
	$py - "$vm_work/initrd.img.mrboot-reference.json" "$vm_work/policy.json" <<'EOF'
import json, sys
ref = json.load(open(sys.argv[1]))
assert ref["image"] == "initrd.img", ref["image"]
assert [p["platform"] for p in ref["predictions"]] == ["tdx", "tpm"]
tpm = {r["register"]: r for r in ref["predictions"][1]["registers"]}
want = json.load(open(sys.argv[2]))["tees"]["tpm"]["registers"]
assert {n: r["value"]["sha256"] for n, r in tpm.items()} == want, (tpm, want)
assert all(r["complete"] for r in tpm.values())
EOF
rvps_holds_policy() { # RVPS POLICY: Trustee would store it, with the policy's PCR 15
	$py "$src/tests/witness/trustee-rvps.py" "$1" >"$1.stored" || return 1
	$py - "$1.stored" "$2" <<'EOF'
import json, sys
stored = json.load(open(sys.argv[1]))
want = json.load(open(sys.argv[2]))["tees"]["tpm"]["registers"]
assert stored["mrboot/images"] == ["initrd.img"], stored["mrboot/images"]
assert stored["mrboot/initrd.img/tpm"][0]["registers"] == want, stored
assert len(stored["mrboot/initrd.img/tdx"][0]["events"]) >= 3, stored
EOF
}
check "and Trustee's reference values, which its RVPS takes, with the same PCR 15" \
	rvps_holds_policy "$vm_work/initrd.img.rvps.json" "$vm_work/policy.json"
# broker NAME [POLICY [RESOURCE]]: the broker for this boot, on $port, its log in
# $vm_work/NAME.log; the resource by default the passphrase with the root's identity.
broker() {
	kbs_start "$vm_work" "$1" --port "$port" --tee tpm --tpm-ak-tofu \
		--policy "${2:-$vm_work/policy.json}" \
		--resource "default/mrboot/root=${3:-$vm_work/resource.json}"
}

marks="--mark init=Run./init --mark mrboot=mrboot.*step --mark prompt=passphrase.for.disk
	--mark root=MRBOOT-VM:.switch_root.reached --mark off=MRBOOT-VM:.powering.off
	--mark emergency=Entering.emergency.mode"
# boot NAME INITRD CMDLINE [console.py options...]: starts the guest with the marks above;
# should it end in the emergency shell, what failed is typed out on the console for the log.
boot() {
	b_name=$1
	b_initrd=$2
	b_cmdline=$3
	shift 3
	# shellcheck disable=SC2086 # marks are options
	vm_start "$b_name" "${boot_disk:-$disk}" "$b_initrd" "$b_cmdline" $marks \
		--reply "Press Enter for maintenance=" \
		--reply "(:/[^ ]*|sh-[0-9.]+)# =systemctl --no-pager --failed; journalctl -b --no-pager -o short-monotonic -p warning | grep -v kernel:" \
		"$@"
}
boot_timeout=${MRBOOT_VM_BOOT_TIMEOUT:-420}
# The guest's own view after switch_root, as root-init.sh printed it.
guest() { # NAME KEY: the rest of the line "MRBOOT-VM: KEY ..."
	tr -d '\r' <"$vm_work/$1.console" | sed -n "s/^MRBOOT-VM: $2 //p" | head -n 1
}
# The event logs root-init.sh printed in base64, decoded into $vm_work/NAME.LOGNAME.
guest_file() { # NAME PATH OUT
	tr -d '\r' <"$vm_work/$1.console" |
		sed -n "\\|^MRBOOT-VM: begin base64 $2\$|,\\|^MRBOOT-VM: end base64 $2\$|p" |
		sed '1d;$d' | base64 -d >"$3" 2>/dev/null
}
boot_seconds() { # NAME: QEMU start to the root's init, seconds
	vm_mark "$1" root
}

# ---- (a) the good boot ----------------------------------------------------------------------
# log_checks NAME CMDLINE [VOLUME-ID [separator]]: the guest's tpm2-measure.log (decoded into
# $vm_work/NAME.tpm2-measure.log) replayed here against the PCRs it read; unlocked_checks' and
# the systemd-262 case's.
log_checks() {
	u=$1
	u_id=${3:-}
	u_sep=${4:-}
	guest_file "$u" /run/log/systemd/tpm2-measure.log "$vm_work/$u.tpm2-measure.log"
	guest_file "$u" /run/log/mrboot/events.jsonseq "$vm_work/$u.events.jsonseq"
	# This script's own replay of systemd's log (SHA-256 bank: new = H(old || H(string)), from
	# zero: firmware leaves PCRs 8..15 alone) against the PCRs the guest's kernel read; and
	# the command line measured is the one QEMU gave.
	check "$u: the PCRs the guest read equal a replay of tpm2-measure.log done here" \
		$py - "$vm_work/$u.tpm2-measure.log" "$(guest "$u" 'pcr sha256 12')" \
		"$(guest "$u" 'pcr sha256 15')" "$2" "$uuid" "$u_id" "$u_sep" <<'EOF'
import hashlib, json, sys
log, pcr12, pcr15, cmdline, uuid, volume_id, separator = sys.argv[1:]
pcrs = {}
records = [json.loads(r) for r in open(log, "rb").read().split(b"\x1e") if r.strip()]
assert records, "empty tpm2-measure.log"
# Records without a PCR (systemd 262's NvPCRs, in NV indexes) are not replayed here.
records = [r for r in records if "pcr" in r]
for r in records:
    d = next(x for x in r["digests"] if x["hashAlg"] == "sha256")["digest"]
    # The record's digest is the measured string's hash, checked here too.
    assert hashlib.sha256(r["content"]["string"].encode()).hexdigest() == d, r
    old = pcrs.get(r["pcr"], bytes(32))
    pcrs[r["pcr"]] = hashlib.sha256(old + bytes.fromhex(d)).digest()
assert pcrs[15].hex() == pcr15.lower(), (pcrs[15].hex(), pcr15)
if separator:
    # systemd 262 measured too: its os-separator once into each of PCRs 0-7, 9 and 12-14, and
    # nothing of it in PCR 15. Only PCR 12 (zero until then: no stub) is replayed from zero
    # beside 15; PCRs 0-7 start with the firmware's measurements.
    sep = [i for i, r in enumerate(records) if r["content"].get("eventType") == "os-separator"]
    assert sorted(records[i]["pcr"] for i in sep) == [0, 1, 2, 3, 4, 5, 6, 7, 9, 12, 13, 14], \
        [records[i]["pcr"] for i in sep]
    assert all(records[i]["content"]["string"] == "os-separator" for i in sep)
    mine = [i for i, r in enumerate(records) if r["pcr"] == 15]
    # mrboot.service is ordered after systemd-pcrosseparator.service: its records follow.
    assert max(sep) < min(mine), (sep, mine)
    assert all(r["content"]["string"].startswith("mrboot ") for r in (records[i] for i in mine))
    assert pcrs[12].hex() == pcr12.lower(), (pcrs[12].hex(), pcr12)
    records = [records[i] for i in mine]
else:
    # mrboot's events all go to PCR 15 (mrboot(1)); PCR 12, which systemd 262's os-separator
    # takes, stays as the firmware left it: zero.
    assert set(pcrs) == {15}, sorted(pcrs)
    assert pcr12 == "00" * 32, pcr12
words = [r["content"]["string"].split(" ", 2) for r in records]
want = [["mrboot", "kernel-cmdline"], ["mrboot", "config"], ["mrboot", "separator"]]
if volume_id:
    # After the release: the identity of the volume the boot goes on with, in PCR 15.
    want.append(["mrboot", "volume"])
    assert records[-1]["pcr"] == 15, records[-1]
    assert json.loads(words[-1][2]) == {"name": "root", "uuid": uuid, "volume-key-id": volume_id,
                                        "device": "/dev/disk/by-uuid/" + uuid}, words[-1]
assert [w[:2] for w in words] == want, words
assert json.loads(words[0][2]) == {"cmdline": cmdline}, words[0]
EOF
}

# unlocked_checks NAME CMDLINE [VOLUME-ID [separator]]: what a boot that mrboot unlocked must
# show; with VOLUME-ID, mrboot opened the volume itself, bound to that identity; with
# "separator", systemd 262 measured too (its os-separator and phases, the systemd-262 case).
unlocked_checks() {
	u=$1
	u_id=${3:-}
	u_sep=${4:-}
	check "$u: mrboot ran in the initrd" console_has "$u" 'mrboot.*step'
	console_show "$u" 'mrboot(\[[0-9]+\])?:' 40
	# Not anchored: a console reset (ESC sequences, seen after systemd 262's passphrase prompt)
	# may precede the line.
	check "$u: switch_root reached the unlocked root (after $(boot_seconds "$u") s)" \
		console_has "$u" 'MRBOOT-VM: switch_root reached'
	check "$u: the root is /dev/mapper/root, ext4 ($(guest "$u" root))" \
		[ "$(guest "$u" root)" = "/dev/mapper/root ext4" ]
	check "$u: no passphrase was asked for" console_lacks "$u" 'passphrase for disk|unlock disk'
	if [ -n "$u_id" ]; then
		check "$u: mrboot checked the volume's identity and opened it itself" \
			console_has "$u" "is the enrolled volume \\(volume key id $u_id\\)"
	fi
	check "$u: mrboot replay in the real root: the event log in /run replays to the vTPM" \
		[ "$(guest "$u" 'replay status')" = 0 ]
	log_checks "$u" "$2" "$u_id" "$u_sep"
	check "$u: the broker saw auth, attest and the resource, each answered 200" \
		$py -c 'import json,sys
log = [json.loads(l) for l in open(sys.argv[1])]
got = [(e["path"], e["status"]) for e in log]
assert got == [("/kbs/v0/auth", 200), ("/kbs/v0/attest", 200),
               ("/kbs/v0/resource/default/mrboot/root", 200)], got' "$vm_work/$u.log"
	check "$u: nothing of the key is left in /run ($(guest "$u" 'key files left:'))" \
		console_lacks "$u" "$(cat "$vm_work/disk.key")"
}

case " $cases " in *" good "*)
	broker good || {
		bail "$kbs_why"
	}
	boot good "$vm_work/initrd.img" "$cmdline"
	wait_boot "$boot_timeout"
	check "good: the guest powered off by itself within $boot_timeout s" [ $? -eq 0 ]
	vm_stop
	boot_end_show good
	kbs_stop
	unlocked_checks good "$kernel_cmdline" "$root_id"
	;;
esac

# ---- (a2) the keyring hand-off --------------------------------------------------------------
# The good boot with the key in the kernel keyring alone: [unlock] keyring = yes, handoff =
# none (no socket, no file in /run/cryptsetup-keys.d). A resource with the volume's identity
# makes mrboot open the volume itself and hand nothing off, so the broker serves the bare key
# and this configuration accepts it (volume-identity = optional, as the initramfs-tools case).
# The unit is the shipped one (KeyringMode left at systemd's default, private).
case " $cases " in *" keyring "*)
	kr=keyring
	krstage=$vm_work/stage-keyring
	rm -rf "$krstage"
	cp -a "$stage" "$krstage"
	# The staged configuration ends in its [unlock] section.
	printf 'keyring = yes\nhandoff = none\nvolume-identity = optional\n' >>"$krstage/etc/mrboot.conf"
	t0=$(date +%s)
	dracut_stage=$krstage
	dracut_build "$vm_work/initrd-keyring.img" --add mrboot
	status=$?
	dracut_stage=""
	check "$kr: dracut built an image with the keyring configuration ($(elapsed "$t0") s)" \
		[ $status -eq 0 ]
	[ $status -eq 0 ] || {
		tail -n 20 "$vm_work/initrd-keyring.img.log" | sed 's/^/# /'
		bail "no initramfs for the keyring case"
	}
	check "$kr: its /etc/mrboot.conf asks for the keyring and no socket or file" \
		sh -c 'lsinitrd -f etc/mrboot.conf "$1" 2>/dev/null | grep -qx "keyring = yes" &&
			lsinitrd -f etc/mrboot.conf "$1" 2>/dev/null | grep -qx "handoff = none"' \
		sh "$vm_work/initrd-keyring.img"
	make_policy "$krstage" "$kernel_cmdline" "$vm_work/policy-keyring.json"
	broker "$kr" "$vm_work/policy-keyring.json" "$vm_work/disk.key" || {
		bail "$kbs_why"
	}
	boot "$kr" "$vm_work/initrd-keyring.img" "$cmdline"
	wait_boot "$boot_timeout"
	check "$kr: the guest powered off by itself within $boot_timeout s" [ $? -eq 0 ]
	vm_stop
	boot_end_show "$kr"
	kbs_stop
	unlocked_checks "$kr" "$kernel_cmdline"
	check "$kr: mrboot offered the key in the keyring alone (no files)" \
		console_has "$kr" 'mrboot.*offering 1 key on [^ ]* \(no files, keyring\)'
	# No file, no socket and no prompt: the keyring is what systemd-cryptsetup had.
	check "$kr: systemd-cryptsetup opened root with it, and mrboot saw the volume open" \
		sh -c 'grep -Eq "Finished .*Cryptography Setup for root" "$1" &&
			grep -Eq "mrboot.*volume root is open \(0 hand-offs\); its key is gone" "$1"' \
		sh "$vm_work/$kr.console"
	check "$kr: mrboot invalidated the keyring key once the volume was open" \
		console_has "$kr" 'mrboot.*keyring: "cryptsetup" added and invalidated'
	check "$kr: no key was left to expire (no \"stays until its timeout\")" \
		console_lacks "$kr" 'mrboot.*keyring: key [0-9-]+ stays until its timeout'
	check "$kr: the real root's /proc/keys ($(guest "$kr" 'proc keys') keys) has no \"cryptsetup\" key ($(guest "$kr" 'cryptsetup keys'))" \
		[ "$(guest "$kr" 'cryptsetup keys')" = none ]
	;;
esac

# ---- (a3) the LUKS2 token plugin under systemd-cryptsetup -----------------------------------
# The other way in: the root enrolled with `mrboot enroll` and opened by systemd-cryptsetup
# through libcryptsetup-token-mrboot.so, with nothing in crypttab or on the kernel command line
# that names mrboot. systemd 252 (src/cryptsetup/cryptsetup.c) calls
# crypt_activate_by_token_pin() for tokens of any type when the crypttab line has no key file
# and /etc or /run/cryptsetup-keys.d/root.key holds none (no mrboot hand-off), before it asks
# for the passphrase; libcryptsetup 2.6 loads the plugin of an "mrboot" token from its
# compiled-in directory. The broker's policy
# still needs the boot measured: the image keeps mrboot.service, with a configuration without
# [unlock] volume, so `mrboot run` measures, checks the log against the PCRs and reports
# READY=1; the unit is ordered after network-online.target and before cryptsetup-pre.target,
# so the plugin starts with the network up and the measurements in the PCRs. The policy is
# mrboot predict's, as in the other cases.
token_timeout=20
token_setup() {
	tkstage=$vm_work/stage-token
	rm -rf "$tkstage"
	cp -a "$stage" "$tkstage"
	# The brokers, trust anchor and TEE of the plugin are the initrd's configuration; it has
	# no [unlock] section.
	printf '[kbs]\nurl = https://10.0.2.2:%s\n' "$port" >"$tkstage/etc/mrboot.conf"
	# Where this machine's libcryptsetup loads plugins from (the image gets this machine's
	# libcryptsetup): the staged root has the plugin there, as a glibc build's install would.
	plugin_dir=$(cryptsetup --help | sed -n 's/^LUKS2 external token plugin path: \(.*\)\.$/\1/p')
	[ -n "$plugin_dir" ] || bail "cryptsetup --help names no external token plugin path"
	mkdir -p "$tkstage$plugin_dir"
	cp "$token_plugin" "$tkstage$plugin_dir/libcryptsetup-token-mrboot.so"
	# What dracut --include adds: the crypttab line a user writes for an enrolled root (no key
	# file, no option), and, for the test's eyes only, systemd-cryptsetup's and libcryptsetup's
	# debug lines on the console (the plugin's own lines are libcryptsetup's, at info level).
	tkextra=$vm_work/token-extra
	rm -rf "$tkextra"
	mkdir -p "$tkextra/etc/systemd/system/systemd-cryptsetup@root.service.d"
	printf 'root UUID=%s none luks\n' "$uuid" >"$tkextra/etc/crypttab"
	cat >"$tkextra/etc/systemd/system/systemd-cryptsetup@root.service.d/test-console.conf" <<'EOF'
[Service]
Environment=SYSTEMD_LOG_LEVEL=debug SYSTEMD_LOG_TARGET=console
StandardError=journal+console
EOF
	t0=$(date +%s)
	dracut_stage=$tkstage
	dracut_build "$vm_work/initrd-token.img" --add mrboot --include "$tkextra" /
	status=$?
	dracut_stage=""
	check "token: dracut built an image with the plugin and the crypttab ($(elapsed "$t0") s)" \
		[ $status -eq 0 ]
	[ $status -eq 0 ] || {
		tail -n 20 "$vm_work/initrd-token.img.log" | sed 's/^/# /'
		bail "no initramfs for the token cases"
	}
	# lsinitrd's listing starts with the early image's bytes: grep -a.
	lsinitrd "$vm_work/initrd-token.img" >"$vm_work/initrd-token.list" 2>/dev/null
	tk_plugin_path=$(grep -a -o "[^ ]*lib/${plugin_dir#*/lib/}/libcryptsetup-token-mrboot.so\$" \
		"$vm_work/initrd-token.list" | head -n 1)
	# dracut strips debug information from what it installs (strip -g): the plugin in the
	# image is what strip -g makes of the given one.
	lsinitrd -f "${tk_plugin_path:-none}" "$vm_work/initrd-token.img" >"$vm_work/initrd-token.plugin" 2>/dev/null
	strip -g -o "$vm_work/plugin-stripped" "$token_plugin"
	check "token: the image has the plugin in libcryptsetup's directory (${tk_plugin_path:-none}), as strip -g makes it" \
		cmp -s "$vm_work/initrd-token.plugin" "$vm_work/plugin-stripped"
	check "token: and the libraries it links (libcryptsetup.so.12, libc.so.6)" \
		grep -a -Eq ' usr/lib/[^ ]*/libcryptsetup\.so\.12( |$)' "$vm_work/initrd-token.list" --and \
		grep -a -Eq ' usr/lib/[^ ]*/libc\.so\.6( |$)' "$vm_work/initrd-token.list"
	check "token: its crypttab names no mrboot option or key file; its mrboot.conf no [unlock]" \
		sh -c '[ "$(lsinitrd -f etc/crypttab "$1")" = "root UUID=$2 none luks" ] &&
			! lsinitrd -f etc/mrboot.conf "$1" | grep -q unlock' sh \
		"$vm_work/initrd-token.img" "$uuid"

	# The disk: the root's, its broker key slot taken away, then enrolled on the host as
	# tests/integration/token.sh does: a broker with sample evidence holds the key, a
	# configuration of the host's names it; the token written names no broker (the plugin
	# takes the initrd's), only the resource and the deadline.
	tkdisk=$vm_work/token.img
	cp "$disk" "$tkdisk"
	cryptsetup luksKillSlot --batch-mode --key-file "$vm_work/passphrase" "$tkdisk" 1 \
		>>"$vm_work/disk.log" 2>&1
	enroot=$vm_work/enroll-root
	rm -rf "$enroot"
	mkdir -p "$enroot/etc/mrboot"
	cp "$vm_work/ca.pem" "$enroot/etc/mrboot/kbs-ca.pem"
	kbs_start "$vm_work" enroll --tee sample --resource "default/mrboot/root=$vm_work/disk.key" || {
		bail "$kbs_why"
	}
	printf '[kbs]\nurl = %s\ntee = sample\n' "$kbs_url" >"$enroot/etc/mrboot.conf"
	"$mrboot" --root "$enroot" enroll "$tkdisk" --resource default/mrboot/root \
		--unlock-key-file "$vm_work/passphrase" --timeout "$token_timeout" --random-key \
		</dev/null >"$vm_work/enroll.out" 2>"$vm_work/enroll.err"
	status=$?
	kbs_stop
	check "token: mrboot enroll on the host: key slot 1 for the broker's key (exit $status)" \
		grep -q 'key slot 1 opens with the key from the configured brokers' "$vm_work/enroll.err"
	[ $status -eq 0 ] || sed 's/^/# /' "$vm_work/enroll.err"
	check "token: the header as cryptsetup dumps it: key slots 0 and 1, one mrboot token for slot 1" \
		$py - "$tkdisk" "$token_timeout" <<'EOF'
import json, subprocess, sys
meta = json.loads(subprocess.run(["cryptsetup", "luksDump", "--dump-json-metadata", sys.argv[1]],
                                 check=True, capture_output=True, text=True).stdout)
assert sorted(meta["keyslots"]) == ["0", "1"], meta["keyslots"]
want = {"type": "mrboot", "keyslots": ["1"], "mrboot-resource": "default/mrboot/root",
        "mrboot-timeout": int(sys.argv[2])}
assert list(meta["tokens"].values()) == [want], meta["tokens"]
EOF
	check "token: slot 1 opens with the broker's key (cryptsetup --test-passphrase)" \
		cryptsetup open --test-passphrase --key-slot 1 --key-file "$vm_work/disk.key" "$tkdisk"
	# No rd.luks.* (the crypttab names the volume) and no mrboot.* parameter.
	tkcmdline="console=$console root=/dev/mapper/root rootfstype=ext4 ro ip=dhcp rd.neednet=1 panic=-1 systemd.show_status=1"
	make_policy "$tkstage" "$tkcmdline" "$vm_work/policy-token.json"
}
# The plugin's first line and its last (the key handed over, or none).
tkmarks="--mark tokenstart=mrboot.token.[0-9]+:.fetching --mark tokenend=mrboot.token.[0-9]+:.(key.released|no.key)"
case " $cases " in *" token "* | *" token-down "*)
	if [ -n "$token_plugin" ] && [ -f "$token_plugin" ]; then
		token_setup
	else
		token_why="no token plugin: PLUGIN, libcryptsetup-token-mrboot.so of a glibc build with -Dtoken_plugin=enabled${token_plugin:+ ($token_plugin is missing)}"
		for c in token token-down; do
			case " $cases " in *" $c "*) skip "$c: $token_why" ;; esac
		done
		cases=$(echo " $cases " | sed 's/ token / /; s/ token-down / /')
	fi
	;;
esac

case " $cases " in *" token "*)
	broker token "$vm_work/policy-token.json" "$vm_work/disk.key" || {
		bail "$kbs_why"
	}
	boot_disk=$tkdisk
	# shellcheck disable=SC2086 # tkmarks are options
	boot token "$vm_work/initrd-token.img" "$tkcmdline" $tkmarks
	boot_disk=""
	wait_boot "$boot_timeout"
	check "token: the guest powered off by itself within $boot_timeout s" [ $? -eq 0 ]
	vm_stop
	boot_end_show token
	kbs_stop
	console_show token 'mrboot token|LUKS token|Token activation|Cryptography Setup for root' 20
	check "token: mrboot run measured and verified only (no [unlock] volume), its unit did not fail" \
		console_has token 'mrboot.*no \[unlock\] volume configured: nothing to unlock' --and \
		console_lacks token 'Failed to start.*mrboot|mrboot.service.*(fail|protocol)'
	check "token: systemd-cryptsetup ran the plugin, which had the key from the broker" \
		console_has token 'mrboot token 0: key released'
	check "token: systemd-cryptsetup: root activated with the LUKS token" \
		console_has token 'Volume root activated with LUKS token id 0'
	unlocked_checks token "$tkcmdline"
	;;
esac

case " $cases " in *" token-down "*)
	# No broker on the port: the plugin tries until the token's deadline, then says no; the
	# passphrase is typed at the prompt that follows, as a person would.
	boot_disk=$tkdisk
	# shellcheck disable=SC2086 # tkmarks are options
	boot token-down "$vm_work/initrd-token.img" "$tkcmdline" $tkmarks \
		--reply "passphrase for disk=$passphrase"
	boot_disk=""
	wait_boot "$boot_timeout"
	# shellcheck disable=SC2034 # read in check_sh's eval
	exited=$?
	vm_stop
	boot_end_show token-down
	console_show token-down 'mrboot token|LUKS token|Token activation|passphrase for disk' 20
	started=$(vm_mark token-down tokenstart)
	gave_up=$(vm_mark token-down tokenend)
	prompt=$(vm_mark token-down prompt)
	check "token-down: the plugin gave up, saying why" \
		console_has token-down 'mrboot token 0: no key: .*'
	check "token-down: it gave up after the token's $token_timeout s ($started s -> $gave_up s)" \
		$py -c 'import sys; s, e, t = sys.argv[1:]; assert s and e and float(t) - 1 <= float(e) - float(s) <= float(t) + 10' \
		"$started" "$gave_up" "$token_timeout"
	check "token-down: no PIN prompt (the plugin never answers -ENOANO)" \
		console_lacks token-down 'token PIN'
	check "token-down: the passphrase prompt came within the token's $token_timeout s + 10 s of the plugin's start ($started s -> $prompt s)" \
		$py -c 'import sys; s, p, t = sys.argv[1:]; assert s and p and float(p) - float(s) <= float(t) + 10' \
		"$started" "$prompt" "$token_timeout"
	check_sh "token-down: the typed passphrase opened the root and the guest powered off" \
		'[ $exited -eq 0 ] && console_has token-down "^MRBOOT-VM: switch_root reached"'
	;;
esac

# ---- (b) a tampered kernel command line -----------------------------------------------------
case " $cases " in *" tampered "*)
	broker tampered || {
		bail "$kbs_why"
	}
	boot tampered "$vm_work/initrd.img" "$cmdline init=/bin/sh"
	vm_wait_console 'passphrase for disk' "$boot_timeout"
	prompted=$?
	# Time for anything that should not happen to happen.
	sleep 10
	vm_stop
	kbs_stop
	boot_end_show tampered
	console_show tampered 'mrboot\[|mrboot:|PolicyDeny|Failed to start' 20
	check "tampered: the broker refused the key (PolicyDeny on the resource)" \
		grep -q '"PolicyDeny"' "$vm_work/tampered.log"
	check "tampered: the console says why: PolicyDeny, naming kernel-cmdline" \
		console_has tampered 'PolicyDeny.*kernel-cmdline|kernel-cmdline.*PolicyDeny'
	check "tampered: the unit failed visibly" console_has tampered 'Failed to start.*mrboot|mrboot.service.*fail'
	check "tampered: systemd-cryptsetup fell back to the passphrase prompt" [ $prompted -eq 0 ]
	check "tampered: the disk stayed locked, the root was never reached" \
		console_lacks tampered 'MRBOOT-VM: switch_root'
	;;
esac

# ---- (b2) the host adds weakening mrboot.* parameters ------------------------------------------
case " $cases " in *" override "*)
	broker override || {
		bail "$kbs_why"
	}
	boot override "$vm_work/initrd.img" \
		"$cmdline mrboot.kbs.insecure=yes mrboot.kbs.url=http://10.0.2.2:9/ mrboot.kbs.tee=sample"
	vm_wait_console 'passphrase for disk' "$boot_timeout"
	prompted=$?
	sleep 5
	vm_stop
	kbs_stop
	boot_end_show override
	console_show override 'mrboot\[|mrboot:|Failed to start' 20
	check "override: the console names the refused parameter" \
		console_has override 'mrboot.kbs.insecure= may not be set here'
	check "override: no broker was asked" [ ! -s "$vm_work/override.log" ]
	check "override: the unit failed visibly" console_has override 'Failed to start.*mrboot|mrboot.service.*fail'
	check "override: systemd-cryptsetup fell back to the passphrase prompt" [ $prompted -eq 0 ]
	check "override: the disk stayed locked, the root was never reached" \
		console_lacks override 'MRBOOT-VM: switch_root'
	;;
esac

# ---- (c) the broker is down -----------------------------------------------------------------
case " $cases " in *" down "*)
	# No broker on the port: every connection is refused until the deadline. The passphrase is
	# typed at the prompt that follows, as a person would.
	boot down "$vm_work/initrd.img" "$cmdline" --reply "passphrase for disk=$passphrase"
	wait_boot "$boot_timeout"
	# shellcheck disable=SC2034 # read in check_sh's eval
	exited=$?
	vm_stop
	boot_end_show down
	console_show down 'mrboot\[|mrboot:|Failed to start' 20
	started=$(vm_mark down mrboot)
	prompt=$(vm_mark down prompt)
	check "down: mrboot gave up at the deadline, saying so" console_has down 'mrboot.*deadline'
	check "down: the passphrase prompt came within [kbs] timeout + 30 s of mrboot's start ($started s -> $prompt s)" \
		$py -c 'import sys; s, p, t = sys.argv[1:]; assert s and p and float(p) - float(s) <= float(t) + 30' \
		"$started" "$prompt" "$kbs_timeout"
	check_sh "down: the typed passphrase opened the root and the guest powered off" \
		'[ $exited -eq 0 ] && console_has down "^MRBOOT-VM: switch_root reached"'
	;;
esac

# ---- (d) a swapped root disk that the released key also opens ------------------------------
# Another LUKS2 volume made exactly as the root was (same file system, same passphrase, the
# broker's key in slot 1), its header given the enrolled UUID (the host can write any header),
# on the same drive: the measured boot is unchanged, and the broker releases the key with the
# enrolled volume's identity. mrboot must refuse the volume before switch_root, saying why.
case " $cases " in *" swapped "*)
	make_disk "$vm_work/other.img"
	check "swapped: a second LUKS2 disk that the broker's key also opens" \
		cryptsetup open --test-passphrase --key-file "$vm_work/disk.key" "$vm_work/other.img"
	cryptsetup luksUUID --batch-mode --uuid "$uuid" "$vm_work/other.img" >>"$vm_work/disk.log" 2>&1
	check "swapped: its header carries the enrolled volume's UUID" \
		[ "$(cryptsetup luksUUID "$vm_work/other.img")" = "$uuid" ]
	other_id=$(volume_id "$vm_work/other.img")
	check "swapped: its identity differs from the enrolled one ($other_id)" \
		[ -n "$other_id" ] && [ "$other_id" != "$root_id" ]
	broker swapped || {
		bail "$kbs_why"
	}
	boot_disk=$vm_work/other.img boot swapped "$vm_work/initrd.img" "$cmdline"
	vm_wait_console 'passphrase for disk' "$boot_timeout"
	prompted=$?
	# Time for anything that should not happen to happen.
	sleep 10
	vm_stop
	kbs_stop
	boot_end_show swapped
	console_show swapped 'mrboot\[|mrboot:|Failed to start' 20
	check "swapped: the broker released the key (the measured boot is unchanged)" \
		$py -c 'import json,sys
log = [json.loads(l) for l in open(sys.argv[1])]
assert ("/kbs/v0/resource/default/mrboot/root", 200) in [(e["path"], e["status"]) for e in log], log' \
		"$vm_work/swapped.log"
	check "swapped: the console says the volume is not the enrolled one, with both identities" \
		console_has swapped "is not the enrolled volume: its identity \\(volume key id\\) is $other_id, the broker expects $root_id"
	check "swapped: the unit failed visibly" console_has swapped 'Failed to start.*mrboot|mrboot.service.*fail'
	check "swapped: systemd-cryptsetup fell back to the passphrase prompt: no key was offered" \
		[ $prompted -eq 0 ]
	check "swapped: the root was never reached (refused before switch_root)" \
		console_lacks swapped 'MRBOOT-VM: switch_root'
	;;
esac

# ---- initramfs-tools: the hook and boot scripts, built, inspected and booted -----------------
# Debian's other initramfs generator, as bookworm has it (initramfs-tools, cryptsetup-initramfs),
# with the hook, the local-top and local-bottom scripts and the keyscript from hooks/. cryptroot
# takes the volume from cryptopts= with keyscript=, so no crypttab on the host is needed.
case " $cases " in *" initramfs-tools "*)
	it=itools
	itstage=$vm_work/stage-itools
	rm -rf "$itstage"
	cp -a "$stage" "$itstage"
	mkdir -p "$itstage/usr/lib/mrboot"
	cp "$src/hooks/cryptroot-keyscript" "$itstage/usr/lib/mrboot/cryptroot-keyscript"
	# cryptroot names its volume with cryptopts=, which mrboot does not read: this path hands
	# a bare passphrase off unbound (mrboot(1), VOLUME IDENTITY).
	printf '\n[unlock]\nvolume-identity = optional\n' >>"$itstage/etc/mrboot.conf"
	# The same configuration as the dracut image's: local-top asks for a file (cryptroot
	# reads key files, not sockets) with `run --handoff file`.
	itconf=$vm_work/initramfs-tools
	rm -rf "$itconf"
	cp -r /etc/initramfs-tools "$itconf"
	mkdir -p "$itconf/hooks" "$itconf/scripts/local-top" "$itconf/scripts/local-bottom"
	cp "$src/hooks/mrboot.hook" "$itconf/hooks/mrboot"
	cp "$src/hooks/mrboot.local-top" "$itconf/scripts/local-top/mrboot"
	cp "$src/hooks/mrboot.local-bottom" "$itconf/scripts/local-bottom/mrboot"
	# mkinitramfs reads /lib/modules/KVER and /boot/config-KVER: in a mount namespace of its
	# own, an overlay on /usr/lib adds the downloaded kernel's modules and a tmpfs on /boot its
	# configuration. Nothing outside the namespace changes.
	t0=$(date +%s)
	rm -rf "$vm_work/overlay"
	mkdir -p "$vm_work/overlay/upper" "$vm_work/overlay/work"
	MRBOOT_INITRAMFS_ROOT=$itstage timeout 600 unshare -m sh -c '
		set -e
		mount --make-rprivate /
		mount -t overlay overlay -o "lowerdir=/usr/lib,upperdir=$1/upper,workdir=$1/work" /usr/lib
		mkdir -p "/usr/lib/modules/$2"
		mount --bind "$3" "/usr/lib/modules/$2"
		mount -t tmpfs -o size=8m tmpfs /boot
		cp "$6" "/boot/config-$2"
		mkinitramfs -d "$4" -o "$5" "$2"' sh "$vm_work/overlay" "$kver" "$kmoddir" "$itconf" \
		"$vm_work/initrd-itools.img" "$kdir/config" >"$vm_work/initrd-itools.img.log" 2>&1
	status=$?
	check "initramfs-tools $(dpkg-query -W -f '${Version}' initramfs-tools-core 2>/dev/null): mkinitramfs built an image with the mrboot hook ($(elapsed "$t0") s)" \
		[ $status -eq 0 ]
	[ $status -eq 0 ] || tail -n 20 "$vm_work/initrd-itools.img.log" | sed 's/^/# /'
	lsinitramfs "$vm_work/initrd-itools.img" >"$vm_work/initrd-itools.list" 2>&1
	in_itools() { # PATH-REGEX...: every one matches a path lsinitramfs lists
		for rx in "$@"; do
			grep -Eq -- "$rx" "$vm_work/initrd-itools.list" || return 1
		done
	}
	check "initramfs-tools: lsinitramfs shows mrboot, its configuration, trust anchor and keyscript" \
		in_itools '^usr/sbin/mrboot$' '^etc/mrboot.conf$' '^etc/mrboot/kbs-ca.pem$' \
		'^usr/lib/mrboot/cryptroot-keyscript$'
	check "initramfs-tools: the local-top and local-bottom scripts" \
		in_itools '^scripts/local-top/mrboot$' '^scripts/local-bottom/mrboot$'
	check "initramfs-tools: the modules configfs, tsm, tdx-guest, sev-guest, dm-crypt, dm-verity, virtio_net" \
		in_itools '/configfs.ko' '/(tsm|tsm_report|tsm-report).ko' '/tdx-guest.ko' '/sev-guest.ko' \
		'/dm-crypt.ko' '/dm-verity.ko' '/virtio_net.ko'
	check "initramfs-tools: cryptroot's cryptsetup and askpass" \
		in_itools '^usr/sbin/cryptsetup$' '^usr/lib/cryptsetup/askpass$'
	rm -rf "$vm_work/itools-unpacked"
	unmkinitramfs "$vm_work/initrd-itools.img" "$vm_work/itools-unpacked" 2>/dev/null
	order=$(cat "$vm_work/itools-unpacked/scripts/local-top/ORDER" \
		"$vm_work/itools-unpacked/main/scripts/local-top/ORDER" 2>/dev/null | grep -o 'local-top/[a-z]*')
	check "initramfs-tools: local-top runs mrboot before cryptroot ($(echo $order))" \
		sh -c 'echo "$1" | grep -n . | grep -q "mrboot" &&
			[ "$(echo "$1" | grep -n mrboot | cut -d: -f1)" -lt "$(echo "$1" | grep -n cryptroot | cut -d: -f1)" ]' \
		sh "$order"

	[ $status -eq 0 ] || {
		bail "no initramfs-tools image to boot"
	}
	itcmdline="console=$console root=/dev/mapper/root rootfstype=ext4 ro cryptopts=target=root,source=UUID=$uuid,luks,keyscript=/usr/lib/mrboot/cryptroot-keyscript ip=dhcp panic=-1"
	make_policy "$itstage" "$itcmdline" "$vm_work/policy-itools.json"
	broker "$it" "$vm_work/policy-itools.json" "$vm_work/disk.key" || {
		bail "$kbs_why"
	}
	boot "$it" "$vm_work/initrd-itools.img" "$itcmdline"
	wait_boot "$boot_timeout"
	check "$it: the guest powered off by itself within $boot_timeout s" [ $? -eq 0 ]
	vm_stop
	kbs_stop
	boot_end_show "$it"
	unlocked_checks "$it" "$itcmdline"
	;;
esac

# ---- dracut-ng (sid) builds the same image ---------------------------------------------------
# dracut-ng 112's scripts and modules from sid's dracut-core and dracut-network, run here with
# bookworm's dracut-install (sid's binary needs libkmod 33 and libsystemd 257): the module's
# check/depends/install/installkernel against dracut-ng's module API. Built and inspected, not
# booted.
case " $cases " in *" dracut-ng "*)
	. "$vm_lib_dir/lib-apt.sh"
	ng=""
	if apt_suite sid && core=$(apt_deb dracut-core) && net=$(apt_deb dracut-network); then
		ng=$apt_cache_dir/dracut-ng/$(basename "$core" .deb)
		if [ ! -x "$ng/usr/bin/dracut" ]; then
			rm -rf "$ng"
			mkdir -p "$ng"
			dpkg-deb -x "$core" "$ng" && dpkg-deb -x "$net" "$ng"
		fi
	fi
	if [ -z "$ng" ] || [ ! -x "$ng/usr/bin/dracut" ]; then
		check "dracut-ng: sid's dracut-core and dracut-network ($apt_why)" false
	else
		ngbase=$vm_work/dracut-ng
		rm -rf "$ngbase"
		mkdir -p "$ngbase/modules.d"
		for f in "$ng"/usr/lib/dracut/*; do
			case ${f##*/} in modules.d | dracut-install) ;; *) ln -s "$f" "$ngbase/" ;; esac
		done
		ln -s /usr/lib/dracut/dracut-install "$ngbase/dracut-install"
		for m in "$ng"/usr/lib/dracut/modules.d/*; do
			ln -s "$m" "$ngbase/modules.d/"
		done
		ln -s "$src/dracut/90mrboot" "$ngbase/modules.d/90mrboot"
		t0=$(date +%s)
		MRBOOT_DRACUT_ROOT=$stage DRACUT_INSTALL=/usr/lib/dracut/dracut-install \
			dracutbasedir=$ngbase timeout 600 bash "$ng/usr/bin/dracut" --stdlog 3 \
			--conf /dev/null --confdir "$vm_work/dracut.conf.d" --tmpdir "$vm_work/dracut-tmp" \
			--no-hostonly --no-hostonly-cmdline --no-early-microcode --force \
			--kver "$kver" --kmoddir "$kmoddir" --add mrboot \
			--omit "plymouth nvdimm lunmask resume virtiofs usrmount" \
			"$vm_work/initrd-ng.img" >"$vm_work/initrd-ng.img.log" 2>&1
		status=$?
		check "dracut-ng $(basename "$ng" | cut -d_ -f2): the image with the mrboot module ($(elapsed "$t0") s)" \
			[ $status -eq 0 ]
		# dracut-ng writes the kernel modules as a first, uncompressed cpio; the rest follows.
		{
			cpio -it <"$vm_work/initrd-ng.img" 2>/dev/null
			/usr/lib/dracut/skipcpio "$vm_work/initrd-ng.img" | zstd -dcq 2>/dev/null | cpio -it 2>/dev/null
		} | sed 's/^/x /' >"$vm_work/initrd-ng.list"
		in_ng() {
			for rx in "$@"; do
				grep -Eq -- "$rx" "$vm_work/initrd-ng.list" || return 1
			done
		}
		check "dracut-ng: mrboot, its unit wanted by initrd.target, configuration, trust anchor" \
			in_ng ' usr/sbin/mrboot$' ' etc/systemd/system/initrd.target.wants/mrboot.service$' \
			' etc/mrboot.conf$' ' etc/mrboot/kbs-ca.pem$'
		check "dracut-ng: the kernel modules, systemd-networkd-wait-online and systemd-cryptsetup" \
			in_ng '/configfs.ko' '/tsm.ko' '/tdx-guest.ko' '/sev-guest.ko' '/dm-crypt.ko' \
			'/dm-verity.ko' 'systemd-networkd-wait-online$' 'systemd/systemd-cryptsetup$'
	fi
	;;
esac

# ---- systemd 262 in the initrd: sid's dracut-ng and systemd ---------------------------------
# The image is built by sid's dracut-ng in a sid amd64 userland (mmdebstrap, cached as the
# arm64 one is), so that it holds sid's systemd 262 with its systemd-pcrosseparator.service
# (dracut-ng's systemd-pcrextend module) beside mrboot, and is booted with the good case's
# disk and broker. The separator's unit has ConditionSecurity=measured-os, which holds only
# when a UKI's stub measured the kernel into PCR 11 (StubPcrKernelImage) or when
# $SYSTEMD_FORCE_MEASURE is set; systemd-pcrextend checks the same again. This VM boots no
# UKI, so the command line sets it twice: bare, which the kernel puts into PID 1's
# environment (where the condition is evaluated), and with systemd.setenv=, which the manager
# gives the services it starts (systemd-pcrextend). mrboot measures that command line as it is.
sd262_packages="systemd-cryptsetup systemd-tpm tpm2-tools libkmod2 zstd"
sd262_case() {
	sd=sd262
	sd_cmdline="$cmdline SYSTEMD_FORCE_MEASURE=1 systemd.setenv=SYSTEMD_FORCE_MEASURE=1"
	command -v mmdebstrap >/dev/null 2>&1 || {
		skip "$sd: no mmdebstrap to make the sid userland with"
		return
	}
	. "$vm_lib_dir/lib-sysroot.sh"
	t0=$(date +%s)
	sdroot=$vm_work/sysroot-sid
	rm -rf "$sdroot"
	mkdir -p "$sdroot"
	# shellcheck disable=SC2086 # the packages are words
	if ! sd_tar=$(sysroot_tar amd64 sid $sd262_packages 2>"$vm_work/sysroot-sid.log") ||
		! tar -C "$sdroot" -xf "$sd_tar"; then
		tail -n 5 "$vm_work/sysroot-sid.log" | sed 's/^/# /'
		check "$sd: a sid amd64 userland (the lines above say why not)" false
		return
	fi
	sd_version=$(dpkg-query --admindir="$sdroot/var/lib/dpkg" -W -f '${Version}' systemd 2>/dev/null)
	ng_version=$(dpkg-query --admindir="$sdroot/var/lib/dpkg" -W -f '${Version}' dracut-core 2>/dev/null)
	check "$sd: a sid userland with systemd $sd_version and dracut-ng $ng_version (${sd_tar##*/}, $(elapsed "$t0") s to make or find in the cache)" \
		[ -x "$sdroot/usr/lib/systemd/systemd-pcrextend" ]
	cp -r "$src/dracut/90mrboot" "$sdroot/usr/lib/dracut/modules.d/90mrboot"
	cp -a "$stage" "$sdroot/mrboot-stage"
	mkdir -p "$sdroot/mrboot-stage/dracut.conf.d" "$sdroot/mrboot-out"
	printf '%s\n' "mrboot_reference_cmdline=\"$sd_cmdline\"" 'mrboot_reference_platforms="tdx tpm"' \
		'mrboot_reference_alone="pcr15"' >"$sdroot/mrboot-stage/dracut.conf.d/mrboot-reference.conf"
	# Natively (amd64 on amd64), chrooted, the trixie kernel's modules bound in. tpm2-tss
	# (tpm2.target, systemd-tpm2-generator, the libtss2 libraries systemd dlopens) and
	# systemd-pcrextend (the separator) are named: this case is about them.
	t0=$(date +%s)
	sysroot_binds="$kmoddir=/usr/lib/modules/$kver" sysroot_run "$sdroot" \
		timeout 600 env MRBOOT_DRACUT_ROOT=/mrboot-stage dracut --confdir /mrboot-stage/dracut.conf.d \
		--tmpdir /tmp --conf /dev/null --no-hostonly --no-hostonly-cmdline --no-early-microcode \
		--force --kver "$kver" --omit "plymouth nvdimm lunmask resume virtiofs usrmount" \
		--add "mrboot tpm2-tss systemd-pcrextend" /mrboot-out/initrd.img \
		>"$vm_work/initrd-sd262.img.log" 2>&1
	status=$?
	check "$sd: sid's dracut-ng built the image with mrboot, tpm2-tss and systemd-pcrextend ($(elapsed "$t0") s)" \
		[ $status -eq 0 ]
	[ $status -eq 0 ] || {
		tail -n 20 "$vm_work/initrd-sd262.img.log" | sed 's/^/# /'
		return
	}
	sd_img=$vm_work/initrd-sd262.img
	sysroot_run "$sdroot" lsinitrd /mrboot-out/initrd.img >"$vm_work/initrd-sd262.list" 2>&1
	mv "$sdroot/mrboot-out/initrd.img" "$sd_img"
	in_sd() {
		for rx in "$@"; do
			grep -Eq -- "$rx" "$vm_work/initrd-sd262.list" || return 1
		done
	}
	check "$sd: the image has mrboot and its unit, the separator wanted by sysinit.target, systemd-pcrextend, tpm2.target, libtss2-esys, libsystemd-shared-262" \
		in_sd ' usr/sbin/mrboot$' 'initrd.target.wants/mrboot.service' \
		'sysinit.target.wants/systemd-pcrosseparator.service' 'systemd-pcrosseparator.service$' \
		'usr/lib/systemd/systemd-pcrextend$' 'tpm2.target$' 'libtss2-esys' 'libsystemd-shared-262'
	make_policy "$stage" "$sd_cmdline" "$vm_work/policy-sd262.json"
	broker "$sd" "$vm_work/policy-sd262.json" || {
		bail "$kbs_why"
	}
	# Should the broker refuse, the passphrase typed at the prompt still reaches the root, whose
	# report (mrboot replay, the PCRs, the log) is what this case is about.
	boot "$sd" "$sd_img" "$sd_cmdline" --reply "passphrase for disk=$passphrase"
	wait_boot "$boot_timeout"
	check "$sd: the guest powered off by itself within $boot_timeout s" [ $? -eq 0 ]
	vm_stop
	boot_end_show "$sd"
	kbs_stop
	console_show "$sd" 'systemd\[1\]: systemd 26|OS Separator|TPM PCR' 10
	check "$sd: systemd 262 ran in the initrd" console_has "$sd" 'systemd\[1\]: systemd 262'
	check "$sd: systemd-pcrosseparator.service ran (the console says it finished)" \
		console_has "$sd" 'Finished .*TPM PCR OS Separator'
	if [ "$(vm_mark "$sd" prompt)" = "" ]; then
		unlocked_checks "$sd" "$sd_cmdline" "$root_id" separator
	else
		# Known (issue 16): the quote of PCRs 0..23 now holds systemd's os-separator in PCRs
		# 0-7, which the evidence's logs (the firmware's, mrboot's aa_eventlog) do not
		# explain, and the broker, replaying them as Trustee's TPM verifier does, refuses.
		console_show "$sd" 'mrboot(\[[0-9]+\])?:.*(attest|no key)' 3
		n=$((n + 1))
		echo "not ok $n - $sd: the broker released the key # TODO the evidence's logs do not explain systemd's os-separator in PCRs 0-7"
		check "$sd: mrboot ran in the initrd" console_has "$sd" 'mrboot.*step'
		check "$sd: the typed passphrase reached the root (after $(boot_seconds "$sd") s)" \
			console_has "$sd" 'MRBOOT-VM: switch_root reached'
		check "$sd: mrboot replay in the real root: the event log in /run replays to the vTPM" \
			[ "$(guest "$sd" 'replay status')" = 0 ]
		log_checks "$sd" "$sd_cmdline" "" separator
		# What the broker would have compared, had the evidence passed: mrboot predicted PCR 15
		# from the staged tree and this command line; nothing else extended it.
		check "$sd: the guest's PCR 15 is the one mrboot predict put in the policy" \
			$py -c 'import json, sys
want = json.load(open(sys.argv[1]))["tees"]["tpm"]["registers"]["pcr15"]
assert want == sys.argv[2].lower(), (want, sys.argv[2])' \
			"$vm_work/policy-sd262.json" "$(guest "$sd" 'pcr sha256 15')"
	fi
	# The log as the guest left it, in order: each record's time (CLOCK_BOOTTIME), PCR,
	# eventType and the first two words of its string.
	$py - "$vm_work/$sd.tpm2-measure.log" 2>&1 <<'PY' | sed 's/^/# /'
import json, sys
for r in (json.loads(x) for x in open(sys.argv[1], "rb").read().split(b"\x1e") if x.strip()):
    c = r.get("content", {})
    where = "PCR %2d" % r["pcr"] if "pcr" in r else str({k: v for k, v in r.items()
                                                          if k not in ("content", "digests")})
    print("  %9.3f s  %s  %-15s %s" % (c.get("timestamp", 0) / 1e6, where, c.get("eventType", "-"),
          " ".join(c.get("string", "").split(" ", 2)[:2])))
PY
}
case " $cases " in *" systemd-262 "*)
	sd262_case
	;;
esac

# ---- the same VM without mrboot -------------------------------------------------------------
# The same kernel, disk and VM; the initramfs dracut builds without the mrboot module (and so
# without the network it pulls in). The passphrase is typed the moment the prompt appears.
case " $cases " in *" baseline "*)
	check "baseline: an initramfs without mrboot" [ "$baseline_status" -eq 0 ]
	boot baseline "$vm_work/initrd-without.img" "$cmdline" --reply "passphrase for disk=$passphrase"
	wait_boot "$boot_timeout"
	# shellcheck disable=SC2034 # read in check_sh's eval
	exited=$?
	vm_stop
	emergency_show baseline
	check_sh "baseline: without mrboot, the passphrase typed at the prompt: the root reached" \
		'[ $exited -eq 0 ] && console_has baseline "^MRBOOT-VM: switch_root reached"'
	check "baseline: mrboot did not run" console_lacks baseline 'mrboot.*step'
	;;
esac

# ---- timings --------------------------------------------------------------------------------
note "boot times ($vm_accel, QEMU start to the root's init; seconds):"
for c in good keyring token token-down tampered down itools sd262 baseline; do
	[ -f "$vm_work/$c.console.marks" ] || continue
	note "  $c: /init $(vm_mark "$c" init), mrboot's first step $(vm_mark "$c" mrboot)," \
		"passphrase prompt $(vm_mark "$c" prompt), root $(vm_mark "$c" root)"
	[ -z "$(vm_mark "$c" tokenstart)" ] ||
		note "  $c: the token plugin from $(vm_mark "$c" tokenstart) to $(vm_mark "$c" tokenend)"
done
# mrboot's own time in the good boot, by the guest kernel's clock: its first line to the key
# released, and to the volume open (bound: mrboot opens it itself, no key is offered).
kmsg_time() { # NAME REGEX: the kernel timestamp of the first console line matching REGEX
	tr -d '\r' <"$vm_work/$1.console" 2>/dev/null | grep -E -m 1 -- "$2" |
		sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p'
}
if [ -f "$vm_work/good.console" ]; then
	t_start=$(kmsg_time good 'mrboot\[[0-9]+\]: step measure')
	t_offer=$(kmsg_time good 'mrboot\[[0-9]+\]: key for .* released')
	t_open=$(kmsg_time good 'mrboot\[[0-9]+\]: volume .* (is open|is the enrolled volume)')
	note "  mrboot in the good boot: $t_start s measure begins, $t_offer s key released," \
		"$t_open s volume open (guest clock)"
fi
if [ -n "$(vm_mark good root)" ] && [ -n "$(vm_mark baseline root)" ]; then
	note "  with mrboot $(vm_mark good root) s, without $(vm_mark baseline root) s (passphrase typed at once)"
fi
tap_end
