#!/bin/sh
# TAP: `mrboot predict` (issue 15) against what `mrboot measure` really does. For the TDX and the
# two CCA fixtures with registers that extend (tests/emulators/tsm-mr.py), and for swtpm: the
# prediction, made from the image's inputs before anything is measured, equals the registers
# read back after `measure` (through the emulator's mount, or tpm2_pcrread: not mrboot's log),
# its events are the records `mrboot log` shows, and tests/witness/predict-witness.py, which
# shares no code with mrboot, computes the same digests and values from the events' text. Bad
# inputs get the message `measure` gives.
# Usage: predict.sh MRBOOT FIXTURES_DIR
set -u
mrboot=$1
fixtures=$2
tests_dir=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
py=/usr/bin/python3
. "$tests_dir/lib/tap.sh"
. "$tests_dir/lib/tsm-mr.sh"
. "$tests_dir/lib/swtpm.sh"
trap 'tsm_mr_stop; swtpm_stop; rm -rf "$tmp"' EXIT

tap_diagnose() {
	[ -s "$tmp/why" ] && sed 's/^/# /' "$tmp/why"
	[ -s "$tmp/err" ] && sed 's/^/# stderr: /' "$tmp/err"
}
tap_run() { "$@" 2>"$tmp/why"; }
witness() { $py "$tests_dir/witness/predict-witness.py" "$@" >"$tmp/why"; }
hexof() { od -An -v -tx1 "$1" | tr -d ' \n'; }
jq_py() { # FILE EXPR: a Python expression over the JSON document j
	$py -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
H=$(printf 'ab%.0s' $(seq 32))
cmdline="BOOT_IMAGE=/vmlinuz root=/dev/mapper/root ro roothash=$H quiet"

# A root as the image's initrd has it: the configuration, a file it lists.
image() { # ROOT SPEC
	mkdir -p "$1"
	$py "$fixtures/mktree.py" "$fixtures/$2" "$1" >/dev/null || return 1
	mkdir -p "$1/etc/mrboot" "$1/proc"
	printf '%s\n' "$cmdline" >"$1/proc/cmdline"
	printf 'policy for the image\n' >"$1/etc/mrboot/extra.conf"
	printf '[measure]\nfile = /etc/mrboot/extra.conf\n' >"$1/etc/mrboot.conf"
}

# The events of the prediction are those of the log: domain, operation, content, in order.
same_events() { # PREDICTION LOG
	$py - "$1" "$2" <<'PY'
import json, sys
pred = [(e["domain"], e["operation"], e["content"])
        for e in json.load(open(sys.argv[1]))["predictions"][0]["events"]]
log = [(r["domain"], r["operation"], r["content"])
       for r in json.load(open(sys.argv[2]))["records"] if r["state"] == "committed"]
if pred != log:
    sys.exit("predicted %s\nlogged    %s" % (pred, log))
PY
}

# Trustee's reference values (--format rvps), read back as its RVPS would store them
# (tests/witness/trustee-rvps.py): the register under Trustee's claim name and encoding equals
# the live one; on TDX, whose evidence carries the log, the events are the logged records, each
# content as Trustee's AAEL parser gives it (JSON when it parses).
rvps_matches() { # RVPS TEE CLAIM[,CLAIM] LIVE_HEX[,LIVE_HEX] LOG
	$py "$tests_dir/witness/trustee-rvps.py" "$1" >"$tmp/stored.json" || return 1
	$py - "$tmp/stored.json" "$2" "$3" "$4" "$5" <<'PY'
import base64, json, sys
stored = json.load(open(sys.argv[1]))
tee = sys.argv[2]
lives = [bytes.fromhex(v) for v in sys.argv[4].split(",")]
want = {claim: base64.b64encode(v).decode() if tee == "cca" else v.hex()
        for claim, v in zip(sys.argv[3].split(","), lives)}
assert stored["mrboot/images"] == ["fixture"], stored["mrboot/images"]
alternatives = stored["mrboot/fixture/%s" % tee]
assert len(alternatives) == 1, alternatives
got = alternatives[0]["registers"]
assert got == want, "registers %s, want %s" % (got, want)
def parsed(text):
    try:
        return json.loads(text)
    except ValueError:
        return text
logged = [{"domain": r["domain"], "operation": r["operation"], "content": parsed(r["content"])}
          for r in json.load(open(sys.argv[5]))["records"] if r["state"] == "committed"]
events = alternatives[0]["events"]
assert events == (logged if tee == "tdx" else []), "events %s, logged %s" % (events, logged)
PY
}
# The test broker's policy (--format broker-policy): the register, and one rule per logged
# record with its exact content.
broker_policy_matches() { # POLICY TEE REG[,REG] LIVE_HEX[,LIVE_HEX] LOG
	$py - "$@" <<'PY'
import json, sys
policy = json.load(open(sys.argv[1]))
tee = sys.argv[2]
want = dict(zip(sys.argv[3].split(","), sys.argv[4].split(",")))
assert policy["tees"][tee]["registers"] == want, policy["tees"][tee]
logged = [(r["domain"], r["operation"], r["content"])
          for r in json.load(open(sys.argv[5]))["records"] if r["state"] == "committed"]
rules = [(r["domain"], r["operation"], r["content"]) for r in policy["events"]]
assert rules == logged, "rules %s, logged %s" % (rules, logged)
assert all(r["required"] and r["max"] == 1 for r in policy["events"])
assert [r.get("separator", False) for r in policy["events"]][-1] is True
PY
}
reference_checks() { # NAME PLATFORM TEE REG CLAIM LIVE_HEX [predict options...]
	r_name=$1 r_platform=$2 r_tee=$3 r_reg=$4 r_claim=$5 r_live=$6
	shift 6
	"$mrboot" --root "$root" predict --platform "$r_platform" --cmdline "$cmdline" \
		--format rvps --image fixture "$@" >"$tmp/$r_name.rvps" 2>"$tmp/err"
	check "$r_name: Trustee's RVPS takes the reference values, and they hold the live $r_reg" \
		rvps_matches "$tmp/$r_name.rvps" "$r_tee" "$r_claim" "$r_live" "$tmp/$r_name.log"
	"$mrboot" --root "$root" predict --platform "$r_platform" --cmdline "$cmdline" \
		--format broker-policy "$@" >"$tmp/$r_name.policy" 2>"$tmp/err"
	check "$r_name: the broker policy holds the live $r_reg and the logged events exactly" \
		broker_policy_matches "$tmp/$r_name.policy" "$r_tee" "$r_reg" "$r_live" "$tmp/$r_name.log"
}

cc_case() { # NAME SPEC PROVIDER PLATFORM REGDIR REG FILE [--firmware-log F]
	name=$1 spec=$2 provider=$3 platform=$4 regdir=$5 reg=$6 file=$7
	shift 7
	root=$tmp/$name
	image "$root" "$spec" || bail "mktree $spec failed"
	"$mrboot" --root "$root" predict --platform "$platform" --cmdline "$cmdline" --json "$@" \
		>"$tmp/$name.pred" 2>"$tmp/err"
	check "$name: predict exits 0" [ $? -eq 0 ]
	if ! tsm_mr_start "$root" "$provider" "$tmp/$name.mr.log" \
		${initial:+--initial "$initial"}; then
		skip "$name: the tsm-mr emulator: $tsm_mr_why"
		return
	fi
	"$mrboot" --root "$root" measure >"$tmp/out" 2>"$tmp/err"
	check "$name: measure exits 0" [ $? -eq 0 ]
	live=$(hexof "$root$regdir/$file")
	"$mrboot" --root "$root" log --format json >"$tmp/$name.log" 2>"$tmp/err"
	tsm_mr_stop
	check "$name: the predicted $reg is the register read back after measure" \
		[ "$(jq_py "$tmp/$name.pred" "[r['value'] for r in j['predictions'][0]['registers'] if r['register'] == '$reg'][0]['$(echo "$file" | cut -d: -f2)']")" = "$live" ]
	check "$name: the predicted events are the logged records" \
		same_events "$tmp/$name.pred" "$tmp/$name.log"
	check "$name: the witness computes the same digests and values from the events' text" \
		witness "$tmp/$name.pred" --live "$reg=$live"
	# Without the firmware's log, the emulator's register starts at zero and only mrboot
	# extends it: --alone says so.
	if [ $# -eq 0 ]; then
		set -- --alone "$reg"
	fi
	reference_checks "$name" "$platform" "$tee" "$reg" "$claim" "$live" "$@"
}

if [ ! -c /dev/fuse ] || ! $py -c 'import fusepy' 2>/dev/null; then
	skip "TDX and CCA: FUSE or python3-fusepy is missing (scripts/setup installs it)"
else
	initial=$fixtures/tdx-boot.json
	tee=tdx claim=rtmr_2
	cc_case tdx tdx-boot.spec tdx tdx /sys/devices/virtual/misc/tdx_guest/measurements rtmr2 \
		rtmr2:sha384 --firmware-log "$tmp/tdx/sys/firmware/acpi/tables/data/CCEL"
	check "tdx: with the firmware's CCEL the prediction is the register's, whole" \
		[ "$(jq_py "$tmp/tdx.pred" "j['predictions'][0]['registers'][0]['complete']")" = True ]
	initial=""
	tee=cca claim=rem2
	for alg in sha256 sha512; do
		cc_case "cca-$alg" "cca-$alg.spec" "cca-$alg" "cca-$alg" \
			/sys/devices/virtual/misc/arm_cca_guest/measurements rem2 "rem2:$alg"
		check "cca-$alg: without a firmware log the prediction says it is mrboot's part" \
			[ "$(jq_py "$tmp/cca-$alg.pred" "j['predictions'][0]['registers'][0]['complete']")" = False ]
	done
fi

# ---- TPM: PCR 15 of a fresh swtpm (every default is PCR 15), read back with tpm2_pcrread ----
if ! command -v tpm2_pcrread >/dev/null 2>&1; then
	skip "TPM: tpm2-tools is missing (scripts/setup installs it)"
elif ! { mkdir -p "$tmp/swtpm-state" && swtpm_start "$tmp/swtpm-state"; }; then
	skip "TPM: $swtpm_why"
else
	root=$tmp/tpm
	image "$root" tpm.spec || bail "mktree tpm.spec failed"
	printf '[tpm]\nsocket = %s\n' "$swtpm_sock" >>"$root/etc/mrboot.conf"
	"$mrboot" --root "$root" predict --platform tpm:sha256 --cmdline "$cmdline" --json \
		>"$tmp/tpm.pred" 2>"$tmp/err"
	check "tpm: predict exits 0" [ $? -eq 0 ]
	"$mrboot" --root "$root" measure >"$tmp/out" 2>"$tmp/err"
	check "tpm: measure exits 0" [ $? -eq 0 ]
	"$mrboot" --root "$root" log --format json >"$tmp/tpm.log" 2>"$tmp/err"
	TPM2TOOLS_TCTI=$swtpm_tcti tpm2_pcrread sha256:15 -o "$tmp/pcrs.bin" >/dev/null 2>"$tmp/err"
	pcr15=$(od -An -v -tx1 "$tmp/pcrs.bin" | tr -d ' \n')
	check "tpm: the predicted PCR 15 is tpm2_pcrread's after measure" \
		[ "$(jq_py "$tmp/tpm.pred" "' '.join(r['value']['sha256'] for r in j['predictions'][0]['registers'])")" = "$pcr15" ]
	check "tpm: the predicted events are the logged records" same_events "$tmp/tpm.pred" "$tmp/tpm.log"
	check "tpm: the witness computes the same digests and values from the events' text" \
		witness "$tmp/tpm.pred" --live "pcr15=$pcr15"
	# A fresh swtpm: nothing but mrboot extends PCR 15.
	reference_checks tpm tpm:sha256 tpm pcr15 pcr15 "$pcr15" --alone pcr15
	swtpm_stop
fi

# ---- bad inputs: what measure refuses, predict refuses with the same message ---------------
root=$tmp/bad
image "$root" none.spec || bail "mktree none.spec failed"
bad() { # WHAT CMDLINE
	printf '%s\n' "$2" >"$root/proc/cmdline"
	"$mrboot" --root "$root" measure >/dev/null 2>"$tmp/measure.err"
	m=$?
	"$mrboot" --root "$root" predict --platform tdx --cmdline "$2" >/dev/null 2>"$tmp/predict.err"
	p=$?
	check "$1: refused by both, with one message (measure $m, predict $p)" \
		[ "$m" -ne 0 ] --and [ "$p" -ne 0 ] --and \
		[ "$(tail -1 "$tmp/measure.err")" = "$(tail -1 "$tmp/predict.err")" ]
}
bad "an unterminated quote" 'ro "quiet'
bad "a verity root hash of 4 bytes" "ro roothash=abcdabcd"
bad "two different root hashes" "ro roothash=$H roothash=$(printf 'cd%.0s' $(seq 32))"
"$mrboot" --root "$root" predict --platform sgx --cmdline ro >/dev/null 2>"$tmp/err"
check "an unknown platform: usage error (exit 2) naming it" [ $? -eq 2 ] --and \
	grep -q "platform 'sgx' is not" "$tmp/err"
"$mrboot" --root "$root" predict --platform tdx >/dev/null 2>"$tmp/err"
check "no command line named: usage error (exit 2), this machine's is never taken" [ $? -eq 2 ]
"$mrboot" --root "$root" predict --platform tpm:sha256,md5 --cmdline ro >/dev/null 2>"$tmp/err"
check "a TPM bank mrboot has no hash for: refused naming it" grep -q "'md5'" "$tmp/err"
"$mrboot" --root "$root" predict --platform tdx --cmdline ro --firmware-log "$tmp/none" \
	>/dev/null 2>"$tmp/err"
check "a firmware log named and missing: an error, not a prediction from zero" [ $? -eq 1 ]

# ---- several platforms in one document, and what the reference forms refuse ---------------
printf 'ro\n' >"$root/proc/cmdline"
for platform in tdx cca-sha512 tpm:sha1,sha256; do
	"$mrboot" --root "$root" predict --platform "$platform" --cmdline ro --json \
		>"$tmp/one-$platform.json" 2>"$tmp/err"
done
"$mrboot" --root "$root" predict --platform tdx --platform cca-sha512 \
	--platform tpm:sha1,sha256 --cmdline ro --image img --json >"$tmp/all.json" 2>"$tmp/err"
check "three platforms in one document: each prediction is the one made alone" $py - \
	"$tmp/all.json" "$tmp/one-tdx.json" "$tmp/one-cca-sha512.json" \
	"$tmp/one-tpm:sha1,sha256.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["image"] == "img", doc["image"]
alone = [json.load(open(f)) for f in sys.argv[2:]]
assert all(a["image"] is None and len(a["predictions"]) == 1 for a in alone)
assert doc["predictions"] == [a["predictions"][0] for a in alone]
PY
check "the witness checks each platform of the document" witness "$tmp/all.json"
usage() { # WHAT PATTERN ARGS...: exit 2 and a message matching PATTERN
	u_what=$1 u_pattern=$2
	shift 2
	"$mrboot" --root "$root" predict --cmdline ro "$@" >/dev/null 2>"$tmp/err"
	check "$u_what: usage error (exit $?) naming it" [ $? -eq 2 ] --and \
		grep -q -- "$u_pattern" "$tmp/err"
}
usage "rvps without an image name" "give --image NAME" --platform tpm --format rvps
usage "an image name with a slash" "letters, digits" --platform tpm --image a/b --json
usage "an unknown format" "'yaml' is not text, json" --platform tpm --format yaml
usage "--also-accept with a bad name in its list" "image name 'b c'" --platform tpm \
	--image a --also-accept "ok,b c" --format rvps
"$mrboot" --root "$root" predict --cmdline ro --platform tdx --format rvps --image img \
	--also-accept old-1,img,old.2 >"$tmp/accept.rvps" 2>"$tmp/err"
check "--also-accept: mrboot/images lists this image and the others, each once" \
	sh -c '"$1" "$2" "$3" >"$4" && grep -qF "\"mrboot/images\": [\"img\", \"old-1\", \"old.2\"]" "$4"' \
	sh "$py" "$tests_dir/witness/trustee-rvps.py" "$tmp/accept.rvps" "$tmp/accept.stored"
usage "--alone naming a register mrboot does not extend" "extends no register pcr13" \
	--platform tpm --alone pcr13
usage "--alone naming a TPM register on TDX" "extends no register pcr12" \
	--platform tdx --alone pcr12
usage "one firmware log for two platforms" "one platform's log" --platform tdx \
	--platform tpm --firmware-log "$tmp/none"
"$mrboot" --root "$root" predict --cmdline ro --platform cca-sha256 --format rvps --image img \
	>"$tmp/out" 2>"$tmp/err"
check "rvps with nothing whole to hold: exit 1, the platform named, nothing written" \
	[ $? -eq 1 ] --and [ ! -s "$tmp/out" ] --and \
	grep -q "cca-sha256: left out: no whole register" "$tmp/err"
"$mrboot" --root "$root" predict --cmdline ro --platform cca-sha256 --platform cca-sha512 \
	--format broker-policy --alone rem2 >"$tmp/out" 2>"$tmp/err"
check "a broker policy for two platforms of one TEE: refused (exit 1), naming it" \
	[ $? -eq 1 ] --and grep -q "two platforms of TEE cca" "$tmp/err"
tap_end
