#!/bin/sh
# The host tour (scripts/demo host): the static agent run on example system trees, the way it
# runs in the initramfs: configuration, detection on a TDX guest's kernel interfaces (fixture
# tree and configfs-tsm emulator), measurement into RTMR2 and into a real TPM (swtpm), replay.
# Usage: tests/demo-host.sh MRBOOT
set -eu
mrboot=$1
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

echo "== an example system tree: $root"
mkdir -p "$root/etc" "$root/proc"
cat >"$root/etc/mrboot.conf" <<'CONF'
[general]
log-level = notice
CONF
echo "BOOT_IMAGE=/vmlinuz root=/dev/vda2 ro mrboot.general.log-level=debug" >"$root/proc/cmdline"
echo "/etc/mrboot.conf:"
sed 's/^/    /' "$root/etc/mrboot.conf"
echo "/proc/cmdline: $(cat "$root/proc/cmdline")"

echo "== mrboot --root $root config   (the kernel command line overrides the file)"
"$mrboot" --root "$root" config

# Detection on an Intel TDX guest's kernel interfaces: the fixture tree has the tsm-mr
# registers with the kernel's paths and modes, and configfs-tsm is played by a FUSE
# emulator (this host has neither), so the agent walks the same paths as in a real guest.
tdx=$(mktemp -d)
trap 'tsm_stop; rm -rf "$root" "$tdx"' EXIT
python3 tests/fixtures/mktree.py tests/fixtures/tdx.spec "$tdx"
tests_dir=$top/tests
. tests/lib/configfs-tsm.sh
if tsm_start "$tdx" tdx_guest "$tdx.log"; then
	echo "== mrboot --root $tdx detect   (a TDX guest: fixture tree + configfs-tsm emulator)"
else
	echo "== mrboot --root $tdx detect   (a TDX guest: fixture tree; configfs-tsm: $tsm_why)"
fi
"$mrboot" --root "$tdx" detect
tsm_stop

echo "== mrboot --root $tdx measure   (into the TDX fixture's RTMR2, logged ahead)"
echo "BOOT_IMAGE=/vmlinuz-7.2.13-amd64 root=/dev/mapper/root ro roothash=$(printf '5a%.0s' $(seq 32))" \
	>"$tdx/proc/cmdline"
"$mrboot" --root "$tdx" measure

# A real TPM 2.0 (swtpm): the PCRs really extend, so replay and tpm2-tools can check them.
. tests/lib/swtpm.sh
tpmroot=$(mktemp -d)
trap 'tsm_stop; swtpm_stop; rm -rf "$root" "$tdx" "$tpmroot"' EXIT
mkdir -p "$tpmroot/etc" "$tpmroot/proc" "$tpmroot/swtpm"
if swtpm_start "$tpmroot/swtpm"; then
	printf '[tpm]\nsocket = %s\n' "$swtpm_sock" >"$tpmroot/etc/mrboot.conf"
	cp "$tdx/proc/cmdline" "$tpmroot/proc/cmdline"
	echo "== mrboot --root $tpmroot measure   (into a TPM 2.0: swtpm, every allocated bank)"
	"$mrboot" --root "$tpmroot" measure
	echo "== mrboot --root $tpmroot replay   (the logs against the live PCRs)"
	"$mrboot" --root "$tpmroot" replay
	echo "== tpm2_pcrread sha256:12,15   (tpm2-tools reading the same PCRs)"
	TPM2TOOLS_TCTI=$swtpm_tcti tpm2_pcrread sha256:12,15
	swtpm_stop
else
	echo "== TPM measurement skipped: $swtpm_why"
fi

echo "== mrboot detect   (this machine)"
"$mrboot" detect || true
