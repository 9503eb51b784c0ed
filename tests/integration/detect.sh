#!/bin/sh
# TAP: `mrboot detect` on the fixture tree of every platform (tests/fixtures/*.spec, laid out
# with the kernel's paths and modes): the platform, how it was found, every register with its
# hash algorithm and writability, the TPM banks, and the notes a person must read.
# Usage: detect.sh MRBOOT FIXTURES_DIR
set -u
mrboot=$1
fixtures=$2
tmp=$(mktemp -d)
tests_dir=$(cd "$(dirname "$0")/.." && pwd)
. "$tests_dir/lib/tap.sh"
. "$tests_dir/lib/configfs-tsm.sh"
trap 'tsm_stop; rm -rf "$tmp"' EXIT

tree() { # SPEC: builds the tree once, prints its root
	if [ ! -d "$tmp/$1" ]; then
		mkdir "$tmp/$1"
		python3 "$fixtures/mktree.py" "$fixtures/$1.spec" "$tmp/$1" || exit 1
	fi
	echo "$tmp/$1"
}
detect() { # SPEC: runs detect on it into $out, status into $status
	"$mrboot" --root "$(tree "$1")" detect >"$tmp/out" 2>"$tmp/err"
	status=$?
	out=$(cat "$tmp/out")
}
expect() { # DESCRIPTION REGEX: a line of the last output matches
	if printf '%s\n' "$out" | grep -q -E -e "$2"; then
		ok "$1"
	else
		not_ok "$1"
		printf '%s\n' "$out" "--- stderr:" "$(cat "$tmp/err")" | sed 's/^/# /'
	fi
}
status_is() { # DESCRIPTION N: the last command's exit status
	if [ "$status" -eq "$2" ]; then
		ok "$1"
	else
		not_ok "$1 (exit status $status)"
		sed 's/^/# /' "$tmp/err"
	fi
}
refuse() { # DESCRIPTION REGEX: no line of the last output matches
	if printf '%s\n' "$out" | grep -q -E -e "$2"; then
		not_ok "$1"
		printf '%s\n' "$out" | sed 's/^/# /'
	else
		ok "$1"
	fi
}

detect tdx
status_is "tdx: detect exits 0" 0
expect "tdx: platform tdx" "^platform: +tdx$"
expect "tdx: found through the tsm-mr group" "^detected by: +tsm-mr measurements /sys/devices/virtual/misc/tdx_guest/measurements$"
expect "tdx: and the tdx_guest cpu flag" "^ +cpu flag tdx_guest$"
for i in 0 1 2 3; do
	expect "tdx: rtmr$i is a SHA-384 extensible register at CC index $((i + 1))" "^  rtmr$i +sha384 +extensible \(CC index $((i + 1))\)$"
done
expect "tdx: mrtd is SHA-384 and read-only" "^  mrtd +sha384 +read-only$"
for r in mrconfigid mrowner mrownerconfig; do
	expect "tdx: $r has no hash algorithm and is read-only" "^  $r +- +read-only$"
done
expect "tdx: no TPM" "^tpm: +none$"
expect "tdx: modules are not loaded into the host for a fixture root" "^modules: +not loaded \(--root"
refuse "tdx: no conflict or warning notes" "^note:"

for alg in sha256 sha512; do
	detect "cca-$alg"
	expect "cca-$alg: platform cca" "^platform: +cca$"
	expect "cca-$alg: found through the proposed arm_cca_guest group" "^detected by: +tsm-mr measurements /sys/devices/virtual/misc/arm_cca_guest/measurements$"
	expect "cca-$alg: and the arm-cca-dev platform device" "/sys/devices/platform/arm-cca-dev$"
	expect "cca-$alg: the RIM is read-only" "^  rim +$alg +read-only$"
	for i in 0 1 2 3; do
		expect "cca-$alg: rem$i is an extensible $alg register at CC index $((i + 1))" "^  rem$i +$alg +extensible \(CC index $((i + 1))\)$"
	done
done

detect sev-snp
expect "sev-snp: platform sev-snp" "^platform: +sev-snp$"
expect "sev-snp: found through the sev-guest device" "/sys/devices/platform/sev-guest$"
expect "sev-snp: and the VMPL attribute" "/sys/devices/system/cpu/sev/vmpl$"
expect "sev-snp: no registers" "^registers: +none$"
expect "sev-snp: says plainly that measurements are not attestable" "^note: SEV-SNP has no extensible register and there is no SVSM vTPM.*not attestable"

detect s390-pv
expect "s390-pv: platform s390-pv" "^platform: +s390-pv$"
expect "s390-pv: found through prot_virt_guest" "/sys/firmware/uv/prot_virt_guest$"

detect tpm
expect "tpm: platform tpm" "^platform: +tpm$"
expect "tpm: a TPM 2.0 with the sha1 and sha256 banks" "^tpm: +/dev/tpmrm0, TPM 2.0, banks sha1 sha256$"
refuse "tpm: no note" "^note:"

detect none
status_is "none: finding nothing is not an error (exit 0)" 0
expect "none: platform none" "^platform: +none$"
expect "none: says plainly that nothing can be measured" "^note: no confidential platform and no TPM"

# --json: the same facts for a machine to read.
json_check() { # DESCRIPTION SPEC PYTHON-EXPR (j is the parsed output)
	"$mrboot" --root "$(tree "$2")" detect --json >"$tmp/out" 2>"$tmp/err"
	if python3 -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if ($3) else 1)" "$tmp/out" 2>>"$tmp/err"; then
		ok "$1"
	else
		not_ok "$1"
		sed 's/^/# /' "$tmp/out" "$tmp/err"
	fi
}
json_check "json: tdx platform and the tsm-mr group" tdx 'j["platform"] == "tdx" and j["registers"]["group"] == "/sys/devices/virtual/misc/tdx_guest/measurements"'
json_check "json: rtmr2 is sha384, extensible, CC index 3" tdx '{"name": "rtmr2", "alg": "sha384", "extensible": True, "cc_index": 3} in j["registers"]["list"]'
json_check "json: mrconfigid has no algorithm and no CC index" tdx '{"name": "mrconfigid", "alg": None, "extensible": False, "cc_index": None} in j["registers"]["list"]'
json_check "json: signals name their platform" tdx 'j["detected_by"][1] == {"platform": "tdx", "signal": "cpu flag tdx_guest"}'
json_check "json: sev-snp has no registers and says why" sev-snp 'j["registers"] is None and any("not attestable" in x for x in j["notes"])'
json_check "json: the TPM and its banks" tpm 'j["tpm"] == {"device": "/dev/tpmrm0", "version": 2, "banks": ["sha1", "sha256"]}'
json_check "json: modules are null for a fixture root" none 'j["modules"] is None and j["report_provider"] is None'

# The common node: configfs-tsm (played by the FUSE emulator: the host has no configfs).
for provider in tdx_guest sev_guest none; do
	spec=tdx
	[ "$provider" = sev_guest ] && spec=sev-snp
	root=$(tree "$spec")
	log=$tmp/tsm-$provider.log
	if ! tsm_start "$root" "$provider" "$log"; then
		skip "configfs-tsm provider $provider: $tsm_why"
		continue
	fi
	"$mrboot" --root "$root" detect >"$tmp/out" 2>"$tmp/err"
	status=$?
	out=$(cat "$tmp/out")
	status_is "configfs-tsm $provider: detect exits 0" 0
	if [ "$provider" = none ]; then
		expect "configfs-tsm without a provider: said so" "^report provider: +none registered$"
		expect "configfs-tsm without a provider: the tsm-mr group still finds tdx" "^detected by: +tsm-mr measurements"
	else
		expect "configfs-tsm $provider: the report provider is named" "^report provider: +$provider$"
		expect "configfs-tsm $provider: it is the first signal" "^detected by: +configfs-tsm report provider $provider$"
		out=$(cat "$log")
		expect "configfs-tsm $provider: a report directory was made" "^mkdir mrboot-detect-[0-9]+$"
		name=$(sed -n 's/^mkdir //p' "$log")
		expect "configfs-tsm $provider: and removed again" "^rmdir $name$"
		refuse "configfs-tsm $provider: no inblob was written just to detect" "^inblob "
	fi
	out=$(ls "$root/sys/kernel/config/tsm/report")
	refuse "configfs-tsm $provider: no report is left behind" "."
	tsm_stop
done

# A group that does not make sense is an error naming the attribute.
root=$(tree tdx)
cp -a "$root" "$tmp/bad"
: >"$tmp/bad/sys/devices/virtual/misc/tdx_guest/measurements/rtmr4:sm3"
"$mrboot" --root "$tmp/bad" detect >"$tmp/out" 2>"$tmp/err"
status=$?
out=$(cat "$tmp/err")
status_is "an unknown register hash algorithm fails detect (exit 1)" 1
expect "the unknown algorithm is named with its register" "rtmr4 uses hash algorithm 'sm3'"
rm "$tmp/bad/sys/devices/virtual/misc/tdx_guest/measurements/rtmr4:sm3"
chmod 0644 "$tmp/bad/sys/devices/virtual/misc/tdx_guest/measurements/mrowner"
"$mrboot" --root "$tmp/bad" detect >"$tmp/out" 2>"$tmp/err"
status=$?
out=$(cat "$tmp/err")
status_is "a writable register without an index fails detect (exit 1)" 1
expect "a writable register without index and algorithm is an error naming it" "mrowner is writable but has no index and hash algorithm"

tap_end
