#!/bin/sh
# TAP: the host's attacks on what mrboot reads, each tried as a host would try it
# (doc/trust-model.md). The kernel command line is the host's: it may not weaken what is
# measured or trusted, and a parameter it sets cannot hide itself from the measurement. The
# configuration that is measured is the one that was parsed. A TPM cannot stand in for a
# confidential platform that is there.
# Usage: trust-boundary.sh MRBOOT FIXTURES_DIR
set -u
mrboot=$1
fixtures=$2
tests_dir=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
. "$tests_dir/lib/tap.sh"
. "$tests_dir/lib/swtpm.sh"
trap 'swtpm_stop; rm -rf "$tmp"' EXIT

run() { # ROOT ARGS...: mrboot into $tmp/out, $tmp/err, $status
	r=$1
	shift
	"$mrboot" --root "$r" "$@" >"$tmp/out" 2>"$tmp/err"
	status=$?
}
has() { grep -q -e "$2" "$tmp/$1"; }
pcrread() { # ALG PCR: the PCR as tpm2-tools reads it, lowercase hex
	TPM2TOOLS_TCTI=$swtpm_tcti tpm2_pcrread "$1:$2" 2>/dev/null |
		sed -n 's/^ *[0-9]*: 0x//p' | tr 'A-F' 'a-f'
}
# The operations of the committed records in mrboot's log, one a line, in order.
operations() {
	python3 - "$1" <<'PY'
import json, sys
recs, state = [], {}
for chunk in open(sys.argv[1], "rb").read().split(b"\x1e")[1:]:
    r = json.loads(chunk)
    if r["state"] == "pending":
        recs.append(r)
    else:
        state[r["seq"]] = r["state"]
for r in recs:
    if state.get(r["seq"]) == "committed":
        print(r["operation"], r["content"])
PY
}

zero64=$(printf '0%.0s' $(seq 64))
root=$tmp/root
log=$root/run/log/mrboot/events.jsonseq
mkdir -p "$root/etc" "$root/proc" "$tmp/tpm"
# ---- 3. no downgrade: a TPM never stands in for a confidential platform -----------------
# fixture NAME SPEC_LINES...: a tree from tests/fixtures' specs plus the lines given.
fixture() {
	name=$1
	shift
	printf '%s\n' "$@" >"$tmp/$name.spec"
	python3 "$fixtures/mktree.py" "$tmp/$name.spec" "$tmp/$name" || exit 1
}
tdx_flag='file /proc/cpuinfo 0444 text:processor\t: 0\nflags\t\t: fpu tsc msr hypervisor tdx_guest\n'
fixture tdx-tpm "include $fixtures/tpm.spec" "$tdx_flag" \
	'file /proc/cmdline 0444 text:root=/dev/vda2 modprobe.blacklist=floppy,tdx-guest\n'
run "$tmp/tdx-tpm" detect
check "TDX with its provider kept out and a TPM: detect says tdx" has out '^platform: *tdx$'
check "and that the TPM is not used" has out 'the TPM at /dev/tpmrm0 is not used'
run "$tmp/tdx-tpm" measure
check "measure refuses (exit 1) rather than measure into the TPM" [ "$status" -eq 1 ]
check "naming the platform, what is missing and that the TPM does not stand in" \
	has err 'platform tdx (cpu flag tdx_guest), but no tsm-mr measurement registers.*the TPM never stands in'
check "and the host's blacklist parameter" has err 'the kernel command line has modprobe.blacklist=floppy,tdx-guest'
check "nothing was logged" [ ! -e "$tmp/tdx-tpm/run/log/mrboot/events.jsonseq" ]
printf '[kbs]\nurl = https://127.0.0.1:9/\ntimeout = 1\n' >"$tmp/tdx-tpm/etc/mrboot.conf"
run "$tmp/tdx-tpm" attest
check "attest refuses too, without asking a broker" \
	eval '[ "$status" -ne 0 ] && ! has err "127.0.0.1" && has err "platform tdx"'

snp_tpm() { # NAME MODALIAS: an SEV-SNP guest with a TPM whose device has that modalias
	fixture "$1" "include $fixtures/tpm.spec" "include $fixtures/sev-snp.spec" \
		'dir  /sys/class/tpm/tpm0/device 0755' \
		"file /sys/class/tpm/tpm0/device/modalias 0444 text:$2\\n"
}
snp_tpm snp-host-tpm "acpi:MSFT0101:"
run "$tmp/snp-host-tpm" measure
check "SEV-SNP with a TPM that is not the SVSM's: events are logged only" \
	eval '[ "$status" -eq 0 ] && has err "logged .* events (no register on this platform)"'
check "saying why the TPM is not used" has err "the TPM here is not the SVSM's"
snp_tpm snp-svsm "platform:tpm-svsm"
run "$tmp/snp-svsm" measure
check "SEV-SNP with the SVSM's vTPM measures into that TPM" \
	eval '! has err "logged .* events" && has err "TPM"'

if ! swtpm_start "$tmp/tpm"; then
	skip "the command-line attacks against a TPM: $swtpm_why"
	tap_end
fi

# ---- 1. the kernel command line may not weaken anything --------------------------------
printf '[tpm]\nsocket = %s\n' "$swtpm_sock" >"$root/etc/mrboot.conf"
attack='mrboot.measure.cmdline=no mrboot.measure.pcr-config=23 mrboot.kbs.tee=sample mrboot.kbs.insecure=yes mrboot.kbs.url=http://127.0.0.1:9/ mrboot.unlock.key-dir=/dev/shm'
echo "BOOT_IMAGE=/vmlinuz root=/dev/vda2 ro $attack" >"$root/proc/cmdline"
run "$root" config
check "config: the host's overrides are a configuration error (exit 3)" [ "$status" -eq 3 ]
check "config: the first refused parameter is named, with the reason" \
	has err 'mrboot.measure.cmdline= may not be set here: the host controls the kernel command line'
check "config: nothing is printed as the effective configuration" [ ! -s "$tmp/out" ]
run "$root" measure
check "measure: refused with exit 3" [ "$status" -eq 3 ]
check "measure: nothing was logged" [ ! -s "$log" ]
check "measure: PCR 12 was not extended" [ "$(pcrread sha256 12)" = "$zero64" ]

for p in measure.cmdline=no measure.config=no measure.file=/etc/other measure.rootfs=none \
	measure.rootfs-device=/dev/vdb measure.roothash="$zero64" measure.pcr-cmdline=23 \
	measure.pcr-config=23 measure.pcr-rootfs=23 measure.pcr-separator=23 \
	tpm.device=/dev/host-tpm tpm.socket=/tmp/host.sock kbs.url=https://evil.example/ \
	kbs.ca-file=/tmp/evil.pem kbs.insecure=yes kbs.tee=sample kbs.resource=other/key/x \
	unlock.volume=other unlock.handoff=file unlock.keyring=yes unlock.key-dir=/dev/shm \
	unlock.volume-identity=optional; do
	echo "root=/dev/vda2 mrboot.$p" >"$root/proc/cmdline"
	run "$root" config
	check "mrboot.$p is refused (exit 3), named" \
		eval '[ "$status" -eq 3 ] && has err "mrboot.${p%%=*}= may not be set here"'
done

echo "root=/dev/vda2 mrboot.general.log-level=debug mrboot.kbs.timeout=5 mrboot.unlock.timeout=9" \
	>"$root/proc/cmdline"
run "$root" config
check "the log level and the timeouts may be set without an allow-list" \
	eval '[ "$status" -eq 0 ] && has out "^timeout = 5$" && has out "^timeout = 9$"'

# The allow-list: the image's owner may give the host a key, never the allow-list itself.
printf '[general]\ncmdline-overrides = kbs.url\n[measure]\ncmdline = no\n[tpm]\nsocket = %s\n' \
	"$swtpm_sock" >"$root/etc/mrboot.conf"
echo "root=/dev/vda2 mrboot.kbs.url=https://kbs.example:8080/" >"$root/proc/cmdline"
run "$root" config
check "a key the allow-list names may be set" has out '^url = https://kbs.example:8080/$'
echo "root=/dev/vda2 mrboot.general.cmdline-overrides=kbs.tee mrboot.kbs.tee=sample" \
	>"$root/proc/cmdline"
run "$root" config
check "the allow-list cannot be set from the command line (exit 3)" \
	eval '[ "$status" -eq 3 ] && has err "mrboot.general.cmdline-overrides= may not be set"'
printf '[general]\ncmdline-overrides = kbs.urls\n' >"$root/etc/mrboot.conf"
echo "root=/dev/vda2" >"$root/proc/cmdline"
run "$root" config
check "an allow-list naming no key is a configuration error, named" \
	eval '[ "$status" -eq 3 ] && has err "cmdline-overrides: kbs.urls is not a key"'

# An allowed parameter cannot hide itself: [measure] cmdline = no is overruled.
printf '[general]\ncmdline-overrides = kbs.url\n[measure]\ncmdline = no\n[tpm]\nsocket = %s\n' \
	"$swtpm_sock" >"$root/etc/mrboot.conf"
echo "root=/dev/vda2 mrboot.kbs.url=https://kbs.example:8080/" >"$root/proc/cmdline"
run "$root" measure
operations "$log" >"$tmp/ops"
check "measure with an applied parameter succeeds" [ "$status" -eq 0 ]
check "its first event is the kernel command line, parameter included" \
	eval 'head -n 1 "$tmp/ops" | grep -q "^kernel-cmdline .*mrboot.kbs.url=https://kbs.example:8080/"'
check "the notice says why the command line was measured" has err 'so it is measured although \[measure\] cmdline = no'

# ---- 9. one read: the configuration measured is the one parsed --------------------------
rm -rf "$root/run"
swtpm_stop
if ! swtpm_start "$tmp/tpm"; then
	skip "one read of the configuration: $swtpm_why"
elif ! command -v strace >/dev/null 2>&1; then
	skip "one read of the configuration: strace is not installed"
else
	printf '[tpm]\nsocket = %s\n' "$swtpm_sock" >"$root/etc/mrboot.conf"
	echo "root=/dev/vda2" >"$root/proc/cmdline"
	# LeakSanitizer cannot run under ptrace: in a sanitized build, leaks are not this case's.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -e trace=open,openat -o "$tmp/strace" "$mrboot" --root "$root" measure \
		>"$tmp/out" 2>"$tmp/err"
	status=$?
	opens=$(grep -c 'etc/mrboot.conf"' "$tmp/strace")
	want=$(sha256sum "$root/etc/mrboot.conf" | cut -c1-64)
	check "measure opens the configuration once (strace: $opens)" [ "$opens" -eq 1 ]
	check "and its config event is the SHA-256 of those bytes (sha256sum)" \
		eval 'operations "$log" | grep -q "^config .*\"sha256\":\"$want\""'
fi

tap_end
