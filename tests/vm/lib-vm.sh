# Sourced by the boot tests: a QEMU guest with a swtpm TPM 2.0 (tpm-crb), QEMU user networking
# (the host's loopback is 10.0.2.2 in the guest), a virtio disk and its serial console read by
# console.py into a log file. With vm_arch=aarch64 the guest is qemu-system-aarch64 -M virt
# -cpu max with UEFI firmware (qemu-efi-aarch64) that loads -kernel, the TPM a tpm-tis-device
# (in the ACPI tables and the device tree QEMU makes), the console its PL011.
#
# vm_accel: sets vm_accel to kvm when /dev/kvm really boots the kernel $vm_kernel (a probe
#   initramfs that only prints a line), else tcg; vm_accel_why says why. MRBOOT_VM_ACCEL=kvm|tcg
#   skips the probe; a guest of another architecture than this machine's is always tcg.
# vm_start NAME DISK INITRD CMDLINE [console.py options...]: starts a fresh swtpm in
#   $vm_work/NAME.tpm and the guest; the console goes to $vm_work/NAME.console and the marks
#   console.py takes to $vm_work/NAME.console.marks. The disk is opened with snapshot=on: no
#   boot changes it. An empty INITRD passes none; an empty $vm_kernel boots the disk through
#   the firmware (CMDLINE unused). vm_uefi=yes gives an x86-64 guest UEFI firmware (OVMF,
#   fresh variables each boot) instead of SeaBIOS; vm_qemu_args, more QEMU options (words).
# vm_wait_exit SECONDS: waits for the guest to power off; 1 if it did not within SECONDS.
# vm_wait_console REGEX SECONDS: waits until the console matches REGEX (grep -E); 1 on timeout
#   or when the guest exited without it.
# vm_stop: stops the guest, the console reader and swtpm (each by its pid; bounded).
# vm_mark NAME MARK: the seconds console.py noted for MARK in boot NAME (empty if never seen).
#
# Needs $vm_work (a directory), $vm_kernel, $vm_lib_dir (tests/vm) and /usr/bin/python3;
# $vm_arch (x86_64, the default, or aarch64) is the guest's architecture; vm_firmware is the
# aarch64 guest's UEFI firmware.
# shellcheck disable=SC2154 # vm_work, vm_kernel and vm_lib_dir are the caller's
vm_pid=""
vm_console_pid=""
vm_swtpm_pid=""
vm_memory=${MRBOOT_VM_MEMORY:-1024}
vm_firmware=/usr/share/qemu-efi-aarch64/QEMU_EFI.fd
vm_ovmf_code=/usr/share/OVMF/OVMF_CODE_4M.fd
vm_ovmf_vars=/usr/share/OVMF/OVMF_VARS_4M.fd

vm_accel() {
	case ${MRBOOT_VM_ACCEL:-auto} in
	kvm | tcg)
		vm_accel=$MRBOOT_VM_ACCEL
		vm_accel_why="MRBOOT_VM_ACCEL=$MRBOOT_VM_ACCEL"
		return 0
		;;
	esac
	vm_accel=tcg
	if [ "${vm_arch:-x86_64}" != "$(uname -m)" ]; then
		vm_accel_why="an ${vm_arch:-x86_64} guest on an $(uname -m) machine"
		return 0
	fi
	if [ ! -w /dev/kvm ]; then
		vm_accel_why="no writable /dev/kvm"
		return 0
	fi
	# Nested KVM on some hosts starts QEMU and then fails on the first MSR or instruction it
	# cannot emulate: only a kernel that reaches /init proves it.
	vm_probe=$vm_work/kvm-probe
	mkdir -p "$vm_probe/root/bin"
	cp /bin/busybox "$vm_probe/root/bin/busybox" 2>/dev/null || {
		vm_accel_why="no static /bin/busybox for the KVM probe"
		return 0
	}
	printf '#!/bin/busybox sh\n/bin/busybox echo KVM-PROBE-INIT\n/bin/busybox poweroff -f\n' \
		>"$vm_probe/root/init"
	chmod +x "$vm_probe/root/init"
	(cd "$vm_probe/root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$vm_probe/initrd"
	timeout 30 qemu-system-x86_64 -machine q35,accel=kvm -cpu host -m 512 -smp 1 \
		-display none -vga none -no-reboot -monitor none -serial "file:$vm_probe/console" \
		-kernel "$vm_kernel" -initrd "$vm_probe/initrd" -append "console=ttyS0 panic=-1" \
		>"$vm_probe/qemu.log" 2>&1
	if grep -q KVM-PROBE-INIT "$vm_probe/console" 2>/dev/null; then
		vm_accel=kvm
		vm_accel_why="the probe kernel reached /init under KVM"
	else
		vm_accel_why="KVM did not boot the probe kernel: $(grep -m 1 -i -e error -e fail "$vm_probe/qemu.log" | cut -c 1-160)"
		[ -n "${vm_accel_why##*: }" ] || vm_accel_why="KVM did not boot the probe kernel within 30 s"
	fi
}

# Under TCG an arm64 "max" CPU signs pointers with QARMA5, emulated at great cost on every
# call and return of a kernel built with pointer authentication; QEMU's own cheaper algorithm
# (pauth-impdef) keeps the feature and boots about three times faster.
vm_cpu() {
	if [ "$vm_accel" = kvm ]; then
		echo host
	elif [ "${vm_arch:-x86_64}" = aarch64 ]; then
		echo max,pauth-impdef=on
	else
		echo max
	fi
}

vm_start() {
	# Every variable here is vm_-prefixed: a POSIX shell has no locals, and the caller's
	# names (cmdline, disk, ...) must survive.
	vm_name=$1
	vm_disk=$2
	vm_initrd=$3
	vm_cmdline=$4
	shift 4
	vm_tpm=$vm_work/$vm_name.tpm
	rm -rf "$vm_tpm" "$vm_work/$vm_name.console" "$vm_work/$vm_name.console.marks" \
		"$vm_work/$vm_name.qemu"
	mkdir -p "$vm_tpm"
	# A fresh TPM per boot: PCRs start from zero, as after a power cycle. The firmware
	# (SeaBIOS, or UEFI on aarch64) sends TPM2_Startup itself.
	swtpm socket --tpm2 --tpmstate dir="$vm_tpm" --ctrl type=unixio,path="$vm_tpm/sock" \
		--flags not-need-init --log file="$vm_tpm/swtpm.log" >"$vm_tpm/swtpm.out" 2>&1 &
	vm_swtpm_pid=$!
	# QEMU gives up at once on a TPM whose socket is not there yet, and the guest then never
	# runs: under load swtpm has been seen to take seconds. Up to 30 s, and a failure said
	# where boot_end_show (boot.sh) looks: the QEMU log.
	vm_i=0
	while [ ! -S "$vm_tpm/sock" ] && [ $vm_i -lt 300 ]; do
		sleep 0.1
		vm_i=$((vm_i + 1))
	done
	[ -S "$vm_tpm/sock" ] ||
		echo "lib-vm: swtpm made no control socket in 30 s: $(tail -c 300 "$vm_tpm/swtpm.out" 2>/dev/null)" \
			>"$vm_work/$vm_name.qemu"
	vm_serial=$vm_work/$vm_name.serial
	rm -f "$vm_serial"
	case ${vm_arch:-x86_64} in
	aarch64)
		# UEFI, as arm64 virtual machines boot: it measures into PCRs 0 to 7 and leaves an
		# event log, as SeaBIOS does on x86-64, and costs about 2 s under TCG.
		vm_qemu=qemu-system-aarch64
		vm_machine="-machine virt,accel=$vm_accel -bios $vm_firmware"
		vm_tpm_device=tpm-tis-device
		;;
	*)
		vm_qemu=qemu-system-x86_64
		vm_machine="-machine q35,accel=$vm_accel -vga none"
		vm_tpm_device=tpm-crb
		if [ "${vm_uefi:-no}" = yes ]; then
			# The variables as a new machine has them: no boot entry or setting survives.
			cp "$vm_ovmf_vars" "$vm_tpm/efivars.fd"
			vm_machine="$vm_machine -drive if=pflash,format=raw,unit=0,readonly=on,file=$vm_ovmf_code
				-drive if=pflash,format=raw,unit=1,file=$vm_tpm/efivars.fd"
		fi
		;;
	esac
	# The serial socket waits for console.py before the guest runs: the log misses nothing.
	# The subshell's exec keeps vm_pid the pid of timeout, which stops QEMU.
	# shellcheck disable=SC2086 # vm_machine and vm_qemu_args are words
	(
		set --
		[ -z "${vm_kernel:-}" ] || set -- -kernel "$vm_kernel" -append "$vm_cmdline"
		[ -z "$vm_initrd" ] || set -- "$@" -initrd "$vm_initrd"
		exec timeout "${vm_qemu_timeout:-900}" "$vm_qemu" \
			$vm_machine -cpu "$(vm_cpu)" -smp 2 -m "$vm_memory" \
			-display none -no-reboot -monitor none \
			-chardev "socket,id=serial0,path=$vm_serial,server=on,wait=on" -serial chardev:serial0 \
			"$@" \
			-drive "file=$vm_disk,format=raw,if=virtio,snapshot=on" \
			-nic user,model=virtio-net-pci \
			-chardev "socket,id=tpmctrl,path=$vm_tpm/sock" -tpmdev emulator,id=tpm0,chardev=tpmctrl \
			-device "$vm_tpm_device,tpmdev=tpm0" ${vm_qemu_args:-} \
			>>"$vm_work/$vm_name.qemu" 2>&1
	) &
	vm_pid=$!
	/usr/bin/python3 "$vm_lib_dir/console.py" "$vm_serial" "$vm_work/$vm_name.console" \
		--timeout "${vm_qemu_timeout:-900}" "$@" 2>"$vm_work/$vm_name.console.err" &
	vm_console_pid=$!
}

vm_running() {
	[ -n "$vm_pid" ] && kill -0 "$vm_pid" 2>/dev/null
}

vm_wait_exit() {
	vm_i=0
	while vm_running && [ $vm_i -lt $(($1 * 10)) ]; do
		sleep 0.1
		vm_i=$((vm_i + 1))
	done
	! vm_running
}

vm_wait_console() {
	vm_i=0
	while [ $vm_i -lt $(($2 * 10)) ]; do
		grep -Eq -- "$1" "$vm_work/$vm_name.console" 2>/dev/null && return 0
		vm_running || break
		sleep 0.1
		vm_i=$((vm_i + 1))
	done
	# The console reader may still be writing the last lines of a guest that just exited.
	sleep 0.5
	grep -Eq -- "$1" "$vm_work/$vm_name.console" 2>/dev/null
}

vm_stop_pid() { # PID: SIGTERM, up to 5 s, then SIGKILL
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null
	vm_i=0
	while kill -0 "$1" 2>/dev/null && [ $vm_i -lt 50 ]; do
		sleep 0.1
		vm_i=$((vm_i + 1))
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

vm_stop() {
	vm_stop_pid "$vm_pid"
	vm_pid=""
	vm_stop_pid "$vm_console_pid"
	vm_console_pid=""
	vm_stop_pid "$vm_swtpm_pid"
	vm_swtpm_pid=""
}

vm_mark() {
	awk -v m="$2" '$1 == m { print $2; exit }' "$vm_work/$1.console.marks" 2>/dev/null
}
