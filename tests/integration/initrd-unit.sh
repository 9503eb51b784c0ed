#!/bin/sh
# TAP: units/mrboot.service as meson configured it: systemd-analyze verify accepts it (with
# ExecStart= pointed at /bin/true, the agent need not be installed), and it has the settings
# the initrd boot depends on (tests/vm/boot.sh boots it).
# Usage: initrd-unit.sh UNIT
set -u
. "$(dirname "$0")/../lib/tap.sh"
unit=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! command -v systemd-analyze >/dev/null 2>&1; then
	skip_all "systemd-analyze is not installed"
fi
check "ExecStart= is the agent's installed path running 'run'" \
	grep -Eq '^ExecStart=/[^ ]*/mrboot run$' "$unit"
sed 's|^ExecStart=[^ ]*/mrboot run$|ExecStart=/bin/true run|' "$unit" >"$tmp/mrboot.service"
SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no "$tmp/mrboot.service" >"$tmp/verify" 2>&1
echo $? >"$tmp/verify.status"
check "systemd-analyze verify: no complaint ($(head -c 300 "$tmp/verify" | tr '\n' ' '))" \
	sh -c '[ "$(cat "$1.status")" = 0 ] && [ ! -s "$1" ]' sh "$tmp/verify"
prop() { # KEY VALUE-WORD: the unit file sets KEY with VALUE-WORD among its values
	sed -n "s/^$1=//p" "$unit" | tr ' ' '\n' | grep -qx -- "$2"
}
check "DefaultDependencies=no: it runs before sysinit.target" prop DefaultDependencies no
check "Type=notify: READY=1 releases systemd-cryptsetup" prop Type notify
check "ordered before and pulling in cryptsetup-pre.target" \
	sh -c 'grep -qx "Before=cryptsetup-pre.target" "$1" && grep -qx "Wants=cryptsetup-pre.target" "$1"' sh "$unit"
check "after the initrd network is online, and pulling it in" \
	sh -c 'grep -qx "After=network-online.target" "$1" && grep -qx "Wants=network-online.target" "$1"' sh "$unit"
check "only in an initrd" prop ConditionPathExists /etc/initrd-release
check "stopped before switching root" prop Conflicts initrd-switch-root.target
check "output to the journal and the console" prop StandardOutput journal+console
check "a start timeout at least [kbs] timeout's default (60 s)" \
	[ "$(sed -n 's/^TimeoutStartSec=//p' "$unit")" -ge 60 ]
check "wanted by initrd.target" prop WantedBy initrd.target
tap_end
