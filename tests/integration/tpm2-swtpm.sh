#!/bin/sh
# TAP: the TPM 2.0 backend against a real TPM, swtpm, checked with tpm2-tools and Python's
# hashlib. Skips, saying why, when swtpm cannot run here.
# Usage: tpm2-swtpm.sh TEST_PROGRAM
set -u
prog=$1
tmp=$(mktemp -d)
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/swtpm.sh"
trap 'swtpm_stop; rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

if ! swtpm_start "$tmp"; then
	skip_all "$swtpm_why"
fi
# The witnesses: found here so that the program can say which is missing.
MRBOOT_PYTHON=$(command -v /usr/bin/python3 || command -v python3 || true)
MRBOOT_TPM2_PCRREAD=$(command -v tpm2_pcrread || true)
MRBOOT_TPM2_GETCAP=$(command -v tpm2_getcap || true)
TPM2TOOLS_TCTI=$swtpm_tcti
export MRBOOT_PYTHON MRBOOT_TPM2_PCRREAD MRBOOT_TPM2_GETCAP TPM2TOOLS_TCTI
"$prog" "$swtpm_sock" "$swtpm_pid"
