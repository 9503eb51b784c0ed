#!/bin/sh
# TAP: the test key broker (tests/kbs/broker.py) proven with an independent client
# (tests/kbs/client.py) over real TLS before the agent is tested against it: the whole RCAR flow
# for every TEE the broker verifies, each protocol refusal with Trustee's status and problem
# type, each policy rejection, each fault mode (the first request meets it, the next one
# works), and a clean exit on SIGTERM. A certificate authority and a server certificate for
# DNS:localhost are made here with openssl; every wait is bounded.
# Usage: selftest.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
tmp=$(mktemp -d)
. "$here/../lib/tap.sh"
kbs_lib_dir=$here
. "$here/lib-kbs.sh"
term_pid=""

cleanup() {
	kbs_stop
	[ -n "$term_pid" ] && kill -9 "$term_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if ! "$py" -c 'import cryptography' 2>/dev/null; then
	skip_all "Debian's python3-cryptography is not installed"
fi
if ! command -v openssl >/dev/null 2>&1; then
	skip_all "openssl is not installed"
fi

if ! kbs_make_certs "$tmp"; then
	bail "$kbs_why"
fi
head -c 32 /dev/urandom >"$tmp/secret"
"$py" "$here/client.py" make-ak "$tmp"

# start_broker NAME [broker arguments...]: the self-test policy, the resource, the AK.
start_broker() {
	name=$1
	shift
	if ! kbs_start "$tmp" "$name" --policy "$here/policy-selftest.json" \
		--resource "default/key/disk=$tmp/secret" --tpm-ak-allow "$tmp/ak.pub" "$@"; then
		kbs_url=""
		not_ok "broker $name starts" "$kbs_why"
	fi
}

# run DESCRIPTION CHECK [client arguments...]
run() {
	desc=$1
	shift
	if [ -z "$kbs_url" ]; then
		not_ok "$desc" "no broker"
		return
	fi
	if out=$(timeout 120 "$py" "$here/client.py" --url "$kbs_url" --cafile "$tmp/ca.pem" \
		--workdir "$tmp" --plaintext "$tmp/secret" "$@" 2>&1); then
		ok "$desc"
	else
		not_ok "$desc" "$out"
	fi
}

run_offline() {
	if out=$("$py" "$here/client.py" --url http://unused --plaintext "$tmp/secret" "$2" 2>&1); then
		ok "$1"
	else
		not_ok "$1" "$out"
	fi
}

run_offline "JCS: RFC 8785 ordering and escaping, Trustee's runtime-data vector" jcs-vectors

start_broker main --tee sample,tdx,tpm,snp,cca
run "sample: auth, attest, resource by cookie (P-256), decrypted by pyca and jwcrypto" sample-cookie
run "sample: resource by Bearer token on a new connection" sample-bearer
run "sample: P-521 tee-pubkey" sample-p521
run "sample: RSA-OAEP-256 tee-pubkey" sample-rsa
run "chunked request body" chunked-body
run "a second attest on an attested session returns the old token" reattest-same-token
run "auth: version must be semver =0.4.0 (build metadata ignored)" version-mismatch
run "auth: unknown or unaccepted tee -> 401 AttestationError" tee-refused
run "auth: malformed Request -> 401 AttestationError" auth-malformed
run "auth: cookie kbs-session-id=<32 hex>; Expires=<IMF-fixdate>, nonce 32 bytes, extra-params \"\"" challenge-format
run "attest: no cookie or unknown cookie -> 401" attest-no-cookie
run "attest: nonce other than the session's -> 401" attest-nonce-mismatch
run "attest: report_data not the JCS hash of the runtime data -> 401" attest-report-data-mismatch
run "attest: tee-pubkey with other members, alg, curve or point -> 401" attest-jwk-strict
run "attest: malformed Attestation -> 401" attest-not-json
run "resource: no token -> 401 TokenNotFound" resource-unauthenticated
run "resource: missing or illegal name -> 401 PluginInternalError" resource-missing
run "routing: 404 PluginNotFound, 401 AdminAuth, 405, bare 404" routing
run "request body over 2 MiB -> 413 PayloadTooLarge" body-limit
run "forged or foreign Bearer token -> 401 TokenVerifierError" bearer-forged
run "policy (sample log): good events release the key" sample-policy-good
for c in unknown after-separator missing bad-content other-domain; do
	run "policy (sample log): $c -> 401 PolicyDeny naming the event" "sample-policy-$c"
done
run "tdx: quote v4 + CCEL with mrboot's events, replayed to RTMR0..3" tdx-good
run "tdx: P-521 key, CCEL with SHA-256 and SHA-384 banks" tdx-p521-two-banks
for c in unknown after-separator missing bad-content other-domain no-log; do
	run "policy (tdx): $c -> 401 PolicyDeny" "tdx-policy-$c"
done
run "tdx: an AAEL digest that is not the hash of its event -> 401" tdx-lying-digest
run "tdx: RTMR that the log does not replay to -> 401" tdx-rtmr-mismatch
run "tdx: REPORTDATA mismatch -> 401" tdx-reportdata-mismatch
run "tdx: SHA-1 digest, trailing bytes, EV_NO_ACTION at an RTMR -> 401" tdx-log-malformed
run "tdx: CCEL ending in all-FF or all-00 padding is accepted" tdx-log-terminators
run "tdx: truncated quote, non-TDX TEE type, placeholder signature data, forged body -> 401" \
	tdx-quote-malformed
run "tdx: init-data bound to MRCONFIGID" tdx-init-data
run "tpm: ak_pubkey layout (quote map, aa_eventlog) replayed to PCR 12" tpm-a-good
run "tpm: ak_public layout (TPMT_SIGNATURE, 32-byte extraData)" tpm-b-good
run "tpm: both layouts in one object (as the agent sends), same key required" tpm-both-layouts
run "tpm: untrusted AK, PCR lie, extraData, bad signature -> 401" tpm-refused
run "tpm: extraData the hash's first 32 bytes; 64 (zero-padded) and 48 refused (Trustee 78962cd4)" \
	tpm-report-data-size
run "tpm: policy applies to the aa_eventlog" tpm-policy-unknown
run "snp: REPORT_DATA, version 3..5, known CPU, VMPL 0, a chain with a VEK, HOST_DATA (Trustee 78962cd4)" \
	snp-binding
run "cca: realm challenge, COSE_Sign1 realm and platform tokens, init-data = personalization value" \
	cca-binding
kbs_stop

start_broker deny-at-attest --deny-at attest --deny-status 403
run "--deny-at attest --deny-status 403: policy denial at /attest" deny-at-attest
kbs_stop

start_broker sha512 --hash-algorithm sha512
run "--hash-algorithm sha512: selected when the client lists it" hash-negotiated
run "--hash-algorithm sha512: sha384 without a list, 401 when not listed" hash-not-listed
kbs_stop

start_broker short --session-lifetime 1 --token-lifetime 1
run "expired session -> 401 at attest; expired Bearer token -> 401" session-expiry \
	--session-lifetime 1
kbs_stop

start_broker missing404 --missing-resource-status 404
run "--missing-resource-status 404" resource-missing --missing-status 404
kbs_stop

# Plain HTTP: the same flow without TLS; and the reset fault, which only plain TCP shows as a
# reset (Python's ssl module reports an RST after the data as a ragged end of file).
start_broker plain --plain
run "--plain: the flow over HTTP" plain-http
kbs_stop
start_broker plain-reset --plain --fault reset:auth
run "fault reset:auth (plain TCP): part of the reply, then ECONNRESET, not a FIN" \
	fault-reset-tcp
kbs_stop

# Faults: one broker each, the fault on the first request of its endpoint only.
for spec in down:auth slow:auth 401:attest 5xx:resource malformed-json:auth wrong-nonce \
	expired-session bad-jwe-tag unsupported-alg reset:resource oversize:resource; do
	mode=${spec%%:*}
	start_broker "fault-$mode" --fault "$spec" --slow-seconds 3 --oversize-bytes 4194304
	run "fault $spec: the client sees it once, then the flow works" "fault-$mode"
	kbs_stop
done
start_broker fault-sequence --fault down:auth:1 --fault 5xx:auth:1
run "faults in order: dropped, then 500, then served" fault-sequence
kbs_stop

# The log: one JSON line per request, without the resource's plaintext.
if [ -s "$tmp/main.log" ] &&
	"$py" -c 'import json, sys
secret = open(sys.argv[2], "rb").read()
lines = [json.loads(l) for l in open(sys.argv[1])]
assert lines and all("status" in l and "path" in l for l in lines if "method" in l)
assert secret.hex() not in open(sys.argv[1]).read()' "$tmp/main.log" "$tmp/secret"; then
	ok "--log: one JSON line per request, no plaintext"
else
	not_ok "--log: one JSON line per request, no plaintext"
fi

# SIGTERM: the broker itself (no timeout(1) in between) exits 0 within a bounded wait.
rm -f "$tmp/term.ready"
"$py" "$here/broker.py" --plain --ready-file "$tmp/term.ready" 2>"$tmp/term.err" &
term_pid=$!
i=0
while [ ! -s "$tmp/term.ready" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -TERM "$term_pid"
i=0
while kill -0 "$term_pid" 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
if kill -0 "$term_pid" 2>/dev/null; then
	not_ok "SIGTERM stops the broker with status 0" "still running after 5 s"
elif wait "$term_pid" && [ -s "$tmp/term.ready" ]; then
	ok "SIGTERM stops the broker with status 0"
else
	not_ok "SIGTERM stops the broker with status 0" "$(cat "$tmp/term.err")"
fi
term_pid=""

tap_end
