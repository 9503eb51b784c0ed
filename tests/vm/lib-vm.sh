# Sourced by the boot tests: a QEMU guest with a swtpm TPM 2.0 (tpm-crb), QEMU user networking
# (the host's loopback is 10.0.2.2 in the guest), a virtio disk and its serial console read by
# console.py into a log file.
#
# vm_accel: sets vm_accel to kvm when /dev/kvm really boots the kernel $vm_kernel (a probe
#   initramfs that only prints a line), else tcg; vm_accel_why says why. MRBOOT_VM_ACCEL=kvm|tcg
#   skips the probe.
# vm_start NAME DISK INITRD CMDLINE [console.py options...]: starts a fresh swtpm in
#   $vm_work/NAME.tpm and the guest; the console goes to $vm_work/NAME.console and the marks
#   console.py takes to $vm_work/NAME.console.marks. The disk is opened with snapshot=on: no
#   boot changes it.
# vm_wait_exit SECONDS: waits for the guest to power off; 1 if it did not within SECONDS.
# vm_wait_console REGEX SECONDS: waits until the console matches REGEX (grep -E); 1 on timeout
#   or when the guest exited without it.
# vm_stop: stops the guest, the console reader and swtpm (each by its pid; bounded).
# vm_mark NAME MARK: the seconds console.py noted for MARK in boot NAME (empty if never seen).
#
# Needs $vm_work (a directory), $vm_kernel, $vm_lib_dir (tests/vm) and /usr/bin/python3.
vm_pid=""
vm_console_pid=""
vm_swtpm_pid=""
vm_memory=${MRBOOT_VM_MEMORY:-1024}

vm_accel() {
	case ${MRBOOT_VM_ACCEL:-auto} in
	kvm | tcg)
		vm_accel=$MRBOOT_VM_ACCEL
		vm_accel_why="MRBOOT_VM_ACCEL=$MRBOOT_VM_ACCEL"
		return 0
		;;
	esac
	vm_accel=tcg
	if [ ! -w /dev/kvm ]; then
		vm_accel_why="no writable /dev/kvm"
		return 0
	fi
	# Nested KVM on some hosts starts QEMU and then fails on the first MSR or instruction it
	# cannot emulate: only a kernel that reaches /init proves it.
	probe=$vm_work/kvm-probe
	mkdir -p "$probe/root/bin"
	cp /bin/busybox "$probe/root/bin/busybox" 2>/dev/null || {
		vm_accel_why="no static /bin/busybox for the KVM probe"
		return 0
	}
	printf '#!/bin/busybox sh\n/bin/busybox echo KVM-PROBE-INIT\n/bin/busybox poweroff -f\n' \
		>"$probe/root/init"
	chmod +x "$probe/root/init"
	(cd "$probe/root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$probe/initrd"
	timeout 30 qemu-system-x86_64 -machine q35,accel=kvm -cpu host -m 512 -smp 1 \
		-display none -vga none -no-reboot -monitor none -serial "file:$probe/console" \
		-kernel "$vm_kernel" -initrd "$probe/initrd" -append "console=ttyS0 panic=-1" \
		>"$probe/qemu.log" 2>&1
	if grep -q KVM-PROBE-INIT "$probe/console" 2>/dev/null; then
		vm_accel=kvm
		vm_accel_why="the probe kernel reached /init under KVM"
	else
		vm_accel_why="KVM did not boot the probe kernel: $(grep -m 1 -i -e error -e fail "$probe/qemu.log" | cut -c 1-160)"
		[ -n "${vm_accel_why##*: }" ] || vm_accel_why="KVM did not boot the probe kernel within 30 s"
	fi
}

vm_cpu() {
	if [ "$vm_accel" = kvm ]; then echo host; else echo max; fi
}

vm_start() {
	vm_name=$1
	disk=$2
	initrd=$3
	cmdline=$4
	shift 4
	tpm=$vm_work/$vm_name.tpm
	rm -rf "$tpm" "$vm_work/$vm_name.console" "$vm_work/$vm_name.console.marks"
	mkdir -p "$tpm"
	# A fresh TPM per boot: PCRs start from zero, as after a power cycle. SeaBIOS sends
	# TPM2_Startup itself.
	swtpm socket --tpm2 --tpmstate dir="$tpm" --ctrl type=unixio,path="$tpm/sock" \
		--flags not-need-init --log file="$tpm/swtpm.log" >"$tpm/swtpm.out" 2>&1 &
	vm_swtpm_pid=$!
	i=0
	while [ ! -S "$tpm/sock" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	serial=$vm_work/$vm_name.serial
	rm -f "$serial"
	# The serial socket waits for console.py before the guest runs: the log misses nothing.
	timeout "${vm_qemu_timeout:-900}" qemu-system-x86_64 \
		-machine "q35,accel=$vm_accel" -cpu "$(vm_cpu)" -smp 2 -m "$vm_memory" \
		-display none -vga none -no-reboot -monitor none \
		-chardev "socket,id=serial0,path=$serial,server=on,wait=on" -serial chardev:serial0 \
		-kernel "$vm_kernel" -initrd "$initrd" -append "$cmdline" \
		-drive "file=$disk,format=raw,if=virtio,snapshot=on" \
		-nic user,model=virtio-net-pci \
		-chardev "socket,id=tpmctrl,path=$tpm/sock" -tpmdev emulator,id=tpm0,chardev=tpmctrl \
		-device tpm-crb,tpmdev=tpm0 \
		>"$vm_work/$vm_name.qemu" 2>&1 &
	vm_pid=$!
	/usr/bin/python3 "$vm_lib_dir/console.py" "$serial" "$vm_work/$vm_name.console" \
		--timeout "${vm_qemu_timeout:-900}" "$@" 2>"$vm_work/$vm_name.console.err" &
	vm_console_pid=$!
}

vm_running() {
	[ -n "$vm_pid" ] && kill -0 "$vm_pid" 2>/dev/null
}

vm_wait_exit() {
	i=0
	while vm_running && [ $i -lt $(($1 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	! vm_running
}

vm_wait_console() {
	i=0
	while [ $i -lt $(($2 * 10)) ]; do
		grep -Eq -- "$1" "$vm_work/$vm_name.console" 2>/dev/null && return 0
		vm_running || break
		sleep 0.1
		i=$((i + 1))
	done
	# The console reader may still be writing the last lines of a guest that just exited.
	sleep 0.5
	grep -Eq -- "$1" "$vm_work/$vm_name.console" 2>/dev/null
}

vm_stop_pid() { # PID: SIGTERM, up to 5 s, then SIGKILL
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
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
