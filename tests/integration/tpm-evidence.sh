#!/bin/sh
# TAP: TPM evidence for the Trustee key broker from a real TPM (swtpm), checked as Trustee's TPM
# verifiers check it by witnesses that share no code with mrboot: tpm-evidence-check.py
# (Python's cryptography and hand-written parsers of TPMS_ATTEST, TPMT_SIGNATURE and TCG2
# logs), tpm2-tools on the same swtpm (PCR values, the AK from the same template,
# tpm2_checkquote) and mrboot's own JSON-SEQ log for the events. Skips, saying why, when swtpm,
# tpm2-tools or python3-cryptography are missing.
# Usage: tpm-evidence.sh TPM_EVIDENCE_DRIVER MRBOOT CHECKER
set -u
prog=$1
mrboot=$2
checker=$3
py=/usr/bin/python3
tmp=$(mktemp -d)
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/swtpm.sh"
trap 'swtpm_stop; rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

tap_diagnose() { [ -s "$tmp/err" ] && sed 's/^/# /' "$tmp/err"; }

mkdir -p "$tmp/tpm"
if ! swtpm_start "$tmp/tpm"; then
	skip_all "$swtpm_why"
fi
$py -c 'import cryptography' 2>/dev/null ||
	skip_all "$py has no cryptography (python3-cryptography)"
for tool in tpm2_pcrread tpm2_pcrextend tpm2_createprimary tpm2_readpublic tpm2_flushcontext \
	tpm2_checkquote tpm2_getcap; do
	command -v $tool >/dev/null 2>&1 || skip_all "$tool is missing (tpm2-tools)"
done
TPM2TOOLS_TCTI=$swtpm_tcti
export TPM2TOOLS_TCTI
all_pcrs=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23

# The checker's lines, numbered into this TAP stream.
checks() {
	$py "$checker" check "$@" >"$tmp/checks" 2>&1
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) : >"$tmp/err"; not_ok "${line#not ok - }" ;;
		*) echo "# $line" ;;
		esac
	done <"$tmp/checks"
}
evidence() { # OUT HASHHEX [ROOT]: the evidence into OUT, errors into $tmp/err, $status
	out=$1
	shift
	"$prog" "$swtpm_sock" "$@" >"$out" 2>"$tmp/err"
	status=$?
}
pcrread() { # ALG FILE: PCRs 0..23 of bank ALG, as tpm2-tools reads them
	tpm2_pcrread -o "$2" "$1:$all_pcrs" >/dev/null 2>"$tmp/err"
}
no_transient() { [ -z "$(tpm2_getcap handles-transient 2>/dev/null)" ]; }
member() { # FILE EXPR: a member of the evidence, by Python expression on d
	$py -c "import json, sys; d = json.load(open(sys.argv[1])); print($2)" "$1"
}
random_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# The AK a verifier pins, made by tpm2-tools from the template mr/tpm2-marshal.h documents.
tpm2_createprimary -C e -g sha256 -G rsa2048:rsassa-sha256:null \
	-a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign' \
	-c "$tmp/ak.ctx" >/dev/null 2>"$tmp/err" &&
	tpm2_readpublic -c "$tmp/ak.ctx" -f pem -o "$tmp/ak.pem" >/dev/null 2>>"$tmp/err" &&
	tpm2_flushcontext -t 2>>"$tmp/err"
check "tpm2-tools makes the AK from the documented template" [ -s "$tmp/ak.pem" ]

# ---- evidence without event logs: a SHA-384 runtime-data hash ----------------------------
hash1=$(random_hex 48)
evidence "$tmp/ev1.json" "$hash1"
check "evidence without logs: written" [ "$status" -eq 0 ]
check "no transient object is left in the TPM" no_transient
pcrread sha256 "$tmp/sha256.bin"
checks "$tmp/ev1.json" --hash "$hash1" --pcrs "sha256=$tmp/sha256.bin" --trusted-ak "$tmp/ak.pem"

# The quote as tpm2-tools reads it: TPMS_ATTEST and TPMT_SIGNATURE, each in a file.
$py - "$tmp/ev1.json" "$tmp/message" "$tmp/signature" <<'PY'
import base64, json, sys
q = json.load(open(sys.argv[1]))["tpm_quote"]
open(sys.argv[2], "wb").write(base64.b64decode(q["message"]))
open(sys.argv[3], "wb").write(base64.b64decode(q["signature"]))
PY
checkquote() { # QUALIFYING_HEX: tpm2-tools checks the signature and the qualifying data
	tpm2_checkquote -u "$tmp/ak.pem" -m "$tmp/message" -s "$tmp/signature" -g sha256 \
		-q "$1" >/dev/null 2>&1
}
# Trustee's TPM_REPORT_DATA_SIZE (78962cd4, deps/verifier/src/tpm/mod.rs): the hash's first 32
# bytes; the zero-padded 64 bytes sent before must now fail.
hash1_32=$(printf '%.64s' "$hash1")
hash1_64=$hash1$(printf '00%.0s' $(seq 16))
check "tpm2_checkquote: the signature and the qualifying data (the hash's first 32 bytes)" \
	checkquote "$hash1_32"
check "tpm2_checkquote refuses the quote for the hash zero-padded to 64 bytes" \
	eval '! checkquote "$hash1_64"'
check "tpm2_checkquote refuses the quote for other qualifying data" \
	eval '! checkquote "$(random_hex 32)"'

# ---- a boot: firmware log, mrboot's measurements, an extend no log explains --------------
root=$tmp/root
mkdir -p "$root/etc" "$root/proc" "$root/sys/kernel/security/tpm0"
printf '[tpm]\nsocket = %s\n' "$swtpm_sock" >"$root/etc/mrboot.conf"
echo "BOOT_IMAGE=/vmlinuz root=/dev/sda2 ro roothash=$(printf '5a%.0s' $(seq 32))" \
	>"$root/proc/cmdline"
firmware=$root/sys/kernel/security/tpm0/binary_bios_measurements
$py "$checker" firmware-log "$firmware" >"$tmp/firmware-extends"
: >"$tmp/err"
while read -r pcr sha1 sha256; do
	tpm2_pcrextend "$pcr:sha1=$sha1,sha256=$sha256" 2>>"$tmp/err" || echo "extend failed" >>"$tmp/err"
done <"$tmp/firmware-extends"
check "the firmware log's events are extended into PCRs 0 and 7" [ ! -s "$tmp/err" ]
"$mrboot" --root "$root" measure >/dev/null 2>"$tmp/err"
check "mrboot measures into PCRs 12 and 15" [ $? -eq 0 ]
tpm2_pcrextend "16:sha256=$(random_hex 32)" 2>"$tmp/err"
check "tpm2-tools extends PCR 16, which no log explains" [ $? -eq 0 ]

hash2=$(random_hex 32)
evidence "$tmp/ev2.json" "$hash2" "$root"
check "evidence with both logs and a SHA-256 runtime-data hash: written" [ "$status" -eq 0 ]
check "no transient object is left in the TPM" no_transient
pcrread sha256 "$tmp/sha256.bin"
pcrread sha1 "$tmp/sha1.bin"
checks "$tmp/ev2.json" --hash "$hash2" --pcrs "sha256=$tmp/sha256.bin" "sha1=$tmp/sha1.bin" \
	--firmware-log "$firmware" --mrboot-log "$root/run/log/mrboot/events.jsonseq" \
	--trusted-ak "$tmp/ak.pem" --expect-banks SHA256,SHA1

ak1=$(member "$tmp/ev1.json" "d['ak_public']")
ak2=$(member "$tmp/ev2.json" "d['ak_public']")
check "the AK is the same in a second evidence" [ -n "$ak1" -a "$ak1" = "$ak2" ]

# ---- the AK survives a TPM restart: it comes from the endorsement seed ------------------
swtpm_stop
if swtpm_start "$tmp/tpm"; then
	evidence "$tmp/ev3.json" "$(random_hex 64)"
	ak3=$(member "$tmp/ev3.json" "d['ak_public']")
	check "after a TPM restart the AK is the same (a SHA-512 runtime-data hash)" \
		[ "$status" -eq 0 -a "$ak3" = "$ak1" ]
else
	not_ok "swtpm restarts: $swtpm_why"
fi

# ---- refusals ------------------------------------------------------------------------
evidence "$tmp/bad.json" "$(random_hex 20)"
check "a 20-byte hash is refused" grep -q "hash of 20 bytes" "$tmp/err"

# A writer that died between its write-ahead record and the extend: the log says nothing
# certain about the PCR until it is recovered.
$py - "$root/run/log/mrboot/events.jsonseq" <<'PY'
import json, sys
path = sys.argv[1]
recs = [json.loads(c) for c in open(path, "rb").read().split(b"\x1e")[1:]]
last = [r for r in recs if r["state"] == "pending"][-1]
last["seq"] = max(r["seq"] for r in recs) + 1
open(path, "ab").write(b"\x1e" + json.dumps(last).encode() + b"\n")
PY
evidence "$tmp/bad.json" "$hash2" "$root"
check "a log with a pending record is refused, naming it" \
	grep -q "record [0-9]* is pending" "$tmp/err"
check "no transient object is left in the TPM" no_transient

tap_end
