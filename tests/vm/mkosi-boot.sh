#!/bin/sh
# TAP: the image mkosi/ describes, built and booted. mkosi (sid's package, run from the apt cache
# with this machine's Python, lib-mkosi.sh) builds a trixie tools tree once (bookworm's
# systemd-repart is too old for Format=disk), then the disk image from a copy of mkosi/ with
# what mkosi/README.md says to provide: the agent and its unit in mrboot.root/, an
# /etc/mrboot.conf naming the test broker, its CA, and the LUKS key. The image boots in QEMU
# with UEFI firmware (OVMF), systemd-boot and the unified kernel image mkosi made, a TPM 2.0
# (swtpm) and the broker (tests/kbs/broker.py, TPM evidence) on the host at 10.0.2.2.
#
#  good      the disk as built: mrboot in mkosi's initrd measures, attests and receives the
#            key with the root's identity (computed here from the LUKS2 header in the disk
#            image), checks the volume gpt-auto found (mkosi/'s initrd crypttab names it) and
#            opens it; the root's init (root-init.sh, which the test adds to the image)
#            reports on the console and powers off.
#  tampered  the same disk and boot, init=/bin/sh added to the command line by the host: an
#            SMBIOS type 11 string io.systemd.stub.kernel-cmdline-extra=, which systemd-stub
#            appends when Secure Boot is off (and measures into PCR 12). The broker refuses
#            (PolicyDeny, naming kernel-cmdline), the passphrase prompt follows, the root
#            stays locked.
#  loader    (not run by default) the UKI from QEMU's -kernel, -append giving the good command
#            line with init=/bin/sh: the stub takes the loader's command line. The broker
#            refuses and the root is not reached; but no prompt comes either: without
#            systemd-boot, no LoaderDevicePartUUID names the boot disk, so
#            systemd-gpt-auto-generator finds no root to ask a passphrase for.
#
# The broker's policy is `mrboot predict` of the initrd inside the UKI (unpacked here) and of the
# UKI's own command line, made before any boot. The test adds to its copy of mkosi/ only what
# lets it see the result: init= on the UKI's command line and, in the root, root-init.sh with
# busybox and the agent (for `mrboot replay`), and one workaround: systemd-pcrphase-initrd
# masked in the initrd (see mkosi/README.md).
#
# Usage: mkosi-boot.sh MRBOOT SOURCE_ROOT [UNIT]
# Environment: MRBOOT_MKOSI_CASES (default "good tampered"; also "loader"),
#   MRBOOT_VM_ACCEL (auto, kvm, tcg), MRBOOT_VM_BOOT_TIMEOUT (420 s a boot),
#   MRBOOT_VM_KEEP=DIR (keep the work files in DIR),
#   MRBOOT_MKOSI_REUSE=yes (with MRBOOT_VM_KEEP: boot the image a previous run left there
#   again, without building), MRBOOT_CACHE (/var/cache/mrboot: mkosi, its tools tree, its
#   package and image caches), MRBOOT_MKOSI_SUITE (where mkosi comes from, sid).
set -u
mrboot=$1
src=$2
unit=${3:-}
vm_lib_dir=$(cd "$(dirname "$0")" && pwd)
kbs_lib_dir=$src/tests/kbs
# shellcheck source=../kbs/lib-kbs.sh
. "$kbs_lib_dir/lib-kbs.sh"
. "$vm_lib_dir/lib-vm.sh"
. "$vm_lib_dir/../lib/tap.sh"
. "$vm_lib_dir/lib-apt.sh"
. "$vm_lib_dir/lib-mkosi.sh"
py=/usr/bin/python3
all_cases="good tampered loader"
cases=${MRBOOT_MKOSI_CASES:-good tampered}
for c in $cases; do
	case " $all_cases " in *" $c "*) ;; *)
		bail "case $c: not one of $all_cases"
		;;
	esac
done
# shellcheck disable=SC2034 # read by lib-vm.sh
vm_arch=x86_64
# 2 GB, not lib-vm's 1 GB: mkosi's initrd is unpacked into memory whole (some 4,000 files), and
# mrboot reads the volume key through cryptsetup, whose argon2id key slot (sized by
# systemd-repart on the build host) takes 222 MB. With 1 GB, two good boots in five ended
# right after "key released", mrboot gone without a word and the passphrase prompt up.
vm_memory=${MRBOOT_VM_MEMORY:-2048}
release=trixie

reuse=no
if [ -n "${MRBOOT_VM_KEEP:-}" ]; then
	vm_work=$MRBOOT_VM_KEEP
	if [ "${MRBOOT_MKOSI_REUSE:-no}" = yes ] && [ -f "$vm_work/out/mrboot-debian.raw" ] &&
		[ -s "$vm_work/port" ]; then
		reuse=yes
	else
		rm -rf "$vm_work"
		mkdir -p "$vm_work"
	fi
else
	vm_work=$(mktemp -d /var/tmp/mrboot-mkosi.XXXXXX)
fi
cleanup() {
	vm_stop
	kbs_stop
	[ -n "${MRBOOT_VM_KEEP:-}" ] || rm -rf "$vm_work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

note() { echo "# $*"; }
elapsed() { echo "$(($(date +%s) - $1))"; }
# The console without carriage returns and terminal control sequences: systemd resets the
# terminal (CSI with ? and !, OSC 104) on the line where root-init.sh starts writing.
console_clean() {
	tr -d '\r' <"$vm_work/$1.console" | sed 's/\x1b\[[0-9;?!]*[A-Za-z]//g; s/\x1b\][^\x07]*\x07//g'
}
console_has() { console_clean "$1" | grep -Eq -- "$2"; }
console_lacks() { ! console_has "$@"; }
console_show() { # NAME REGEX [LINES]: matching console lines, as TAP comments
	console_clean "$1" | grep -E -- "$2" | sed 's/^/#   /' | head -n "${3:-20}"
}

# ---- what is needed -------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || skip_all "mkosi builds images as root here"
missing=""
for tool in qemu-system-x86_64 swtpm objcopy zstd cryptsetup openssl apt-get dpkg-deb; do
	command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
[ -f "$vm_ovmf_code" ] && [ -f "$vm_ovmf_vars" ] || missing="$missing ovmf"
file -L /bin/busybox 2>/dev/null | grep -q 'statically linked' || missing="$missing busybox-static"
$py -c 'import cryptography' 2>/dev/null || missing="$missing python3-cryptography"
[ -z "$missing" ] || skip_all "missing:$missing (scripts/setup installs them)"
file -L "$mrboot" | grep -q x86-64 || bail "$mrboot is not an x86-64 program"

mkosi_fetch || bail "$mkosi_why"
note "$(mkosi --version 2>&1) ($(basename "$mkosi_deb")), $($py --version)"
# The machine's own Debian archive, for the tools tree and the image alike; nothing names a
# mirror here.
uri=$(apt_debian_uri)
[ -n "$uri" ] || bail "no Debian archive among this machine's apt sources"

# ---- the tools tree -------------------------------------------------------------------------
t0=$(date +%s)
mkosi_tools_tree "$release" "$uri"
status=$?
tools=$mkosi_tools
check "a $release tools tree for mkosi ($(elapsed "$t0") s to build or find in the cache; $(du -sh "$tools" 2>/dev/null | cut -f1))" \
	[ $status -eq 0 ]
if [ $status -ne 0 ]; then
	grep -v '^ ' "$mkosi_tools_log" | tail -n 20 | sed 's/^/# /'
	bail "$mkosi_why"
fi
note "tools tree: systemd $(dpkg-query --admindir="$tools/var/lib/dpkg" -W -f '${Version}' systemd 2>/dev/null)"

# ---- mkosi/ as a user provides it, and what the test adds -----------------------------------
cfg=$vm_work/mkosi
if [ $reuse = no ]; then
	kbs_extra_san=IP:10.0.2.2 kbs_make_certs "$vm_work" || bail "$kbs_why"
	$py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' \
		>"$vm_work/port"
	cp -r "$src/mkosi" "$cfg"
	# What a developer's checkout may hold beside the configuration (mkosi/.gitignore).
	rm -rf "$cfg/mrboot.root" "$cfg/mrboot.key" "$cfg/mkosi.output" "$cfg/mkosi.cache" \
		"$cfg/mkosi.tools"
	stage=$cfg/mrboot.root
	mkdir -p "$stage/usr/sbin" "$stage/etc/mrboot" "$stage/usr/lib/systemd/system"
	cp "$mrboot" "$stage/usr/sbin/mrboot"
	if [ -n "$unit" ]; then
		cp "$unit" "$stage/usr/lib/systemd/system/mrboot.service"
	else
		sed 's|@sbindir@|/usr/sbin|' "$src/units/mrboot.service.in" \
			>"$stage/usr/lib/systemd/system/mrboot.service"
	fi
	cp "$vm_work/ca.pem" "$stage/etc/mrboot/kbs-ca.pem"
	# Trustee's policies where `meson install` puts them: mkosi.postoutput copies them out.
	mkdir -p "$stage/usr/share/mrboot/trustee"
	cp "$src"/trustee/*.rego "$stage/usr/share/mrboot/trustee/"
	# WORKAROUND, not a fix: systemd-pcrphase-initrd extends PCR 11 ("enter-initrd") before
	# mrboot attests, and that extension is in systemd's tpm2-measure.log only. mrboot's TPM
	# evidence carries the firmware's log and mrboot's own events, so the broker (as
	# Trustee's verifier) replays PCR 11 from the stub's measurements alone and refuses the
	# quote. Masked in the test's initrd until the evidence explains systemd's events.
	mkdir -p "$stage/etc/systemd/system"
	ln -sf /dev/null "$stage/etc/systemd/system/systemd-pcrphase-initrd.service"
	cat >"$stage/etc/mrboot.conf" <<EOF
[kbs]
url = https://10.0.2.2:$(cat "$vm_work/port")
timeout = 20

[unlock]
volume = root
EOF
	od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$cfg/mrboot.key"
	chmod 0600 "$cfg/mrboot.key"
	# The root's init reports and powers off: the boot is seen to reach the unlocked root.
	mkdir -p "$cfg/mkosi.extra/usr/bin" "$cfg/mkosi.extra/usr/lib/mrboot-vm" "$cfg/mkosi.conf.d"
	cp /bin/busybox "$cfg/mkosi.extra/usr/bin/busybox"
	cp "$mrboot" "$cfg/mkosi.extra/usr/bin/mrboot"
	cp "$vm_lib_dir/root-init.sh" "$cfg/mkosi.extra/usr/lib/mrboot-vm/init"
	chmod 0755 "$cfg/mkosi.extra/usr/lib/mrboot-vm/init"
	printf '[Content]\nKernelCommandLine=init=/usr/lib/mrboot-vm/init\n' \
		>"$cfg/mkosi.conf.d/90-boot-test.conf"
fi
port=$(cat "$vm_work/port")
cp "$cfg/mrboot.key" "$vm_work/disk.key"

# ---- the image ------------------------------------------------------------------------------
# The package cache spares warm runs the downloads; the incremental cache keeps each image's
# installed packages (the initrd's and the root's), to which mkosi adds the extra trees, so
# a new agent or configuration does not reinstall anything.
out=$vm_work/out
if [ $reuse = no ]; then
	t0=$(date +%s)
	mkosi_timeout=2400 mkosi --directory "$cfg" --tools-tree="$tools" --local-mirror="$uri" \
		--package-cache-directory="$apt_cache_dir/mkosi/packages" \
		--cache-directory="$apt_cache_dir/mkosi/images" --incremental=yes \
		--output-directory="$out" --split-artifacts=uki build >"$vm_work/build.log" 2>&1
	status=$?
	check "mkosi built the disk image ($(elapsed "$t0") s)" [ $status -eq 0 ]
	if [ $status -ne 0 ]; then
		grep -v '^ ' "$vm_work/build.log" | tail -n 30 | sed 's/^/# /'
		bail "no image"
	fi
fi
disk=$out/mrboot-debian.raw
uki=$out/mrboot-debian.efi
note "image: $(du -h --apparent-size "$disk" | cut -f1) ($(du -h "$disk" | cut -f1) allocated), UKI $(du -h "$uki" | cut -f1)"
note "mkosi's caches: $(cd "$apt_cache_dir/mkosi" && du -sh packages images 2>/dev/null | tr '\t\n' '  ')"

# The root partition's LUKS2 header, copied out of the disk image (GPT read here): what the
# volume's identity is computed from, as systemd computes it for tpm2-measure-pcr= and
# fixate-volume-key= (HMAC-SHA256 keyed by the volume key over "cryptsetup:root:UUID").
$py - "$disk" "$vm_work/root-header.img" <<'EOF'
import struct, sys, uuid
disk, out = sys.argv[1:]
ROOT_X86_64 = uuid.UUID("4f68bce3-e8cd-4db1-96e7-fbcaf984b709")
with open(disk, "rb") as f:
    f.seek(512)
    hdr = f.read(92)
    assert hdr[:8] == b"EFI PART", "no GPT"
    entries_lba, count, size = struct.unpack_from("<QII", hdr, 72)
    f.seek(entries_lba * 512)
    table = f.read(count * size)
    for i in range(count):
        e = table[i * size:(i + 1) * size]
        if uuid.UUID(bytes_le=e[:16]) == ROOT_X86_64:
            first = struct.unpack_from("<Q", e, 32)[0]
            f.seek(first * 512)
            open(out, "wb").write(f.read(32 << 20))
            break
    else:
        sys.exit("no x86-64 root partition")
EOF
root_uuid=$(cryptsetup luksUUID "$vm_work/root-header.img" 2>/dev/null)
root_id=$($py - "$vm_work/root-header.img" "$vm_work/disk.key" "$root_uuid" <<'EOF'
import hashlib, hmac, subprocess, sys
img, keyfile, uuid = sys.argv[1:]
dump = subprocess.run(["cryptsetup", "luksDump", "--dump-volume-key", "--batch-mode",
                       "--key-file", keyfile, img], check=True, capture_output=True, text=True).stdout
key = bytes.fromhex("".join(dump.split("MK dump:")[1].split()))
print(hmac.new(key, f"cryptsetup:root:{uuid}".encode(), hashlib.sha256).hexdigest())
EOF
)
check "the root partition is LUKS2 and the key opens it (UUID $root_uuid, identity $root_id)" \
	[ -n "$root_id" ]
# What the broker releases: the key with the identity of the volume it is for.
$py -c 'import base64, json, sys
print(json.dumps({"passphrase": base64.b64encode(open(sys.argv[1], "rb").read()).decode(),
                  "volume-key-id": sys.argv[2]}, separators=(",", ":")))' \
	"$vm_work/disk.key" "$root_id" >"$vm_work/resource.json"

# ---- what the UKI holds ---------------------------------------------------------------------
# Its command line and its initrd are what the firmware hands the kernel in the good boot:
# the prediction is made from them, not from what was given to mkosi.
objcopy -O binary --only-section=.cmdline "$uki" "$vm_work/uki.cmdline" &&
	objcopy -O binary --only-section=.initrd "$uki" "$vm_work/uki.initrd" &&
	objcopy -O binary --only-section=.linux "$uki" "$vm_work/uki.linux"
check "the UKI has a command line, an initrd and a kernel (objcopy)" \
	[ -s "$vm_work/uki.cmdline" ] --and [ -s "$vm_work/uki.initrd" ] --and [ -s "$vm_work/uki.linux" ]
cmdline=$(tr -d '\0' <"$vm_work/uki.cmdline" | sed 's/[[:space:]]*$//')
note "the UKI's command line: $cmdline"
# The initrd is mkosi's initrd and its kernel modules' initrd, each a zstd-compressed cpio,
# concatenated with NUL padding between them (which zstd refuses): each frame is found and
# decompressed on its own, then every archive listed.
rm -rf "$vm_work/initrd-root"
mkdir -p "$vm_work/initrd-root"
$py - "$vm_work/uki.initrd" "$vm_work/initrd-root" >"$vm_work/initrd.list" 2>"$vm_work/initrd.err" <<'EOF'
import os, subprocess, sys
data = open(sys.argv[1], "rb").read()
root = sys.argv[2]

def zstd_frame_end(d, pos):
    # RFC 8878, 3.1.1: the frame header, then blocks (3-byte headers), then a checksum.
    fhd = d[pos + 4]
    single = fhd >> 5 & 1
    end = pos + 5 + (0 if single else 1) + (0, 1, 2, 4)[fhd & 3]
    end += (single, 2, 4, 8)[fhd >> 6]
    while True:
        h = int.from_bytes(d[end:end + 3], "little")
        end += 3 + (1 if (h >> 1 & 3) == 1 else h >> 3)
        if h & 1:
            break
    return end + (4 if fhd & 4 else 0)

archives = []
pos = 0
while pos < len(data):
    if data[pos] == 0:
        pos += 1
    elif data[pos:pos + 4] == b"\x28\xb5\x2f\xfd":
        end = zstd_frame_end(data, pos)
        archives.append(subprocess.run(["zstd", "-dcq"], input=data[pos:end], check=True,
                                       stdout=subprocess.PIPE).stdout)
        pos = end
    elif data[pos:pos + 6] == b"070701":
        archives.append(data[pos:])
        break
    else:
        sys.exit(f"{sys.argv[1]}: neither zstd nor cpio at offset {pos}")

# newc: every name is listed; what is under etc/ and usr/sbin/ (what `mrboot predict --root`
# reads) is unpacked: directories, regular files, symbolic links.
for cpio in archives:
    pos = 0
    while pos + 110 <= len(cpio) and cpio[pos:pos + 6] == b"070701":
        f = [int(cpio[pos + 6 + 8 * i:pos + 14 + 8 * i], 16) for i in range(13)]
        mode, size, namesize = f[1], f[6], f[11]
        name = cpio[pos + 110:pos + 110 + namesize - 1].decode()
        body = (pos + 110 + namesize + 3) & ~3
        content = cpio[body:body + size]
        pos = (body + size + 3) & ~3
        if name == "TRAILER!!!":
            break
        print(oct(mode & 0o170000), name)
        name = name.lstrip("./")
        if not name.startswith(("etc/", "usr/sbin/")) or ".." in name.split("/"):
            continue
        path = os.path.join(root, name)
        kind = mode & 0o170000
        if kind == 0o040000:
            os.makedirs(path, exist_ok=True)
        elif kind == 0o100000:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as out:
                out.write(content)
            os.chmod(path, mode & 0o7777)
        elif kind == 0o120000:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if os.path.lexists(path):
                os.unlink(path)
            os.symlink(content.decode(), path)
print(f"# {len(archives)} archives", file=sys.stderr)
EOF
note "the UKI's initrd: $(grep -c . "$vm_work/initrd.list") names in $(sed -n 's/^# \([0-9]*\) archives$/\1/p' "$vm_work/initrd.err") archives"
in_initrd() { # REGEX...: every one matches a name in the UKI's initrd
	for rx in "$@"; do
		grep -Eq -- "$rx" "$vm_work/initrd.list" || return 1
	done
}
check "the UKI's initrd has mrboot (the agent given), its configuration and trust anchor" \
	cmp -s "$mrboot" "$vm_work/initrd-root/usr/sbin/mrboot" \
	--and cmp -s "$vm_work/initrd-root/etc/mrboot.conf" "$cfg/mrboot.root/etc/mrboot.conf" \
	--and in_initrd ' etc/mrboot/kbs-ca.pem$'
check "and mrboot.service, enabled for initrd.target by the preset" \
	in_initrd ' usr/lib/systemd/system/mrboot.service$' ' etc/systemd/system/initrd.target.wants/mrboot.service$'
check "and systemd-networkd-wait-online, systemd-cryptsetup and the gpt-auto generator" \
	in_initrd 'systemd-networkd-wait-online$' 'systemd/systemd-cryptsetup$' 'systemd-gpt-auto-generator$'
check "and the crypttab naming gpt-auto's root, and cryptsetup's command for mrboot" \
	grep -Eq '^root[[:space:]]+/dev/gpt-auto-root-luks[[:space:]]' "$vm_work/initrd-root/etc/crypttab" \
	--and in_initrd ' usr/sbin/cryptsetup$'
check "and the kernel modules configfs, tsm, tdx-guest, sev-guest, dm-crypt, virtio_net" \
	in_initrd '/configfs\.ko' '/tsm\.ko' '/tdx-guest\.ko' '/sev-guest\.ko' '/dm-crypt\.ko' \
	'/virtio_net\.ko'

# ---- the broker's policy, from `mrboot predict` of the image, before any boot ---------------
# In this boot PCR 15 holds only mrboot's events when the key is asked for (mrboot(1): its TPM
# events all go there; the stub measures into PCRs 11 to 13, systemd-cryptsetup into 15 only
# after the key is released). make_policy ROOT CMDLINE OUT: the test broker's policy as
# `mrboot predict --format broker-policy` writes it, with only the root's key to release.
make_policy() {
	"$mrboot" --root "$1" predict --platform tpm:sha256 --cmdline "$2" --json \
		>"$3.prediction" 2>"$3.err" &&
		"$mrboot" --root "$1" predict --platform tpm:sha256 --cmdline "$2" --alone pcr15 \
			--format broker-policy >"$3.predicted" 2>"$3.err" ||
		bail "mrboot predict: $(cat "$3.err")"
	$py - "$3.predicted" >"$3" <<'EOF'
import json, sys
policy = json.load(open(sys.argv[1]))
assert sorted(policy["tees"]["tpm"]["registers"]) == ["pcr15"], policy["tees"]
policy["resources"] = ["default/mrboot/root"]
print(json.dumps(policy))
EOF
}
make_policy "$vm_work/initrd-root" "$cmdline" "$vm_work/policy.json"
predicted() { # REGISTER: its predicted SHA-256 value
	$py -c 'import json, sys
print(json.load(open(sys.argv[1]))["tees"]["tpm"]["registers"][sys.argv[2]])' \
		"$vm_work/policy.json" "$1"
}
check "mrboot predict: the policy's events and PCR 15 ($(predicted pcr15 | cut -c 1-16)...)" \
	[ -s "$vm_work/policy.json" ]
# What mkosi.postoutput left beside the image: the same prediction, made by the agent in the
# UKI's initrd, in mrboot's form and as Trustee's RVPS takes it.
check "mkosi.postoutput left mrboot's reference values beside the image, with PCR 15 as predicted" \
	$py - "$out/mrboot-debian.mrboot-reference.json" "$(predicted pcr15)" <<'EOF'
import json, sys
ref = json.load(open(sys.argv[1]))
assert ref["image"] == "mrboot-debian", ref["image"]
tpm = [p for p in ref["predictions"] if p["platform"] == "tpm"][0]
regs = {r["register"]: r for r in tpm["registers"]}
assert list(regs) == ["pcr15"] and regs["pcr15"]["complete"], regs
assert regs["pcr15"]["value"]["sha256"] == sys.argv[2], (regs, sys.argv[2])
EOF
check "and Trustee's reference values, which its RVPS takes, and its policies" \
	sh -c '"$1" "$2" "$3" | grep -qF "\"pcr15\": \"$4\"" && [ -s "$5/mrboot-attestation.rego" ]' \
	sh "$py" "$src/tests/witness/trustee-rvps.py" "$out/mrboot-debian.rvps.json" \
	"$(predicted pcr15)" "$out"
broker() { # NAME: the broker for boot NAME, its log in $vm_work/NAME.log
	# The broker appends: a kept directory's run must not see the last run's requests.
	rm -f "$vm_work/$1.log"
	kbs_start "$vm_work" "$1" --port "$port" --tee tpm --tpm-ak-tofu \
		--policy "$vm_work/policy.json" --resource "default/mrboot/root=$vm_work/resource.json"
}

# ---- the boots ------------------------------------------------------------------------------
vm_kernel=$vm_work/uki.linux
vm_accel
note "accelerator: $vm_accel ($vm_accel_why)"
vm_uefi=yes
boot_timeout=${MRBOOT_VM_BOOT_TIMEOUT:-420}
marks="--mark stub=EFI.stub: --mark init=Run./init --mark mrboot=mrboot.*step
	--mark prompt=passphrase.for.disk --mark root=MRBOOT-VM:.switch_root.reached
	--mark off=MRBOOT-VM:.powering.off --mark emergency=Entering.emergency.mode"
# boot NAME KERNEL [CMDLINE]: the disk through the firmware, or KERNEL (the UKI) with CMDLINE
# through QEMU's -kernel and -append; the emergency shell, should the boot end there, types
# out what failed.
boot() {
	vm_kernel=$2
	# shellcheck disable=SC2086 # marks are options
	vm_start "$1" "$disk" "" "${3:-}" $marks \
		--reply "Press Enter for maintenance=" \
		--reply "(:/[^ ]*|sh-[0-9.]+)# =systemctl --no-pager --failed; journalctl -b --no-pager -o short-monotonic -p warning | grep -v kernel:"
}
# wait_boot SECONDS: until the guest powers off (0), or asks for the passphrase, ends in the
# emergency shell or takes longer (1); the emergency shell gets 30 s to print its diagnosis.
wait_boot() {
	vm_wait_console 'Entering emergency mode|MRBOOT-VM: powering off|passphrase for disk' "$1"
	if console_has "$vm_name" 'Entering emergency mode'; then
		sleep 30
		return 1
	fi
	console_lacks "$vm_name" 'passphrase for disk' && vm_wait_exit 30
}
# A boot that shows no line of mrboot's is a boot this test cannot explain from its checks:
# where the console stopped, and what QEMU said.
diagnose() { # NAME
	if console_lacks "$1" 'mrboot\[[0-9]+\]'; then
		note "$1: no line of mrboot's on the console; its last lines:"
		console_clean "$1" | tail -n 40 | sed 's/^/#   /'
		sed 's/^/#   qemu: /' "$vm_work/$1.qemu" | tail -n 5
	fi
	if console_has "$1" 'Entering emergency mode'; then
		console_clean "$1" | sed -n '/Entering emergency mode/,$p' | sed 's/^/#   /' | head -n 120
	fi
}
guest() { # NAME KEY: the rest of the line "MRBOOT-VM: KEY ..." that root-init.sh printed
	console_clean "$1" | sed -n "s/^MRBOOT-VM: $2 //p" | head -n 1
}

case " $cases " in *" good "*)
	broker good || bail "$kbs_why"
	boot good ""
	wait_boot "$boot_timeout"
	check "good: the guest powered off by itself within $boot_timeout s" [ $? -eq 0 ]
	vm_stop
	kbs_stop
	diagnose good
	check "good: mrboot ran in mkosi's initrd" console_has good 'mrboot\[[0-9]+\]: step measure'
	console_show good 'mrboot\[[0-9]+\]:' 30
	check "good: the broker saw auth, attest and the resource, each answered 200" \
		$py -c 'import json,sys
log = [json.loads(l) for l in open(sys.argv[1])]
got = [(e["path"], e["status"]) for e in log]
assert got == [("/kbs/v0/auth", 200), ("/kbs/v0/attest", 200),
               ("/kbs/v0/resource/default/mrboot/root", 200)], got' "$vm_work/good.log"
	check "good: no passphrase was asked for" console_lacks good 'passphrase for disk'
	check "good: mrboot checked the volume's identity and opened it itself" \
		console_has good "is the enrolled volume \\(volume key id $root_id\\)"
	check "good: switch_root reached the unlocked root (after $(vm_mark good root) s)" \
		console_has good '^MRBOOT-VM: switch_root reached'
	check "good: the root is /dev/mapper/root, ext4 ($(guest good root))" \
		[ "$(guest good root)" = "/dev/mapper/root ext4" ]
	check "good: the kernel had the UKI's command line" [ "$(guest good cmdline)" = "$cmdline" ]
	check "good: mrboot replay in the real root: the event logs in /run replay to the vTPM" \
		[ "$(guest good 'replay status')" = 0 ]
	console_clean good | sed -n '\|^MRBOOT-VM: begin base64 /run/log/systemd/tpm2-measure.log$|,\|^MRBOOT-VM: end base64|p' |
		sed '1d;$d' | base64 -d >"$vm_work/good.tpm2-measure.log" 2>/dev/null
	# systemd's log replayed here (SHA-256: new = H(old || H(string))) gives the PCRs the
	# guest read; up to mrboot's separator it gives the predicted values, which the broker
	# checked; after it comes mrboot's "volume" event with the root's identity, in PCR 15.
	# (Had systemd-cryptsetup opened the volume, tpm2-measure-pcr=yes would add the identity
	# itself as the digest: allowed too.)
	check "good: systemd's tpm2-measure.log replays to the guest's PCR 12 (untouched) and 15, to the predicted value at mrboot's separator, then the root's identity, as computed here" \
		$py - "$vm_work/good.tpm2-measure.log" "$(guest good 'pcr sha256 12')" \
		"$(guest good 'pcr sha256 15')" "$(printf '0%.0s' $(seq 64))" "$(predicted pcr15)" \
		"$root_uuid" "$root_id" <<'EOF'
import hashlib, json, sys
log, got12, got15, want12, want15, root_uuid, root_id = sys.argv[1:]
records = [json.loads(r) for r in open(log, "rb").read().split(b"\x1e") if r.strip()]
pcrs = {12: bytes(32), 15: bytes(32)}
at_separator = None
bound = False
for r in records:
    d = next(x for x in r["digests"] if x["hashAlg"] == "sha256")["digest"]
    if at_separator is None or r["content"]["eventType"] == "mrboot":
        assert hashlib.sha256(r["content"]["string"].encode()).hexdigest() == d, r
    if at_separator is not None:
        assert r["pcr"] == 15, r
        if r["content"]["eventType"] == "mrboot":
            words = r["content"]["string"].split(" ", 2)
            assert words[:2] == ["mrboot", "volume"], r
            v = json.loads(words[2])
            assert (v["name"], v["uuid"], v["volume-key-id"]) == ("root", root_uuid, root_id), v
            bound = True
        else:
            # systemd measures the volume key's identity, not the string's hash.
            assert r["content"]["eventType"] == "volume-key", r
            assert r["content"]["string"] == f"cryptsetup:root:{root_uuid}", r
            assert d == root_id, (d, root_id)
    pcrs[r["pcr"]] = hashlib.sha256(pcrs[r["pcr"]] + bytes.fromhex(d)).digest()
    if r["content"]["string"].startswith("mrboot separator "):
        at_separator = {p: v.hex() for p, v in pcrs.items()}
assert at_separator == {12: want12, 15: want15}, (at_separator, want12, want15)
assert bound, "no mrboot volume event"
assert {p: v.hex() for p, v in pcrs.items()} == {12: got12.lower(), 15: got15.lower()}, pcrs
EOF
	check "good: nothing of the key is left in /run ($(guest good 'key files left:'))" \
		console_lacks good "$(cat "$vm_work/disk.key")"
	;;
esac

tampered_checks() { # NAME CMDLINE: what a boot the broker refuses for its command line shows
	console_show "$1" 'mrboot\[|PolicyDeny|Failed to start' 20
	check "$1: the kernel had the command line with init=/bin/sh" \
		console_has "$1" "Command line: $2\$"
	check "$1: the broker refused the key (PolicyDeny on the resource)" \
		grep -q '"PolicyDeny"' "$vm_work/$1.log"
	check "$1: the console says why: PolicyDeny, naming kernel-cmdline" \
		console_has "$1" 'PolicyDeny.*kernel-cmdline|kernel-cmdline.*PolicyDeny'
	check "$1: the unit failed visibly" console_has "$1" 'Failed to start.*mrboot'
	check "$1: the disk stayed locked, the root was never reached" \
		console_lacks "$1" 'MRBOOT-VM: switch_root'
}

case " $cases " in *" tampered "*)
	broker tampered || bail "$kbs_why"
	vm_qemu_args="-smbios type=11,value=io.systemd.stub.kernel-cmdline-extra=init=/bin/sh"
	boot tampered ""
	vm_qemu_args=""
	vm_wait_console 'passphrase for disk' "$boot_timeout"
	prompted=$?
	# Time for anything that should not happen to happen.
	sleep 10
	vm_stop
	kbs_stop
	diagnose tampered
	tampered_checks tampered "$cmdline init=/bin/sh"
	check "tampered: systemd-cryptsetup fell back to the passphrase prompt" [ $prompted -eq 0 ]
	;;
esac

case " $cases " in *" loader "*)
	broker loader || bail "$kbs_why"
	boot loader "$uki" "$cmdline init=/bin/sh"
	vm_wait_console 'Failed to start.*mrboot' "$boot_timeout"
	sleep 10
	vm_stop
	kbs_stop
	diagnose loader
	tampered_checks loader "$cmdline init=/bin/sh"
	;;
esac

# ---- timings --------------------------------------------------------------------------------
note "boot times ($vm_accel, from QEMU's start; seconds):"
for c in $all_cases; do
	[ -f "$vm_work/$c.console.marks" ] || continue
	note "  $c: EFI stub $(vm_mark "$c" stub), /init $(vm_mark "$c" init)," \
		"mrboot's first step $(vm_mark "$c" mrboot), passphrase prompt $(vm_mark "$c" prompt)," \
		"root's init $(vm_mark "$c" root)"
done
tap_end
