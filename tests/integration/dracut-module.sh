#!/bin/bash
# TAP: dracut/90mrboot/module-setup.sh's decisions without dracut: check() by what is installed
# and configured, depends() by whether the configuration names a broker (read the way the
# agent's configuration reader reads it: sections, comments, quotes, spaces), and the trust
# anchor and measured files install() takes. dracut's own functions are stubs that record.
# Usage: dracut-module.sh SOURCE_ROOT
set -u
. "$(dirname "$0")/../lib/tap.sh"
module=$1/dracut/90mrboot/module-setup.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run ROOT FUNCTION: the module's FUNCTION in a subshell with ROOT as the system, dracut's
# functions stubbed to print what they were asked; prints the output, returns the status.
run() {
	# shellcheck disable=SC2034 # the variables are read by the module
	(
		dracutsysrootdir=""
		MRBOOT_DRACUT_ROOT=$1
		systemdsystemunitdir=/usr/lib/systemd/system
		initdir=$tmp/initdir
		SYSTEMCTL="echo systemctl"
		dinfo() { :; }
		dwarn() { echo "warn: $*"; }
		inst_simple() { echo "inst $2 <- ${1#"$MRBOOT_DRACUT_ROOT"}"; }
		inst_library() { echo "inst_library $2 <- ${1#"$MRBOOT_DRACUT_ROOT"}"; }
		# dracut's own list on a Debian system: the compat paths, then ldconfig's.
		libdirs="/lib /usr/lib /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu"
		instmods() { echo "instmods $*"; }
		# shellcheck disable=SC1090
		. "$module"
		"$2"
	)
}
root() { # NAME CONF-TEXT: a root with the agent and unit, and this configuration (or none)
	r=$tmp/$1
	mkdir -p "$r/usr/sbin" "$r/usr/lib/systemd/system" "$r/etc/mrboot"
	printf '#!/bin/sh\n' >"$r/usr/sbin/mrboot"
	chmod +x "$r/usr/sbin/mrboot"
	: >"$r/usr/lib/systemd/system/mrboot.service"
	[ "$2" = none ] || printf '%s\n' "$2" >"$r/etc/mrboot.conf"
	echo "$r"
}

r=$(root noconf none)
run "$r" check >/dev/null
check "check: installed but not configured: only on request (255)" [ $? -eq 255 ]
r=$(root conf '[kbs]
url = https://kbs.example')
run "$r" check >/dev/null
check "check: configured: in every initrd (0)" [ $? -eq 0 ]
rm "$r/usr/sbin/mrboot"
run "$r" check >/dev/null
check "check: no agent: never (1)" [ $? -eq 1 ]

r=$(root url '[kbs]
url = https://kbs.example')
check "depends: a broker URL pulls in network, systemd and crypt" \
	[ "$(run "$r" depends)" = "systemd crypt network" ]
r=$(root nourl '[measure]
cmdline = yes')
check "depends: no broker: systemd and crypt only" [ "$(run "$r" depends)" = "systemd crypt" ]
r=$(root other-section '[unlock]
url = https://not-a-broker.example
[kbs]
timeout = 5')
check "depends: url in another section is not a broker" [ "$(run "$r" depends)" = "systemd crypt" ]
r=$(root commented '[kbs]
# url = https://kbs.example
; url = https://kbs.example')
check "depends: commented-out url is not a broker" [ "$(run "$r" depends)" = "systemd crypt" ]
r=$(root spaced '  [kbs]  
	url=https://kbs.example')
check "depends: spaces around the section and key" [ "$(run "$r" depends)" = "systemd crypt network" ]

r=$(root anchor '[kbs]
url = https://kbs.example
ca-file = "/etc/ssl/kbs root.pem"
[measure]
file = /etc/machine-info
file = /etc/absent')
mkdir -p "$r/etc/ssl"
: >"$r/etc/ssl/kbs root.pem"
: >"$r/etc/machine-info"
run "$r" install >"$tmp/install.out"
check "install: the agent where the unit expects it" grep -qx 'inst /usr/sbin/mrboot <- /usr/sbin/mrboot' "$tmp/install.out"
check "install: the unit, enabled in the initrd" \
	sh -c 'grep -q "^inst /usr/lib/systemd/system/mrboot.service" "$1" &&
		grep -q "^systemctl -q --root .* enable mrboot.service" "$1"' sh "$tmp/install.out"
check "install: [kbs] ca-file, quoted, with a space" grep -qx 'inst /etc/ssl/kbs root.pem <- /etc/ssl/kbs root.pem' "$tmp/install.out"
check "install: the configuration" grep -qx 'inst /etc/mrboot.conf <- /etc/mrboot.conf' "$tmp/install.out"
check "install: a [measure] file that exists" grep -qx 'inst /etc/machine-info <- /etc/machine-info' "$tmp/install.out"
check "install: one that does not: a warning, not a failure" grep -q '^warn: .*/etc/absent' "$tmp/install.out"
check "install: no token plugin in a root without one" \
	sh -c '! grep -q "cryptsetup-token" "$1"' sh "$tmp/install.out"
# A glibc build's `meson install` puts the plugin in LIBDIR/cryptsetup, libcryptsetup's one
# plugin directory: the initrd gets it at the same path, its libraries resolved by dracut.
plugin=/usr/lib/x86_64-linux-gnu/cryptsetup/libcryptsetup-token-mrboot.so
mkdir -p "$r${plugin%/*}"
: >"$r$plugin"
run "$r" install >"$tmp/install-plugin.out"
check "install: the token plugin where the root has it, with its libraries" \
	grep -qx "inst_library $plugin <- $plugin" "$tmp/install-plugin.out"
run "$r" installkernel >"$tmp/kernel.out"
check "installkernel: configfs, tsm and tsm_report, the providers, dm-crypt, dm-verity" \
	grep -qx 'instmods configfs tsm tsm_report tdx_guest sev_guest arm_cca_guest dm_crypt dm_verity' "$tmp/kernel.out"
tap_end
