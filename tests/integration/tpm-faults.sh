#!/bin/sh
# TAP: TPM failures during an extend and a quote, from a real TPM (swtpm) behind
# tests/emulators/tpm-proxy.py, which answers chosen commands with a response code the TPM
# did not run them under (TPM_RC_LOCALITY, TPM_RC_RETRY, TPM_RC_YIELDED), cuts a response
# short after the TPM ran the command, or sends a responseSize larger than what follows. For
# each case:
#  - the agent names the failure: the command, the PCR, the TPM_RC name or what the
#    transport saw;
#  - the event log and the PCR agree afterwards, by a witness that shares no code with
#    mrboot: hashlib folds SHA-256 of the event texts whose records the journal (read here as
#    JSON-SEQ) calls committed, and tpm2_pcrread reads PCR 16 from swtpm. Where the TPM ran an
#    extend whose answer was lost, the record stays pending, the agent says it cannot tell,
#    and the next run settles it by the register;
#  - a failed quote gives no token, and the attestation key is flushed where the TPM can
#    still be reached.
# Usage: tpm-faults.sh MRBOOT
set -u
mrboot=$1
tests_dir=$(cd "$(dirname "$0")/.." && pwd)
kbs_lib_dir=$tests_dir/kbs
. "$tests_dir/lib/tap.sh"
. "$tests_dir/lib/swtpm.sh"
. "$kbs_lib_dir/lib-kbs.sh"
py=/usr/bin/python3
tmp=$(mktemp -d)
proxy_pid=""
proxy_stop() {
	if [ -n "$proxy_pid" ]; then
		kill "$proxy_pid" 2>/dev/null
		wait "$proxy_pid" 2>/dev/null
		proxy_pid=""
	fi
}
trap 'proxy_stop; kbs_stop; swtpm_stop; rm -rf "$tmp"' EXIT

tap_diagnose() { sed 's/^/# /' "$tmp/err"; }
has() { grep -qF -- "$2" "$tmp/$1"; }

mkdir -p "$tmp/tpm"
if ! swtpm_start "$tmp/tpm"; then
	skip_all "$swtpm_why"
fi
if ! command -v tpm2_pcrread >/dev/null 2>&1 || ! command -v tpm2_getcap >/dev/null 2>&1; then
	skip_all "tpm2-tools is missing (the witness reads the PCR with tpm2_pcrread)"
fi
TPM2TOOLS_TCTI=$swtpm_tcti
export TPM2TOOLS_TCTI

# proxy_start [--fault SPEC]...: the proxy on $tmp/proxy.sock, its log in $tmp/proxy.log.
proxy_start() {
	proxy_stop
	rm -f "$tmp/proxy.ready" "$tmp/proxy.log"
	timeout 600 "$py" "$tests_dir/emulators/tpm-proxy.py" --listen "$tmp/proxy.sock" \
		--tpm "$swtpm_sock" --ready "$tmp/proxy.ready" --log "$tmp/proxy.log" "$@" \
		2>"$tmp/proxy.err" &
	proxy_pid=$!
	i=0
	while [ ! -s "$tmp/proxy.ready" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -s "$tmp/proxy.ready" ] || {
		bail "the TPM proxy did not start: $(cat "$tmp/proxy.err")"
	}
}
commands() { # NAME: how many commands of that name reached the proxy
	grep -c "\"command\": \"$1\"" "$tmp/proxy.log"
}

root=$tmp/root
mkdir -p "$root/etc/mrboot" "$root/proc"
echo "BOOT_IMAGE=/vmlinuz root=/dev/sda2 ro" >"$root/proc/cmdline"
printf '[tpm]\nsocket = %s\n' "$tmp/proxy.sock" >"$root/etc/mrboot.conf"
journal=$root/run/log/mrboot/events.jsonseq

# extend NAME: mrboot extend of PCR 16 through the proxy with the event "example.org NAME
# {"case":"NAME"}", which the TPM path hashes as that text; $status, $tmp/out, $tmp/err.
extend() {
	"$mrboot" --root "$root" extend --pcr 16 --domain example.org --operation "$1" \
		--content "{\"case\":\"$1\"}" >"$tmp/out" 2>"$tmp/err"
	status=$?
}
# state NAME: the final state of the record of NAME in the journal, read as JSON-SEQ.
state() {
	$py - "$journal" "$1" <<'EOF'
import json, sys
states, names = {}, {}
for text in open(sys.argv[1], "rb").read().split(b"\x1e"):
    if text.strip():
        r = json.loads(text)
        states[r["seq"]] = r["state"]
        if "operation" in r:
            names[r["seq"]] = r["operation"]
print(" ".join(states[s] for s, n in names.items() if n == sys.argv[2]) or "none")
EOF
}
# agrees [NAME...]: PCR 16 (tpm2_pcrread, sha256 bank) is SHA-256 folded over the events of
# those names, and they are exactly the records the journal calls committed, in order.
agrees() {
	tpm2_pcrread -o "$tmp/pcr16" sha256:16 >/dev/null 2>>"$tmp/err" || return 1
	$py - "$journal" "$tmp/pcr16" "$@" <<'EOF' 2>>"$tmp/err"
import hashlib, json, sys
states, names = {}, {}
for text in open(sys.argv[1], "rb").read().split(b"\x1e"):
    if text.strip():
        r = json.loads(text)
        states[r["seq"]] = r["state"]
        if "operation" in r:
            names[r["seq"]] = r["operation"]
committed = [names[s] for s in sorted(names) if states[s] == "committed"]
pcr = bytes(32)
for name in sys.argv[3:]:
    event = f'example.org {name} {{"case":"{name}"}}'
    pcr = hashlib.sha256(pcr + hashlib.sha256(event.encode()).digest()).digest()
got = open(sys.argv[2], "rb").read()
if committed != sys.argv[3:] or got != pcr:
    sys.exit(f"journal committed {committed}, PCR 16 {got.hex()}, expected {pcr.hex()}")
EOF
}

# ---- extend ----------------------------------------------------------------------------------
proxy_start
extend first
check "extend through the proxy, no fault: exit 0" [ "$status" -eq 0 ]
check "the witness: PCR 16 is the hash of 'first' folded, the journal commits it" agrees first

proxy_start --fault PCR_Extend:rc=0x907
extend locality
check "TPM_RC_LOCALITY on TPM2_PCR_Extend: exit 1" [ "$status" -eq 1 ]
check "named: the command, the PCR and the code" \
	has err "PCR 16: TPM2_PCR_Extend failed: TPM_RC_LOCALITY"
check "the record is aborted ($(state locality))" [ "$(state locality)" = aborted ]
check "log and PCR agree: the TPM did not run it" agrees first
check "not sent again: TPM_RC_LOCALITY is no retry" [ "$(commands PCR_Extend)" -eq 1 ]

proxy_start --fault PCR_Extend:rc=0x922:2
extend retry
check "TPM_RC_RETRY twice, then the extend: exit 0" [ "$status" -eq 0 ]
check "sent three times" [ "$(commands PCR_Extend)" -eq 3 ]
check "the record is committed" [ "$(state retry)" = committed ]
check "log and PCR agree" agrees first retry

proxy_start --fault PCR_Extend:rc=0x908:8
extend yielded
check "TPM_RC_YIELDED on every try: exit 1" [ "$status" -eq 1 ]
check "named, with the attempts (1 + 7 retries)" \
	sh -c 'grep -qF "TPM_RC_YIELDED" "$1" && grep -qF "8 attempts" "$1"' _ "$tmp/err"
check "the record is aborted" [ "$(state yielded)" = aborted ]
check "log and PCR agree" agrees first retry

# The TPM runs the extend, then the answer is lost: the agent cannot ask the register over
# a connection it had to drop, so the record stays pending and the message says both.
proxy_start --fault PCR_Extend:cut=12
extend cut
check "a response cut after 12 bytes: exit 1" [ "$status" -eq 1 ]
check "named: the reset, and the record said to be left pending" \
	sh -c 'grep -qF "after 12 bytes" "$1" && grep -qF "record 5 left pending" "$1"' _ "$tmp/err"
check "the record is left pending, not guessed" [ "$(state cut)" = pending ]
proxy_start
extend after-cut
check "the next extend settles it by the register: exit 0" [ "$status" -eq 0 ]
check "saying so" has err "recovered: the register shows the extend happened"
check "the record of the lost answer is committed" [ "$(state cut)" = committed ]
check "log and PCR agree" agrees first retry cut after-cut

proxy_start --fault PCR_Extend:oversize
extend oversize
check "a responseSize 64 bytes beyond what follows: exit 1" [ "$status" -eq 1 ]
check "named: the command, the bytes that came, the record left pending" \
	sh -c 'grep -qF "TPM2_PCR_Extend" "$1" && grep -qF "after 19 bytes" "$1" &&
		grep -qF "record 7 left pending" "$1"' _ "$tmp/err"
check "the record is left pending" [ "$(state oversize)" = pending ]
proxy_start
"$mrboot" --root "$root" replay >"$tmp/out" 2>"$tmp/err"
status=$?
check "replay settles it and then finds log and registers equal: exit 0" [ "$status" -eq 0 ]
check "saying so" has err "recovered: the register shows the extend happened"
check "log and PCR agree" agrees first retry cut after-cut oversize

# ---- quote -----------------------------------------------------------------------------------
# attest stops at the token: the resource is there for the broker's start only.
head -c 32 /dev/urandom >"$tmp/disk.key"
if ! kbs_make_certs "$tmp" || ! kbs_start "$tmp" kbs --tee tpm --tpm-ak-tofu \
	--resource "default/mrboot/root=$tmp/disk.key"; then
	skip "the quote cases need the test broker: $kbs_why"
	proxy_stop
	tap_end
fi
cp "$tmp/ca.pem" "$root/etc/mrboot/kbs-ca.pem"
printf '[kbs]\nurl = %s\ntee = tpm\ntimeout = 30\n' "$kbs_url" >>"$root/etc/mrboot.conf"
attest() {
	"$mrboot" --root "$root" attest >"$tmp/out" 2>"$tmp/err"
	status=$?
}
token() { grep -qE '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' "$tmp/out"; }
no_transient() { [ -z "$(tpm2_getcap handles-transient 2>/dev/null)" ]; }

proxy_start
attest
check "attest with a quote through the proxy, no fault: exit 0" [ "$status" -eq 0 ]
check "a token" token
check "the attestation key flushed" no_transient

proxy_start --fault Quote:rc=0x907
attest
check "TPM_RC_LOCALITY on TPM2_Quote: exit 5, no token" [ "$status" -eq 5 ]
check "named: the command and the code" has err "TPM2_Quote failed: TPM_RC_LOCALITY"
check "nothing on standard output" [ ! -s "$tmp/out" ]
check "the attestation key flushed all the same" \
	sh -c '[ "$1" -eq 1 ] && [ -z "$2" ]' _ "$(commands FlushContext)" \
	"$(tpm2_getcap handles-transient 2>/dev/null)"
check "log and PCR untouched" agrees first retry cut after-cut oversize

proxy_start --fault Quote:rc=0x922:2
attest
check "TPM_RC_RETRY twice on TPM2_Quote, then the quote: a token" \
	sh -c '[ "$1" -eq 0 ] && grep -qE "^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$" "$2"' \
	_ "$status" "$tmp/out"
check "the quote sent three times" [ "$(commands Quote)" -eq 3 ]

proxy_start --fault CreatePrimary:rc=0x907
attest
check "TPM_RC_LOCALITY on TPM2_CreatePrimary: exit 5" [ "$status" -eq 5 ]
check "named: the attestation key and the code" \
	sh -c 'grep -qF "attestation key" "$1" && grep -qF "TPM_RC_LOCALITY" "$1"' _ "$tmp/err"
check "no quote asked for without a key" [ "$(commands Quote)" -eq 0 ]

proxy_start --fault Quote:cut=10
attest
check "a quote response cut after its header: exit 5" [ "$status" -eq 5 ]
check "named: the command and the reset" \
	sh -c 'grep -qF "TPM2_Quote" "$1" && grep -qF "after 10 bytes" "$1"' _ "$tmp/err"
check "no token" [ ! -s "$tmp/out" ]
# The connection is gone, so the key cannot be flushed through it; the kernel's resource
# manager flushes a closed /dev/tpmrm0 client's objects, swtpm's socket does not.
tpm2_getcap handles-transient 2>/dev/null | sed -n 's/^- \(0x[0-9a-fA-F]*\)$/\1/p' |
	while read -r h; do tpm2_flushcontext "$h" >/dev/null 2>&1; done

proxy_start --fault Quote:hang
start=$(date +%s%N)
attest
elapsed=$((($(date +%s%N) - start) / 1000000))
check "a quote whose responseSize promises more than ever comes: exit 5 in ${elapsed} ms" \
	sh -c '[ "$1" -eq 5 ] && [ "$2" -lt 15000 ]' _ "$status" "$elapsed"
check "named: the command and the timeout" \
	sh -c 'grep -qF "TPM2_Quote" "$1" && grep -qiF "no response" "$1"' _ "$tmp/err"
tpm2_getcap handles-transient 2>/dev/null | sed -n 's/^- \(0x[0-9a-fA-F]*\)$/\1/p' |
	while read -r h; do tpm2_flushcontext "$h" >/dev/null 2>&1; done

proxy_start
attest
check "after every fault, a clean attest still gets a token" \
	sh -c '[ "$1" -eq 0 ] && [ -s "$2" ]' _ "$status" "$tmp/out"
check "log and PCR agree at the end" agrees first retry cut after-cut oversize

proxy_stop
tap_end
