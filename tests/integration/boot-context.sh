#!/bin/sh
# TAP: one `mrboot run` reads the boot once (issue 14): under strace, against a TDX fixture with
# the tsm-mr and configfs-tsm emulators and against swtpm, each attesting to the test broker
# and releasing a key, the kernel command line, the configuration, mrboot's event log, the
# firmware's log and the TPM are each opened once; the configfs-tsm report directories are
# detection's one (the provider can only be read from a report) and one for the one piece of
# evidence. The counting is bench/boot-context.sh's, which prints the same figures beside an
# older binary's.
# Usage: boot-context.sh MRBOOT
set -u
tests_dir=$(cd "$(dirname "$0")/.." && pwd)
. "$tests_dir/lib/tap.sh"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$tests_dir/../bench/boot-context.sh" --counts "$1" >"$out" 2>"$out.err"
status=$?
if [ "$status" -eq 77 ]; then
	skip_all "$(tail -1 "$out.err")"
fi
[ "$status" -eq 0 ] || bail "bench/boot-context.sh failed: $(tail -3 "$out.err")"
rm -f "$out.err"
got() { awk -v s="$1" -v w="$2" '$1 == s && $2 == w { print $3 }' "$out"; }
expect() { # SCENARIO WHAT COUNT WHY
	v=$(got "$1" "$2")
	if [ "$v" = "$3" ]; then
		ok "$1: $4 ($2: $v)"
	else
		not_ok "$1: $4 ($2: $v, want $3)"
	fi
}
for s in tdx tpm; do
	expect "$s" status 0 "run measures, verifies and releases the key"
	expect "$s" /proc/cmdline 1 "the kernel command line is read once"
	expect "$s" mrboot.conf 1 "the configuration is read once"
	expect "$s" event-log 1 "the event log is opened once"
done
expect tdx CCEL 1 "the firmware CCEL is read once, for replay and the evidence"
expect tdx report-dir 2 "a report directory for detection and one for the evidence"
expect tdx TPM 0 "no TPM is touched on TDX"
expect tpm TPM 1 "the TPM is opened once, for measure, replay and the quote"
expect tpm TPM-firmware-log 1 "the TPM's firmware log is looked for once, for replay and the quote"
expect tpm report-dir 0 "no configfs-tsm report without configfs-tsm"
tap_end
