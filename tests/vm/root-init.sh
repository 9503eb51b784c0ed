#!/bin/busybox sh
# /sbin/init of the boot test's encrypted root file system. systemd in the initrd switched
# root to it, moving /dev, /proc, /sys and /run along: this reports what the test checks
# (on the console, between MRBOOT-VM markers) and powers the guest off.
bb=/bin/busybox
exec >/dev/console 2>&1 </dev/null
echo "MRBOOT-VM: switch_root reached"
echo "MRBOOT-VM: root $($bb awk '$2 == "/" { print $1, $3 }' /proc/mounts | $bb tail -n 1)"
echo "MRBOOT-VM: cmdline $($bb cat /proc/cmdline)"
# mrboot's own check of the event logs in /run against the vTPM.
/usr/bin/mrboot --log-target stderr replay
echo "MRBOOT-VM: replay status $?"
# The live PCRs as the kernel reads them, and the logs, for the test's own replay.
for pcr in 12 15; do
	echo "MRBOOT-VM: pcr sha256 $pcr $($bb cat /sys/class/tpm/tpm0/pcr-sha256/$pcr 2>/dev/null)"
done
for log in /run/log/systemd/tpm2-measure.log /run/log/mrboot/events.jsonseq; do
	echo "MRBOOT-VM: begin base64 $log"
	$bb base64 "$log"
	echo "MRBOOT-VM: end base64 $log"
done
echo "MRBOOT-VM: key files left: $($bb ls -A /run/cryptsetup-keys.d 2>&1)"
# The keyring hand-off's "user" key "cryptsetup", should it have outlived the unlock: every
# key root may view is in /proc/keys (serial flags usage timeout perm uid gid type
# description[: summary]); the lines of that key, or "none".
if keys=$($bb cat /proc/keys 2>&1); then
	echo "MRBOOT-VM: proc keys $(printf '%s\n' "$keys" | $bb grep -c .)"
	left=$(printf '%s\n' "$keys" |
		$bb awk '$8 == "user" && ($9 == "cryptsetup" || $9 == "cryptsetup:")' | $bb tr -s ' \n' ' ;')
	echo "MRBOOT-VM: cryptsetup keys ${left:-none}"
else
	echo "MRBOOT-VM: proc keys unreadable: $keys"
fi
echo "MRBOOT-VM: powering off"
$bb sync
$bb poweroff -f
